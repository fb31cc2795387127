"""The write-path rules of leads and opportunities: defaults, checks, computed values.

The hook implementations call these once per batch, whatever face the write came
from. They read (settings, at most one query per batch) and never write.

Some fields belong to the plugin's verbs (services.py): an opportunity's stage
changes only through ``move_opportunity`` (which records the stage history), and a
lead's links to what it became only through ``convert_lead``. A verb unlocks the
record it writes for the duration of its call (``unlocked``); any other write that
changes those fields is refused with a message naming the verb to use.
"""

from __future__ import annotations

import contextlib
from contextvars import ContextVar
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Iterator

import peewee

from accord.errors import Conflict, ValidationError
from accord.models import utcnow
from accord.money import Money

from .models import Opportunity
from .settings import Pipeline, Stage, pipelines

if TYPE_CHECKING:
    from accord.kernel import Accord

__all__ = ["LEAD", "OPPORTUNITY", "QUOTE", "ORDER", "INVOICE", "CONTRACT", "LEAD_LINKS",
           "unlocked", "verb_values", "refuse", "lead_rules", "lead_computed",
           "opportunity_defaults", "opportunity_rules", "opportunity_computed",
           "customers_in_use", "products_in_use", "documents_in_use",
           "opportunities_readable"]

LEAD = "sales.lead"
OPPORTUNITY = "sales.opportunity"
QUOTE = "sales.quote"
ORDER = "sales.order"
INVOICE = "sales.invoice"
CONTRACT = "sales.contract"
#: A lead's links to the records it became, written by the convert verb only.
LEAD_LINKS = ("contact_id", "organization_id", "opportunity_id")

#: The records a verb of the plugin is writing in this context (this thread or task
#: only, and only while the verb runs): (record type, id) -> the values the verb sets
#: itself (a status, a number…), merged into the row by ``compute_fields``. A record
#: being created is keyed with id 0.
_UNLOCKED: ContextVar[dict[tuple[str, int], dict[str, Any]]] = ContextVar(
    "accord_sales_unlocked", default={})


@contextlib.contextmanager
def unlocked(type_name: str, record_id: int, **values: Any) -> Iterator[None]:
    """Let a verb change the fields it owns on one record (id 0: the record it
    creates), within the block; ``values`` are written with the verb's write."""
    token = _UNLOCKED.set({**_UNLOCKED.get(), (type_name, record_id): values})
    try:
        yield
    finally:
        _UNLOCKED.reset(token)


def _is_unlocked(type_name: str, current: Any) -> bool:
    return current is not None and (type_name, current.id) in _UNLOCKED.get()


def verb_values(type_name: str, current: Any) -> dict[str, Any]:
    """The values the running verb sets on this record (none outside a verb)."""
    return _UNLOCKED.get().get((type_name, current.id if current is not None else 0), {})


def _value(name: str, row: dict[str, Any], current: Any, default: Any = None) -> Any:
    """The value a field will have after the write: the row's, else the stored one."""
    if name in row:
        return row[name]
    return getattr(current, name) if current is not None else default


def refuse(problems: dict[str, list[str]], index: int, rows: list[Any]) -> None:
    """Raise the problems of row ``index`` (placed at the row in a batch)."""
    if problems:
        raise ValidationError(problems, row=index if len(rows) > 1 else None)


# Leads ---------------------------------------------------------------------------

def lead_rules(kernel: Accord, rows: list[dict[str, Any]], existing: list[Any]) -> None:
    sources = kernel.settings("sales")["lead_sources"]
    for index, (row, current) in enumerate(zip(rows, existing)):
        problems: dict[str, list[str]] = {}
        source = row.get("source")
        if source is not None and source not in sources:
            problems["source"] = [f"{source!r} is not a lead source; use one of "
                                  f"{', '.join(sources)}"]
        if not _is_unlocked(LEAD, current):
            for name in LEAD_LINKS:
                if name in row and row[name] != _value(name, {}, current):
                    where = current.id if current is not None else "<id>"
                    problems[name] = [f"set by converting the lead only (POST "
                                      f"/api/v1/sales/leads/{where}/convert)"]
        status = _value("status", row, current, "new")
        if current is not None and current.converted_at is not None and status != current.status:
            problems["status"] = [f"lead {current.id} is converted; its status stays "
                                  f"{current.status}"]
        reason = _value("disqualify_reason", row, current)
        if status == "disqualified" and not reason:
            problems["disqualify_reason"] = ["give a reason to disqualify the lead"]
        elif status != "disqualified" and row.get("disqualify_reason"):
            problems["disqualify_reason"] = ["only a disqualified lead has a disqualify reason"]
        refuse(problems, index, rows)


