"""The source of a migration for a set of changes, in the style of Accord's own:
frozen copies of new tables, stand-ins for the tables they reference, and
``playhouse.migrate`` operations for the rest, each undone in ``down()``."""

from __future__ import annotations

import decimal
import enum
import importlib
from typing import Any

import click
import peewee
from playhouse.migrate import make_index_name
from playhouse.schema_diff import IndexDiff

from .migration_diff import Changes

__all__ = ["render"]

#: Field attributes that shape a column, rendered when they differ from the class's own.
_SHAPE = ("null", "index", "unique", "max_length", "max_digits", "decimal_places",
          "primary_key", "collation")


class _Source:
    """Collects what the rendered code needs: imports and stand-in classes."""

    def __init__(self, created: list[type[peewee.Model]]) -> None:
        self.imports: set[str] = set()
        self.names: dict[type[peewee.Model], str] = {m: m.__name__ for m in created}
        self.stubs: dict[type[peewee.Model], dict[str, peewee.Field]] = {}

    def target(self, model: type[peewee.Model]) -> str:
        """The class name the code uses for a referenced model (a stand-in if needed)."""
        if model not in self.names:
            taken = set(self.names.values())
            name = model.__name__
            while name in taken:
                name += "Table"
            self.names[model] = name
            self.stubs[model] = {}
        return self.names[model]

    def field(self, f: peewee.Field, *, unbound: bool = False,
              defaults: str = "all") -> str:
        """A field's declaration. ``defaults``: "all", "plain" (only those needing no
        import of a function: a frozen table copy never writes rows) or "none"."""
        cls = type(f)
        if cls.__module__ != "peewee":
            self.imports.add(f"from {cls.__module__} import {cls.__name__}")
        args: list[str] = []
        if isinstance(f, peewee.ForeignKeyField):
            rel = f.rel_model
            name = "'self'" if rel is f.model and not unbound else self.target(rel)
            args.append(name)
            pk = rel._meta.primary_key
            if unbound or f.rel_field is not pk:
                if rel in self.stubs and f.rel_field is not pk:
                    self.stubs[rel][f.rel_field.name] = f.rel_field
                args.append(f"field={name}.{f.rel_field.name}")
            proto: Any = cls("self")
        else:
            try:
                proto = cls()
            except TypeError:
                raise click.ClickException(
                    f"field {f.name} of {f.model._meta.table_name}: its class "
                    f"{cls.__name__} needs arguments; write this migration by hand") from None
        for attr in _SHAPE:
            value = getattr(f, attr, None)
            if value != getattr(proto, attr, None):
                args.append(f"{attr}={value!r}")
        plain = not callable(f.default) or f.default in (dict, list, set, tuple)
        if f.default is not None and (defaults == "all" or defaults == "plain" and plain):
            args.append(f"default={self.value(f)}")
        if isinstance(f, peewee.ForeignKeyField):
            column = f.name if f.name.endswith("_id") else f.name + "_id"
            for attr in ("on_delete", "on_update"):
                if getattr(f, attr):
                    args.append(f"{attr}={getattr(f, attr)!r}")
        else:
            column = f.name
        if f.column_name != column:
            args.append(f"column_name={f.column_name!r}")
        if f.constraints:
            args.append(f"constraints=[{self.constraints(f.constraints, f)}]")
        return f"{cls.__name__}({', '.join(args)})"

    def constraints(self, items: list[Any], where: Any) -> str:
        out = []
        for item in items:
            if not isinstance(item, peewee.SQL) or item.params:
                raise click.ClickException(
                    f"a constraint of {where} is not plain SQL; write this migration by "
                    "hand")
            out.append(f"SQL({item.sql!r})")
        return ", ".join(out)

    def value(self, f: peewee.Field) -> str:
        """A field's default as source code."""
        default = f.default
        if isinstance(default, enum.Enum):
            default = default.value
        if isinstance(default, (str, int, float, bool)):
            return repr(default)
        if isinstance(default, decimal.Decimal):
            self.imports.add("from decimal import Decimal")
            return f"Decimal({str(default)!r})"
        if default in (dict, list, set, tuple):
            return str(default.__name__)
        module = getattr(default, "__module__", None)
        name = getattr(default, "__qualname__", "")
        if callable(default) and module and "." not in name and "<" not in name:
            try:
                found = getattr(importlib.import_module(module), name, None)
            except ImportError:
                found = None
            if found is default:
                self.imports.add(f"from {module} import {name}")
                return name
        raise click.ClickException(
            f"the default of column {f.column_name} of {f.model._meta.table_name} "
            f"({default!r}) cannot be written in a migration; write this migration by hand")


