"""Issue 11, items 7, 8 and 26: metrics count only what their reader may read (a rep
their own figures, a manager their team's), and money metrics (and the sales forecast)
are in the base currency, converted with exchange rates by day, with what has no rate
listed apart instead of dropped."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import peewee
import pytest

import accord_competitors.hooks
import accord_sales.hooks
from accord import services
from accord.config import load_config
from accord.errors import ConfigError, PermissionDenied, PluginError
from accord.hooks import hookimpl
from accord.metrics import Metric, MetricPoint, MetricQuery, compute, report
from accord.models import ExchangeRate, RolePermission
from accord.plugins import PluginManifest
from accord.rates import Rate
from accord.services import Actor
from accord.services.rates import fetch_rates, set_rate
from accord.services.teams import add_member
from accord_sales.forecast import forecast
from accord_sales.models import Invoice, Opportunity
from accord_sdk.assertions import problem
from accord_sdk.pytest_plugin import CliRunner

SYSTEM = Actor.system("test")
pytestmark = pytest.mark.plugins(accord_sales.hooks)
D = Decimal
JAN, JUN = dt.date(2026, 1, 1), dt.date(2026, 6, 30)
METRIC = "/api/v1/metrics"


def _at(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, 12, tzinfo=dt.timezone.utc)


def _rows(kernel, model):
    with kernel.bound():
        return [r.__data__ for r in model.select().order_by(model.id)]


def _won(kernel, name, amount, currency, closed, owner=None, team=None):
    """A won opportunity closed on ``closed``, inserted as it is stored."""
    with kernel.bound():
        return Opportunity.insert(
            name=name, amount=D(amount), amount_currency=currency, pipeline="new_business",
            stage="Won", probability=100, closed_at=_at(closed), created_at=_at(closed),
            owner=owner, team=team).execute()


def _invoice(kernel, amount, currency, issued, owner=None, team=None):
    with kernel.bound():
        return Invoice.insert(status="issued", issue_date=issued, currency=currency,
                              net_total=D(amount), total=D(amount), owner=owner,
                              team=team).execute()


def _user(kernel, email, role="sales", teams=()):
    user = services.create(kernel, "user", {"email": email, "name": email.split("@")[0],
                                            "role": role}, actor=SYSTEM)
    for team in teams:
        add_member(kernel, team, user.id, actor=SYSTEM)
    return user


def _total(client, name, **params):
    """The whole range's point of a metric, as the API gives it."""
    query = "&".join(f"{k}={v}" for k, v in {"from": JAN, "to": JUN, "by": "total",
                                              **params}.items())
    response = client.get(f"{METRIC}/{name}?{query}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()["points"]


@pytest.fixture
def office(kernel):
    """Team North (ann, and their manager mia), team South (bob); carl in no team. Each
    seller won one deal in EUR in March."""
    north = services.create(kernel, "team", {"name": "North"}, actor=SYSTEM).id
    south = services.create(kernel, "team", {"name": "South"}, actor=SYSTEM).id
    ann = _user(kernel, "ann@example.com", teams=[north]).id
    bob = _user(kernel, "bob@example.com", teams=[south]).id
    carl = _user(kernel, "carl@example.com").id
    march = dt.date(2026, 3, 10)
    _won(kernel, "Ann's", "100.00", "EUR", march, ann, north)
    _won(kernel, "Bob's", "200.00", "EUR", march, bob, south)
    _won(kernel, "Carl's", "400.00", "EUR", march, carl)
    return {"north": north, "south": south, "ann": ann, "bob": bob, "carl": carl}


# Item 7 -------------------------------------------------------------------------------

def test_item_07_metrics_apply_the_readers_rule_to_owner_filter(kernel, office,
                                                                make_api_client):
    manager = make_api_client("manager", teams=["North"])  # rule for deals: team
    before = _rows(kernel, Opportunity)
    refusal = {"owner_id": [f"there is no user {office['carl']} whose records you may read"]}

    # Carl is in no team of the manager's: refused, as a user that does not exist is.
    outside = manager.get(f"{METRIC}/sales.revenue_by_channel?owner_id={office['carl']}")
    assert problem(outside, 400)["errors"] == refusal
    missing = manager.get(f"{METRIC}/sales.revenue_by_channel?owner_id=99999")
    assert problem(missing, 400)["errors"] == {
        "owner_id": ["there is no user 99999 whose records you may read"]}
    other_team = manager.get(f"{METRIC}/sales.win_rate?team_id={office['south']}")
    assert problem(other_team, 400)["errors"] == {
        "team_id": [f"there is no team {office['south']} whose records you may read"]}
    assert _rows(kernel, Opportunity) == before

    # Unfiltered, and filtered within the team: the team's deals only (Ann's 100.00).
    assert _total(manager, "sales.revenue_by_channel") == [
        {"period": "total", "group": "none", "value": "100.00", "unconverted": []}]
    assert _total(manager, "sales.revenue_by_channel", owner_id=office["ann"]) == \
        _total(manager, "sales.revenue_by_channel", team_id=office["north"])
    # The admin's rule is all: every deal, and any owner.
    admin = make_api_client("admin")
    assert _total(admin, "sales.revenue_by_channel")[0]["value"] == "700.00"
    assert _total(admin, "sales.revenue_by_channel", owner_id=office["carl"])[0][
        "value"] == "400.00"
    # Organizations are the manager's to read whoever owns them: a filter on Carl is
    # fine for a metric of organizations.
    assert manager.get(f"{METRIC}/core.new_customers?owner_id={office['carl']}"
                       ).status_code == 200


def test_item_07_competitors_metrics_obey_the_rule_on_the_deal_at_its_close(
        make_kernel, make_api_client):
    kernel = make_kernel(plugins=[accord_sales.hooks, accord_competitors.hooks],
                         enable=["sales", "competitors"])
    north = services.create(kernel, "team", {"name": "North"}, actor=SYSTEM).id
    ann = _user(kernel, "ann@example.com", teams=[north]).id
    carl = _user(kernel, "carl@example.com").id
    rival = services.create(kernel, "competitors.competitor", {"name": "Rival"},
                            actor=SYSTEM)
    org = services.create(kernel, "organization", {"name": "Acme"}, actor=SYSTEM)
    for who, amount in ((ann, "100"), (carl, "900")):
        deal = services.create(kernel, "sales.opportunity", {
            "name": f"Deal {who}", "organization_id": org.id, "owner_id": who,
            "amount": {"amount": amount, "currency": "EUR"}}, actor=SYSTEM)
        services.create(kernel, "competitors.involvement", {
            "opportunity_id": deal.id, "competitor_id": rival.id}, actor=SYSTEM)
        from accord_sales.services import move_opportunity

        move_opportunity(kernel, deal.id, "Lost", actor=SYSTEM, loss_reason="Price",
                         details={"lost_to": rival.id})
    today = dt.datetime.now(dt.timezone.utc).date()
    manager = make_api_client("manager", teams=["North"], kernel=kernel)
    url = f"{METRIC}/competitors.revenue_lost?by=total&to={today}"
    assert [p["value"] for p in manager.get(url).get_json()["points"]] == ["100.00"]
    assert [p["value"] for p in make_api_client("admin", kernel=kernel).get(url).get_json()[
        "points"]] == ["1000.00"]
    refused = manager.get(f"{url}&owner_id={carl}")
    assert problem(refused, 400)["errors"] == {
        "owner_id": [f"there is no user {carl} whose records you may read"]}


def test_item_07_a_metric_that_applies_no_rule_is_refused_to_limited_readers(make_kernel):
    """A third-party metric that never says whose records it counts could count any:
    only readers whose rules reach every record may compute it."""

    def everything(kernel, query):
        return [MetricPoint("total" if query.by == "total" else f"{query.start:%Y-%m}",
                            D(42))]

    class Blind:
        MANIFEST = PluginManifest(name="blind", version="1.0.0")

        @hookimpl
        def register_metrics(self):
            return [Metric("blind.everything", "Counts what it likes", "count", everything)]

    kernel = make_kernel(plugins=[accord_sales.hooks, Blind()], enable=["sales", "blind"])
    rep = Actor(7, "rep@example.com", role="sales", grants=("core.metrics.read", "sales.*"),
                rules=(("*", "own"),))
    query = MetricQuery(JAN, JUN, by="total")
    with pytest.raises(PermissionDenied) as refused:
        report(kernel, "blind.everything", query, actor=rep)
    assert str(refused.value) == (
        "rep@example.com (sales) may not compute blind.everything: the metric does not say "
        "whose records it counts (accord.metrics.scoped), and their record rules reach only "
        "some records")
    everyone = Actor(8, "boss@example.com", role="marketing", grants=("core.metrics.read",),
                     rules=(("*", "all"),))
    assert [p.value for p in report(kernel, "blind.everything", query, actor=everyone)[1]] \
        == [D(42)]


# Item 8 -------------------------------------------------------------------------------

def test_item_08_salespeople_read_their_own_figures(kernel, office, make_api_client):
    rep = make_api_client("sales", email="rita@example.com", teams=["North"])
    _won(kernel, "Rita's", "50.00", "EUR", dt.date(2026, 4, 2), rep.user.id, office["north"])
    listed = rep.get(METRIC)
    assert listed.status_code == 200, listed.get_json()
    assert "sales.revenue" in [m["name"] for m in listed.get_json()["items"]]
    # A rep's rule for deals is own: their 50.00, not Ann's although she is a teammate.
    assert _total(rep, "sales.revenue_by_channel") == [
        {"period": "total", "group": "none", "value": "50.00", "unconverted": []}]
    assert _total(rep, "sales.win_rate") == [
        {"period": "total", "group": None, "value": "100.00", "unconverted": []}]
    before = _rows(kernel, Opportunity)
    refused = rep.get(f"{METRIC}/sales.win_rate?owner_id={office['ann']}")
    assert problem(refused, 400)["errors"] == {
        "owner_id": [f"there is no user {office['ann']} whose records you may read"]}
    assert _rows(kernel, Opportunity) == before
    # Their manager sees the team's: Ann's 100.00 and Rita's 50.00.
    manager = make_api_client("manager", teams=["North"])
    assert _total(manager, "sales.revenue_by_channel")[0]["value"] == "150.00"
    # A role without the grant is still refused, naming it.
    assert "core.metrics.read" in problem(make_api_client("read-only").get(METRIC),
                                          403)["detail"]


def test_item_08_core_migration_0008_grants_metrics_to_the_sales_role(kernel):
    held = (RolePermission.select()
            .where(RolePermission.role == "sales",
                   RolePermission.permission == "core.metrics.read"))
    with kernel.bound():
        assert held.count() == 1
        assert kernel.migrations.downgrade("core", 7) == [
            "0014_create_merge_redirects", "0013_create_imports", "0012_create_webhooks",
            "0011_grant_metrics_to_service_and_marketing", "0010_create_number_sequences",
            "0009_create_web_logins", "0008_add_exchange_rates"]
        assert held.count() == 0
        assert "accord_exchange_rate" not in kernel.database.get_tables()
        assert kernel.migrations.upgrade("core") == ["0008_add_exchange_rates",
                                                     "0009_create_web_logins",
                                                     "0010_create_number_sequences",
                                                     "0011_grant_metrics_to_service_and_marketing",
                                                     "0012_create_webhooks",
                                                     "0013_create_imports",
                                                     "0014_create_merge_redirects"]
        assert held.count() == 1
        assert "accord_exchange_rate" in kernel.database.get_tables()


# Item 26 ------------------------------------------------------------------------------

def test_item_26_money_metrics_convert_into_the_base_currency(kernel, make_api_client, cli):
    """Invoices of 100.00 EUR (January 10th), 200.00 USD (February 10th), 300.00 USD
    (March 10th) and 1000 JPY (March 20th). Without rates only the EUR counts and the
    rest is listed apart; with USD→EUR 0.90 from February 1st and EUR→USD 1.25 (so USD
    at 0.80) from March 1st: 100.00 + 180.00 + 240.00; JPY still has no rate."""
    _invoice(kernel, "100.00", "EUR", dt.date(2026, 1, 10))
    _invoice(kernel, "200.00", "USD", dt.date(2026, 2, 10))
    _invoice(kernel, "300.00", "USD", dt.date(2026, 3, 10))
    _invoice(kernel, "1000", "JPY", dt.date(2026, 3, 20))
    admin = make_api_client("admin")
    url = f"{METRIC}/sales.revenue?from=2026-01-01&to=2026-03-31"
    body = admin.get(url).get_json()
    assert (body["currency"], body["points"]) == ("EUR", [
        {"period": "2026-01", "group": None, "value": "100.00", "unconverted": []},
        {"period": "2026-02", "group": None, "value": "0.00",
         "unconverted": [{"currency": "USD", "amount": "200.00"}]},
        {"period": "2026-03", "group": None, "value": "0.00",
         "unconverted": [{"currency": "JPY", "amount": "1000"},
                         {"currency": "USD", "amount": "300.00"}]}])
    shown = cli("report", "sales.revenue", "--from", "2026-01-01", "--to", "2026-03-31",
                "--by", "total")
    assert shown.exit_code == 0, shown.output
    assert shown.output.splitlines()[-3:] == [
        "total   100.00",
        "Left out of the values above, with no exchange rate to EUR on or before their day "
        "('accord rates set CURRENCY EUR RATE --date DAY'):",
        "  total: 1,000 JPY + 500.00 USD"]

    for path, rate in (("USD/EUR/2026-02-01", "0.90"), ("EUR/USD/2026-03-01", "1.25")):
        stored = admin.put(f"/api/v1/rates/{path}", json={"rate": rate})
        assert stored.status_code == 200, stored.get_json()
    body = admin.get(url).get_json()
    assert [(p["value"], p["unconverted"]) for p in body["points"]] == [
        ("100.00", []), ("180.00", []),
        ("240.00", [{"currency": "JPY", "amount": "1000"}])]
    # An amount dated before the first rate stays unconverted: a rate holds from its day.
    _invoice(kernel, "10.00", "USD", dt.date(2026, 1, 31))
    january = admin.get(f"{METRIC}/sales.revenue?from=2026-01-01&to=2026-01-31").get_json()
    assert january["points"] == [{"period": "2026-01", "group": None, "value": "100.00",
                                  "unconverted": [{"currency": "USD", "amount": "10.00"}]}]


def test_item_26_the_base_currency_is_a_core_setting(make_kernel, tmp_path):
    kernel = make_kernel(plugins=[accord_sales.hooks], enable=["sales"], base_currency="USD")
    _won(kernel, "Dollars", "100.00", "USD", dt.date(2026, 3, 2))
    _won(kernel, "Euros", "100.00", "EUR", dt.date(2026, 3, 2))
    set_rate(kernel, "EUR", "USD", "1.10", day=dt.date(2026, 1, 1), actor=SYSTEM)
    points = compute(kernel, "sales.revenue_by_channel", MetricQuery(JAN, JUN, by="total"))
    assert [(p.value, p.unconverted) for p in points] == [(D("210.00"), ())]

    config = tmp_path / "accord.toml"
    config.write_text('base_currency = "usd"\n', encoding="utf-8")
    assert load_config(config, environ={}).base_currency == "USD"
    with pytest.raises(ConfigError) as caught:
        load_config(config, environ={"ACCORD_BASE_CURRENCY": "XYZ"})
    assert str(caught.value) == "ACCORD_BASE_CURRENCY: base_currency: Not an ISO 4217 " \
                                "currency code: 'XYZ'."
    config.write_text('base_currency = "EURO"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(config, environ={})
    assert "base_currency: Not an ISO 4217 currency code: 'EURO'." in str(caught.value)


def test_item_26_rates_over_the_api_are_validated_and_guarded(kernel, make_api_client):
    admin = make_api_client("admin")
    made = admin.put("/api/v1/rates/usd/EUR/2026-02-01", json={"rate": "0.9200"})
    assert made.status_code == 200, made.get_json()
    created = made.get_json()
    assert {k: created[k] for k in ("currency", "quote", "date", "rate", "source")} == {
        "currency": "USD", "quote": "EUR", "date": "2026-02-01", "rate": "0.92",
        "source": "manual"}
    before = _rows(kernel, ExchangeRate)

    for path, body, errors in (
            ("USD/EUR/2026-02-01", {"rate": 0.5}, {
                "rate": ['give the rate as a string, such as "1.08", not a float']}),
            ("USD/EUR/2026-02-01", {"rate": "-1"}, {"rate": ["a rate is positive, not -1"]}),
            ("USD/EUR/2026-02-01", {"rate": "1e3"}, {
                "rate": ["not a rate: '1e3'; give a positive number such as 1.08"]}),
            ("USD/EUR/2026-02-01", {"rate": "0.12345678901"}, {"rate": [
                "0.12345678901 has too many digits: give at most 15 significant digits, 10 "
                "after the point, below 10000000000"]}),
            ("USD/EUR/2026-02-01", {"rate": "1", "note": "x"}, {"note": ["unknown field 'note'"]}),
            ("XYZ/EUR/2026-13-01", {"rate": "1"}, {
                "currency": ["Not an ISO 4217 currency code: 'XYZ'."],
                "date": ["not a date: '2026-13-01'; give YYYY-MM-DD"]}),
            ("EUR/EUR/9999-01-01", {"rate": "1"}, {
                "quote": ["a rate converts EUR into another currency, not into itself"],
                "date": ["Give a date from 1900-01-01 to 9899-12-31, not 9999-01-01."]})):
        assert problem(admin.put(f"/api/v1/rates/{path}", json=body), 422)["errors"] == \
            errors, (path, body)
    # Without admin.rates: refused, nothing stored; reading needs core.metrics.read.
    manager = make_api_client("manager")
    assert "admin.rates" in problem(manager.put("/api/v1/rates/USD/EUR/2026-02-01",
                                                json={"rate": "2"}), 403)["detail"]
    assert "admin.rates" in problem(manager.delete("/api/v1/rates/USD/EUR/2026-02-01"),
                                    403)["detail"]
    assert _rows(kernel, ExchangeRate) == before
    assert [r["rate"] for r in manager.get("/api/v1/rates").get_json()["items"]] == ["0.92"]
    assert problem(make_api_client("read-only").get("/api/v1/rates"), 403)["detail"].endswith(
        "lacks the permission core.metrics.read (or admin.rates), needed to read exchange "
        "rates")
    assert problem(admin.get("/api/v1/rates?currency=EURO&from=2026-02-30"), 400)[
        "errors"] == {"from": ["not a date: '2026-02-30'; give YYYY-MM-DD"],
                      "currency": ["Not an ISO 4217 currency code: 'EURO'."]}

    # Replacing, reading one, deleting; each change audited.
    admin.put("/api/v1/rates/USD/EUR/2026-02-01", json={"rate": "0.93"})
    assert admin.get("/api/v1/rates/USD/EUR/2026-02-01").get_json()["rate"] == "0.93"
    assert admin.delete("/api/v1/rates/USD/EUR/2026-02-01").status_code == 204
    assert problem(admin.get("/api/v1/rates/USD/EUR/2026-02-01"), 404)["detail"] == \
        "no rate of USD in EUR on 2026-02-01"
    assert _rows(kernel, ExchangeRate) == []
    trail = admin.get("/api/v1/audit?record_type=exchange_rate").get_json()["items"]
    assert [(e["action"], e["changes"].get("rate")) for e in trail] == [
        ("deleted", ["0.93", None]), ("updated", ["0.92", "0.93"]), ("created", [None, "0.92"])]

    document = admin.get("/api/v1/openapi.json").get_json()
    assert set(document["paths"]["/api/v1/rates/{currency}/{quote}/{date}"]) == {
        "get", "put", "delete"}
    assert document["paths"]["/api/v1/rates/{currency}/{quote}/{date}"]["put"][
        "x-permission"] == "admin.rates"
    assert "unconverted" in document["paths"]["/api/v1/metrics/{name}"]["get"]["responses"][
        "200"]["content"]["application/json"]["schema"]["properties"]["points"]["items"][
        "properties"]


def test_item_26_rates_from_the_cli(kernel, cli):
    result = cli("rates", "set", "EUR", "USD", "1.08", "--date", "2026-12-01")
    assert (result.exit_code, result.output) == (
        0, "set: 1 EUR = 1.08 USD from 2026-12-01\n")
    assert cli("rates", "set", "EUR", "USD", "1.0850", "--date", "2026-12-01").output == \
        "replaced: 1 EUR = 1.085 USD from 2026-12-01\n"
    listed = cli("rates", "list")
    assert listed.output.splitlines()[0] == "base currency: EUR"
    assert listed.output.splitlines()[-1].split() == ["EUR", "USD", "2026-12-01", "1.085",
                                                      "manual"]
    before = _rows(kernel, ExchangeRate)
    bad = cli("rates", "set", "EUR", "USD", "1,08", "--date", "2026-12-01")
    assert (bad.exit_code, bad.output) == (1, "Error: invalid input:\n  rate: not a rate: "
                                              "'1,08'; give a positive number such as 1.08\n")
    gone = cli("rates", "delete", "EUR", "USD", "--date", "2026-11-30")
    assert (gone.exit_code, gone.output) == (1, "Error: no rate of EUR in USD on 2026-11-30\n")
    assert _rows(kernel, ExchangeRate) == before
    assert cli("rates", "delete", "EUR", "USD", "--date", "2026-12-01").output == \
        "deleted: 1 EUR = 1.085 USD from 2026-12-01\n"
    assert cli("rates", "list").output.splitlines()[-1] == \
        "no exchange rates (set one with 'accord rates set CURRENCY QUOTE RATE')"


def test_item_26_the_forecast_is_in_the_base_currency(kernel, cli):
    """Open deals of 100.00 EUR and 200.00 USD expected in May, one won 50.00 USD in May:
    without a rate, the USD stays apart; with USD→EUR 0.90 from April, it is added."""
    with kernel.bound():
        for name, amount, currency in (("E", "100.00", "EUR"), ("U", "200.00", "USD")):
            Opportunity.insert(name=name, amount=D(amount), amount_currency=currency,
                               pipeline="new_business", stage="Proposal", probability=50,
                               expected_close_date=dt.date(2026, 5, 20)).execute()
    _won(kernel, "W", "50.00", "USD", dt.date(2026, 5, 3))
    may = dt.date(2026, 5, 1)
    row = forecast(kernel, 1, may, products=False).rows[0]
    assert (row.best_case, row.weighted, row.won) == (
        {"EUR": D("100.00"), "USD": D("200.00")}, {"EUR": D("50.00"), "USD": D("100.00")},
        {"USD": D("50.00")})
    shown = cli("sales", "forecast", "--months", "1", "--from", "2026-05")
    assert shown.output.splitlines()[-1] == (
        "Not converted to EUR (no exchange rate on or before their day): the amounts in "
        "USD, shown apart ('accord rates set USD EUR RATE --date DAY').")
    set_rate(kernel, "USD", "EUR", "0.90", day=dt.date(2026, 4, 1), actor=SYSTEM)
    row = forecast(kernel, 1, may, products=False).rows[0]
    assert (row.best_case, row.weighted, row.won) == (
        {"EUR": D("280.00")}, {"EUR": D("140.00")}, {"EUR": D("45.00")})
    assert "Not converted" not in cli("sales", "forecast", "--months", "1", "--from",
                                      "2026-05").output


class Treasury:
    """A rates provider: a fixed table, or a broken feed."""

    MANIFEST = PluginManifest(name="treasury", version="1.0.0")

    def __init__(self):
        self.asked = []
        self.broken = False

    @hookimpl
    def provide_exchange_rates(self, kernel, base, currencies, day):
        self.asked.append((base, list(currencies), day))
        if self.broken:
            raise ConnectionError("the feed did not answer")
        table = {"USD": "0.91", "GBP": "1.17"}
        return [Rate(code, base, D(table[code]), day) for code in currencies if code in table]


def test_hook_provide_exchange_rates(make_kernel):
    treasury = Treasury()
    kernel = make_kernel(plugins=[treasury], enable=["treasury"])
    cli = CliRunner(kernel)
    day = dt.date(2026, 6, 1)
    fetched = cli("rates", "fetch", "USD", "GBP", "--date", "2026-06-01")
    assert fetched.exit_code == 0, fetched.output
    assert treasury.asked == [("EUR", ["USD", "GBP"], day)]
    assert [(r["currency"], r["quote"], r["day"], r["rate"], r["source"])
            for r in _rows(kernel, ExchangeRate)] == [
        ("GBP", "EUR", day, D("1.17"), "treasury"), ("USD", "EUR", day, D("0.91"),
                                                     "treasury")]
    # Without currencies: those that have a rate against the base currency already.
    fetch_rates(kernel, actor=SYSTEM, day=dt.date(2026, 6, 2))
    assert treasury.asked[-1] == ("EUR", ["GBP", "USD"], dt.date(2026, 6, 2))

    before = _rows(kernel, ExchangeRate)
    treasury.broken = True
    with pytest.raises(PluginError) as failed:
        fetch_rates(kernel, actor=SYSTEM, day=dt.date(2026, 6, 3), currencies=["USD"])
    assert str(failed.value) == ("the exchange rates provider treasury failed: the feed did "
                                 "not answer")
    broken = cli("rates", "fetch", "USD")
    assert (broken.exit_code, broken.output) == (
        1, "Error: the exchange rates provider treasury failed: the feed did not answer\n")
    assert _rows(kernel, ExchangeRate) == before


def test_item_26_a_bad_provider_is_named_and_nothing_is_stored(make_kernel):
    class Sloppy:
        MANIFEST = PluginManifest(name="sloppy", version="1.0.0")

        @hookimpl
        def provide_exchange_rates(self, kernel, base, currencies, day):
            return [Rate("USD", base, D("0.9"), day), Rate("USD", base, D("-2"), day)]

    kernel = make_kernel(plugins=[Sloppy()], enable=["sloppy"])
    with pytest.raises(PluginError) as failed:
        fetch_rates(kernel, actor=SYSTEM, day=dt.date(2026, 6, 3), currencies=["usd"])
    assert str(failed.value) == ("the exchange rates provider sloppy returned a bad rate USD "
                                 "EUR on 2026-06-03: rate: a rate is positive, not -2")
    assert _rows(kernel, ExchangeRate) == []
    with pytest.raises(peewee.DoesNotExist):
        with kernel.bound():
            ExchangeRate.get()
