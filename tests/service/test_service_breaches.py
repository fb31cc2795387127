"""The breach job: tickets past a due time are marked and escalated one priority step,
a signal is sent after commit, and a second run changes nothing. Late answers and
resolutions are marked by the comment and resolve actions themselves.

Default settings: Monday to Friday 09:00-17:00 UTC; normal 240 / 1440 business minutes,
high 60 / 480, urgent 30 / 240. March 2026: Monday 2 … Friday 6.
"""

from __future__ import annotations

import pytest

from accord import services
from accord.jobs import run_job
from accord.models import AuditEntry

import accord_service.hooks
import accord_service.models
from accord_service import services as verbs
from accord_service.signals import sla_breached

pytestmark = pytest.mark.plugins(accord_service.hooks)
TICKET = "service.ticket"
MONDAY_9 = "2026-03-02T09:00:00+00:00"
SYSTEM = services.Actor.system("test")


@pytest.fixture
def heard(kernel):
    """The sla_breached signals sent, as (ticket_id, breach, priority) tuples."""
    got = []

    def receiver(sender, **kwargs):
        assert sender is kernel
        got.append((kwargs["ticket_id"], kwargs["breach"], kwargs["priority"]))

    sla_breached.connect(receiver)
    yield got
    sla_breached.disconnect(receiver)


def fields(kernel, ticket_id):
    ticket = services.get(kernel, TICKET, ticket_id)
    return (ticket.priority, ticket.first_response_breached, ticket.resolution_breached)


def test_a_late_first_response_is_marked_and_escalated_once(kernel, helpers, heard):
    utc = helpers.utc
    ticket = helpers.ticket(kernel, received_at=MONDAY_9)  # first response due 13:00
    assert verbs.mark_breaches(kernel, now=utc(2026, 3, 2, 12, 59)) == (0, [])
    assert verbs.mark_breaches(kernel, now=utc(2026, 3, 2, 13, 1)) == (1, [])
    assert fields(kernel, ticket.id) == ("high", True, False)
    assert heard == [(ticket.id, "first_response", "high")]
    # High now: resolution 480 minutes from Monday 09:00 -> 17:00, recomputed.
    escalated = services.get(kernel, TICKET, ticket.id)
    assert escalated.resolution_due_at == utc(2026, 3, 2, 17)
    # Run again: nothing more (the first response stays marked; it is not raised again).
    assert verbs.mark_breaches(kernel, now=utc(2026, 3, 2, 13, 2)) == (0, [])
    assert (fields(kernel, ticket.id), len(heard)) == (("high", True, False), 1)
    # Past the resolution too: one more step, once.
    assert verbs.mark_breaches(kernel, now=utc(2026, 3, 2, 17, 1)) == (1, [])
    assert verbs.mark_breaches(kernel, now=utc(2026, 3, 2, 17, 2)) == (0, [])
    assert fields(kernel, ticket.id) == ("urgent", True, True)
    assert heard == [(ticket.id, "first_response", "high"), (ticket.id, "resolution", "urgent")]


def test_both_breaches_at_once_raise_one_step(kernel, helpers, heard):
    ticket = helpers.ticket(kernel, received_at=MONDAY_9, priority="urgent")
    assert verbs.mark_breaches(kernel, now=helpers.utc(2026, 3, 3, 9)) == (1, [])
    assert fields(kernel, ticket.id) == ("urgent", True, True)  # urgent stays urgent
    assert sorted(b for _, b, _ in heard) == ["first_response", "resolution"]


def test_waiting_answered_and_resolved_tickets_are_left_alone(kernel, actor, helpers, heard):
    utc = helpers.utc
    waiting = helpers.ticket(kernel, received_at=MONDAY_9)
    verbs.open_ticket(kernel, waiting.id, actor=actor, at=utc(2026, 3, 2, 9, 5))
    verbs.wait_for_customer(kernel, waiting.id, actor=actor, at=utc(2026, 3, 2, 10))
    answered = helpers.ticket(kernel, received_at=MONDAY_9)
    verbs.comment_ticket(kernel, answered.id, actor=actor, body="Hello", visibility="public",
                         at=utc(2026, 3, 2, 10))
    resolved = helpers.ticket(kernel, received_at=MONDAY_9)
    verbs.resolve_ticket(kernel, resolved.id, actor=actor, at=utc(2026, 3, 2, 10))
    assert verbs.mark_breaches(kernel, now=utc(2026, 3, 2, 14)) == (0, [])
    assert heard == []
    for ticket in (waiting, answered, resolved):
        assert fields(kernel, ticket.id) == ("normal", False, False)


