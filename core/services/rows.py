"""Rows made records directly: a list page reads fifty rows of twenty columns, and
peewee's general row machinery (and rendering each column of the SELECT) was a good
part of its time. Used by the list pages (``fetch_records``) and the reads by id and
creates of ``crud``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Iterable, Sequence

import peewee

from .bulk_sql import quoted

if TYPE_CHECKING:
    from ..kernel import Accord
    from ..models import BaseRecord

__all__ = ["instance", "instances", "fetch_records", "records_sql"]


#: The field classes whose ``python_value`` of a value of the listed types is the
#: value itself (peewee's ``adapt``), whatever the engine.
_PLAIN: dict[type, tuple[type, ...]] = {
    peewee.CharField: (str,), peewee.TextField: (str,), peewee.IntegerField: (int,),
    peewee.BigIntegerField: (int,), peewee.AutoField: (int,), peewee.BooleanField: (bool,),
    peewee.ForeignKeyField: (int,)}


def _plan(fields: Sequence[peewee.Field]) -> list[tuple[str, Any, tuple[type, ...]]]:
    """(name, converter, types passed as they are) per field."""
    plan = []
    for field in fields:
        plain = _PLAIN.get(type(field), ())
        if isinstance(field, peewee.ForeignKeyField) and (
                type(field.rel_field) not in (peewee.AutoField, peewee.IntegerField)):
            plain = ()  # a key to a text column, or another kind
        plan.append((field.name, field.python_value, plain))
    return plan


def instances(model: type[BaseRecord], fields: Sequence[peewee.Field],
              rows: Iterable[Sequence[Any]]) -> list[Any]:
    """Records of ``model`` from rows holding ``fields`` in order, each value converted
    as peewee would (a value the field would keep as it is, kept without the call),
    with nothing marked changed."""
    plan = _plan(fields)
    out = []
    for row in rows:
        record: Any = model(__no_default__=1)
        record.__data__ = {name: value if value is None or type(value) in plain
                           else convert(value)
                           for (name, convert, plain), value in zip(plan, row)}
        out.append(record)
    return out


def instance(model: type[BaseRecord], fields: Sequence[peewee.Field], row: Any) -> Any:
    """A record of ``model`` from a row holding ``fields`` in order (see ``instances``)."""
    return instances(model, fields, [row])[0]


class _Selection(peewee.Node):
    """The columns of a SELECT of one model's fields, rendered as one piece of text: the
    table's alias looked up as peewee's own columns do, the column names quoted once per
    alias and quoting (rendering twenty columns one by one was a sixth of a list page)."""

    _TEXT: ClassVar[dict[tuple[tuple[peewee.Field, ...], str, str], str]] = {}

    def __init__(self, model: type[BaseRecord], fields: tuple[peewee.Field, ...]) -> None:
        super().__init__()
        self.model, self.fields = model, fields

    def __sql__(self, ctx: Any) -> Any:
        alias = ctx.alias_manager[self.model._meta.table]
        quotes = ctx.state.quote or '""'
        key = (self.fields, alias, quotes)
        text = self._TEXT.get(key)
        if text is None:
            text = self._TEXT[key] = ", ".join(
                f"{quoted(alias, quotes)}.{quoted(f.column_name, quotes)}"
                for f in self.fields)
        return ctx.literal(text)


def fetch_records(kernel: Accord, query: Any) -> list[BaseRecord]:
    """The records a select of one model's own columns finds, made instances directly
    from the rows (a list page reads fifty rows of twenty columns: peewee's general
    row machinery was a fifth of its time). Any other query is run as usual."""
    rendered = records_sql(query)
    if rendered is None:
        return list(query)
    sql, params = rendered
    assert kernel.database is not None
    return instances(query.model, query._returning,
                     kernel.database.execute_sql(sql, params).fetchall())


def records_sql(query: Any) -> tuple[str, list[Any]] | None:
    """The SQL and parameters of a select of one model's own columns, as ``query.sql()``
    gives them, with the columns rendered by ``_Selection``; None for any other query."""
    model = query.model
    fields = tuple(query._returning)
    if not all(isinstance(f, peewee.Field) and f.model is model for f in fields):
        return None
    query = query.clone()
    query._returning = [_Selection(model, fields)]
    sql, params = query.sql()
    return sql, params
