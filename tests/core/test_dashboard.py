"""The dashboard without a browser: KPI figures are the metrics' own, a sales user counts
only their own deals, filters outside the reader's rule are refused with the metrics'
message, a failing widget hook leaves the rest of the page, goals show their attainment,
and the charts are inline SVG with their figures."""

from __future__ import annotations

import datetime as dt
import html
import re
from decimal import Decimal as D

import pytest

from accord import services
from accord.errors import ValidationError
from accord.hooks import hookimpl
from accord.metrics import Metric, MetricPoint, MetricQuery, catalog, default_range, report
from accord.pages import Series, Widget
from accord.pages.dashboard import bar_chart, format_value
from accord.plugins import PluginManifest
from accord.services import Actor
from accord.services.authz import actor_for
from accord.services.goals import set_goal

SYSTEM = Actor.system("test")
TODAY = dt.datetime.now(dt.timezone.utc).date()


def _user(kernel, email, role):
    return services.create(kernel, "user", {"email": email, "name": email.split("@")[0].title(),
                                            "role": role}, actor=SYSTEM)


def _deal(kernel, name, owner, amount, currency="EUR"):
    org = services.create(kernel, "organization", {"name": f"{name} GmbH"}, actor=SYSTEM)
    return services.create(kernel, "sales.opportunity", {
        "name": name, "owner_id": owner.id, "organization_id": org.id,
        "amount": {"amount": amount, "currency": currency},
        "expected_close_date": TODAY.isoformat()}, actor=SYSTEM)


def _page(client, url="/dashboard", status=200):
    response = client.get(url)
    body = response.get_data(as_text=True)
    assert response.status_code == status, body
    assert "Traceback" not in body
    return html.unescape(body).replace("<wbr>", "")


def _cards(body):
    """Each KPI card's HTML by metric name."""
    parts = body.split('<section class="card kpi"')[1:]
    return {re.search(r"<code>([^<]+)</code>", p)[1]: p.split("</section>")[0] for p in parts}


def _widget(body, title):
    part = body.split(f">{title}</h3>")[1]
    return part.split("</section>")[0]


def _row(part, label):
    """The texts of the figures' table row headed ``label``."""
    row = re.search(rf'<th scope="row">{re.escape(label)}</th>(.*?)</tr>', part, re.S)
    assert row, f"no row {label!r} in {part}"
    return re.findall(r"<td>([^<]*)</td>", row[1])


@pytest.fixture
def sales_kernel(make_kernel):
    return make_kernel(plugins=["sales", "competitors"], enable=["sales", "competitors"])


@pytest.fixture
def log_in(make_page_client, sales_kernel):
    """``log_in(user)``: that user's page client on ``sales_kernel``."""
    return lambda user: make_page_client(user=user, kernel=sales_kernel)


