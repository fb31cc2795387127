"""Tickets: what a new ticket needs, its defaults, the workflow with each forbidden move
refused, the reopen window, comments and the first response, deletes."""

from __future__ import annotations

import datetime as dt

import pytest

from accord import services
from accord.errors import Conflict
from accord.services.actions import run_action
from accord.services.backup import read_archive_rows
from accord.services.plugins import disable, enable
from accord_sdk.assertions import refused

import accord_service.hooks
from accord_service import services as verbs
from accord_service.models import Comment, Ticket

pytestmark = pytest.mark.plugins(accord_service.hooks)
TICKET = "service.ticket"


def act(kernel, actor, ticket, name, body=None):
    return run_action(kernel, TICKET, ticket.id, name, body, actor=actor)


def test_a_new_ticket_takes_its_defaults(kernel, actor, helpers):
    customer = helpers.customer(kernel)
    ticket = helpers.ticket(kernel, organization_id=customer.id, description="Page 2 jams")
    shown = services.dump(kernel, TICKET, ticket)
    assert {k: shown[k] for k in ("status", "priority", "queue", "channel", "comments",
                                  "sla_paused_seconds", "first_responded_at")} == {
        "status": "new", "priority": "normal", "queue": "general", "channel": "email",
        "comments": [], "sla_paused_seconds": 0, "first_responded_at": None}
    assert shown["received_at"] is not None and shown["resolution_due_at"] is not None


def test_a_ticket_names_its_customer(kernel, actor, helpers):
    assert refused(lambda: services.create(kernel, TICKET, {
        "channel": "phone", "subject": "Help"}, actor=actor)) == {
        "organization_id": ["give the customer: an organization or a contact (or both)"]}
    contact = services.create(kernel, "contact", {"last_name": "Ng"}, actor=actor)
    ticket = services.create(kernel, TICKET, {"channel": "phone", "subject": "Help",
                                              "contact_id": contact.id}, actor=actor)
    assert ticket.contact_id == contact.id
    # The contact stays while a ticket names it.
    with pytest.raises(Conflict):
        services.delete(kernel, "contact", contact.id, actor=actor)


def test_channels_categories_and_queues_come_from_the_settings(make_kernel, actor, helpers):
    kernel = make_kernel(plugins=[accord_service.hooks], enable=["service"], plugin_settings={
        "service": {"channels": ["whatsapp"], "queues": ["first_line", "billing"]}})
    ticket = helpers.ticket(kernel, channel="whatsapp", category="complaint")
    assert (ticket.channel, ticket.category, ticket.queue) == ("whatsapp", "complaint",
                                                               "first_line")
    assert refused(lambda: helpers.ticket(kernel, channel="fax", category="gossip",
                                          queue="general")) == {
        "channel": ["'fax' is not a channel; use one of phone, email, web, chat, on_site, "
                    "whatsapp"],
        "category": ["'gossip' is not a category; use one of question, incident, complaint, "
                     "request"],
        "queue": ["'general' is not a queue; use one of first_line, billing"]}


def test_received_at_is_fixed_and_never_in_the_future(kernel, actor, helpers):
    ticket = helpers.ticket(kernel, received_at="2026-03-02T09:00:00+00:00")
    assert refused(lambda: services.update(kernel, TICKET, ticket.id, {
        "received_at": "2026-03-01T09:00:00+00:00"}, actor=actor)) == {
        "received_at": [f"ticket {ticket.id} was received at 2026-03-02T09:00:00+00:00; "
                        "that stays so"]}
    assert refused(lambda: helpers.ticket(kernel, received_at="2999-01-01T00:00:00+00:00")
                   ) == {"received_at": ["2999-01-01T00:00:00+00:00 is in the future"]}


def test_the_whole_workflow(kernel, actor, helpers):
    ticket = helpers.ticket(kernel)
    steps = [("open", "open"), ("wait", "pending_customer"), ("open", "open"),
             ("resolve", "resolved"), ("reopen", "open"), ("resolve", "resolved"),
             ("close", "closed")]
    for verb, status in steps:
        ticket = act(kernel, actor, ticket, verb)
        assert ticket.status == status, verb
    assert ticket.version == 1 + len(steps)
    assert ticket.closed_at is not None and ticket.resolved_at is not None


