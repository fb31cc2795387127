"""Hook implementations of the sales plugin: thin adapters over its rules and services."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from accord.hooks import hookimpl
from accord.jobs import Job
from accord.pages import NavEntry, SearchType
from accord.records import (Link, Lines, Permission, RecordAction, RecordType, RoleGrant,
                            TimelineItem, Transitions, VerbField)

from . import rules, services
from .models import (Contract, Invoice, InvoiceLine, InvoiceSequence, Lead, Opportunity, Order,
                     OrderLine, OrderStatusChange, Payment, Quote, QuoteLine, StageChange)
from .reports import document_items, stage_change_items
from .metrics import register_metrics  # noqa: F401
from .anonymizing import erase_personal_data  # noqa: F401 (a person erased: their leads too)
from .merging import merge_records  # noqa: F401 (customers merged: their records move)
from .services import contracts, invoices, orders, quotes
from .schemas import (AcceptSchema, ContractSchema, ConvertSchema, InvoiceSchema, IssueSchema,
                      LeadSchema, LineSchema, MoveSchema, OpportunitySchema, OrderSchema,
                      OrderStatusSchema, PaymentSchema, PaySchema, PeriodSchema, QuoteSchema,
                      ReasonSchema, StatusChangeSchema)

if TYPE_CHECKING:
    from accord.facts import CustomerFact
    import click
    import peewee

    from accord.kernel import Accord
    from accord.scale import ScaleRun
    from accord.services.actors import Actor

#: Who sets each verb-owned field. (Jobs write too: ``expire``, ``overdue``, ``renewal``.)
_QUOTE_STATUS = ("send", "accept", "reject", "expire")
_INVOICE_STATUS = ("issue", "pay", "void", "overdue")

LEAD = RecordType(
    rules.LEAD, Lead, LeadSchema, "leads", "Lead", searchable=("name", "company", "email"),
    personal=("email", "phone"), title_fields=("name",),
    verb_fields=tuple(VerbField(name, ("convert",))
                      for name in (*rules.LEAD_LINKS, "converted_at")),
    validate=rules.lead_rules, compute=rules.lead_computed)
OPPORTUNITY = RecordType(
    rules.OPPORTUNITY, Opportunity, OpportunitySchema, "opportunities", "Opportunity",
    searchable=("name",), title_fields=("name",),
    verb_fields=(VerbField("stage", ("move",), on_create=True),),
    # A deal keeps its customer: deleting the organization or contact it names is
    # refused while the plugin runs (the table itself would set them to null).
    protects=("organization", "contact"),
    defaults=rules.opportunity_defaults, validate=rules.opportunity_rules,
    compute=rules.opportunity_computed, check_delete=rules.opportunity_kept)
QUOTE = RecordType(
    rules.QUOTE, Quote, QuoteSchema, "quotes", "Quote", searchable=("name",),
    title_fields=("name",), lines=(Lines("lines", QuoteLine, "quote", LineSchema),),
    verb_fields=(VerbField("status", _QUOTE_STATUS), VerbField("sent_at", ("send",)),
                 VerbField("decided_at", ("accept", "reject")),
                 VerbField("reject_reason", ("reject",)),
                 VerbField("revision", ("revise",)), VerbField("revision_of", ("revise",))),
    transitions=Transitions("status", {"draft": ("sent",),
                                       "sent": ("accepted", "rejected", "expired")}),
    defaults=quotes.quote_defaults, validate=quotes.quote_rules,
    compute=quotes.quote_computed, check_delete=rules.quote_kept)
ORDER = RecordType(
    rules.ORDER, Order, OrderSchema, "orders", "Order", searchable=("reference",),
    title_fields=("reference",), links=(Link("products", OrderLine, "order", "product"),),
    lines=(Lines("lines", OrderLine, "order", LineSchema),
           Lines("status_history", OrderStatusChange, "order", StatusChangeSchema,
                 read_only=True)),
    verb_fields=(VerbField("status", ("status",)), VerbField("quote_id", ("accept",))),
    transitions=Transitions("status", orders.TRANSITIONS),
    defaults=orders.order_defaults, validate=orders.order_rules,
    compute=orders.order_computed, check_delete=rules.order_kept)
INVOICE = RecordType(
    rules.INVOICE, Invoice, InvoiceSchema, "invoices", "Invoice", searchable=("number",),
    title_fields=("number",),
    lines=(Lines("lines", InvoiceLine, "invoice", LineSchema),
           Lines("payments", Payment, "invoice", PaymentSchema, read_only=True)),
    verb_fields=(VerbField("status", _INVOICE_STATUS),
                 *(VerbField(name, ("issue",)) for name in ("number", "issue_date", "year",
                                                             "sequence")),
                 *(VerbField(name, ("invoice",)) for name in ("order_id", "contract_id",
                                                               "period_start", "period_end")),
                 VerbField("amount_paid", ("pay",)), VerbField("void_reason", ("void",))),
    defaults=invoices.invoice_defaults, validate=invoices.invoice_rules,
    compute=invoices.invoice_computed, check_delete=invoices.refuse_deleting_issued)
CONTRACT = RecordType(
    rules.CONTRACT, Contract, ContractSchema, "contracts", "Contract", searchable=("name",),
    title_fields=("name",),
    verb_fields=(VerbField("status", ("activate", "terminate", "renewal")),
                 VerbField("terminated_reason", ("terminate",)),
                 VerbField("renewal_reminded_at", ("renewal",))),
    transitions=Transitions("status", {"draft": ("active",),
                                       "active": ("terminated", "expired")}),
    validate=contracts.contract_rules, compute=contracts.contract_computed,
    check_delete=rules.contract_kept)


@hookimpl
def register_record_types() -> list[RecordType]:
    return [LEAD, OPPORTUNITY, QUOTE, ORDER, INVOICE, CONTRACT]


@hookimpl
def register_models() -> list[type[peewee.Model]]:
    return [StageChange, QuoteLine, OrderLine, OrderStatusChange, InvoiceLine, InvoiceSequence,
            Payment]


def _crud(kind: str, label: str) -> list[Permission]:
    return [Permission(f"sales.{kind}.read", f"Read {label}"),
            Permission(f"sales.{kind}.write", f"Create and change {label}"),
            Permission(f"sales.{kind}.delete", f"Delete {label}")]


@hookimpl
def register_permissions() -> list[Permission]:
    return [Permission("sales.lead.read", "Read leads"),
            Permission("sales.lead.write", "Create and change leads"),
            Permission("sales.lead.delete", "Delete leads"),
            Permission("sales.lead.convert", "Convert leads into customers and opportunities"),
            Permission("sales.opportunity.read", "Read opportunities"),
            Permission("sales.opportunity.write", "Create and change opportunities"),
            Permission("sales.opportunity.delete", "Delete opportunities"),
            Permission("sales.opportunity.move", "Move opportunities between stages, "
                                                 "closing them as won or lost"),
            *_crud("quote", "quotes"),
            Permission(quotes.SEND, "Send draft quotes"),
            Permission(quotes.ACCEPT, "Record a quote's acceptance (creating its order)"),
            Permission(quotes.REJECT, "Record a quote's rejection"),
            Permission(quotes.REVISE, "Revise quotes as new drafts"),
            *_crud("order", "orders"),
            Permission(orders.STATUS, "Change an order's status (fulfilled, cancelled)"),
            Permission(invoices.INVOICE_ORDER, "Draft the invoice of an order"),
            *_crud("invoice", "invoices"),
            Permission(invoices.ISSUE, "Issue invoices (giving them their number)"),
            Permission(invoices.PAY, "Record payments of invoices"),
            Permission(invoices.VOID, "Void issued invoices"),
            *_crud("contract", "contracts"),
            Permission(contracts.ACTIVATE, "Activate draft contracts"),
            Permission(contracts.TERMINATE, "Terminate active contracts"),
            Permission(contracts.INVOICE_PERIOD, "Draft the invoice of a contract period")]


@hookimpl
def register_actions() -> list[RecordAction]:
    return [RecordAction(rules.LEAD, "convert", services.CONVERT, services.convert_lead,
                         schema=ConvertSchema,
                         description="Convert a lead into a contact, an organization and "
                                     "optionally an opportunity"),
            RecordAction(rules.OPPORTUNITY, "move", services.MOVE, services.move_opportunity,
                         schema=MoveSchema,
                         description="Move an opportunity to another stage (win or lose it)"),
            RecordAction(rules.QUOTE, "send", quotes.SEND, quotes.send_quote,
                         description="Send a draft quote; its content is fixed from then on"),
            RecordAction(rules.QUOTE, "accept", quotes.ACCEPT, quotes.accept_quote,
                         schema=AcceptSchema,
                         description="Record that the customer accepted a sent quote; "
                                     "returns the order it creates"),
            RecordAction(rules.QUOTE, "reject", quotes.REJECT, quotes.reject_quote,
                         schema=ReasonSchema,
                         description="Record that the customer rejected a sent quote"),
            RecordAction(rules.QUOTE, "revise", quotes.REVISE, quotes.revise_quote,
                         description="A new draft revision of a sent, rejected or expired "
                                     "quote; returns it"),
            RecordAction(rules.ORDER, "status", orders.STATUS, orders.set_order_status,
                         schema=OrderStatusSchema,
                         description="Change an order's status; the change is recorded"),
            RecordAction(rules.ORDER, "invoice", invoices.INVOICE_ORDER, invoices.invoice_order,
                         description="Draft the order's invoice; returns it"),
            RecordAction(rules.INVOICE, "issue", invoices.ISSUE, invoices.issue_invoice,
                         schema=IssueSchema,
                         description="Issue a draft invoice: it takes its number"),
            RecordAction(rules.INVOICE, "pay", invoices.PAY, invoices.pay_invoice,
                         schema=PaySchema,
                         description="Record a payment (at most the balance due)"),
            RecordAction(rules.INVOICE, "void", invoices.VOID, invoices.void_invoice,
                         schema=ReasonSchema,
                         description="Void an issued invoice without payments"),
            RecordAction(rules.CONTRACT, "activate", contracts.ACTIVATE,
                         contracts.activate_contract, description="Activate a draft contract"),
            RecordAction(rules.CONTRACT, "terminate", contracts.TERMINATE,
                         contracts.terminate_contract, schema=ReasonSchema,
                         description="Terminate an active contract"),
            RecordAction(rules.CONTRACT, "invoice", contracts.INVOICE_PERIOD,
                         invoices.invoice_contract_period, schema=PeriodSchema,
                         description="Draft the invoice of one billing period; returns it")]


@hookimpl
def validate_settings(kernel: Accord, settings: dict[str, Any],
                      previous: dict[str, Any]) -> None:
    services.check_stages_in_use(kernel, settings, previous)


@hookimpl
def timeline_items(record_type: str, record_ids: list[int]) -> list[TimelineItem]:
    return stage_change_items(record_type, record_ids) + document_items(record_type,
                                                                        record_ids)


@hookimpl
def register_customer_facts() -> list[CustomerFact]:
    """What each organization and contact bought: order total, count, average, first
    and last order date, products bought (accord_sales.facts)."""
    from .facts import customer_facts

    return customer_facts()


@hookimpl
def register_jobs() -> list[Job]:
    return [Job("sales.quotes_expire", "Sent quotes past their valid_until date expire",
                "5 0 * * *", quotes.expire_quotes),
            Job("sales.invoices_overdue", "Open invoices past their due date become overdue",
                "10 0 * * *", invoices.mark_overdue),
            Job("sales.contract_renewals", "Renewal reminders within a contract's notice; "
                                           "contracts past their end renew or expire",
                "15 6 * * *", contracts.contract_renewals)]


@hookimpl
def register_commands() -> list[click.Command]:
    from .cli import forecast, pipeline

    return [pipeline, forecast]


@hookimpl
def load_demo_data(kernel: Accord, actor: Actor) -> None:
    from .demo import sales_demo

    sales_demo(kernel, actor)


@hookimpl
def load_scale_data(kernel: Accord, run: ScaleRun) -> None:
    from .scale import sales_scale

    sales_scale(kernel, run)


@hookimpl
def register_role_grants() -> list[RoleGrant]:
    """The built-in manager and sales roles hold every sales permission."""
    return [RoleGrant("manager", ("sales.*",)), RoleGrant("sales", ("sales.*",))]


@hookimpl
def navigation_entries() -> list[NavEntry]:
    # Until the sales pages come, each entry opens the list page of its type.
    return [NavEntry("Board", "/sales/board", "sales.opportunity.read", order=29),
            NavEntry("Opportunities", "/records/sales.opportunity",
                     "sales.opportunity.read", order=30),
            NavEntry("Leads", "/records/sales.lead", "sales.lead.read", order=31),
            NavEntry("Forecast", "/sales/forecast", "sales.opportunity.read", order=36)]


@hookimpl
def register_search_types() -> list[SearchType]:
    return [SearchType(rules.OPPORTUNITY, "Opportunities", ("stage", "amount"), order=30),
            SearchType(rules.LEAD, "Leads", ("company", "status"), order=31),
            SearchType(rules.QUOTE, "Quotes", ("status", "total"), order=32),
            SearchType(rules.ORDER, "Orders", ("status", "total"), order=33),
            SearchType(rules.INVOICE, "Invoices", ("status", "total"), order=34),
            SearchType(rules.CONTRACT, "Contracts", ("status", "value"), order=35)]


if TYPE_CHECKING:
    from accord.metrics import MetricQuery
    from accord.pages import Widget


@hookimpl
def dashboard_widgets(kernel: Accord, actor: Actor, query: MetricQuery) -> list[Widget]:
    from .widgets import sales_widgets

    return sales_widgets(kernel, actor, query)


if TYPE_CHECKING:
    from flask import Blueprint

    from accord.pages import Panel
    from accord.routes import ApiRoute


@hookimpl
def register_pages() -> list[Blueprint]:
    from .pages import board, documents, forecast, leads, quotes, stages

    return [leads.blueprint(), quotes.blueprint(), documents.blueprint(),
            forecast.blueprint(), board.blueprint(), stages.blueprint()]


@hookimpl
def register_api_routes() -> list[ApiRoute]:
    from . import api
    from .api_reports import api_routes

    return [*api_routes(), *api.api_routes()]


@hookimpl
def record_panels(kernel: Accord, actor: Actor, record_type: str,
                  record: dict[str, Any]) -> list[Panel]:
    from .pages import board, documents, leads, quotes

    return [*board.panels(kernel, actor, record_type, record),
            *leads.panels(kernel, actor, record_type, record),
            *quotes.panels(kernel, actor, record_type, record),
            *documents.panels(kernel, actor, record_type, record)]