def test_kpi_figures_are_what_report_gives(sales_kernel, log_in):
    admin = _user(sales_kernel, "ada@example.com", "admin")
    rep = _user(sales_kernel, "rep@example.com", "sales")
    _deal(sales_kernel, "Alpha", rep, "1000.00")
    _deal(sales_kernel, "Beta", admin, "2500.50")
    services.create(sales_kernel, "organization", {"name": "Kunde AG",
                                                   "relationship": "customer"}, actor=SYSTEM)
    body = _page(log_in(admin))
    cards = _cards(body)
    actor = actor_for(sales_kernel, admin)
    start, end = default_range(TODAY)
    metrics = catalog(sales_kernel, actor=actor)
    assert set(cards) == set(metrics)
    for name, (_, metric) in metrics.items():
        _, points = report(sales_kernel, name, MetricQuery(start, end, by="total"), actor=actor)
        currency = "EUR" if metric.unit == "currency" else None
        if metric.group_by:  # the card lists the first groups, by size
            sign = 1 if metric.smallest_first else -1
            ranked = sorted(points, key=lambda p: (sign * p.value, p.group or ""))
            shown = re.findall(r'<th scope="row">([^<]+)</th><td>([^<]+)</td>', cards[name])
            assert shown == [(p.group, format_value(p.value, unit=metric.unit,
                                                    currency=currency))
                             for p in ranked[:5]], name
            continue
        for point in points:
            text = format_value(point.value, unit=metric.unit, currency=currency)
            if metric.unit in ("currency", "percent", "count", "ratio"):
                assert f'<p class="kpi-figure">{text}</p>' in cards[name], name
            else:  # the unit in words, under the number
                assert (f'<p class="kpi-figure">{format_value(point.value)} '
                        f'<span class="kpi-unit">{metric.unit}</span></p>') in cards[name], name
    # The figures a person reads: the open pipeline of both deals, one new customer.
    assert '<th scope="row">new_business/Prospecting</th><td>3,500.50 EUR</td>' in \
        cards["sales.pipeline_value"]
    assert '<p class="kpi-figure">1</p>' in cards["core.new_customers"]
    # The chart by month: an SVG picture with its figures, this month's last.
    assert 'role="img"' in cards["core.new_customers"]
    assert _row(cards["core.new_customers"], f"{TODAY:%Y-%m}") == ["1"]
    # The navigation leads to it.
    assert '<a href="/dashboard" aria-current="page">Dashboard</a>' in body


def test_a_sales_user_counts_only_their_own_opportunities(sales_kernel, log_in):
    ada = _user(sales_kernel, "ada@example.com", "admin")
    rita = _user(sales_kernel, "rita@example.com", "sales")
    sam = _user(sales_kernel, "sam@example.com", "sales")
    _deal(sales_kernel, "Rita's deal", rita, "1000.00")
    _deal(sales_kernel, "Sam's deal", sam, "2500.00")

    def pipeline(client):
        body = _page(client)
        return (_row(_widget(body, "Pipeline by stage: new_business"), "Prospecting"),
                _cards(body)["sales.pipeline_value"], body)

    row, card, body = pipeline(log_in(rita))
    assert row == ["1,000.00 EUR"]
    assert "<td>1,000.00 EUR</td>" in card
    assert "2,500.00" not in body and "3,500.00" not in body
    # Her owner filter lists herself only.
    owners = re.search(r'<select id="dash-owner".*?</select>', body, re.S)[0]
    assert "Rita (rita@example.com)" in owners and "sam@example.com" not in owners
    row, card, body = pipeline(log_in(sam))
    assert row == ["2,500.00 EUR"] and "1,000.00" not in body
    admin = log_in(ada)
    row, card, _ = pipeline(admin)
    assert row == ["3,500.00 EUR"]
    # The admin narrows to one owner through the query string (a bookmark).
    body = _page(admin, f"/dashboard?owner={sam.id}")
    assert _row(_widget(body, "Pipeline by stage: new_business"), "Prospecting") == \
        ["2,500.00 EUR"]
    assert f'<option value="{sam.id}" selected>' in body


def test_a_filter_outside_the_rule_is_refused_with_the_metrics_message(sales_kernel, log_in):
    ada = _user(sales_kernel, "ada@example.com", "admin")
    rita = _user(sales_kernel, "rita@example.com", "sales")
    sam = _user(sales_kernel, "sam@example.com", "sales")
    team = services.create(sales_kernel, "team", {"name": "North"}, actor=SYSTEM)
    _deal(sales_kernel, "Sam's deal", sam, "2500.00")
    # The metrics' own message for the same filter.
    with pytest.raises(ValidationError) as refused:
        report(sales_kernel, "sales.pipeline_value",
               MetricQuery(*default_range(TODAY), owner_id=sam.id),
               actor=actor_for(sales_kernel, rita))
    assert refused.value.messages == {
        "owner_id": [f"there is no user {sam.id} whose records you may read"]}
    client = log_in(rita)
    body = _page(client, f"/dashboard?owner={sam.id}", status=400)
    assert (f'<p class="error" id="dash-owner-error">There is no user {sam.id} whose records '
            "you may read.</p>") in body
    assert "2,500.00" not in body
    body = _page(client, f"/dashboard?team={team.id}", status=400)
    assert (f'<p class="error" id="dash-team-error">There is no team {team.id} whose records '
            "you may read.</p>") in body
    # An admin's filter naming nobody, and a date that is none, are refused alike.
    admin = log_in(ada)
    body = _page(admin, "/dashboard?owner=9999&start=2026-13-01", status=400)
    assert "There is no user 9999 whose records you may read." in body
    assert "Give a date as YYYY-MM-DD, not '2026-13-01'." in body
    body = _page(admin, "/dashboard?start=2026-06-01&end=2026-01-01", status=400)
    assert "2026-06-01 is after 2026-01-01." in body