@pytest.mark.parametrize("start, verb, message", [
    ((), "wait", "ticket {id} is new: it can go to open or resolved"),
    ((), "close", "ticket {id} is new: it can go to open or resolved"),
    ((), "reopen", "ticket {id} is new: only a resolved ticket is reopened"),
    (("open",), "close", "ticket {id} is open: it can go to pending_customer or resolved"),
    (("open",), "open", "ticket {id} is open already"),
    (("open", "wait"), "close", "ticket {id} is pending_customer: it can go to open or "
                                "resolved"),
    (("open", "wait"), "wait", "ticket {id} is pending_customer already"),
    (("resolve",), "wait", "ticket {id} is resolved: it can go to closed or open"),
    (("resolve",), "open", "ticket {id} is resolved: reopen it (POST "
                           "/api/v1/service/tickets/{id}/reopen)"),
    (("resolve",), "resolve", "ticket {id} is resolved already"),
    (("resolve", "close"), "open", "ticket {id} is closed: it stays so"),
    (("resolve", "close"), "reopen", "ticket {id} is closed: only a resolved ticket is "
                                     "reopened"),
    (("resolve", "close"), "resolve", "ticket {id} is closed: it stays so"),
])
def test_each_forbidden_move_is_refused_with_the_allowed_ones_named(kernel, actor, helpers,
                                                                     start, verb, message):
    ticket = helpers.ticket(kernel)
    for step in start:
        ticket = act(kernel, actor, ticket, step)
    assert refused(lambda: act(kernel, actor, ticket, verb)) == {
        "status": [message.format(id=ticket.id)]}
    assert services.get(kernel, TICKET, ticket.id).version == ticket.version  # unchanged


def test_a_client_does_not_set_the_status(api_client, kernel, helpers):
    ticket = helpers.ticket(kernel)
    url = f"/api/v1/service/tickets/{ticket.id}"
    response = api_client.patch(url, json={"status": "resolved"})
    assert response.status_code == 422
    assert response.get_json()["errors"] == {"status": [
        f"set by the open, wait, resolve, close or reopen action only (POST {url}/open)"]}
    opened = api_client.post(f"{url}/open")
    assert (opened.status_code, opened.get_json()["status"], opened.headers["ETag"]) == (
        200, "open", '"2"')


def test_reopen_within_the_window_only(make_kernel, actor, helpers):
    kernel = make_kernel(plugins=[accord_service.hooks], enable=["service"],
                         plugin_settings={"service": {"reopen_days": 3}})
    now = dt.datetime.now(dt.timezone.utc)
    recent, old = helpers.ticket(kernel), helpers.ticket(kernel)
    verbs.resolve_ticket(kernel, recent.id, actor=actor, at=now - dt.timedelta(days=2))
    resolved = verbs.resolve_ticket(kernel, old.id, actor=actor, at=now - dt.timedelta(days=4))
    assert verbs.reopen_ticket(kernel, recent.id, actor=actor).status == "open"
    assert refused(lambda: verbs.reopen_ticket(kernel, old.id, actor=actor)) == {"status": [
        f"ticket {old.id} was resolved on {resolved.resolved_at:%Y-%m-%d}, more than 3 days "
        "ago: open a new ticket"]}
    reopened = services.get(kernel, TICKET, recent.id)
    assert (reopened.resolved_at, reopened.sla_paused_at) == (None, None)


def test_comments_public_and_internal_and_the_first_response(kernel, actor, helpers):
    ticket = helpers.ticket(kernel)
    ticket = act(kernel, actor, ticket, "comment", {"body": "Asked the vendor"})
    assert (ticket.first_responded_at, ticket.last_comment_at is not None) == (None, True)
    first = act(kernel, actor, ticket, "comment", {"body": "Try tray 2", "visibility": "public"})
    assert first.first_responded_at == first.last_comment_at
    again = act(kernel, actor, first, "comment", {"body": "Any luck?", "visibility": "public"})
    assert again.first_responded_at == first.first_responded_at  # the first one stays
    shown = services.dump(kernel, TICKET, services.get(kernel, TICKET, ticket.id))
    assert [(c["body"], c["visibility"], c["author_label"]) for c in shown["comments"]] == [
        ("Asked the vendor", "internal", "test"), ("Try tray 2", "public", "test"),
        ("Any luck?", "public", "test")]
    assert refused(lambda: act(kernel, actor, again, "comment", {"body": "x",
                                                                  "visibility": "secret"})) == {
        "visibility": ["Must be one of: public, internal."]}
    assert refused(lambda: act(kernel, actor, again, "comment", {"body": "   "})) == {
        "body": ["write something"]}


