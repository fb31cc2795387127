"""Win/loss metrics, the price position and ``accord competitors winloss`` against
figures worked out by hand on a small fixed data set.

Range: 2026-01-01 to 2026-03-31. Competitors Rival Inc (R), Cheapo Ltd (C), Quiet Co (Q).
Deals (closed on the day given, backdated; linked on Jan 1 unless said):

    D1   1000.00 EUR  R, C  lost to R   "Price"        Jan 10
    D2   2000.00 EUR  R     won         "Service"      Jan 20
    D3    500.50 EUR  C     lost to C   "Price"        Feb 5
    D4    300.00 USD  R     lost to R   "Features"     Feb 15
    D5   4000.00 EUR  R, C  lost, none  "No decision"  Feb 20
    D6   1500.25 EUR  R     lost to R   "Price"        Mar 3    owner: maria
    D10  3000.00 EUR  C     won         "Relationship" Mar 10   (C linked Feb 1, 09:00)
    D7    800.00 EUR  Q     open                                (Q linked Jan 15)
    D8    700.00 EUR  R     open                                owner: maria (R linked Feb 10)
    D9    600.00 EUR  -     lost        "Price"        Jan 12   (no competitor: not counted)

Win rate:  R: D2 won of D1, D2, D4, D5, D6 -> 1/5 = 20.00 (Jan 1/2 = 50.00, Feb 0/2,
           Mar 0/1); C: D10 won of D1, D3, D5, D10 -> 1/4 = 25.00 (Jan 0/1, Feb 0/2,
           Mar 1/1 = 100.00); Q: nothing closed, so no figures.
Revenue lost: R 1000.00 (Jan) + 1500.25 (Mar) = 2500.25 EUR; 300.00 USD (Feb), without
           an exchange rate to EUR, listed apart; C 500.50 (Feb); D5 went to none of them.
Loss reasons: Price D1, D3, D6 = 3 (D9 had no competitor); Features 1; No decision 1.
Open contested deals at each month's end: Jan R: D4, D5, D6 = 3, C: D3, D5 = 2, Q: D7 = 1;
           Feb R: D6, D8 = 2, C: D10 = 1, Q 1; Mar R: D8 = 1, C 0, Q 1.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

import accord_competitors.hooks
import accord_sales.hooks
from accord import services
from accord.errors import ValidationError
from accord.metrics import MetricQuery, compute
from accord.services import Actor
from accord_competitors.models import Involvement, Outcome
from accord_competitors.services import observe_price
from accord_sales.services import move_opportunity

SYSTEM = Actor.system("test")
UTC = dt.timezone.utc
pytestmark = pytest.mark.plugins(accord_sales.hooks, accord_competitors.hooks)
START, END = dt.date(2026, 1, 1), dt.date(2026, 3, 31)


def _at(month, day, hour=12):
    return dt.datetime(2026, month, day, hour, tzinfo=UTC)


@pytest.fixture
def book(rivals, helpers):
    maria = services.create(rivals, "user", {"email": "maria@example.com", "name": "Maria",
                                             "role": "sales"}, actor=SYSTEM).id
    r, c, q = (helpers.competitor(rivals, n) for n in ("Rival Inc", "Cheapo Ltd", "Quiet Co"))

    def deal(name, amount, competitors, close=None, currency="EUR", linked=_at(1, 1),
             **fields):
        opportunity = helpers.opportunity(rivals, name, amount, currency, **fields)
        for competitor in competitors:
            link = helpers.link(rivals, opportunity, competitor)
            with rivals.bound():
                Involvement.update(created_at=linked).where(
                    Involvement.id == link.id).execute()
        if close is not None:
            stage, when, kwargs = close
            move_opportunity(rivals, opportunity.id, stage, actor=SYSTEM, **kwargs)
            with rivals.bound():  # backdate the close in the plugin's own record of it
                Outcome.update(closed_at=when).where(
                    Outcome.opportunity_id == opportunity.id).execute()
        return opportunity

    def lost(reason, to, when):
        return ("Lost", when, {"loss_reason": reason, "details": {"lost_to": to}})

    def won(reason, when):
        return ("Won", when, {"win_reason": reason})

    deal("D1", "1000", [r, c], lost("Price", r.id, _at(1, 10)))
    deal("D2", "2000", [r], won("Service", _at(1, 20)))
    deal("D3", "500.50", [c], lost("Price", c.id, _at(2, 5)))
    deal("D4", "300", [r], lost("Features", r.id, _at(2, 15)), currency="USD")
    deal("D5", "4000", [r, c], lost("No decision", "none", _at(2, 20)))
    deal("D6", "1500.25", [r], lost("Price", r.id, _at(3, 3)), owner_id=maria)
    deal("D10", "3000", [c], won("Relationship", _at(3, 10)), linked=_at(2, 1, 9))
    deal("D7", "800", [q], linked=_at(1, 15))
    deal("D8", "700", [r], linked=_at(2, 10), owner_id=maria)
    deal("D9", "600", [], lost("Price", None, _at(1, 12)))
    return {"maria": maria, "kernel": rivals}


def left_out(kernel, name, by="month", **filters):
    """What each point leaves out for want of an exchange rate, where it leaves any."""
    return {(p.group, p.period): [str(m) for m in p.unconverted]
            for p in compute(kernel, name, MetricQuery(START, END, by=by, **filters))
            if p.unconverted}


def figures(kernel, name, by="month", **filters):
    out = {}
    for p in compute(kernel, name, MetricQuery(START, END, by=by, **filters)):
        out.setdefault(p.group, {})[p.period] = p.value
    return out


def d(*values):
    return dict(zip(["2026-01", "2026-02", "2026-03"], [Decimal(v) for v in values]))


def test_the_metrics_are_declared_per_competitor(book):
    from accord.metrics import list_metrics

    declared = {name: (plugin, m.unit, m.group_by) for name, (plugin, m)
                in list_metrics(book["kernel"]).items() if plugin == "competitors"}
    assert declared == {
        "competitors.win_rate": ("competitors", "percent", "competitor"),
        "competitors.revenue_lost": ("competitors", "currency", "competitor"),
        "competitors.contested_pipeline": ("competitors", "count", "competitor"),
        "competitors.loss_reasons": ("competitors", "count", "reason"),
        "competitors.price_position": ("competitors", "ratio", "category")}


def test_win_rate_against_each_competitor(book):
    kernel = book["kernel"]
    assert figures(kernel, "competitors.win_rate") == {
        "Cheapo Ltd": d("0", "0", "100"), "Rival Inc": d("50", "0", "0")}
    assert figures(kernel, "competitors.win_rate", by="total") == {
        "Cheapo Ltd": {"total": Decimal("25.00")}, "Rival Inc": {"total": Decimal("20.00")}}
    assert figures(kernel, "competitors.win_rate", by="total", owner_id=book["maria"]) == {
        "Rival Inc": {"total": Decimal("0")}}


def test_revenue_lost_to_each_competitor_in_the_base_currency(book):
    kernel = book["kernel"]
    assert figures(kernel, "competitors.revenue_lost") == {
        "Cheapo Ltd": d("0", "500.50", "0"), "Rival Inc": d("1000", "0", "1500.25")}
    assert left_out(kernel, "competitors.revenue_lost") == {
        ("Rival Inc", "2026-02"): ["300.00 USD"]}
    total = figures(kernel, "competitors.revenue_lost", by="total")
    assert total == {"Cheapo Ltd": {"total": Decimal("500.50")},
                     "Rival Inc": {"total": Decimal("2500.25")}}
    assert str(total["Rival Inc"]["total"]) == "2500.25"  # exact, to the cent, both engines
    # With a rate on or before the close (Feb 15): 1 USD = 0.90 EUR, so 270.00 EUR.
    from accord.services.rates import set_rate

    set_rate(kernel, "USD", "EUR", "0.90", day=dt.date(2026, 2, 1), actor=SYSTEM)
    assert figures(kernel, "competitors.revenue_lost", by="total")["Rival Inc"] == {
        "total": Decimal("2770.25")}
    assert left_out(kernel, "competitors.revenue_lost") == {}
    assert figures(kernel, "competitors.revenue_lost", by="total", owner_id=book["maria"]) == {
        "Rival Inc": {"total": Decimal("1500.25")}}


def test_loss_reasons_of_contested_deals(book):
    assert figures(book["kernel"], "competitors.loss_reasons", by="total") == {
        "Features": {"total": Decimal(1)}, "No decision": {"total": Decimal(1)},
        "Price": {"total": Decimal(3)}}
    assert figures(book["kernel"], "competitors.loss_reasons")["Price"] == d(1, 1, 1)


def test_contested_pipeline_counts_open_deals_at_each_period_end(book):
    kernel = book["kernel"]
    assert figures(kernel, "competitors.contested_pipeline") == {
        "Cheapo Ltd": d(2, 1, 0), "Quiet Co": d(1, 1, 1), "Rival Inc": d(3, 2, 1)}
    assert figures(kernel, "competitors.contested_pipeline", by="total") == {
        "Quiet Co": {"total": Decimal(1)}, "Rival Inc": {"total": Decimal(1)}}
    # maria owns D6 (closed Mar 3) and D8 (linked Feb 10, open).
    assert figures(kernel, "competitors.contested_pipeline", owner_id=book["maria"]) == {
        "Rival Inc": d(1, 2, 1)}


def test_price_position_by_category_and_month(rivals, helpers):
    """Ours: SEAT 100 EUR, DESK 250 EUR, CHAIR 80 USD. Seating (competes with SEAT and
    CHAIR): Jan 125 EUR -> 0.8 and 80 EUR -> 1.25, average 1.025 -> 1.03; Feb 100 USD ->
    CHAIR 0.8. Desks: Feb 200 EUR -> DESK 1.25. A product without category, Mar 90 EUR
    -> SEAT 1.11. Total Seating: (0.8 + 1.25 + 0.8) / 3. Prices in two currencies have
    no rate: the EUR prices against the USD CHAIR (its 80 USD, twice) and the USD price
    against the EUR SEAT are listed apart."""
    ours = {sku: services.create(rivals, "product", {
        "sku": sku, "name": sku.title(), "unit_price": helpers.money(*price)}, actor=SYSTEM).id
        for sku, price in (("SEAT", ("100",)), ("DESK", ("250",)), ("CHAIR", ("80", "USD")))}
    rival, cheapo = helpers.competitor(rivals), helpers.competitor(rivals, "Cheapo Ltd")

    def product(competitor, name, category, competes, *prices):
        made = services.create(rivals, "competitors.product", {
            "competitor_id": competitor.id, "name": name, "category": category,
            "competes_with": [ours[s] for s in competes]}, actor=SYSTEM)
        for day, amount, currency in prices:
            observe_price(rivals, made.id, helpers.money(amount, currency), observed_on=day,
                          actor=SYSTEM)

    product(rival, "Throne", "Seating", ["SEAT", "CHAIR"],
            (dt.date(2026, 1, 5), "125", "EUR"), (dt.date(2026, 1, 20), "80", "EUR"),
            (dt.date(2026, 2, 10), "100", "USD"), (dt.date(2025, 12, 31), "1", "EUR"))
    product(cheapo, "Bench", "Desks", ["DESK"], (dt.date(2026, 2, 1), "200", "EUR"))
    product(cheapo, "Stool", None, ["SEAT"], (dt.date(2026, 3, 1), "90", "EUR"))
    assert figures(rivals, "competitors.price_position") == {
        "Desks": d("0", "1.25", "0"), "Seating": d("1.03", "0.80", "0"),
        "uncategorised": d("0", "0", "1.11")}
    assert figures(rivals, "competitors.price_position", by="total") == {
        "Desks": {"total": Decimal("1.25")}, "Seating": {"total": Decimal("0.95")},
        "uncategorised": {"total": Decimal("1.11")}}
    assert left_out(rivals, "competitors.price_position") == {
        ("Seating", "2026-01"): ["160.00 USD"], ("Seating", "2026-02"): ["100.00 USD"]}
    # 1 USD = 0.80 EUR from January: the Feb 100 USD (80 EUR) against SEAT 100 EUR is
    # 1.25; the CHAIR (64 EUR) against 125 and 80 EUR: 0.512 and 0.8. Seating: January
    # (0.8 + 1.25 + 0.512 + 0.8) / 4 = 0.8405 -> 0.84; February (0.8 + 1.25) / 2.
    from accord.services.rates import set_rate

    set_rate(rivals, "USD", "EUR", "0.80", day=dt.date(2026, 1, 1), actor=SYSTEM)
    assert figures(rivals, "competitors.price_position")["Seating"] == d("0.84", "1.03",
                                                                         "0")
    assert left_out(rivals, "competitors.price_position") == {}


WINLOSS = """\
COMPETITOR  DEALS  WON  LOST  WIN RATE               REVENUE LOST
----------  -----  ---  ----  --------  -------------------------
Cheapo Ltd      4    1     3    25.00%                 500.50 EUR
Rival Inc       5    1     4    20.00%  2,500.25 EUR + 300.00 USD
"""

WINLOSS_SINCE_FEB = """\
COMPETITOR  DEALS  WON  LOST  WIN RATE               REVENUE LOST
----------  -----  ---  ----  --------  -------------------------
Cheapo Ltd      3    1     2    33.33%                 500.50 EUR
Rival Inc       3    0     3     0.00%  1,500.25 EUR + 300.00 USD
"""


def test_cli_winloss_is_a_table_of_each_competitor(book, cli):
    result = cli("competitors", "winloss")
    assert (result.exit_code, result.output) == (0, WINLOSS)
    result = cli("competitors", "winloss", "--since", "2026-02-01")
    assert (result.exit_code, result.output) == (0, WINLOSS_SINCE_FEB)
    result = cli("competitors", "winloss", "--since", "2027-01-01")
    assert (result.exit_code, result.output) == (0, "No contested deal was closed since "
                                                    "2027-01-01.\n")


def test_cli_winloss_refuses_a_bad_date(rivals, cli):
    result = cli("competitors", "winloss", "--since", "last week")
    assert result.exit_code == 2
    assert "Invalid value for '--since': 'last week' does not match the format '%Y-%m-%d'" \
        in result.output


REPORT = """\
competitors.win_rate: Contested deals won, in percent of the contested deals closed, per \
competitor (percent), 2026-01-01 to 2026-03-31
COMPETITOR  PERIOD  VALUE
----------  ------  -----
Cheapo Ltd  total   25.00
Rival Inc   total   20.00
"""


def test_accord_report_shows_a_metric_per_competitor(book, cli):
    result = cli("report", "competitors.win_rate", "--from", "2026-01-01", "--to",
                 "2026-03-31", "--by", "total")
    assert (result.exit_code, result.output) == (0, REPORT)


def test_the_docs_show_these_very_outputs():
    page = (Path(__file__).resolve().parents[2] / "docs" / "competitors.md").read_text(
        encoding="utf-8")
    assert WINLOSS in page and REPORT in page


def test_a_metric_refuses_a_backward_range(book):
    with pytest.raises(ValidationError) as caught:
        compute(book["kernel"], "competitors.win_rate",
                MetricQuery(dt.date(2026, 3, 1), dt.date(2026, 1, 1)))
    assert caught.value.messages == {"from": ["2026-03-01 is after 2026-01-01"]}