def test_hook_dashboard_widgets(make_kernel, make_page_client):
    """Each plugin's widgets are drawn; a hook that raises, or gives something else than
    a Widget, is a box saying so (an AccordError's message shown), the rest drawn."""
    class Broken:
        MANIFEST = PluginManifest(name="broken", version="1.0.0")

        @hookimpl
        def dashboard_widgets(self):
            raise RuntimeError("boom")

    class Refusing:
        MANIFEST = PluginManifest(name="refusing", version="1.0.0")

        @hookimpl
        def dashboard_widgets(self):
            from accord.errors import ConfigError

            raise ConfigError("the refusing widgets need a setting")

    class Fine:
        MANIFEST = PluginManifest(name="fine", version="1.0.0")

        @hookimpl
        def dashboard_widgets(self, query):
            return [Widget("Fine figure", "figure", value=D("12.5"), note="It works",
                           order=1),
                    Widget("Fine table", "table", columns=("Who", "Amount"),
                           rows=[("<b>Ann</b>", D("10.00"))], currency="EUR"),
                    "not a widget"]

    kernel = make_kernel(plugins=["sales", Broken(), Refusing(), Fine()],
                         enable=["sales", "broken", "refusing", "fine"])
    client = make_page_client("admin", email="ada@example.com", kernel=kernel)
    raw = client.get("/dashboard").get_data(as_text=True)
    assert "<td>&lt;b&gt;Ann&lt;/b&gt;</td>" in raw  # a widget's text is shown as text
    body = _page(client)
    assert "<h3 id=\"widget-" in body
    broken = _widget(body, "Widgets of broken")
    assert "They could not be drawn: an error occurred, and it was logged." in broken
    assert "boom" not in body
    assert "They could not be drawn: the refusing widgets need a setting." in \
        _widget(body, "Widgets of refusing")
    assert "It could not be drawn: it is not an accord.pages.Widget." in \
        _widget(body, "A widget of fine")
    assert '<p class="kpi-figure">12.5</p>' in _widget(body, "Fine figure")
    assert "<td>10.00 EUR</td>" in _widget(body, "Fine table")
    # The KPI and the sales widgets are drawn all the same.
    assert "sales.pipeline_value" in _cards(body)
    assert "Revenue by month (EUR)" in body


def test_a_goal_shows_its_attainment(sales_kernel, log_in):
    ada = _user(sales_kernel, "ada@example.com", "admin")
    services.create(sales_kernel, "organization", {"name": "Kunde AG",
                                                   "relationship": "customer"}, actor=SYSTEM)
    set_goal(sales_kernel, metric="core.new_customers", target=4, period=str(TODAY.year),
             scope="firm", actor=SYSTEM)
    card = _cards(_page(log_in(ada)))["core.new_customers"]
    assert f"Goal for firm, {TODAY.year}: at least 4" in card
    assert "1 so far · <strong>25 % attained</strong>" in card


def test_the_dashboard_needs_the_metrics_permission(sales_kernel, make_page_client):
    rob = make_page_client("read-only", email="rob@example.com", kernel=sales_kernel)
    body = _page(rob, status=403)
    assert "core.metrics.read" in body
    assert 'href="/dashboard"' not in body


