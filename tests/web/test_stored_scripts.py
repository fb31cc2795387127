"""Stored scripts are shown as text, never run: a ``<script>`` or an attribute-breaking
payload in every text field of a contact, an opportunity and a competitor (and its
product, price and deal link) is visible literally on the list pages, the record pages,
the search results and the competitor pages, and ``window.__xss`` stays undefined. And
a form sent without its CSRF token is refused with the 400 page and writes nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import marshmallow as ma
import pytest
from playwright.sync_api import expect

from accord import services
from accord.models import Contact
from accord.services import Actor
from accord_competitors.models import Competitor, PriceObservation
from accord_competitors.services import observe_price
from accord_sales.services import move_opportunity

from browsing import log_in

SYSTEM = Actor.system("test")
#: What an attacker stores: a script element, an attribute break-out, and one short
#: enough for fields of 20 characters.
SCRIPT = "<script>window.__xss=1</script>"
BREAKOUT = '"><img src=x onerror="window.__xss=1">'
SHORT = "<svg onload=__xss=1>"
#: Text fields whose values must be one of the firm's settings (a pipeline, a stage, a
#: channel), or that only a verb sets: a payload there is refused before it is stored.
NOT_FREE_TEXT = {"sales.opportunity": {"pipeline", "stage", "channel", "loss_reason",
                                       "win_reason"}}


def _payloads(kernel: Any, type_name: str) -> dict[str, str]:
    """A payload for every free-text field of the type's schema (custom fields too):
    loadable strings without a list of choices or a pattern, the longest payload
    the field's length allows."""
    schema = kernel.schema(kernel.records.get(type_name))
    out: dict[str, str] = {}
    for name, f in sorted(schema.fields.items()):
        if (type(f) is not ma.fields.String or f.dump_only
                or name in NOT_FREE_TEXT.get(type_name, ())
                or any(isinstance(v, (ma.validate.OneOf, ma.validate.Regexp))
                       for v in f.validators)):
            continue
        longest = min([v.max for v in f.validators
                       if isinstance(v, ma.validate.Length) and v.max is not None],
                      default=None)
        fitting = [p for p in ((SCRIPT, BREAKOUT)[len(out) % 2], SHORT)
                   if longest is None or len(p) <= longest]
        assert fitting, f"{type_name}.{name} holds {longest} characters: too few to test"
        out[name] = fitting[0]
    return out


def _create(kernel: Any, type_name: str, extra: dict[str, Any] | None = None) -> Any:
    texts = _payloads(kernel, type_name)
    record = services.create(kernel, type_name, {**texts, **(extra or {})}, actor=SYSTEM)
    with kernel.bound():
        stored = type(record).get_by_id(record.id)
    for name, value in texts.items():  # stored as given: nothing escaped on the way in
        assert getattr(stored, name) == value, name
    return record


@pytest.fixture
def payloads(web_kernel: Any) -> dict[str, Any]:
    kernel = web_kernel
    contact = _create(kernel, "contact", {"email": "hanna@example.com"})
    org = services.create(kernel, "organization", {"name": "Kestrel Ltd"}, actor=SYSTEM)
    lost = _create(kernel, "sales.opportunity", {
        "organization_id": org.id, "contact_id": contact.id,
        "amount": {"amount": "1200.00", "currency": "EUR"}})
    won = _create(kernel, "sales.opportunity", {"organization_id": org.id})
    competitor = _create(kernel, "competitors.competitor",
                         {"website": "https://rival.example"})
    product = _create(kernel, "competitors.product", {"competitor_id": competitor.id})
    observe_price(kernel, product.id, {"amount": "10.00", "currency": "EUR"}, actor=SYSTEM,
                  observed_on=dt.date(2026, 1, 5), source=SCRIPT)
    for deal in (lost, won):
        _create(kernel, "competitors.involvement", {"opportunity_id": deal.id,
                                                    "competitor_id": competitor.id})
    move_opportunity(kernel, lost.id, "Lost", loss_reason=BREAKOUT,
                     details={"lost_to": competitor.id}, actor=SYSTEM)
    move_opportunity(kernel, won.id, "Won", win_reason=SCRIPT, actor=SYSTEM)
    return {"contact": contact, "lost": lost, "won": won, "competitor": competitor,
            "product": product}


def _never_ran(page: Any, dialogs: list[str]) -> None:
    assert page.evaluate("typeof window.__xss") == "undefined", page.url
    assert dialogs == [], page.url


def _shows(page: Any, *texts: str) -> None:
    for text in texts:
        expect(page.locator("main")).to_contain_text(text)


def _watched(page: Any) -> list[str]:
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    return dialogs


@pytest.mark.parametrize("type_name", ["contact", "sales.opportunity",
                                       "competitors.competitor", "competitors.product"])
