"""The write-path rules of leads and opportunities: defaults, checks, computed values,
and what keeps the plugin's records from being deleted.

The record types (hooks.py) carry these: the core calls them once per batch, whatever
face the write came from. They read (settings, at most one query per batch) and never
write.

Some fields belong to the plugin's verbs (services): an opportunity's stage changes
only through ``move_opportunity`` (which records the stage history), and a lead's links
to what it became only through ``convert_lead``. The record types declare them as
verb fields, so the core refuses them from clients and names the action to use.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from accord.errors import Conflict, ValidationError
from accord.models import utcnow
from accord.money import Money

from .settings import Pipeline, Stage, pipelines

if TYPE_CHECKING:
    from accord.kernel import Accord
    from accord.records import Write
    from accord.services.actors import Actor

__all__ = ["LEAD", "OPPORTUNITY", "QUOTE", "ORDER", "INVOICE", "CONTRACT", "LEAD_LINKS",
           "refuse", "lead_rules", "lead_computed", "opportunity_defaults",
           "opportunity_rules", "opportunity_computed", "opportunity_kept", "quote_kept",
           "order_kept", "contract_kept"]

LEAD = "sales.lead"
OPPORTUNITY = "sales.opportunity"
QUOTE = "sales.quote"
ORDER = "sales.order"
INVOICE = "sales.invoice"
CONTRACT = "sales.contract"
#: A lead's links to the records it became, written by the convert verb only.
LEAD_LINKS = ("contact_id", "organization_id", "opportunity_id")


def refuse(problems: dict[str, list[str]], index: int, rows: list[Any]) -> None:
    """Raise the problems of row ``index`` (placed at the row in a batch)."""
    if problems:
        raise ValidationError(problems, row=index if len(rows) > 1 else None)


# Leads ---------------------------------------------------------------------------

def lead_rules(write: Write) -> None:
    sources = write.kernel.settings("sales")["lead_sources"]
    for index, row, current in write:
        problems: dict[str, list[str]] = {}
        source = row.get("source")
        if source is not None and source not in sources:
            problems["source"] = [f"{source!r} is not a lead source; use one of "
                                  f"{', '.join(sources)}"]
        status = write.value(index, "status", "new")
        if current is not None and current.converted_at is not None and status != current.status:
            problems["status"] = [f"lead {current.id} is converted; its status stays "
                                  f"{current.status}"]
        reason = write.value(index, "disqualify_reason")
        if status == "disqualified" and not reason:
            problems["disqualify_reason"] = ["give a reason to disqualify the lead"]
        elif status != "disqualified" and row.get("disqualify_reason"):
            problems["disqualify_reason"] = ["only a disqualified lead has a disqualify reason"]
        write.refuse(index, problems)


def lead_computed(write: Write) -> None:
    for _, row, current in write:
        if current is None:
            continue
        # A lead taken back from disqualified loses the reason it was disqualified for.
        if (current.disqualify_reason and "disqualify_reason" not in row
                and row.get("status", current.status) != "disqualified"):
            row["disqualify_reason"] = None


# Opportunities -------------------------------------------------------------------

def opportunity_defaults(write: Write) -> None:
    settings = write.kernel.settings("sales")
    known = pipelines(write.kernel, settings)
    for row in write.rows:
        row.setdefault("pipeline", settings["default_pipeline"])
        pipeline = known.get(row["pipeline"])
        if pipeline is not None:
            row.setdefault("stage", pipeline.first_open.name)
        row.setdefault("amount", Money(Decimal("0"), settings["currency"]))


def opportunity_rules(write: Write) -> None:
    settings = write.kernel.settings("sales")
    known = pipelines(write.kernel, settings)
    channels = settings["channels"]
    for index, row, current in write:
        problems: dict[str, list[str]] = {}
        stage = _stage_rules(known, write, index, problems)
        kind = stage.kind if stage is not None else "open"
        reason = write.value(index, "loss_reason")
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
        if write.value(index, "organization_id") is None \
                and write.value(index, "contact_id") is None:
            problems["organization_id"] = ["give an organization or a contact (or both)"]
        channel = row.get("channel")
        if channel is not None and channel not in channels:
            problems["channel"] = [f"{channel!r} is not a sales channel; use one of "
                                   f"{', '.join(channels)}"]
        write.refuse(index, problems)


def _stage_rules(known: dict[str, Pipeline], write: Write, index: int,
                 problems: dict[str, list[str]]) -> Stage | None:
    """Check the pipeline and stage of a row; the stage it will be in (None: unknown)."""
    row, current = write.rows[index], write.existing[index]
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
    name = write.value(index, "stage")
    # A stage removed from settings edited outside Accord is treated as open.
    return pipeline.stage(name) if pipeline is not None else None


def opportunity_computed(write: Write) -> None:
    known = pipelines(write.kernel)
    now = utcnow()
    for _, row, current in write:
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


def opportunity_kept(kernel: Accord, records: list[Any], actor: Actor) -> None:
    """Other plugins may keep an opportunity from being deleted (competitors on the
    deal): the plugin's ``validate_opportunity_delete`` hook."""
    kernel.hooks.validate_opportunity_delete(kernel=kernel, opportunities=records,
                                             actor=actor)


def quote_kept(kernel: Accord, records: list[Any], actor: Actor) -> None:
    """A sent or accepted quote stays, and so does one with later revisions."""
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


def order_kept(kernel: Accord, records: list[Any], actor: Actor) -> None:
    """An order from a quote stays (cancel it), and so does an invoiced one."""
    quoted = [r for r in records if r.quote_id is not None]
    if quoted:
        raise Conflict(f"order {quoted[0].id} comes from the accepted quote "
                       f"{quoted[0].quote_id}; cancel it instead of deleting it")
    _invoiced_kept("order", records)


def contract_kept(kernel: Accord, records: list[Any], actor: Actor) -> None:
    """An invoiced contract stays."""
    _invoiced_kept("contract", records)


def _invoiced_kept(what: str, records: list[Any]) -> None:
    from .models import Invoice

    column: Any = Invoice.order if what == "order" else Invoice.contract
    found = (Invoice.select(column, Invoice.number, Invoice.id)
             .where(column.in_([r.id for r in records])).first())
    if found is not None:
        raise Conflict(f"{what} {getattr(found, column.object_id_name)} has invoice "
                       f"{found.number or f'draft {found.id}'}; invoices keep what they "
                       "bill")