def test_a_closed_ticket_takes_no_comment(kernel, actor, helpers):
    ticket = helpers.ticket(kernel)
    for verb in ("resolve", "close"):
        ticket = act(kernel, actor, ticket, verb)
    assert refused(lambda: act(kernel, actor, ticket, "comment", {"body": "Hello?"})) == {
        "status": [f"ticket {ticket.id} is closed: open a new ticket"]}
    assert helpers.rows(kernel, Comment) == []


def test_only_a_new_ticket_is_deleted(kernel, actor, helpers):
    mistake, worked = helpers.ticket(kernel), helpers.ticket(kernel)
    act(kernel, actor, mistake, "comment", {"body": "Opened twice"})
    services.delete(kernel, TICKET, mistake.id, actor=actor)
    assert helpers.rows(kernel, Comment) == []  # its comments went with it
    act(kernel, actor, worked, "open")
    with pytest.raises(Conflict) as caught:
        services.delete(kernel, TICKET, worked.id, actor=actor)
    assert str(caught.value) == (f"ticket {worked.id} is open: only a new ticket is deleted; "
                                 "resolve and close it instead")


MIGRATIONS = ["0001_create_ticket_tables", "0002_create_rotation_table",
              "0003_create_intake_tables", "0004_create_warranty_table",
              "0005_create_repair_tables", "0006_create_return_tables",
              "0007_create_survey_table", "0008_add_ticket_business_seconds",
              "0009_add_ticket_sla_policy"]
TABLES = ("service_ticket", "service_comment", "service_rotation", "service_intake_attempt",
          "service_inbound_message", "service_warranty", "service_repair",
          "service_repair_part", "service_invoice", "service_return", "service_return_item",
          "service_survey")


def test_disabling_keeps_every_row_and_the_migration_goes_down_and_up(kernel, actor, helpers):
    ticket = helpers.ticket(kernel)
    act(kernel, actor, ticket, "comment", {"body": "Kept"})
    disable(kernel, "service", actor=actor)
    enable(kernel, "service", actor=actor)
    assert [t.id for t in helpers.rows(kernel, Ticket)] == [ticket.id]
    assert [c.body for c in helpers.rows(kernel, Comment)] == ["Kept"]
    disable(kernel, "service", actor=actor)
    with kernel.bound():
        assert kernel.migrations.downgrade("service", 0) == MIGRATIONS[::-1]
        assert "service_ticket" not in kernel.database.get_tables()
        assert kernel.migrations.upgrade("service") == MIGRATIONS
        assert set(TABLES) <= set(kernel.database.get_tables())


def test_the_tables_match_the_models(cli):
    result = cli("db", "check")
    assert (result.exit_code, result.output) == (0, "the tables match the models\n")


def test_purge_exports_and_removes_the_tickets(kernel, actor, helpers, tmp_path):
    from accord.services.plugins import purge

    ticket = helpers.ticket(kernel)
    act(kernel, actor, ticket, "comment", {"body": "Exported"})
    disable(kernel, "service", actor=actor)
    plan = purge(kernel, "service", export_to=tmp_path / "service.json", actor=actor)
    text = str([read_archive_rows(tmp_path / "service.json", table)
                for table in ("service_ticket", "service_comment")])
    assert "Exported" in text and "The printer jams" in text
    with kernel.bound():
        assert not set(TABLES) & set(kernel.database.get_tables())
    assert plan.tables == {"service_ticket": 1, "service_comment": 1, "service_rotation": 0,
                           "service_intake_attempt": 0, "service_inbound_message": 0,
                           "service_warranty": 0, "service_repair": 0,
                           "service_repair_part": 0, "service_invoice": 0,
                           "service_return": 0, "service_return_item": 0,
                           "service_survey": 0}


def test_it_works_with_sales_installed_and_disabled(make_kernel, actor, helpers):
    import accord_sales.hooks

    kernel = make_kernel(plugins=[accord_sales.hooks, accord_service.hooks],
                         enable=["service"])
    assert "service" in kernel.plugins.active and "sales" not in kernel.plugins.active
    ticket = act(kernel, actor, helpers.ticket(kernel), "open")
    assert ticket.status == "open"
