"""Record types and the small frozen values hooks return (permissions, timeline items).

A record type ties a name (``contact``, ``acme_dental.appointment``) to its model, its
marshmallow schema and what the kernel needs to know to list, search and mask it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
import functools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterator

import marshmallow as ma
import peewee

from .errors import NotFound

if TYPE_CHECKING:
    from .kernel import Accord
    from .models import BaseRecord
    from .services.actors import Actor

__all__ = ["RecordType", "Link", "Lines", "VerbField", "Transitions", "Write", "Permission",
           "RoleGrant", "TimelineItem", "OutboxItem", "RecordAction", "RecordTypes"]


@dataclass(frozen=True)
class Link:
    """A many-to-many field kept in a link table: ``products_of_interest`` of a contact
    is a list of product ids stored as rows of ``through`` (``source`` -> ``target``)."""

    name: str
    through: type[peewee.Model]
    source: str
    target: str


@dataclass(frozen=True)
class Lines:
    """Rows that belong to a record and are written with it: a quote's lines.

    ``name`` is a list field of the record's schema (``fields.List(fields.Nested(
    schema))``); each item is a row of ``model``, whose foreign key ``parent`` points
    to the record. Giving the field on a write replaces all the record's rows (their
    ``position`` column, when the model has one, is the list order); leaving it out
    keeps them. Reads list them in that order, dumped with ``schema``. The rows are
    audited with the record's other changes. ``read_only`` rows (an invoice's
    payments) are shown on reads and written by the plugin's own verbs only.
    """

    name: str
    model: type[peewee.Model]
    parent: str
    schema: type[ma.Schema]
    read_only: bool = False


@dataclass(frozen=True)
class VerbField:
    """A field only the plugin's own actions set: a status, a number, a link to the
    invoice an action drafted.

    Clients never change it: a create or update giving it another value than the
    stored one (null for a new record) is refused (422) with the actions that set it
    named. The plugin's action writes it through the ordinary service call with
    ``verb=`` one of ``actions`` (``services.update(kernel, "acme_dental.appointment",
    7, {"status": "confirmed"}, actor=actor, verb="confirm")``), validated, audited and
    versioned like any other write. ``on_create``: clients may give it when creating
    the record (a deal's first stage), not afterwards.
    """

    name: str
    actions: tuple[str, ...]
    on_create: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.actions, str):
            object.__setattr__(self, "actions", (self.actions,))


@dataclass(frozen=True)
class Transitions:
    """The values a status field may go to from each value: ``Transitions("status",
    {"draft": ("sent",), "sent": ("accepted", "rejected")})``. A write that moves the
    field elsewhere is refused (422) with the allowed values named; a value missing
    from ``allowed`` is final. Checked on every write, the plugin's actions included."""

    field: str
    allowed: Any  # a mapping value -> tuple of values, kept as sorted pairs

    def __post_init__(self) -> None:
        pairs = self.allowed.items() if hasattr(self.allowed, "items") else self.allowed
        object.__setattr__(self, "allowed", tuple(sorted((k, tuple(v)) for k, v in pairs)))

    def targets(self, value: Any) -> tuple[str, ...]:
        for key, targets in self.allowed:
            if key == value:
                return tuple(targets)
        return ()


@dataclass
class Write:
    """One write of a batch of records of one type, as a record type's ``defaults``,
    ``validate`` and ``compute`` receive it.

    ``rows[i]`` holds the loaded values being written (for an update, only the
    changed ones), ``existing[i]`` the stored record or None for a create; ``verb`` is
    the plugin action writing (None for a client's write).
    """

    kernel: Accord
    record_type: RecordType
    rows: list[dict[str, Any]]
    existing: list[Any]
    actor: Actor
    verb: str | None = None
    #: True for a single create, whose INSERT refuses a value a unique index already
    #: holds by itself (``ON CONFLICT DO NOTHING``, no aborted transaction): a check
    #: that only probes a unique index may skip its lookup then. On a conflict the
    #: checks run again with it False, to word the error (naming the holder).
    unique_by_insert: bool = False

    def __iter__(self) -> Iterator[tuple[int, dict[str, Any], Any]]:
        """``(index, row, stored record or None)`` for each row."""
        for index, (row, current) in enumerate(zip(self.rows, self.existing)):
            yield index, row, current

    def value(self, index: int, name: str, default: Any = None) -> Any:
        """What a field will hold after the write: the row's value, else the stored one
        (``default`` for a new record)."""
        row = self.rows[index]
        if name in row:
            return row[name]
        return self.stored(index, name, default)

    def stored(self, index: int, name: str, default: Any = None) -> Any:
        """What a field holds now, in the form a loaded row has it (a money field as
        ``Money``); ``default`` for a new record."""
        current = self.existing[index]
        if current is None:
            return default
        if name in self.record_type.money_fields:
            from .money import Money

            amount = getattr(current, name)
            return None if amount is None else Money(Decimal(amount),
                                                     getattr(current, f"{name}_currency"))
        return getattr(current, name)

    def refuse(self, index: int, problems: dict[str, list[str]]) -> None:
        """Raise ``problems`` (field -> messages) for row ``index``, placed at the row
        in a batch (``rows[N].field``); nothing of the batch is written."""
        from .errors import ValidationError

        if problems:
            raise ValidationError(problems, row=index if len(self.rows) > 1 else None)


@dataclass(frozen=True)
class RecordType:
    """A kind of record: its name, model and schema, and how it is searched."""

    name: str
    model: type[BaseRecord]
    schema: type[ma.Schema]
    #: API resource name, plural snake case (``contacts``; a plugin's: ``opportunities``).
    plural: str
    label: str = ""
    #: Fields ``?q=`` searches.
    searchable: tuple[str, ...] = ()
    #: Fields holding personal data (masked for roles without core.personal_data.read).
    personal: tuple[str, ...] = ()
    #: Fields shown as the record's title.
    title_fields: tuple[str, ...] = ("name",)
    #: Many-to-many fields (lists of ids) kept in link tables.
    links: tuple[Link, ...] = ()
    #: Rows written with the record (a document's lines).
    lines: tuple[Lines, ...] = ()
    #: Fields only the plugin's own actions set (read-only to clients).
    verb_fields: tuple[VerbField, ...] = ()
    #: Records of this type are written by these actions only (price observations).
    written_by: tuple[str, ...] = ()
    #: The allowed moves of a status field.
    transitions: Transitions | None = None
    #: Foreign keys whose target cannot be deleted while a record of this type names
    #: it, though the table would set them to null (an opportunity's organization).
    #: Keys that keep their row (no ``on_delete``, RESTRICT) always protect it.
    protects: tuple[str, ...] = ()
    #: ``defaults(write)``: fill in values of records about to be created (before
    #: validation, outside the transaction; set a key only where the row has none).
    defaults: Callable[[Write], None] | None = None
    #: ``validate(write)``: veto a write (``write.refuse``), inside the transaction.
    validate: Callable[[Write], None] | None = None
    #: ``compute(write)``: set values computed from the others, after ``validate``.
    compute: Callable[[Write], None] | None = None
    #: ``check_delete(kernel, records, actor)``: veto deleting these records
    #: (raise accord.errors.Conflict), inside the transaction.
    check_delete: Callable[[Accord, list[Any], Actor], None] | None = None

    def __post_init__(self) -> None:
        if isinstance(self.written_by, str):
            object.__setattr__(self, "written_by", (self.written_by,))

    @functools.cached_property
    def verb_field_map(self) -> dict[str, VerbField]:
        """Verb fields by their API name and by the attribute the schema loads them to."""
        out: dict[str, VerbField] = {}
        for verb_field in self.verb_fields:
            out[verb_field.name] = verb_field
            declared = self.schema._declared_fields.get(verb_field.name)
            if declared is not None and declared.attribute:
                out[declared.attribute] = verb_field
        return out

    @property
    def plugin(self) -> str:
        """The owning plugin (``core`` for bare names)."""
        return self.name.split(".", 1)[0] if "." in self.name else "core"

    @property
    def path(self) -> str:
        """The resource path under /api/v1: ``contacts``, ``acme_dental/appointments``."""
        return self.plural if self.plugin == "core" else f"{self.plugin}/{self.plural}"

    @property
    def owned(self) -> bool:
        """Whether records of this type have an owner and a team."""
        return "owner" in self.model._meta.fields

    @functools.cached_property
    def money_fields(self) -> tuple[str, ...]:
        """Names of the schema's Money fields (computed once: the bulk path asks per row)."""
        from .money import MoneyField

        return tuple(n for n, f in self.schema._declared_fields.items() if isinstance(f, MoneyField))

    @functools.cached_property
    def data_keys(self) -> dict[str, str]:
        """Loaded keys the API names otherwise (``role_id`` is shown as ``role``)."""
        return {f.attribute: name for name, f in self.schema._declared_fields.items()
                if f.attribute and f.attribute != name}

    def title(self, record: Any) -> str:
        parts = [str(getattr(record, f, "") or "") for f in self.title_fields]
        return " ".join(p for p in parts if p) or f"{self.name} {record.id}"


@dataclass(frozen=True)
class Permission:
    """A permission that roles can hold (``acme_dental.appointment.write``)."""

    name: str
    description: str


@dataclass(frozen=True)
class RoleGrant:
    """What a plugin gives a built-in role (``register_role_grants``): patterns over
    the plugin's own permissions (``acme_dental.*``) and record rules for its own record
    types (``("acme_dental.appointment", "team")``), held as long as the plugin is active.

    An admin may still revoke a contributed grant (it stays revoked) or set another
    rule for the same pattern (the stored rule wins).
    """

    role: str
    grants: tuple[str, ...]
    rules: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        # A lone pattern, lists or a dict of rules are forgiven: the values stay tuples.
        grants = (self.grants,) if isinstance(self.grants, str) else self.grants
        rules: Any = self.rules.items() if hasattr(self.rules, "items") else self.rules
        object.__setattr__(self, "grants", tuple(grants))
        object.__setattr__(self, "rules", tuple((str(t), str(s)) for t, s in rules))


@dataclass(frozen=True)
class TimelineItem:
    """One entry on a record's timeline."""

    record_type: str
    record_id: int
    at: dt.datetime
    kind: str
    title: str
    source_type: str = ""
    source_id: int | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RecordAction:
    """A verb on one record beyond create/update/delete (convert a lead, close a ticket).

    The API answers ``POST /api/v1/<resource>/<id>/<name>``: the actor must hold
    ``permission`` (declared by the plugin, checked at load), the body is loaded by
    ``schema`` (when given), and the handler is called with the record's id and the
    loaded body as keyword arguments::

        handler(kernel, record_id, actor=actor, version=version, **body)

    The handler runs inside one transaction in which the record stays locked from
    the moment it was read (``run_action``): ``version`` is the record's version as
    read there, after the client's If-Match (when sent) was checked against it; pass
    it on to ``services.update``. The handler is the
    plugin's service function itself (``send_quote(kernel, quote_id, *, actor,
    version=None)``): it does the work through the service layer and returns the
    record (or a JSON-ready dict) to answer with. A body field the handler does not
    take is refused when the plugin loads.

    ``available_from`` names the values of the record type's ``transitions`` field
    (its status) the action applies from (``("planned",)`` for a launch): the record
    page offers the action only on a record in one of them. Empty: always offered. The
    handler still refuses a record in another state with its own message.
    """

    record_type: str
    name: str
    permission: str
    handler: Callable[..., Any]
    description: str = ""
    schema: type[ma.Schema] | None = None
    available_from: tuple[str, ...] = ()

    def offered(self, record_type: RecordType, record: Any) -> bool:
        """Whether the record page offers the action on ``record``."""
        if not self.available_from or record_type.transitions is None:
            return True
        return getattr(record, record_type.transitions.field, None) in self.available_from


@dataclass(frozen=True)
class OutboxItem:
    """A message for another system, stored with the write and delivered later."""

    topic: str
    payload: dict[str, Any]


class RecordTypes:
    """The record types of the core and the enabled plugins, by name."""

    def __init__(self, unavailable: Callable[[str], str | None] | None = None) -> None:
        self._types: dict[str, RecordType] = {}
        #: Why a type that is not here is unavailable (its plugin is off), if known.
        self._unavailable = unavailable

    def replace(self, types: dict[str, RecordType]) -> None:
        self._types = dict(types)

    def get(self, name: str) -> RecordType:
        try:
            return self._types[name]
        except KeyError:
            why = self._unavailable(name) if self._unavailable is not None else None
            if why:
                raise NotFound(f"record type {name!r} is not available: {why}") from None
            known = ", ".join(sorted(self._types)) or "none"
            raise NotFound(f"unknown record type {name!r} (known: {known})") from None

    def __contains__(self, name: object) -> bool:
        return name in self._types

    def __iter__(self) -> Iterator[RecordType]:
        return iter(self._types.values())

    def names(self) -> list[str]:
        return sorted(self._types)

    def owned(self) -> list[RecordType]:
        return [t for t in self._types.values() if t.owned]

    def for_model(self, model: type[peewee.Model]) -> RecordType | None:
        for record_type in self._types.values():
            if record_type.model is model:
                return record_type
        return None
