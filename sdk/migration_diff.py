"""What changed between a plugin's models and the tables its migrations build.

``playhouse.schema_diff`` finds the tables, columns and indexes to add or drop; this
module adds what it leaves out (a column's type and nullability, read from the same
models created on an empty SQLite database) and sorts the changes into those a
migration can be written for and those that need a data step nobody can guess.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import peewee
from playhouse.schema_diff import IndexDiff, diff_models

__all__ = ["Changes", "NullChange", "column_types", "compare"]


@dataclass(frozen=True)
class NullChange:
    """A column of an existing table that becomes NOT NULL (``add``) or nullable."""

    table: str
    column: str
    field: peewee.Field
    add: bool


@dataclass
class Changes:
    create_tables: list[type[peewee.Model]] = field(default_factory=list)
    add_columns: list[peewee.Field] = field(default_factory=list)
    null_changes: list[NullChange] = field(default_factory=list)
    add_indexes: list[IndexDiff] = field(default_factory=list)
    drop_indexes: list[IndexDiff] = field(default_factory=list)
    #: Changes refused: each a sentence naming the table and column.
    problems: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.create_tables or self.add_columns or self.null_changes
                    or self.add_indexes or self.drop_indexes or self.problems)

    def lines(self) -> list[str]:
        """The changes as short lines (``create table x``, ``add column t.c``…)."""
        out = [f"create table {m._meta.table_name}" for m in self.create_tables]
        out += [f"add column {f.model._meta.table_name}.{f.column_name}"
                for f in self.add_columns]
        out += [f"{'set' if c.add else 'drop'} not null {c.table}.{c.column}"
                for c in self.null_changes]
        out += [i.display("add") for i in self.add_indexes]
        out += [i.display("drop") for i in self.drop_indexes]
        return out + self.problems


def column_types(database: peewee.Database, table: str) -> dict[str, tuple[str, bool]]:
    """Each column of ``table`` as name -> (declared type, nullable)."""
    return {c.name: (_normal(c.data_type), bool(c.null))
            for c in database.get_columns(table)}


def _normal(data_type: str) -> str:
    return "".join(str(data_type).split()).upper()


def compare(database: peewee.Database, target: peewee.Database,
            models: list[type[peewee.Model]], owned: set[str]) -> Changes:
    """The changes that would make ``database``'s tables match ``models``.

    ``target`` is an empty SQLite database of the same kind, on which the models'
    tables are created to read the types they declare; ``owned`` names the tables the
    plugin's migrations created (a table of them no model has is a dropped table)."""
    tables = set(database.get_tables())
    ours = [m for m in models if m._meta.table_name in owned
            or m._meta.table_name not in tables]
    diff = diff_models(database, ours)
    changes = Changes(create_tables=list(diff.create_tables))
    modelled = {m._meta.table_name for m in ours}
    for table in sorted(owned - modelled):
        changes.problems.append(
            f"table {table} is gone from the models: dropping it would lose its data; "
            "write this migration by hand")
    existing = [m for m in ours if m._meta.table_name in tables]
    with target.bind_ctx(existing, bind_refs=False, bind_backrefs=False):
        target.create_tables(existing, safe=True)
    added: dict[str, list[peewee.Field]] = defaultdict(list)
    for f in diff.add_columns:
        added[f.model._meta.table_name].append(f)
    removed: dict[str, list[str]] = defaultdict(list)
    for table, column in diff.drop_columns:
        removed[table].append(column)
    refused: set[tuple[str, str]] = set()
    for model in existing:
        table = model._meta.table_name
        now, wanted = column_types(database, table), column_types(target, table)
        refused |= {(table, c) for c in _columns(changes, model, now, wanted,
                                                   added[table], removed[table])}
    changes.add_columns = [f for f in diff.add_columns
                           if (f.model._meta.table_name, f.column_name) not in refused]
    for index in diff.add_indexes:
        if index.columns is None:
            changes.problems.append(
                f"index {index.name} of {index.table} is partial or an expression: "
                "write this migration by hand")
        else:
            changes.add_indexes.append(index)
    for index in diff.drop_indexes:
        if index.columns is None:
            changes.problems.append(
                f"index {index.name} of {index.table} is gone from the models and is "
                "partial or an expression: write this migration by hand")
        else:
            changes.drop_indexes.append(index)
    return changes


def _columns(changes: Changes, model: type[peewee.Model], now: dict[str, tuple[str, bool]],
             wanted: dict[str, tuple[str, bool]], added: list[peewee.Field],
             removed: list[str]) -> set[str]:
    """Sort one existing table's column changes; the added columns refused."""
    table = model._meta.table_name
    fields = {f.column_name: f for f in model._meta.sorted_fields}
    paired: set[str] = set()
    for column in removed:
        twin = next((f for f in added if f.column_name not in paired
                     and wanted[f.column_name][0] == now[column][0]), None)
        if twin is not None:
            paired.add(twin.column_name)
            changes.problems.append(
                f"column {column} of {table} was removed and {twin.column_name} added: "
                "a rename? write this migration by hand (migrator.rename_column keeps "
                "the data)")
        else:
            changes.problems.append(
                f"column {column} of {table} is gone from the models: dropping it would "
                "lose its data; write this migration by hand")
    for f in added:
        if f.column_name not in paired and not f.null and f.default is None:
            changes.problems.append(
                f"column {f.column_name} of {table} is new and NOT NULL without a "
                f"default: the rows already in {table} need a value; give it a default "
                "or null=True, or write this migration by hand")
    for column, (kind, null) in now.items():
        if column not in wanted:
            continue
        want_kind, want_null = wanted[column]
        f = fields[column]
        if want_kind != kind:
            changes.problems.append(
                f"column {column} of {table} changes type from {kind} to {want_kind}: "
                "converting its rows needs a data step; write this migration by hand")
        elif null and not want_null:
            if f.default is None:
                changes.problems.append(
                    f"column {column} of {table} becomes NOT NULL without a default: "
                    "its null rows need a value; give it a default, or write this "
                    "migration by hand")
            else:
                changes.null_changes.append(NullChange(table, column, f, True))
        elif want_null and not null:
            changes.null_changes.append(NullChange(table, column, f, False))
    return paired | {f.column_name for f in added if not f.null and f.default is None}
