"""The competitor pages without a browser: the Products, Price history and Win/loss
panels of a competitor's record page and the ``/competitors/`` page, within the
reader's permissions and record rules."""

from __future__ import annotations

import datetime as dt
import html
import re
from decimal import Decimal

import pytest

import accord_competitors.hooks
import accord_sales.hooks
from accord import services
from accord.services import Actor
from accord.services.authz import actor_for
from accord.services.plugins import disable
from accord.services.roles import add_role
from accord_competitors.panels import winloss
from accord_competitors.services import observe_price
from accord_sales.services import move_opportunity

pytestmark = pytest.mark.plugins(accord_sales.hooks, accord_competitors.hooks)

SYSTEM = Actor.system("test")
TODAY = dt.datetime.now(dt.timezone.utc).date()


def _user(kernel, email, role):
    return services.create(kernel, "user", {"email": email, "name": email.split("@")[0].title(),
                                            "role": role}, actor=SYSTEM)


def _text(response, status=200):
    body = response.get_data(as_text=True)
    assert response.status_code == status, body
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)))


def _deal(kernel, name, owner, amount="1000.00", currency="EUR"):
    org = services.create(kernel, "organization", {"name": f"{name} GmbH"}, actor=SYSTEM)
    return services.create(kernel, "sales.opportunity", {
        "name": name, "owner_id": owner.id, "organization_id": org.id,
        "amount": {"amount": amount, "currency": currency}}, actor=SYSTEM)


def _contest(kernel, deal, *rivals):
    for rival in rivals:
        services.create(kernel, "competitors.involvement", {
            "opportunity_id": deal.id, "competitor_id": rival.id}, actor=SYSTEM)


@pytest.fixture
def story(kernel):
    """Rival Inc with two products and three prices; Maria lost a deal to it, Tom won
    one against it and lost one in USD to it (no USD rate), and Cheapo contests Tom's
    won deal too."""
    ada = _user(kernel, "ada@example.com", "admin")
    maria = _user(kernel, "maria@example.com", "sales")
    tom = _user(kernel, "tom@example.com", "sales")
    rival = services.create(kernel, "competitors.competitor", {
        "name": "Rival Inc", "threat_level": "high"}, actor=SYSTEM)
    cheapo = services.create(kernel, "competitors.competitor", {"name": "Cheapo Ltd"},
                             actor=SYSTEM)
    services.create(kernel, "competitors.competitor", {"name": "Quiet Co"}, actor=SYSTEM)
    suite = services.create(kernel, "competitors.product", {
        "competitor_id": rival.id, "name": "Rival Suite", "category": "CRM"}, actor=SYSTEM)
    lite = services.create(kernel, "competitors.product", {
        "competitor_id": rival.id, "name": "Rival Lite"}, actor=SYSTEM)
    price = {"amount": "90.00", "currency": "EUR"}
    observe_price(kernel, suite.id, price, actor=SYSTEM,
                  observed_on=TODAY - dt.timedelta(days=30), source="website")
    observe_price(kernel, suite.id, {"amount": "99.50", "currency": "EUR"}, actor=SYSTEM,
                  observed_on=TODAY - dt.timedelta(days=2), source="a customer's quote")
    observe_price(kernel, lite.id, {"amount": "19.00", "currency": "EUR"}, actor=SYSTEM,
                  observed_on=TODAY - dt.timedelta(days=10))
    marias = _deal(kernel, "Maria's lost deal", maria, "1200.00")
    toms_won = _deal(kernel, "Tom's won deal", tom, "5000.00")
    toms_lost = _deal(kernel, "Tom's dollar deal", tom, "300.00", "USD")
    _contest(kernel, marias, rival)
    _contest(kernel, toms_won, rival, cheapo)
    _contest(kernel, toms_lost, rival)
    move_opportunity(kernel, marias.id, "Lost", loss_reason="Too dear",
                     details={"lost_to": rival.id}, actor=SYSTEM)
    move_opportunity(kernel, toms_won.id, "Won", win_reason="Better support", actor=SYSTEM)
    move_opportunity(kernel, toms_lost.id, "Lost", loss_reason="Features",
                     details={"lost_to": rival.id}, actor=SYSTEM)
    return dict(ada=ada, maria=maria, tom=tom, rival=rival, cheapo=cheapo, suite=suite,
                lite=lite, marias=marias, toms_won=toms_won, toms_lost=toms_lost)