def _is_implicit_id(f: peewee.Field) -> bool:
    return type(f) is peewee.AutoField and f.name == "id" and f.column_name == "id"


def _model(model: type[peewee.Model], source: _Source) -> list[str]:
    meta = model._meta
    lines = [f"class {source.names[model]}(Model):"]
    for f in meta.sorted_fields:
        if not _is_implicit_id(f):
            lines.append(f"    {f.name} = {source.field(f, defaults='plain')}")
    lines += ["", "    class Meta:", "        database = db",
              f"        table_name = {meta.table_name!r}"]
    pk = meta.primary_key
    if isinstance(pk, peewee.CompositeKey):
        names = ", ".join(repr(n) for n in pk.field_names)
        lines.append(f"        primary_key = CompositeKey({names})")
    elif not pk:
        lines.append("        primary_key = False")
    indexes = []
    for index in meta.indexes or ():
        if not isinstance(index, (list, tuple)):
            raise click.ClickException(
                f"an index of {meta.table_name} is an Index object; write this migration "
                "by hand")
        columns, unique = index
        indexes.append((tuple(columns), unique))
    if indexes:
        lines.append(f"        indexes = {tuple(indexes)!r}")
    if meta.constraints:
        checks = source.constraints(meta.constraints, meta.table_name)
        lines.append(f"        constraints = [{checks}]")
    return lines


def _stub(model: type[peewee.Model], name: str, fields: dict[str, peewee.Field],
          source: _Source) -> list[str]:
    lines = [f"class {name}(Model):"]
    for f in fields.values():
        lines.append(f"    {f.name} = {source.field(f, defaults='none')}")
    lines += [""] if fields else []
    lines += ["    class Meta:", "        database = db",
              f"        table_name = {model._meta.table_name!r}"]
    return lines


def _add_index(index: IndexDiff) -> str:
    unique = ", True" if index.unique else ", False"
    return f"migrator.add_index({index.table!r}, {tuple(index.columns)!r}{unique})"


def _drop_index(index: IndexDiff) -> str:
    name = index.name or make_index_name(index.table, index.columns)
    return f"migrator.drop_index({index.table!r}, {name!r})"


def _migrate(ops: list[str]) -> list[str]:
    if not ops:
        return []
    if len(ops) == 1 and len(ops[0]) <= 74:
        return [f"migrator.migrate({ops[0]})"]
    return ["migrator.migrate("] + [f"    {op}," for op in ops[:-1]] + [f"    {ops[-1]})"]


def _fill(change: Any, source: _Source, n: int) -> list[str]:
    """Give the null rows of a column becoming NOT NULL its default, through a frozen
    copy of that one column."""
    f = change.field
    value = source.value(f)
    if callable(f.default):
        value += "()"
    kind = type(f)
    if isinstance(f, peewee.ForeignKeyField):
        kind = peewee.IntegerField
    elif kind.__module__ != "peewee":
        source.imports.add(f"from {kind.__module__} import {kind.__name__}")
    name = f"Fill{n}"
    column = f", column_name={f.column_name!r}" if f.column_name != f.name else ""
    return [f"class {name}(Model):",
            f"    {f.name} = {kind.__name__}(null=True{column})",
            "",
            "    class Meta:",
            "        database = db",
            f"        table_name = {change.table!r}",
            "",
            (f"{name}.update({{{name}.{f.name}: {value}}})"
             f".where({name}.{f.name}.is_null()).execute()")]