def test_late_answers_and_resolutions_are_marked_by_their_actions(kernel, actor, helpers):
    utc = helpers.utc
    ticket = helpers.ticket(kernel, received_at=MONDAY_9)
    late = verbs.comment_ticket(kernel, ticket.id, actor=actor, body="Sorry for the wait",
                                visibility="public", at=utc(2026, 3, 2, 13, 30))
    assert (late.first_response_breached, late.resolution_breached) == (True, False)
    on_time = helpers.ticket(kernel, received_at=MONDAY_9)
    early = verbs.comment_ticket(kernel, on_time.id, actor=actor, body="Looking",
                                 visibility="public", at=utc(2026, 3, 2, 12))
    assert early.first_response_breached is False
    # Resolution due Wednesday 17:00: resolved Thursday.
    done = verbs.resolve_ticket(kernel, on_time.id, actor=actor, at=utc(2026, 3, 5, 10))
    assert (done.first_response_breached, done.resolution_breached) == (False, True)


def test_the_job_runs_twice_and_changes_nothing_the_second_time(kernel, helpers, heard):
    # Received in March 2026: long past due by the clock of any test run.
    tickets = [helpers.ticket(kernel, received_at=MONDAY_9) for _ in range(3)]
    first = run_job(kernel, "service.sla_breaches")
    assert (first.status, first.summary) == ("ok", "3 tickets escalated")
    with kernel.bound():
        audited = AuditEntry.select().where(AuditEntry.record_type == TICKET).count()
    second = run_job(kernel, "service.sla_breaches")
    assert (second.status, second.summary) == ("ok", "0 tickets escalated")
    with kernel.bound():
        assert AuditEntry.select().where(AuditEntry.record_type == TICKET).count() == audited
    for ticket in tickets:
        assert fields(kernel, ticket.id) == ("high", True, True)
    assert len(heard) == 6


def test_clients_do_not_mark_breaches(kernel, actor, helpers):
    from accord_sdk.assertions import refused

    ticket = helpers.ticket(kernel)
    assert list(refused(lambda: services.update(kernel, TICKET, ticket.id, {
        "resolution_breached": True}, actor=actor))) == ["resolution_breached"]


def test_breach_runs_at_once_escalate_each_ticket_once(kernel, helpers, heard):
    """Four runs at the same moment (four workers): each ticket is locked and checked
    again before it is marked, so each is escalated once and signalled once per breach."""
    import threading

    tickets = [helpers.ticket(kernel, received_at=MONDAY_9) for _ in range(3)]
    start = threading.Barrier(4)
    results: list[tuple[int, list[str]]] = []
    errors: list[BaseException] = []

    def run():
        try:
            start.wait()
            results.append(verbs.mark_breaches(kernel, now=helpers.utc(2026, 3, 2, 13, 1)))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            kernel.database.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and all(failed == [] for _, failed in results)
    assert sum(count for count, _ in results) == 3
    assert sorted(ticket_id for ticket_id, _, _ in heard) == [t.id for t in tickets]
    for ticket in tickets:
        assert fields(kernel, ticket.id) == ("high", True, False)


def _outbox(kernel):
    from accord.models import OutboxMessage

    with kernel.bound():
        return [(m.topic, m.payload) for m in OutboxMessage.select().where(
            OutboxMessage.topic == "service.ticket.sla_breached").order_by(OutboxMessage.id)]