def _panel(body, title):
    """The HTML of the panel headed ``title`` on a record page."""
    match = re.search(rf'<section class="card panel"[^>]*>\s*<h2[^>]*>{re.escape(title)}</h2>'
                      r"(.*?)</section>", body, re.DOTALL)
    assert match, f"no panel {title!r}"
    return match[1]


def _items(fragment):
    """The text of each item of a panel's list, spaces squeezed."""
    return [html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", item))).strip()
            for item in re.findall(r'<li class="result">(.*?)</li>', fragment, re.DOTALL)]


def test_hook_record_panels_products_prices_and_winloss_for_an_admin(kernel, story,
                                                                     make_page_client):
    client = make_page_client(user=story["ada"])
    body = client.get(f"/records/competitors.competitor/{story['rival'].id}").get_data(
        as_text=True)
    products = _panel(body, "Products")
    assert _items(products) == [
        f"Rival Lite 19.00 EUR observed {TODAY - dt.timedelta(days=10):%-d %b %Y}",
        f"Rival Suite 99.50 EUR CRM · observed {TODAY - dt.timedelta(days=2):%-d %b %Y}"]
    assert f'href="/records/competitors.product/{story["suite"].id}"' in products
    prices = _panel(body, "Price history")
    assert [item.split(" : ", 1)[1] for item in _items(prices)] == [  # newest first
        "Rival Suite 99.50 EUR a customer's quote · recorded by test",
        "Rival Lite 19.00 EUR recorded by test",
        "Rival Suite 90.00 EUR website · recorded by test"]
    assert prices.count('href="/records/competitors.price/') == 3
    deals = _panel(body, "Win/loss")
    text = html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", deals)))
    assert "Won 1 Lost 2 Win rate 33.33%" in text
    # Lost to it in EUR counts; the USD deal has no rate, so it is shown apart.
    assert "Revenue lost to it 1,200.00 EUR + 300.00 USD (no exchange rate)" in text
    assert [item.split(" Closed ")[0] for item in _items(deals)] == [  # newest first
        "Tom's dollar deal Lost to it 300.00 USD",
        "Tom's won deal Won 5,000.00 EUR",
        "Maria's lost deal Lost to it 1,200.00 EUR"]
    assert f'href="/records/sales.opportunity/{story["marias"].id}"' in deals
    assert [item.split(" · ")[-1] for item in _items(deals)] == [
        "Features", "Better support", "Too dear"]


def test_a_sales_user_sees_the_winloss_of_their_own_deals_only(kernel, story, make_page_client):
    client = make_page_client(user=story["maria"])
    body = client.get(f"/records/competitors.competitor/{story['rival'].id}").get_data(
        as_text=True)
    deals = _panel(body, "Win/loss")
    assert [item.split(" Lost")[0] for item in _items(deals)] == ["Maria's lost deal"]
    assert "Tom" not in body
    text = _text(client.get("/competitors/"))
    assert "Rival Inc high active 1 0 1 0.00% 1,200.00 EUR" in text
    assert "Cheapo Ltd medium active 0 0 0 – 0.00 EUR" in text
    assert "Tom" not in text
    # Cheapo's only deal is Tom's: nothing of it on Maria's Cheapo page either.
    body = client.get(f"/records/competitors.competitor/{story['cheapo'].id}").get_data(
        as_text=True)
    assert "No contested deal you can see has been closed against this competitor" in body
    # The same figures from Python, with Maria as the reader.
    figures = winloss(kernel, actor_for(kernel, story["maria"]))
    assert list(figures) == [story["rival"].id]
    assert (figures[story["rival"].id].lost, figures[story["rival"].id].revenue_lost.amount) \
        == (1, Decimal("1200.00"))