def render(changes: Changes, message: str, after: str) -> str:
    """The migration's source. ``after`` says which migrations it follows."""
    source = _Source(changes.create_tables)
    up: list[str] = []
    down: list[str] = []
    tables = [_model(m, source) for m in changes.create_tables]
    auto = {(f.model._meta.table_name, (f.column_name,), bool(f.unique))
            for f in changes.add_columns if f.index or f.unique}
    up_ops, down_ops = [], []
    for index in changes.drop_indexes:
        up_ops.append(_drop_index(index))
    for f in changes.add_columns:
        table = f.model._meta.table_name
        up_ops.append(f"migrator.add_column({table!r}, {f.column_name!r}, "
                      f"{source.field(f, unbound=True)})")
    for index in changes.add_indexes:
        if (index.table, tuple(index.columns), bool(index.unique)) not in auto:
            up_ops.append(_add_index(index))
        down_ops.append(_drop_index(IndexDiff(index.table, None, index.columns, index.unique)))
    for f in changes.add_columns:
        down_ops.append(f"migrator.drop_column({f.model._meta.table_name!r}, "
                        f"{f.column_name!r})")
    for index in changes.drop_indexes:
        down_ops.append(_add_index(index))
    fills: list[str] = []
    for n, change in enumerate(changes.null_changes, 1):
        if change.add:
            fills += _fill(change, source, n) + [""]
            up_ops.append(f"migrator.add_not_null({change.table!r}, {change.column!r})")
            down_ops.append(f"migrator.drop_not_null({change.table!r}, {change.column!r})")
        else:
            up_ops.append(f"migrator.drop_not_null({change.table!r}, {change.column!r})")
            down_ops.append(f"migrator.add_not_null({change.table!r}, {change.column!r})")
    stubs = [_stub(m, source.names[m], fields, source) for m, fields in
             sorted(source.stubs.items(), key=lambda item: source.names[item[0]])]
    for block in stubs + tables:
        up += block + [""]
    if changes.create_tables:
        names = ", ".join(source.names[m] for m in changes.create_tables)
        up.append(f"db.create_tables([{names}])")
    up += fills + _migrate(up_ops)
    if changes.create_tables:
        down_ops += [f"migrator.drop_table({m._meta.table_name!r})"
                     for m in reversed(changes.create_tables)]
    down += _migrate(down_ops)
    title = message.strip()
    title = title[:1].upper() + title[1:]
    if not title.endswith("."):
        title += "."
    header = [f'"""{title}', "",
              "Written by `accord plugin migration` from the models' difference with",
              f"{after}:", *[f"- {line}" for line in changes.lines()], "",
              "Frozen copies of the tables, with stand-ins for the tables they reference;",
              'never import the live models here.', '"""', "from peewee import *"]
    header += _imports(source.imports)
    return "\n".join(header + ["", "", _function("up", up), "", _function("down", down)])


def _imports(lines: set[str]) -> list[str]:
    """``from m import a`` lines, one per module, after a blank line."""
    names: dict[str, list[str]] = {}
    for line in lines:
        _, module, _, name = line.split(" ")
        names.setdefault(module, []).append(name)
    out = [f"from {m} import {', '.join(sorted(set(n)))}" for m, n in sorted(names.items())]
    return [""] + out if out else []


def _function(name: str, lines: list[str]) -> str:
    while lines and not lines[-1]:
        lines.pop()
    body = [f"    {line}" if line else "" for line in lines] or ["    pass"]
    return f"def {name}(migrator, db):\n" + "\n".join(body) + "\n"