def test_bar_chart_lays_out_grouped_bars_with_negative_values():
    chart = bar_chart("Margin", ["Jan", "Feb"], [("Net", [D(10), D(-5)]), ("Cost", [0, None])])
    assert len(chart.bars) == 4
    up, down = chart.bars[0], chart.bars[2]
    assert up.y + up.height == pytest.approx(chart.baseline)
    assert down.y == pytest.approx(chart.baseline) and down.height > 0
    assert chart.rows == (("Jan", ("10", "0")), ("Feb", ("-5", "")))
    assert "Net and Cost" in chart.summary
    widget = Widget("W", "bars", labels=["a"], series=[Series("s", [1])])
    assert widget.series[0].values == (1,)
    assert format_value(D("1234.5"), currency="EUR") == "1,234.50 EUR"
    assert format_value(D("12.50"), unit="percent") == "12.5 %"


def test_money_without_an_exchange_rate_is_named_on_the_card(sales_kernel, log_in):
    ada = _user(sales_kernel, "ada@example.com", "admin")
    _deal(sales_kernel, "Euro deal", ada, "1000.00")
    _deal(sales_kernel, "Dollar deal", ada, "500.00", currency="USD")
    body = _page(log_in(ada))
    card = _cards(body)["sales.pipeline_value"]
    assert '<th scope="row">new_business/Prospecting</th><td>1,000.00 EUR</td>' in card
    assert "Not included, for want of an exchange rate into EUR: 500.00 USD." in card
    widget = _widget(body, "Pipeline by stage: new_business")
    assert _row(widget, "Prospecting") == ["1,000.00 EUR"]
    assert "Not included, for want of an exchange rate: 500.00 USD." in widget


def test_cards_are_computed_side_by_side_in_order_and_give_their_connections_back(
        sales_kernel, log_in):
    """The cards' metrics run on a few threads at once; the cards keep their order and
    every thread gives its database connection back to the pool."""
    from accord.pages import dashboard

    admin = _user(sales_kernel, "ada@example.com", "admin")
    _deal(sales_kernel, "Alpha", admin, "1000.00")
    client = log_in(admin)
    threads = []
    original = dashboard._fill

    def recording(*args, **kwargs):
        import threading

        threads.append(threading.current_thread().name)
        return original(*args, **kwargs)

    dashboard._fill = recording
    try:
        first = list(_cards(_page(client)))
        for _ in range(3):
            assert list(_cards(_page(client))) == first
    finally:
        dashboard._fill = original
    assert first[0].startswith("core.") and len(first) > dashboard.CARD_THREADS
    assert {name.rsplit("_", 1)[0] for name in threads} == {"accord-dashboard"}
    assert len(set(threads)) > 1
    pool = sales_kernel.database
    assert len(getattr(pool, "_in_use", {})) <= 1  # this thread's, at most


# Slow cards ---------------------------------------------------------------------------

class Slowpoke:
    """A plugin whose one metric (contacts, in all) waits for ``gate`` and then takes
    ``pause`` seconds, like a metric over a big firm's data."""

    MANIFEST = PluginManifest(name="slowpoke", version="1.0")

    def __init__(self):
        import threading

        self.gate = threading.Event()
        self.pause = 0.0
        self.runs = 0

    @hookimpl
    def register_metrics(self):
        return [Metric("slowpoke.contacts", "Contacts, slowly", "count", self._contacts)]

    def _contacts(self, kernel, query):
        import time

        from accord.models import Contact

        self.runs += 1
        assert self.gate.wait(10), "the test never opened the gate"
        time.sleep(self.pause)
        return [MetricPoint(query.by if query.by == "total" else p, D(Contact.select().count()))
                for p in (["total"] if query.by == "total" else [TODAY.strftime("%Y-%m")])]