def test_the_competitors_page_lists_every_competitor_with_its_figures(kernel, story,
                                                                      make_page_client):
    client = make_page_client(user=story["ada"])
    response = client.get("/competitors/")
    text = _text(response)
    assert "Cheapo Ltd medium active 1 1 0 100.00% 0.00 EUR" in text
    assert "Quiet Co medium active 0 0 0 – 0.00 EUR" in text
    assert "Rival Inc high active 3 1 2 33.33% 1,200.00 EUR + 300.00 USD (no rate)" in text
    body = response.get_data(as_text=True)
    assert f'href="/records/competitors.competitor/{story["rival"].id}"' in body
    assert '<a href="/competitors/" aria-current="page">Competitors</a>' in body
    # Since tomorrow: no deal closed yet.
    tomorrow = (TODAY + dt.timedelta(days=1)).isoformat()
    text = _text(client.get(f"/competitors/?since={tomorrow}"))
    assert "Rival Inc high active 0 0 0 – 0.00 EUR" in text


def test_a_bad_since_date_is_refused_beside_the_field(kernel, story, make_page_client):
    client = make_page_client(user=story["ada"])
    response = client.get("/competitors/?since=last+week")
    text = _text(response, 400)
    assert "Since: Give a date as YYYY-MM-DD, not 'last week'." in text
    assert 'aria-invalid="true"' in response.get_data(as_text=True)


def test_a_reader_without_opportunities_sees_no_winloss(kernel, story, make_page_client):
    add_role(kernel, "analyst", actor=SYSTEM, grants=["competitors.*.read"])
    client = make_page_client("analyst", email="ann@example.com")
    text = _text(client.get("/competitors/"))
    assert ("Win/loss is drawn from sales opportunities, which you may not read "
            "(sales.opportunity.read).") in text
    assert "Rival Inc high active" in text and "Win rate" not in text
    body = client.get(f"/records/competitors.competitor/{story['rival'].id}").get_data(
        as_text=True)
    assert "which you may not read (sales.opportunity.read)" in _panel(body, "Win/loss")
    assert "99.50 EUR" in _panel(body, "Products")


def test_without_the_competitor_permission_the_page_is_403(kernel, story, make_page_client):
    client = make_page_client("service", email="sam@example.com")
    text = _text(client.get("/competitors/"), 403)
    assert "lacks the permission competitors.competitor.read" in text
    assert "Competitors" not in _text(client.get("/"))


def test_a_disabled_plugin_answers_the_404_page_naming_it(kernel, story, make_page_client):
    client = make_page_client(user=story["ada"])
    disable(kernel, "competitors", actor=SYSTEM)
    text = _text(client.get("/competitors/"), 404)
    assert "The pages of competitors are not available" in text


def test_the_price_history_shows_the_newest_twenty_and_links_to_every_one(kernel, story,
                                                                          make_page_client):
    for days in range(11, 30):  # 19 more: 22 in all
        observe_price(kernel, story["lite"].id, {"amount": f"{days}.00", "currency": "EUR"},
                      actor=SYSTEM, observed_on=TODAY - dt.timedelta(days=days))
    client = make_page_client(user=story["ada"])
    body = client.get(f"/records/competitors.competitor/{story['rival'].id}").get_data(
        as_text=True)
    prices = _panel(body, "Price history")
    assert len(_items(prices)) == 20
    assert "The newest 20 observations." in prices
    url = html.unescape(re.search(r'<a href="([^"]+)">Every observation</a>', prices)[1])
    ids = ",".join(str(i) for i in sorted([story["lite"].id, story["suite"].id]))
    assert url == f"/records/competitors.price?product_id__in={ids}&sort=-observed_on"
    listed = client.get(url).get_data(as_text=True)
    assert len(re.findall(r'href="/records/competitors.price/\d+"', listed)) == 22
