"""Hook implementations of the sales plugin: thin adapters over its rules and services."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from accord.hooks import hookimpl
from accord.jobs import Job
from accord.records import Link, Lines, Permission, RecordAction, RecordType, TimelineItem

from . import rules, services
from .documents import LineSchema
from .models import (Contract, Invoice, InvoiceLine, InvoiceSequence, Lead, Opportunity, Order,
                     OrderLine, OrderStatusChange, Payment, Quote, QuoteLine, StageChange)
from .reports import document_items, stage_change_items
from .metrics import register_metrics  # noqa: F401
from .services import contracts, invoices, orders, quotes
from .schemas import (AcceptSchema, ContractSchema, ConvertSchema, InvoiceSchema, IssueSchema,
                      LeadSchema, MoveSchema, OpportunitySchema, OrderSchema, OrderStatusSchema,
                      PaymentSchema, PaySchema, PeriodSchema, QuoteSchema, ReasonSchema,
                      StatusChangeSchema)

if TYPE_CHECKING:
    import click
    import peewee

    from accord.kernel import Accord
    from accord.services.actors import Actor

LEAD = RecordType(rules.LEAD, Lead, LeadSchema, "leads", "Lead",
                  searchable=("name", "company", "email"), personal=("email", "phone"),
                  title_fields=("name",))
OPPORTUNITY = RecordType(rules.OPPORTUNITY, Opportunity, OpportunitySchema, "opportunities",
                         "Opportunity", searchable=("name",), title_fields=("name",))
QUOTE = RecordType(rules.QUOTE, Quote, QuoteSchema, "quotes", "Quote", searchable=("name",),
                   title_fields=("name",),
                   lines=(Lines("lines", QuoteLine, "quote", LineSchema),))
ORDER = RecordType(rules.ORDER, Order, OrderSchema, "orders", "Order",
                   searchable=("reference",), title_fields=("reference",),
                   links=(Link("products", OrderLine, "order", "product"),),
                   lines=(Lines("lines", OrderLine, "order", LineSchema),
                          Lines("status_history", OrderStatusChange, "order",
                                StatusChangeSchema, read_only=True)))
INVOICE = RecordType(rules.INVOICE, Invoice, InvoiceSchema, "invoices", "Invoice",
                     searchable=("number",), title_fields=("number",),
                     lines=(Lines("lines", InvoiceLine, "invoice", LineSchema),
                            Lines("payments", Payment, "invoice", PaymentSchema,
                                  read_only=True)))
CONTRACT = RecordType(rules.CONTRACT, Contract, ContractSchema, "contracts", "Contract",
                      searchable=("name",), title_fields=("name",))


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
            Permission("sales.order.invoice", "Draft the invoice of an order"),
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
    return [RecordAction(rules.LEAD, "convert", services.CONVERT, _convert, schema=ConvertSchema,
                         description="Convert a lead into a contact, an organization and "
                                     "optionally an opportunity"),
            RecordAction(rules.OPPORTUNITY, "move", services.MOVE, _move, schema=MoveSchema,
                         description="Move an opportunity to another stage (win or lose it)"),
            RecordAction(rules.QUOTE, "send", quotes.SEND, _send,
                         description="Send a draft quote; its content is fixed from then on"),
            RecordAction(rules.QUOTE, "accept", quotes.ACCEPT, _accept, schema=AcceptSchema,
                         description="Record that the customer accepted a sent quote; "
                                     "returns the order it creates"),
            RecordAction(rules.QUOTE, "reject", quotes.REJECT, _reject, schema=ReasonSchema,
                         description="Record that the customer rejected a sent quote"),
            RecordAction(rules.QUOTE, "revise", quotes.REVISE, _revise,
                         description="A new draft revision of a sent, rejected or expired "
                                     "quote; returns it"),
            RecordAction(rules.ORDER, "status", orders.STATUS, _order_status,
                         schema=OrderStatusSchema,
                         description="Change an order's status; the change is recorded"),
            RecordAction(rules.ORDER, "invoice", "sales.order.invoice", _invoice_order,
                         description="Draft the order's invoice; returns it"),
            RecordAction(rules.INVOICE, "issue", invoices.ISSUE, _issue, schema=IssueSchema,
                         description="Issue a draft invoice: it takes its number"),
            RecordAction(rules.INVOICE, "pay", invoices.PAY, _pay, schema=PaySchema,
                         description="Record a payment (at most the balance due)"),
            RecordAction(rules.INVOICE, "void", invoices.VOID, _void, schema=ReasonSchema,
                         description="Void an issued invoice without payments"),
            RecordAction(rules.CONTRACT, "activate", contracts.ACTIVATE, _activate,
                         description="Activate a draft contract"),
            RecordAction(rules.CONTRACT, "terminate", contracts.TERMINATE, _terminate,
                         schema=ReasonSchema, description="Terminate an active contract"),
            RecordAction(rules.CONTRACT, "invoice", contracts.INVOICE_PERIOD,
                         _invoice_contract, schema=PeriodSchema,
                         description="Draft the invoice of one billing period; returns it")]


def _send(kernel: Accord, record: Any, data: dict[str, Any], actor: Actor) -> Any:
    return quotes.send_quote(kernel, record.id, actor=actor, version=record.version)


def _accept(kernel: Accord, record: Any, data: dict[str, Any], actor: Actor) -> Any:
    return quotes.accept_quote(kernel, record.id, actor=actor, version=record.version,
                               order_date=data.get("order_date"),
                               reference=data.get("reference"))


def _reject(kernel: Accord, record: Any, data: dict[str, Any], actor: Actor) -> Any:
    return quotes.reject_quote(kernel, record.id, actor=actor, version=record.version,
                               reason=data.get("reason"))


def _revise(kernel: Accord, record: Any, data: dict[str, Any], actor: Actor) -> Any:
    return quotes.revise_quote(kernel, record.id, actor=actor, version=record.version)


def _order_status(kernel: Accord, record: Any, data: dict[str, Any], actor: Actor) -> Any:
    return orders.set_order_status(kernel, record.id, data["status"], actor=actor,
                                   note=data.get("note"), version=record.version)


def _invoice_order(kernel: Accord, record: Any, data: dict[str, Any], actor: Actor) -> Any:
    return invoices.invoice_order(kernel, record.id, actor=actor, version=record.version)


def _issue(kernel: Accord, record: Any, data: dict[str, Any], actor: Actor) -> Any:
    return invoices.issue_invoice(kernel, record.id, actor=actor, version=record.version,
                                  issue_date=data.get("issue_date"))


def _pay(kernel: Accord, record: Any, data: dict[str, Any], actor: Actor) -> Any:
    return invoices.pay_invoice(kernel, record.id, data["amount"], actor=actor,
                                version=record.version, paid_on=data.get("paid_on"),
                                method=data.get("method"), reference=data.get("reference"))


def _void(kernel: Accord, record: Any, data: dict[str, Any], actor: Actor) -> Any:
    return invoices.void_invoice(kernel, record.id, actor=actor, version=record.version,
                                 reason=data.get("reason"))


def _activate(kernel: Accord, record: Any, data: dict[str, Any], actor: Actor) -> Any:
    return contracts.activate_contract(kernel, record.id, actor=actor, version=record.version)


def _terminate(kernel: Accord, record: Any, data: dict[str, Any], actor: Actor) -> Any:
    return contracts.terminate_contract(kernel, record.id, actor=actor, version=record.version,
                                        reason=data.get("reason"))


def _invoice_contract(kernel: Accord, record: Any, data: dict[str, Any], actor: Actor) -> Any:
    return invoices.invoice_contract_period(kernel, record.id, data["period_start"],
                                            actor=actor, version=record.version)


def _convert(kernel: Accord, record: Any, data: dict[str, Any], actor: Actor) -> Any:
    return services.convert_lead(kernel, record.id, actor=actor, version=record.version,
                        create_opportunity=data["create_opportunity"],
                        opportunity=data["opportunity"])


def _move(kernel: Accord, record: Any, data: dict[str, Any], actor: Actor) -> Any:
    return services.move_opportunity(kernel, record.id, data["stage"], actor=actor,
                                     version=record.version,
                                     loss_reason=data.get("loss_reason"),
                                     win_reason=data.get("win_reason"),
                                     details=data.get("details"),
                                     probability=data.get("probability"))


@hookimpl
def record_defaults(kernel: Accord, record_type: RecordType, rows: list[dict[str, Any]]) -> None:
    name = record_type.name
    if name == rules.OPPORTUNITY:
        rules.opportunity_defaults(kernel, rows)
    elif name == rules.QUOTE:
        quotes.quote_defaults(kernel, rows)
    elif name == rules.ORDER:
        orders.order_defaults(kernel, rows)
    elif name == rules.INVOICE:
        invoices.invoice_defaults(kernel, rows)


@hookimpl
def validate_records(kernel: Accord, record_type: RecordType, rows: list[dict[str, Any]],
                     existing: list[Any], actor: Actor) -> None:
    if record_type.name in (rules.QUOTE, rules.ORDER, rules.CONTRACT):
        rules.opportunities_readable(kernel, record_type.name, rows, existing, actor)
    if record_type.name == rules.LEAD:
        rules.lead_rules(kernel, rows, existing)
    elif record_type.name == rules.OPPORTUNITY:
        rules.opportunity_rules(kernel, rows, existing)
    elif record_type.name == rules.QUOTE:
        quotes.quote_rules(rows, existing)
    elif record_type.name == rules.ORDER:
        orders.order_rules(rows, existing)
    elif record_type.name == rules.INVOICE:
        invoices.invoice_rules(rows, existing)
    elif record_type.name == rules.CONTRACT:
        contracts.contract_rules(rows, existing)


@hookimpl
def compute_fields(kernel: Accord, record_type: RecordType, rows: list[dict[str, Any]],
                   existing: list[Any]) -> None:
    if record_type.name == rules.LEAD:
        rules.lead_computed(rows, existing)
    elif record_type.name == rules.OPPORTUNITY:
        rules.opportunity_computed(kernel, rows, existing)
    elif record_type.name == rules.QUOTE:
        quotes.quote_computed(kernel, rows, existing)
    elif record_type.name == rules.ORDER:
        orders.order_computed(kernel, rows, existing)
    elif record_type.name == rules.INVOICE:
        invoices.invoice_computed(kernel, rows, existing)
    elif record_type.name == rules.CONTRACT:
        contracts.contract_computed(kernel, rows, existing)


@hookimpl
def validate_delete(record_type: RecordType, records: list[Any]) -> None:
    if record_type.name in ("organization", "contact"):
        rules.customers_in_use(record_type.name, records)
    elif record_type.name == "product":
        rules.products_in_use(records)
    elif record_type.name == rules.INVOICE:
        invoices.refuse_deleting_issued(records)
    elif record_type.name in (rules.QUOTE, rules.ORDER, rules.CONTRACT):
        rules.documents_in_use(record_type.name, records)


@hookimpl
def validate_settings(kernel: Accord, plugin: str, settings: dict[str, Any],
                      previous: dict[str, Any]) -> None:
    if plugin == "sales":
        services.check_stages_in_use(kernel, settings, previous)


@hookimpl
def timeline_items(record_type: str, record_ids: list[int]) -> list[TimelineItem]:
    return stage_change_items(record_type, record_ids) + document_items(record_type,
                                                                        record_ids)


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