@pytest.fixture
def slowpoke(make_kernel, make_page_client):
    plugin = Slowpoke()
    kernel = make_kernel(plugins=[plugin], enable=["slowpoke"])
    admin = _user(kernel, "ada@example.com", "admin")
    return plugin, kernel, make_page_client(user=admin, kernel=kernel)


def _contact(kernel, name):
    services.create(kernel, "contact", {"last_name": name}, actor=SYSTEM)


def _figure(card):
    return re.search(r'<p class="kpi-figure">([^<]*)<', card)[1]


def test_a_card_not_ready_in_time_says_so_and_the_figures_reload_until_it_is(
        slowpoke, monkeypatch):
    from accord.pages import dashboard

    plugin, kernel, client = slowpoke
    monkeypatch.setattr(dashboard, "CARDS_WAIT", 0.2)
    _contact(kernel, "Kent")

    body = _page(client)
    card = _cards(body)["slowpoke.contacts"]
    assert "Being computed…" in card and "kpi-figure" not in card
    assert "1 figure is still being computed; it appears here when ready" in body
    assert 'hx-get="/dashboard" hx-trigger="load delay:3s" hx-select="#key-figures"' in body
    assert _figure(_cards(body)["core.new_customers"])  # the other cards are there
    body = _page(client)  # asked again while it computes: not computed twice
    assert "Being computed…" in _cards(body)["slowpoke.contacts"]
    assert plugin.runs == 1

    plugin.gate.set()
    for _ in range(50):
        body = _page(client)
        if "Being computed" not in body:
            break
    assert _figure(_cards(body)["slowpoke.contacts"]) == "1"
    assert "still being computed" not in body and "hx-get" not in body.split(
        'id="key-figures"')[1].split(">")[0]


def test_a_slow_card_is_kept_with_its_time_and_computed_again_on_asking(
        slowpoke, make_page_client, monkeypatch):
    from accord.pages import dashboard

    plugin, kernel, client = slowpoke
    monkeypatch.setattr(dashboard, "SLOW_CARD", 0.2)
    plugin.gate.set()
    plugin.pause = 0.25
    _contact(kernel, "Kent")

    body = _page(client)
    card = _cards(body)["slowpoke.contacts"]
    assert _figure(card) == "1" and "As of " in card and "s to compute)" in card
    assert "As of" not in _cards(body)["core.new_customers"]  # quick: never kept
    assert "Figures that take long to compute are kept for 5 minutes" in body
    runs = plugin.runs

    _contact(kernel, "Lane")
    body = _page(client)
    assert _figure(_cards(body)["slowpoke.contacts"]) == "1"  # kept
    assert plugin.runs == runs
    # Another reader has figures of their own.
    other = make_page_client(user=_user(kernel, "bo@example.com", "admin"), kernel=kernel)
    assert _figure(_cards(_page(other))["slowpoke.contacts"]) == "2"

    body = _page(client, "/dashboard?refresh=1")
    assert _figure(_cards(body)["slowpoke.contacts"]) == "2"
    assert 'href="/dashboard?refresh=1"' in body

    monkeypatch.setattr(dashboard, "CARD_KEEP", 0.0)  # kept no longer
    _contact(kernel, "Olsen")
    assert _figure(_cards(_page(client))["slowpoke.contacts"]) == "3"


def test_the_widgets_are_drawn_before_the_cards_compute(slowpoke, monkeypatch):
    """The widgets are drawn alone, before the cards' threads start (beside them they
    took four times as long at scale); the cards then get the whole wait."""
    from accord.pages import dashboard

    plugin, kernel, client = slowpoke
    plugin.gate.set()
    drawn = dashboard.plugin_widgets
    runs_then = []

    def widgets(*args, **kwargs):
        runs_then.append(plugin.runs)
        return drawn(*args, **kwargs)

    monkeypatch.setattr(dashboard, "plugin_widgets", widgets)
    body = _page(client)
    assert runs_then == [0]
    assert _figure(_cards(body)["slowpoke.contacts"]) == "0"
