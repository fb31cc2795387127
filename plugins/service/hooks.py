"""Hook implementations of the service plugin: declarations, each a thin adapter over
its rules and services. It requires no other plugin: tickets name the core's
organizations and contacts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from accord.hooks import hookimpl
from accord.jobs import Job
from accord.pages import NavEntry, Panel, SearchType
from accord.records import (Lines, Permission, RecordAction, RecordType, RoleGrant,
                            Transitions, VerbField)

from . import repairs, returns, rules, services, surveys, warranties
from .models import (Comment, InboundMessage, IntakeAttempt, RepairPart, Rotation, Ticket,
                     Warranty)
from .metrics import register_metrics  # noqa: F401
from .merging import merge_records  # noqa: F401 (customers merged: their records move)
from .routing import route_ticket  # noqa: F401 (the plugin's own routing, trylast)
from .timeline import timeline_items  # noqa: F401 (tickets on customers' timelines)
from .schemas import CommentBodySchema, CommentSchema, TicketSchema, WarrantySchema
from .services import repairs as repair_writes
from .services import returns as return_writes
from .services import surveys as survey_writes

if TYPE_CHECKING:
    import click
    import peewee
    from flask import Blueprint

    from accord.facts import CustomerFact
    from accord.kernel import Accord
    from accord.scale import ScaleRun
    from accord.metrics import MetricQuery
    from accord.pages import Widget
    from accord.routes import ApiRoute
    from accord.services import Actor

#: Which action sets each field the actions own.
_VERBS = {
    "status": ("open", "wait", "resolve", "close", "reopen"),
    "resolved_at": ("resolve", "reopen"),
    "closed_at": ("close",),
    "first_responded_at": ("comment",),
    "last_comment_at": ("comment",),
    "sla_paused_at": ("open", "wait", "resolve", "reopen"),
    "sla_paused_seconds": ("open", "reopen"),
    # The job that marks breaches writes as the verb "breach" (it also escalates).
    "first_response_breached": ("breach", "comment"),
    "resolution_breached": ("breach", "resolve"),
    # The business seconds the metrics read (accord_service.metrics).
    "first_response_seconds": ("comment",),
    "resolution_seconds": ("resolve", "reopen"),
}

TICKET = RecordType(
    rules.TICKET, Ticket, TicketSchema, "tickets", "Ticket",
    searchable=("subject", "description"), title_fields=("subject",),
    lines=(Lines("comments", Comment, "ticket", CommentSchema, read_only=True),),
    verb_fields=tuple(VerbField(name, actions) for name, actions in _VERBS.items()),
    transitions=Transitions("status", rules.TRANSITIONS),
    # A ticket keeps its customer: deleting the organization or contact it names is
    # refused while the plugin runs (the table itself would set them to null).
    protects=("organization", "contact"),
    defaults=rules.ticket_defaults, validate=rules.ticket_rules,
    compute=rules.ticket_computed, check_delete=rules.ticket_kept)

WARRANTY = RecordType(
    warranties.WARRANTY, Warranty, WarrantySchema, "warranties", "Warranty",
    searchable=("serial_number", "terms", "order_line_ref"), title_fields=("serial_number",),
    # Only the reminder job notes that it reminded the owner.
    verb_fields=(VerbField("reminded_at", ("remind",)),),
    protects=("organization", "contact"), validate=warranties.warranty_rules)

SURVEY = RecordType(
    surveys.SURVEY, surveys.Survey, surveys.SurveySchema, "surveys", "Satisfaction survey",
    searchable=("comment",), title_fields=("kind", "id"),
    # Sent by the resolve and send_nps_survey verbs, answered by the link or the answer action.
    written_by=("send", "replace", "answer"))


@hookimpl
def register_record_types() -> list[RecordType]:
    return [TICKET, WARRANTY, SURVEY, returns.RETURN_TYPE, *repairs.RECORD_TYPES]


@hookimpl
def register_models() -> list[type[peewee.Model]]:
    return [Comment, Rotation, IntakeAttempt, InboundMessage, returns.ReturnItem,
            RepairPart]


@hookimpl
def register_permissions() -> list[Permission]:
    return [Permission("service.ticket.read", "Read tickets"),
            Permission("service.ticket.write", "Create and change tickets"),
            Permission("service.ticket.delete", "Delete new tickets"),
            Permission(services.OPEN, "Open tickets (and go on once the customer answered)"),
            Permission(services.WAIT, "Set tickets pending on the customer"),
            Permission(services.RESOLVE, "Resolve tickets"),
            Permission(services.CLOSE, "Close resolved tickets"),
            Permission(services.REOPEN, "Reopen resolved tickets within the reopen window"),
            Permission(services.COMMENT, "Comment on tickets, publicly or internally"),
            Permission("service.warranty.read", "Read warranties and look them up by serial "
                                                "number"),
            Permission("service.warranty.write", "Create and change warranties"),
            Permission("service.warranty.delete", "Delete warranties"),
            *surveys.PERMISSIONS, *returns.PERMISSIONS, *repairs.PERMISSIONS]


@hookimpl
def register_actions() -> list[RecordAction]:
    return [RecordAction(rules.TICKET, "open", services.OPEN, services.open_ticket,
                         description="Start working on a new ticket, or go on with one the "
                                     "customer answered (the SLA clock goes on)"),
            RecordAction(rules.TICKET, "wait", services.WAIT, services.wait_for_customer,
                         description="Wait for the customer (the SLA clock stands still)"),
            RecordAction(rules.TICKET, "resolve", services.RESOLVE, services.resolve_ticket,
                         description="Resolve the ticket (the SLA clock stops)"),
            RecordAction(rules.TICKET, "close", services.CLOSE, services.close_ticket,
                         description="Close a resolved ticket for good"),
            RecordAction(rules.TICKET, "reopen", services.REOPEN, services.reopen_ticket,
                         description="Reopen a resolved ticket within the reopen window"),
            RecordAction(rules.TICKET, "comment", services.COMMENT, services.comment_ticket,
                         schema=CommentBodySchema,
                         description="Comment on the ticket, publicly (the first public "
                                     "comment is the first response) or internally"),
            RecordAction(repairs.REPAIR, "start", repairs.START, repair_writes.start_repair,
                         description="Start the repair"),
            RecordAction(repairs.REPAIR, "complete", repairs.COMPLETE,
                         repair_writes.complete_repair, schema=repairs.CompleteSchema,
                         description="The repair is done: the warranty's coverage on the "
                                     "repair's day decides what is billed, and the rest is "
                                     "invoiced (sales' invoice when sales is enabled, else a "
                                     "service invoice)"),
            RecordAction(repairs.REPAIR, "cancel", repairs.CANCEL, repair_writes.cancel_repair,
                         description="Cancel a repair not done yet; nothing is billed"),
            RecordAction(surveys.SURVEY, "answer", surveys.ANSWER, survey_writes.answer_survey,
                         schema=surveys.SurveyAnswerSchema,
                         description="Record the customer's answer (given by phone…)"),
            RecordAction("contact", "send_nps_survey", surveys.SEND, survey_writes.send_nps,
                         description="Send the contact an NPS survey (one open at a time)"),
            *return_writes.ACTIONS]


@hookimpl
def register_role_grants() -> list[RoleGrant]:
    """Agents (the built-in service role) work the tickets of their teams' queues;
    managers also delete new ones. The rule "team": tickets placed in one of the
    reader's teams, or assigned to one of their teammates."""
    agent = ("service.ticket.read", "service.ticket.write", services.OPEN, services.WAIT,
             services.RESOLVE, services.CLOSE, services.REOPEN, services.COMMENT,
             "service.warranty.read", "service.warranty.write", *surveys.AGENT,
             *repairs.AGENT, *returns.AGENT)
    team_queue = ((rules.TICKET, "team"), (warranties.WARRANTY, "team"),
                  (surveys.SURVEY, "team"), (returns.RETURN, "team"),
                  (repairs.REPAIR, "team"), (repairs.INVOICE, "team"))
    return [RoleGrant("service", agent, rules=team_queue),
            RoleGrant("manager", ("service.*",), rules=team_queue)]


