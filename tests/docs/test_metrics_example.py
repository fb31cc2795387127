"""A plugin declaring a metric (KPI): the example of docs/metrics.md."""

import datetime as dt
from decimal import Decimal

import peewee
import pytest

from accord import services
from accord.hooks import hookimpl
from accord.metrics import Metric, MetricPoint, MetricQuery, compute, month_of, scoped
from accord.models import Contact
from accord.plugins import PluginManifest


def new_contacts(kernel, query):
    """Contacts created per month (or in total): one grouped query for the whole range."""
    # Model datetime fields take aware datetimes: the range in UTC, end day included.
    start = dt.datetime.combine(query.start, dt.time(), tzinfo=dt.timezone.utc)
    end = dt.datetime.combine(query.end + dt.timedelta(days=1), dt.time(), tzinfo=dt.timezone.utc)
    period = month_of(kernel, Contact.created_at, query)
    rows = (Contact.select(period.alias("period"), peewee.fn.COUNT(Contact.id))
            .where(Contact.created_at >= start, Contact.created_at < end)
            .group_by(period))
    # The owner and team asked for, and only the contacts the reader may read.
    rows = scoped(rows, Contact, query)
    return [MetricPoint(name, Decimal(count)) for name, count in rows.tuples()]


class AcmeKpis:
    """A plugin given in code; a packaged one puts the same in its hooks.py."""

    MANIFEST = PluginManifest(name="acme_kpis", version="1.0.0")

    @hookimpl
    def register_metrics(self):
        return [Metric("acme_kpis.new_contacts", "Contacts created in the period", "count",
                       new_contacts)]


pytestmark = pytest.mark.plugins(AcmeKpis())


def test_the_metric_counts_per_month(kernel, actor):
    services.bulk_create(kernel, "contact", [{"last_name": "Ng"}, {"last_name": "Li"}],
                         actor=actor)
    today = dt.datetime.now(dt.timezone.utc).date()
    first = today.replace(day=1)
    points = compute(kernel, "acme_kpis.new_contacts", MetricQuery(first, today))
    assert [(p.period, p.value) for p in points] == [(first.strftime("%Y-%m"), 2)]


def test_accord_report_lists_and_computes_it(cli, actor):
    services.create(cli.kernel, "contact", {"last_name": "Ng"}, actor=actor)
    listing = cli("report")
    assert "acme_kpis.new_contacts" in listing.output
    result = cli("report", "acme_kpis.new_contacts", "--by", "total")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1].split() == ["total", "1"]