def test_the_job_writes_one_outbox_row_per_breach_once(kernel, helpers):
    utc = helpers.utc
    ticket = helpers.ticket(kernel, received_at=MONDAY_9)  # due 13:00 and Wednesday 17:00
    assert verbs.mark_breaches(kernel, now=utc(2026, 3, 2, 13, 1)) == (1, [])
    expected = [("service.ticket.sla_breached", {
        "ticket_id": ticket.id, "breach": "first_response",
        "due_at": "2026-03-02T13:00:00+00:00", "priority": "high", "owner_id": None,
        "reassigned": False})]
    assert _outbox(kernel) == expected
    assert verbs.mark_breaches(kernel, now=utc(2026, 3, 2, 13, 2)) == (0, [])
    assert _outbox(kernel) == expected  # the second run writes nothing
    # High: resolution due Monday 17:00, one more row for it, once.
    assert verbs.mark_breaches(kernel, now=utc(2026, 3, 2, 17, 1)) == (1, [])
    assert verbs.mark_breaches(kernel, now=utc(2026, 3, 2, 17, 2)) == (0, [])
    assert _outbox(kernel)[1:] == [("service.ticket.sla_breached", {
        "ticket_id": ticket.id, "breach": "resolution",
        "due_at": "2026-03-02T17:00:00+00:00", "priority": "urgent", "owner_id": None,
        "reassigned": False})]


def test_an_escalation_that_fails_writes_no_outbox_row(kernel, helpers, monkeypatch):
    """The rows are written in the escalation's transaction: rolled back with it."""
    from accord.errors import AccordError

    helpers.ticket(kernel, received_at=MONDAY_9)

    real = verbs.enqueue

    def written_then_refused(kernel, items):
        assert real(kernel, items) == 1  # the row is written, then the transaction fails
        raise AccordError("the mail relay is down")

    monkeypatch.setattr(verbs, "enqueue", written_then_refused)
    count, failed = verbs.mark_breaches(kernel, now=helpers.utc(2026, 3, 2, 13, 1))
    assert count == 0 and failed and "the mail relay is down" in failed[0]
    assert _outbox(kernel) == []
    ticket = helpers.rows(kernel, accord_service.models.Ticket)[0]
    assert (ticket.priority, ticket.first_response_breached) == ("normal", False)


def test_a_breached_ticket_goes_to_its_teams_manager(kernel, helpers):
    from accord.services.plugins import set_settings

    utc = helpers.utc
    boss = services.create(kernel, "user", {"email": "boss@example.com", "name": "Bo",
                                            "role": "manager"}, actor=SYSTEM)
    agent = services.create(kernel, "user", {"email": "ann@example.com", "name": "Ann",
                                             "role": "service"}, actor=SYSTEM)
    team = services.create(kernel, "team", {"name": "Care", "manager_id": boss.id},
                           actor=SYSTEM)
    ticket = helpers.ticket(kernel, received_at=MONDAY_9, team_id=team.id,
                            owner_id=agent.id)
    no_team = helpers.ticket(kernel, received_at=MONDAY_9, owner_id=agent.id)
    assert verbs.mark_breaches(kernel, now=utc(2026, 3, 2, 13, 1)) == (2, [])
    assert services.get(kernel, TICKET, ticket.id).owner_id == boss.id
    assert services.get(kernel, TICKET, no_team.id).owner_id == agent.id
    rows = {m[1]["ticket_id"]: m[1] for m in _outbox(kernel)}
    assert (rows[ticket.id]["owner_id"], rows[ticket.id]["reassigned"]) == (boss.id, True)
    assert (rows[no_team.id]["owner_id"], rows[no_team.id]["reassigned"]) == (agent.id, False)
    # Already the manager's: the resolution breach leaves the owner, and says so.
    assert verbs.mark_breaches(kernel, now=utc(2026, 3, 2, 17, 1))[0] == 2
    assert [(m[1]["breach"], m[1]["owner_id"], m[1]["reassigned"])
            for m in _outbox(kernel)[2:]] == [("resolution", boss.id, False),
                                              ("resolution", agent.id, False)]
    # The setting turns it off.
    set_settings(kernel, "service", {"escalate_to_manager": False}, actor=SYSTEM)
    kept = helpers.ticket(kernel, received_at=MONDAY_9, team_id=team.id, owner_id=agent.id)
    verbs.mark_breaches(kernel, now=utc(2026, 3, 2, 13, 1))
    assert services.get(kernel, TICKET, kept.id).owner_id == agent.id