@hookimpl
def navigation_entries() -> list[NavEntry]:
    return [NavEntry("Queue", "/service/queue", "service.ticket.read", order=49),
            NavEntry("Tickets", f"/records/{rules.TICKET}", "service.ticket.read", order=50),
            NavEntry("Warranties", "/service/warranties", "service.warranty.read", order=51),
            NavEntry("Returns", "/service/returns", f"{returns.RETURN}.read", order=52),
            NavEntry("Repairs", f"/records/{repairs.REPAIR}", f"{repairs.REPAIR}.read",
                     order=53)]


@hookimpl
def register_search_types() -> list[SearchType]:
    return [SearchType(rules.TICKET, "Tickets", ("status", "priority"), order=50),
            SearchType(warranties.WARRANTY, "Warranties", ("ends_on", "covers"), order=51),
            SearchType(repairs.REPAIR, "Repairs", ("status", "covered"), order=53)]


@hookimpl
def register_jobs() -> list[Job]:
    return [Job("service.sla_breaches", "Tickets past a due time are marked breached and "
                                        "escalated (priority one step up)",
                "*/5 * * * *", services.sla_breaches),
            Job("service.warranty_reminders", "Warranties ending within "
                                              "warranty_reminder_days give their owner a task "
                                              "(once each)",
                "0 6 * * *", services.warranty_reminders)]


