"""Record types and the small frozen values hooks return (permissions, timeline items).

A record type ties a name (``contact``, ``sales.opportunity``) to its model, its
marshmallow schema and what the kernel needs to know to list, search and mask it.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterator

import marshmallow as ma
import peewee

from .errors import NotFound

if TYPE_CHECKING:
    from .models import BaseRecord

__all__ = ["RecordType", "Link", "Lines", "Permission", "TimelineItem", "OutboxItem", "RecordAction",
           "RecordTypes"]


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

    @property
    def plugin(self) -> str:
        """The owning plugin (``core`` for bare names)."""
        return self.name.split(".", 1)[0] if "." in self.name else "core"

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
    """A permission that roles can hold (``sales.opportunity.write``)."""

    name: str
    description: str


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

    The API answers ``POST /api/v1/<resource>/<id>/<name>``: the body is loaded by
    ``schema`` (when given), the actor must hold ``permission``, and ``handler(kernel,
    record, data, actor)`` does the work through the service layer and returns the
    record (or a JSON-ready dict) to answer with.
    """

    record_type: str
    name: str
    permission: str
    handler: Callable[..., Any]
    description: str = ""
    schema: type[ma.Schema] | None = None


@dataclass(frozen=True)
class OutboxItem:
    """A message for another system, stored with the write and delivered later."""

    topic: str
    payload: dict[str, Any]


class RecordTypes:
    """The record types of the core and the enabled plugins, by name."""

    def __init__(self) -> None:
        self._types: dict[str, RecordType] = {}

    def replace(self, types: dict[str, RecordType]) -> None:
        self._types = dict(types)

    def get(self, name: str) -> RecordType:
        try:
            return self._types[name]
        except KeyError:
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