def lead_computed(rows: list[dict[str, Any]], existing: list[Any]) -> None:
    now = utcnow()
    for row, current in zip(rows, existing):
        if current is None:
            continue
        # A lead taken back from disqualified loses the reason it was disqualified for.
        if (current.disqualify_reason and "disqualify_reason" not in row
                and row.get("status", current.status) != "disqualified"):
            row["disqualify_reason"] = None
        if _is_unlocked(LEAD, current) and current.converted_at is None:
            row["converted_at"] = now


# Opportunities -------------------------------------------------------------------

def opportunity_defaults(kernel: Accord, rows: list[dict[str, Any]]) -> None:
    settings = kernel.settings("sales")
    known = pipelines(kernel, settings)
    for row in rows:
        row.setdefault("pipeline", settings["default_pipeline"])
        pipeline = known.get(row["pipeline"])
        if pipeline is not None:
            row.setdefault("stage", pipeline.first_open.name)
        row.setdefault("amount", Money(Decimal("0"), settings["currency"]))


def opportunity_rules(kernel: Accord, rows: list[dict[str, Any]], existing: list[Any]) -> None:
    settings = kernel.settings("sales")
    known = pipelines(kernel, settings)
    channels = settings["channels"]
    for index, (row, current) in enumerate(zip(rows, existing)):
        problems: dict[str, list[str]] = {}
        stage = _stage_rules(known, row, current, problems)
        kind = stage.kind if stage is not None else "open"
        reason = _value("loss_reason", row, current)
        if kind == "lost" and not reason:
            problems["loss_reason"] = ["give a loss reason to close the opportunity as lost"]
        elif kind != "lost" and row.get("loss_reason"):
            problems["loss_reason"] = ["only a lost opportunity has a loss reason"]
        if kind != "won" and row.get("win_reason"):
            problems["win_reason"] = ["only a won opportunity has a win reason"]
        if stage is not None and stage.closed and "probability" in row \
                and row["probability"] != stage.probability:
            problems["probability"] = [f"a {kind} opportunity's probability is its stage's "
                                       f"({stage.probability})"]
        if _value("organization_id", row, current) is None \
                and _value("contact_id", row, current) is None:
            problems["organization_id"] = ["give an organization or a contact (or both)"]
        channel = row.get("channel")
        if channel is not None and channel not in channels:
            problems["channel"] = [f"{channel!r} is not a sales channel; use one of "
                                   f"{', '.join(channels)}"]
        refuse(problems, index, rows)


def _stage_rules(known: dict[str, Pipeline], row: dict[str, Any], current: Any,
                 problems: dict[str, list[str]]) -> Stage | None:
    """Check the pipeline and stage of a row; the stage it will be in (None: unknown)."""
    if current is None:
        pipeline = known.get(row["pipeline"])
        if pipeline is None:
            problems["pipeline"] = [f"{row['pipeline']!r} is not a pipeline; use one of "
                                    f"{', '.join(known)}"]
            return None
        stage = pipeline.stage(row["stage"])
        if stage is None:
            problems["stage"] = [f"{row['stage']!r} is not a stage of the {pipeline.name} "
                                 f"pipeline; use one of {pipeline.names()}"]
        elif stage.closed:
            problems["stage"] = [f"a new opportunity starts in an open stage, not in the "
                                 f"{stage.kind} stage {stage.name!r}; close it with the move "
                                 "action"]
        return stage
    if "pipeline" in row and row["pipeline"] != current.pipeline:
        problems["pipeline"] = [f"an opportunity stays in its pipeline ({current.pipeline})"]
    pipeline = known.get(current.pipeline)
    name = _value("stage", row, current)
    if name != current.stage and not _is_unlocked(OPPORTUNITY, current):
        problems["stage"] = [f"change the stage with the move action (POST "
                             f"/api/v1/sales/opportunities/{current.id}/move)"]
    # A stage removed from settings edited outside Accord is treated as open.
    return pipeline.stage(name) if pipeline is not None else None


def opportunity_computed(kernel: Accord, rows: list[dict[str, Any]],
                         existing: list[Any]) -> None:
    known = pipelines(kernel)
    now = utcnow()
    for row, current in zip(rows, existing):
        if current is None:
            stage = known[row["pipeline"]].stage(row["stage"])
            if stage is not None and "probability" not in row:
                row["probability"] = stage.probability
        elif "stage" in row and row["stage"] != current.stage:
            pipeline = known.get(current.pipeline)
            stage = pipeline.stage(row["stage"]) if pipeline is not None else None
            closing = stage is not None and stage.closed
            row["closed_at"] = now if closing else None
            # What the forecast counted on just before the close (forecast vs actual).
            row["close_probability"] = current.probability if closing else None
            if not closing:  # reopened: the reasons of the close no longer hold
                row.setdefault("win_reason", None)


