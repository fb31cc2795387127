"""``accord service queue`` and ``accord service sla --breached``."""

from __future__ import annotations

import datetime as dt

import pytest

import accord_service.hooks
from accord import services
from accord.models import utcnow
from accord.services import Actor
from accord.services.plugins import set_settings

pytestmark = pytest.mark.plugins(accord_service.hooks)
SYSTEM = Actor.system("test")


@pytest.fixture
def tickets(kernel, helpers):
    set_settings(kernel, "service", {"business_hours": {d: ["00:00-24:00"] for d in (
        "mon", "tue", "wed", "thu", "fri", "sat", "sun")}}, actor=SYSTEM)
    first = services.create(kernel, "team", {"name": "First line"}, actor=SYSTEM)
    billing = services.create(kernel, "team", {"name": "Billing"}, actor=SYSTEM)
    now = utcnow()
    late = helpers.ticket(kernel, subject="Late one", team_id=first.id, owner_id=None,
                          received_at=(now - dt.timedelta(minutes=275)).isoformat())
    fresh = helpers.ticket(kernel, subject="Fresh one", team_id=billing.id, owner_id=None,
                           received_at=(now - dt.timedelta(minutes=30)).isoformat())
    return late, fresh


def test_the_queue_lists_tickets_by_due_time(cli, tickets):
    late, fresh = tickets
    result = cli("service", "queue")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split()[:3] == ["TICKET", "FIRST", "RESPONSE"]
    assert lines[2].startswith(f"T-{late.id} ") and "breached 35 min ago" in lines[2]
    assert lines[3].startswith(f"T-{fresh.id} ") and "due in 3 h 2" in lines[3].lower()
    assert lines[-1] == "2 tickets, 1 breached (countdowns in business time)"
    only = cli("service", "queue", "--team", "Billing")
    assert "Fresh one" in only.output and "Late one" not in only.output
    unknown = cli("service", "queue", "--team", "Nobody")
    assert unknown.exit_code != 0 and "no team 'Nobody'" in unknown.output


def test_sla_breached_lists_only_the_breached(cli, tickets):
    late, fresh = tickets
    result = cli("service", "sla", "--breached")
    assert result.exit_code == 0, result.output
    assert f"T-{late.id}" in result.output and f"T-{fresh.id}" not in result.output
    assert "breached 35 min ago" in result.output
    everything = cli("service", "sla")
    assert f"T-{fresh.id}" in everything.output
    assert cli("service", "sla", "--breached", "--team", "Billing").output == (
        "No breached tickets.\n")
