"""Hooks on the write path: defaults, validation (veto), computed values, outbox.

All of them are batch-shaped: a single create is a batch of one, and a bulk write of
100,000 rows calls each hook once per batch, never once per row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import hookspec

if TYPE_CHECKING:
    import peewee

    from accord.kernel import Accord
    from accord.records import OutboxItem, RecordType
    from accord.services.actors import Actor
    from accord.services.merging import Moved


@hookspec
def record_defaults(kernel: Accord, record_type: RecordType, rows: list[dict[str, Any]],
                    actor: Actor) -> None:
    """Fill in default values of records about to be created.

    Called: for every create and bulk create of any record type, after the schema
        loaded the rows and before ``validate_records``, outside the write transaction. ``rows`` are the loaded values, custom fields
        included (``x_`` names); set a key only where the row has none.
    Returns: None; change ``rows`` in place.
    Order: every implementation runs, later-registered first (pluggy's order);
        use tryfirst/trylast with a comment to order them.
    Since: 0.1
    """


@hookspec
def validate_records(kernel: Accord, record_type: RecordType, rows: list[dict[str, Any]],
                     existing: list[peewee.Model | None], actor: Actor) -> None:
    """Veto a write before it is stored.

    Called: for every create, update and bulk write of any record type, inside the
        write transaction, after schema and custom-field validation and defaults.
        ``rows[i]`` holds the values being written (for an update, only the changed
        ones), ``existing[i]`` the stored record or None for a create.
    Returns: None. Raise accord.errors.ValidationError to veto, with ``row=i`` for the
        offending row; nothing of the batch is written and the API answers 422.
    Order: every implementation runs; the first error aborts the write.
    Since: 0.1
    """


@hookspec
def compute_fields(kernel: Accord, record_type: RecordType, rows: list[dict[str, Any]],
                   existing: list[peewee.Model | None]) -> None:
    """Set values computed from the others (totals, derived dates).

    Called: for every write of any record type, inside the write transaction, after
        ``validate_records``.
    Returns: None; change ``rows`` in place (only fields the record type has).
    Order: every implementation runs.
    Since: 0.1
    """


@hookspec
def validate_delete(kernel: Accord, record_type: RecordType, records: list[peewee.Model],
                    actor: Actor) -> None:
    """Veto a delete (a record still in use elsewhere, say).

    Called: for every delete, inside the write transaction, before the rows go.
    Returns: None. Raise accord.errors.ValidationError (or Conflict) to veto.
    Order: every implementation runs; the first error aborts the delete.
    Since: 0.1
    """


@hookspec
def outbox_items(kernel: Accord, record_type: RecordType, action: str,
                 records: list[dict[str, Any]], actor: Actor) -> list[OutboxItem]:
    """Queue messages that must reach another system because of this write.

    Called: for every write, inside the write transaction, after the rows are written;
        ``action`` is ``created``, ``updated`` or ``deleted`` and ``records`` hold
        ``id`` plus the values written; ``actor`` is who wrote them.
    Returns: a list of OutboxItem (topic and JSON payload), stored in the same
        transaction and delivered later with retries; None or [] for nothing.
    Order: every implementation runs; the items of all are stored.
    Since: 0.1
    Changed: 0.2: ``actor`` added; the core's own implementation writes the record
        events webhook subscriptions ask for.
    """


@hookspec
def merge_records(kernel: Accord, record_type: RecordType, winner_id: int,
                  loser_id: int) -> list[Moved]:
    """Move a plugin's rows that name a merged record's loser onto its winner.

    Called: once per merge of two contacts or two organizations
        (``accord.services.merging.merge``), inside the merge's transaction with both
        records locked, after the core moved its own rows and before the loser is
        deleted. Move with ``accord.services.merging.move_rows``, which keeps unique
        indexes whole (a campaign membership of both: one is kept).
    Returns: a list of ``accord.services.merging.Moved`` (kind, count), shown in the
        merge's audit entry and answer; None or [] when nothing of the plugin named
        the loser. Raise accord.errors.Conflict to refuse the merge.
    Order: every running plugin's implementation runs; any foreign key left naming
        the loser afterwards (a disabled plugin's table too) is moved by the core.
    Since: 0.2
    """