def customers_in_use(type_name: str, records: list[Any]) -> None:
    """Refuse deleting organizations or contacts that the plugin's deals, documents or
    contracts name (one query per kind of record)."""
    from .models import Contract, Invoice, Order, Quote

    kinds: list[tuple[str, str, Any]] = [
        ("opportunity", "opportunities", Opportunity), ("quote", "quotes", Quote),
        ("order", "orders", Order), ("contract", "contracts", Contract),
        ("invoice", "invoices", Invoice)]
    _refuse_named(type_name, [r.id for r in records],
                  [(one, many, getattr(model, type_name)) for one, many, model in kinds])


def products_in_use(records: list[Any]) -> None:
    """Refuse deleting products that documents' lines or contracts name: what was
    quoted, ordered and invoiced stays as it was."""
    from .models import Contract, InvoiceLine, OrderLine, QuoteLine

    _refuse_named("product", [r.id for r in records], [
        ("quote line", "quote lines", QuoteLine.product),
        ("order line", "order lines", OrderLine.product),
        ("invoice line", "invoice lines", InvoiceLine.product),
        ("contract", "contracts", Contract.product)])


def _refuse_named(type_name: str, ids: list[int],
                  columns: list[tuple[str, str, Any]]) -> None:
    for one, many, column in columns:
        query: Any = (column.model.select(column, peewee.fn.COUNT(peewee.SQL("*")))
                      .where(column.in_(ids)).group_by(column))
        counts: dict[int, int] = dict(query.tuples())
        if counts:
            first = min(counts)
            count = counts[first]
            them = "it" if count == 1 else "them"
            raise Conflict(f"{type_name} {first} is named by {count} sales "
                           f"{one if count == 1 else many}; give {them} another {type_name} "
                           f"or delete {them} first")


def documents_in_use(type_name: str, records: list[Any]) -> None:
    """Refuse deleting a quote that was sent or has later revisions, an order that came
    from a quote, and an order or a contract that has invoices."""
    from .models import Invoice

    if type_name == QUOTE:
        _quotes_kept(records)
        return
    if type_name == ORDER:
        quoted = [r for r in records if r.quote_id is not None]
        if quoted:
            raise Conflict(f"order {quoted[0].id} comes from the accepted quote "
                           f"{quoted[0].quote_id}; cancel it instead of deleting it")
    column: Any = Invoice.order if type_name == ORDER else Invoice.contract
    found = (Invoice.select(column, Invoice.number, Invoice.id)
             .where(column.in_([r.id for r in records])).first())
    if found is not None:
        what = "order" if type_name == ORDER else "contract"
        raise Conflict(f"{what} {getattr(found, column.object_id_name)} has invoice "
                       f"{found.number or f'draft {found.id}'}; invoices keep what they "
                       "bill")


def _quotes_kept(records: list[Any]) -> None:
    from .models import Quote

    for quote in records:
        if quote.status in ("sent", "accepted"):
            what = ("its order refers to it" if quote.status == "accepted"
                    else "record the customer's answer (reject it) instead")
            raise Conflict(f"quote {quote.id} is {quote.status}; {what}")
    later = (Quote.select(Quote.revision_of, Quote.id)
             .where(Quote.revision_of.in_([r.id for r in records])).order_by(Quote.id).first())
    if later is not None:
        raise Conflict(f"quote {later.revision_of_id} has later revisions (quote {later.id}); "
                       "they stay with it: delete them first")


def opportunities_readable(kernel: Accord, type_name: str, rows: list[dict[str, Any]],
                           existing: list[Any], actor: Any) -> None:
    """A document or contract names only an opportunity its writer can read (its
    permission and record rule): one query for the batch. A row a verb writes (an
    accepted quote's order, a revision) keeps the deal of what it came from."""
    from accord.services.authz import permission_for, scoped

    wanted = {row["opportunity_id"] for row, current in zip(rows, existing)
              if row.get("opportunity_id") is not None
              and (current is None or row["opportunity_id"] != current.opportunity_id)
              and not verb_values(type_name, current)}
    if not wanted or not actor.restricted:
        return
    record_type = kernel.records.get(OPPORTUNITY)
    readable: set[int] = set()
    if actor.can(permission_for(record_type, "read")):
        query = Opportunity.select(Opportunity.id).where(Opportunity.id.in_(sorted(wanted)))
        readable = {row[0] for row in scoped(query, record_type, actor).tuples()}
    for index, row in enumerate(rows):
        if row.get("opportunity_id") in wanted - readable:
            refuse({"opportunity_id": [f"there is no opportunity {row['opportunity_id']} "
                                       "you can read"]}, index, rows)
