"""Scale data (accord demo --scale, issue 17): counts in proportion, valid records,
the same data twice, plugins taking part through load_scale_data."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from accord import services
from accord.errors import Conflict, PluginError, ValidationError
from accord.hooks import hookimpl
from accord.models import Contact, Organization, Product, Team, User
from accord.plugins import PluginManifest
from accord.scale import check_scale, load_scale
from accord_sdk.databases import reset_postgres
from accord_sdk.pytest_plugin import CliRunner

PLUGINS = ("sales", "service", "marketing", "competitors")


def _rows(kernel):
    """Every row of every record type and line table, by table, generated "now"
    timestamps (created_at, a launch) replaced: what two runs must share."""
    from accord_marketing.models.campaigns import CampaignMember
    from accord_sales.models import OrderLine, StageChange

    started = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)
    models = [rt.model for rt in kernel.records] + [OrderLine, StageChange, CampaignMember]
    out = {}
    with kernel.bound():
        for model in models:
            rows = []
            for row in model.select().order_by(model._meta.primary_key).tuples():
                rows.append(tuple("<now>" if isinstance(v, dt.datetime) and v >= started
                                  else v for v in row))
            out[model._meta.table_name] = rows
    return out


@pytest.mark.plugins(*PLUGINS)
def test_scale_counts_in_proportion(kernel, make_api_client):
    run = load_scale(kernel, 0.001)
    counts = run.counts
    assert {k: counts[k] for k in ("users", "teams", "products", "organizations", "contacts",
                                   "sales.opportunities", "sales.orders", "service.tickets",
                                   "marketing.campaigns")} == {
        "users": 7, "teams": 1, "products": 20, "organizations": 200, "contacts": 1000,
        "sales.opportunities": 300, "sales.orders": 500, "service.tickets": 500,
        "marketing.campaigns": 1}
    # 1 to 7 lines an order, 4 on average: 2,000,000 at scale 1.
    assert 1800 <= counts["sales.order_lines"] <= 2200
    from accord_marketing.models.campaigns import CampaignMember
    from accord_sales.models import Opportunity, Order, OrderLine
    from accord_service.models import Ticket

    with kernel.bound():
        assert (Organization.select().count(), Contact.select().count(),
                Product.select().count(), Team.select().count()) == (200, 1000, 20, 1)
        assert User.select().where(User.email.endswith("@scale.example")).count() == 7
        assert Order.select().count() == 500
        assert OrderLine.select().count() == counts["sales.order_lines"]
        assert Opportunity.select().count() == 300
        stages = {o.stage for o in Opportunity.select(Opportunity.stage)}
        assert {"Won", "Lost"} <= stages and stages - {"Won", "Lost"}
        tickets = list(Ticket.select())
        assert len(tickets) == 500
        assert {t.priority for t in tickets} == {"low", "normal", "high", "urgent"}
        assert {t.status for t in tickets} >= {"closed", "resolved"}
        assert any(t.resolution_breached for t in tickets)
        assert any(not t.resolution_breached for t in tickets if t.status == "closed")
        received = [t.received_at for t in tickets]
        assert min(received) < run.now - dt.timedelta(days=2 * 365) and max(received) < run.now
        assert CampaignMember.select().count() == counts["marketing.members"] > 0
        # A few big customers, many small firms.
        sizes = sorted(o.size for o in Organization.select(Organization.size))
        assert sizes[-1] > 20 * sizes[len(sizes) // 2]
    assert CliRunner(kernel)("db", "check").exit_code == 0
    # Records read back through the API as any client would.
    api = make_api_client()
    contacts = api.get("/api/v1/contacts?limit=3").get_json()
    assert [c["email"].endswith("@scale.example") for c in contacts["items"]] == [True] * 3
    order_id = _first_id(kernel, Order)
    order = api.get(f"/api/v1/sales/orders/{order_id}").get_json()
    assert order["reference"] == "PO-0000001" and 1 <= len(order["lines"]) <= 7
    assert Decimal(order["total"]) > 0
    ticket = api.get(f"/api/v1/service/tickets/{_first_id(kernel, Ticket)}").get_json()
    assert ticket["priority"] in ("low", "normal", "high", "urgent")


def _first_id(kernel, model):
    with kernel.bound():
        return model.select(model.id).order_by(model.id).first().id


@pytest.mark.plugins(*PLUGINS)
def test_scale_is_deterministic(kernel, make_kernel, database_url):
    first = _rows(load_scale(kernel, 0.001).kernel)
    kernel.close()
    if database_url.startswith("postgresql"):
        reset_postgres(database_url)
    else:
        for suffix in ("", "-wal", "-shm"):
            Path(database_url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)
    again = make_kernel(plugins=list(PLUGINS), enable=list(PLUGINS))
    second = _rows(load_scale(again, 0.001).kernel)
    assert first.keys() == second.keys()
    for table in first:
        assert first[table] == second[table], table
    assert len(first["accord_contact"]) == 1000


def test_scale_refuses_a_database_with_records(kernel, actor):
    services.create(kernel, "organization", {"name": "Already here"}, actor=actor)
    with pytest.raises(Conflict, match="the database already holds records; accord demo "
                                       "--scale fills an empty database only"):
        load_scale(kernel, 0.001)
    with kernel.bound():
        assert Organization.select().count() == 1


@pytest.mark.parametrize("value, message", [
    (0, "0 is not a scale; give a number above 0 (0.01 is 10,000 contacts, 1 is a million)"),
    (-1, "-1 is not a scale; give a number above 0 (0.01 is 10,000 contacts, 1 is a "
         "million)"),
    (float("nan"), "nan is not a scale"),
    (10.5, "10.5 is too large; the largest scale is 10 (10,000,000 contacts)"),
])
def test_scale_checks_its_number(value, message):
    with pytest.raises(ValidationError) as caught:
        check_scale(value)
    assert caught.value.flat()["scale"][0].startswith(message)


class Scaler:
    """A third-party plugin taking part in the scale data."""

    MANIFEST = PluginManifest(name="scaler", version="1.0")

    def __init__(self, fail=False):
        self.fail = fail
        self.seen = []

    @hookimpl
    def load_scale_data(self, kernel, run):
        with kernel.bound():
            self.seen.append(Contact.select().count())  # the core's part came first
        run.write("organization", ({"name": f"Scaler {n}"} for n in range(run.count(3000))),
                  run.count(3000), "scaler.organizations")
        if self.fail:
            raise RuntimeError("disk on fire")


def test_hook_load_scale_data(make_kernel):
    plugin = Scaler()
    kernel = make_kernel(plugins=[plugin], enable=["scaler"])
    run = load_scale(kernel, 0.001)
    assert plugin.seen == [1000]
    assert run.counts["scaler.organizations"] == 3
    assert "scaler.organizations" in run.seconds
    with kernel.bound():
        assert Organization.select().where(Organization.name.startswith("Scaler")).count() == 3


def test_scale_data_of_a_failing_plugin_keeps_nothing(make_kernel):
    kernel = make_kernel(plugins=[Scaler(fail=True)], enable=["scaler"])
    with pytest.raises(PluginError) as caught:
        load_scale(kernel, 0.001)
    assert str(caught.value) == ("the scale data of scaler failed (RuntimeError: disk on "
                                 "fire); nothing was kept")
    with kernel.bound():
        assert (Organization.select().count(), Contact.select().count()) == (0, 0)


def test_scale_skips_a_plugin_not_enabled(make_kernel):
    kernel = make_kernel(plugins=[Scaler()])
    said = []
    run = load_scale(kernel, 0.001, echo=said.append)
    assert said == ["scaler: skipped, the plugin is not enabled"]
    assert "scaler.organizations" not in run.counts


def test_scale_data_leaves_the_planner_its_statistics(make_kernel):
    """After the bulk load, ANALYZE: planned for empty tables, the first metrics on
    PostgreSQL took seconds at scale 0.1."""
    from accord.database import is_postgres

    kernel = make_kernel()
    run = load_scale(kernel, 0.001)
    assert "statistics (ANALYZE)" in run.seconds
    with kernel.bound():
        if is_postgres(kernel.database):
            analysed = kernel.database.execute_sql(
                "SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables "
                "WHERE relname = 'accord_contact'").fetchone()[0]
        else:
            analysed = kernel.database.execute_sql(
                "SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'accord_contact'"
            ).fetchone()[0] > 0
    assert analysed


@pytest.mark.plugins(*PLUGINS)
def test_the_raw_baselines_of_bench_scale_ask_the_metrics_questions(kernel):
    # bench/scale.py judges metrics against raw SQL asking the same question: each
    # runs on this engine, and those of a single figure give the metric's figure.
    from accord.database import is_postgres
    from accord.metrics import MetricQuery, compute
    from bench.scale import RAW, STATE, TWICE, _raw_sql

    load_scale(kernel, 0.001)
    today = dt.datetime.now(dt.timezone.utc).date()
    start = today - dt.timedelta(days=364)
    params = [start, today + dt.timedelta(days=1)]
    if not is_postgres(kernel.database):
        params = [p.isoformat() for p in params]

    def raw(name, by="total"):
        args = [] if name in STATE else params * 2 if name in TWICE else params
        with kernel.bound():
            return kernel.database.execute_sql(_raw_sql(kernel, name, by), args).fetchall()

    for name in sorted({*RAW, *STATE}):
        for by in ("total", "month"):
            assert raw(name, by), (name, by)
    total = MetricQuery(start, today, by="total")
    stages = {p.group: int(p.value)
              for p in compute(kernel, "marketing.lifecycle_distribution", total) if p.value}
    assert stages == {stage: n for stage, n in raw("marketing.lifecycle_distribution")}
    assert len(stages) >= 3
    # The raw counts every campaign's cost, the metric those started in the period.
    share = compute(kernel, "marketing.top20_profit_share", total)[0].value
    assert abs(share - Decimal(str(raw("marketing.top20_profit_share")[0][0]))) < 1