@hookimpl
def register_pages() -> list[Blueprint]:
    """/service/request (the public request form) and /service/queue."""
    from .pages import blueprint

    return [blueprint()]


@hookimpl
def register_api_routes() -> list[ApiRoute]:
    """POST /api/v1/service/inbound-email (a mail gateway's messages), GET
    /api/v1/service/warranties/lookup?serial=…"""
    from .api import routes

    return routes()


@hookimpl
def record_panels(kernel: Accord, actor: Actor, record_type: str,
                  record: dict[str, Any]) -> list[Panel]:
    """The ticket page's Conversation (SLA countdowns, comments and the reply box), a
    return's items, a repair's parts and coverage decision."""
    if record_type == returns.RETURN:
        return [returns.items_panel(kernel, actor, record)]
    if record_type == repairs.REPAIR:
        from .panels import repair

        return [repair(kernel, actor, record)]
    if record_type != rules.TICKET:
        return []
    from .panels import conversation

    return [conversation(kernel, actor, record)]


@hookimpl
def register_customer_facts() -> list[CustomerFact]:
    """What serving each organization and contact cost: service.cost_to_serve
    (accord_service.facts)."""
    from .facts import customer_facts

    return customer_facts()


@hookimpl
def dashboard_widgets(kernel: Accord, actor: Actor, query: MetricQuery) -> list[Widget]:
    """SLA attainment, the backlog by age and the open tickets per queue."""
    from .widgets import service_widgets

    return service_widgets(kernel, actor, query)


@hookimpl
def register_commands() -> list[click.Command]:
    """accord service queue [--team T], accord service sla [--breached], accord service
    ticket new …"""
    from .cli import queue, sla, ticket

    return [queue, sla, ticket]


@hookimpl
def validate_settings(kernel: Accord, settings: dict[str, Any]) -> None:
    """The tier field must be a field of organizations (custom fields are known only
    to a running kernel)."""
    from .sla import check_settings

    check_settings(kernel, settings)


@hookimpl
def load_demo_data(kernel: Accord, actor: Actor) -> None:
    """A customer-care team and tickets in every status, one breached."""
    from .demo import service_demo

    service_demo(kernel, actor)


@hookimpl
def load_scale_data(kernel: Accord, run: ScaleRun) -> None:
    from .scale import service_scale

    service_scale(kernel, run)