def test_every_text_field_is_shown_as_text_on_the_record_page(page, make_user, web_kernel,
                                                              payloads, type_name):
    make_user("admin", email="ada@example.com")
    record = {"contact": payloads["contact"], "sales.opportunity": payloads["lost"],
              "competitors.competitor": payloads["competitor"],
              "competitors.product": payloads["product"]}[type_name]
    dialogs = _watched(page)
    log_in(page, "ada@example.com")
    page.goto(f"/records/{type_name}/{record.id}")
    fields = _payloads(web_kernel, type_name)
    assert fields, type_name
    if type_name == "sales.opportunity":
        fields["loss_reason"] = BREAKOUT  # set by the move that lost it
    for name, value in fields.items():
        box = page.locator(f"#f-{name}")
        if box.evaluate("e => e.tagName") in ("INPUT", "TEXTAREA"):
            expect(box).to_have_value(value)  # the form gives back exactly what is stored
        else:  # a field shown, not edited
            expect(box).to_have_text(value)
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        fields.get("name") or fields["last_name"])
    _never_ran(page, dialogs)


def test_the_lists_and_the_search_show_the_payloads_as_text(page, make_user, web_kernel,
                                                            payloads):
    make_user("admin", email="ada@example.com")
    dialogs = _watched(page)
    log_in(page, "ada@example.com")
    titles = []
    for type_name, title in (("contact", "last_name"), ("sales.opportunity", "name"),
                             ("competitors.competitor", "name"),
                             ("competitors.product", "name")):
        text = _payloads(web_kernel, type_name)[title]
        titles.append(text)
        page.goto(f"/records/{type_name}")
        rows = page.locator("table.records tbody tr")
        expect(rows.first).to_be_visible()
        expect(rows.first).to_contain_text(text)
        _never_ran(page, dialogs)
    for type_name in ("competitors.price", "competitors.involvement"):
        page.goto(f"/records/{type_name}")
        expect(page.locator("table.records tbody tr").first).to_be_visible()
        _never_ran(page, dialogs)
    page.goto("/search?q=__xss")
    for group in ("Contacts", "Opportunities", "Competitors", "Competing products"):
        expect(page.locator("#results")).to_contain_text(group)
    _shows(page, *titles)
    _never_ran(page, dialogs)
    page.get_by_label("Search everything").fill(SCRIPT)
    page.get_by_label("Search everything").press("Enter")
    expect(page.get_by_label("Search everything")).to_have_value(SCRIPT)
    _never_ran(page, dialogs)


def test_the_competitor_pages_show_the_payloads_as_text(page, make_user, payloads):
    make_user("admin", email="ada@example.com")
    dialogs = _watched(page)
    log_in(page, "ada@example.com")
    page.goto("/competitors/")
    expect(page.locator("table.competitors-table tbody tr")).to_have_count(1)
    expect(page.locator("table.competitors-table")).to_contain_text(
        payloads["competitor"].name)
    _never_ran(page, dialogs)
    page.goto(f"/records/competitors.competitor/{payloads['competitor'].id}")
    for title in ("Products", "Price history", "Win/loss"):
        panel = page.locator("section.panel", has=page.get_by_role("heading", name=title))
        expect(panel.locator("li").first).to_be_visible()
    panel = page.locator("section.panel", has=page.get_by_role("heading", name="Win/loss"))
    expect(panel).to_contain_text(BREAKOUT)  # the loss reason
    expect(panel).to_contain_text(SCRIPT)  # the win reason
    expect(page.locator("#timeline")).to_contain_text(SCRIPT)
    _never_ran(page, dialogs)
    # No element the payloads would have made exists.
    assert page.locator("main script, main img, main svg").count() == 0


def test_a_form_without_its_csrf_token_is_refused_and_writes_nothing(page, make_user,
                                                                      web_kernel):
    make_user("admin", email="ada@example.com")
    competitor = services.create(web_kernel, "competitors.competitor",
                                 {"name": "Rival Inc"}, actor=SYSTEM)
    product = services.create(web_kernel, "competitors.product", {
        "competitor_id": competitor.id, "name": "Rival Suite"}, actor=SYSTEM)
    log_in(page, "ada@example.com")
    page.goto(f"/records/competitors.competitor/{competitor.id}")
    page.locator("form.recordform input[name=csrf_token]").evaluate("e => e.remove()")
    page.get_by_label("Strengths", exact=True).fill(SCRIPT)
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("The form was refused")
    expect(page.locator("main")).to_contain_text(
        "The form was sent without its security token (csrf_token); reload the page and "
        "send it again.")
    # An action's form and a new contact, forged from another site: no token at all.
    response = page.request.post(
        f"/records/competitors.product/{product.id}/actions/observe_price",
        form={"price.amount": "10", "price.currency": "EUR"})
    assert response.status == 400
    assert "without its security token (csrf_token)" in response.text()
    response = page.request.post("/records/contact/new",
                                 form={"last_name": "Forged", "csrf_token": "forged"})
    assert response.status == 400
    assert "The form&#39;s security token is not valid" in response.text()
    response = page.request.post("/records/competitors.competitor/new",
                                 form={"name": "Forged Inc"})
    assert response.status == 400
    with web_kernel.bound():
        stored = Competitor.get_by_id(competitor.id)
        assert (stored.strengths, stored.version) == (None, competitor.version)
        assert PriceObservation.select().count() == 0
        assert Contact.select().count() == 0
        assert [c.name for c in Competitor.select()] == ["Rival Inc"]
