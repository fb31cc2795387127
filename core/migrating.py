"""Migrations of the core and of each plugin, on peewee's own runner.

Each owner keeps its ordered ``NNNN_<verb>_<object>.py`` files in its ``migrations``
folder and its history in a table of its own (``accord_migrations_<owner>``): the
kernel only keys peewee's ``playhouse.migrations.Runner`` by owner.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

import peewee
from playhouse.migrations import MigrationError, Runner
from playhouse.schema_diff import SchemaDiff, diff_models

from . import ids
from .errors import AccordError, NotFound

if TYPE_CHECKING:
    from .kernel import Accord

__all__ = ["Migrations", "OwnerStatus", "CORE_MIGRATIONS"]

logger = logging.getLogger(__name__)

CORE_MIGRATIONS = Path(__file__).parent / "migrations"


@dataclass(frozen=True)
class OwnerStatus:
    owner: str
    applied: tuple[str, ...]
    pending: tuple[str, ...]
    missing: tuple[str, ...]  # applied, but the file is gone


class Migrations:
    """Per-owner migration runners of one kernel."""

    def __init__(self, kernel: Accord) -> None:
        self.kernel = kernel

    def folder(self, owner: str) -> Path | None:
        if owner == "core":
            return CORE_MIGRATIONS
        return self.kernel.plugins.get(owner).migrations_folder

    def runner(self, owner: str) -> Runner | None:
        folder = self.folder(owner)
        if folder is None:
            return None
        return Runner(self.kernel.database, str(folder),
                      table_name=f"accord_migrations_{owner}")

    def owners(self) -> list[str]:
        """The core, then every loaded plugin with migrations, in dependency order."""
        names = [n for n in self.kernel.plugins.load_order if self.folder(n) is not None]
        return ["core", *names]

    def status(self, owner: str) -> OwnerStatus:
        runner = self.runner(owner)
        if runner is None:
            return OwnerStatus(owner, (), (), ())
        rows = runner.status()
        return OwnerStatus(
            owner,
            tuple(m.name for m in rows if m.applied and m.path),
            tuple(m.name for m in rows if not m.applied),
            tuple(m.name for m in rows if m.applied and not m.path))

    def upgrade(self, owner: str) -> list[str]:
        """Apply the owner's pending migrations, each in its own transaction."""
        runner = self.runner(owner)
        if runner is None:
            return []
        applied: list[str] = []
        pending = any(not m.applied for m in runner.status())
        with self._keeping_ids() if pending else contextlib.nullcontext():
            try:
                applied = runner.up()
            except (MigrationError, peewee.DatabaseError) as exc:
                raise AccordError(f"migrations of {owner} failed: {exc}") from None
        for name in applied:
            logger.info("%s: applied %s", owner, name)
        return applied

    def downgrade(self, owner: str, to: int) -> list[str]:
        """Revert the owner's applied migrations numbered above ``to`` (0: all)."""
        if to < 0:
            raise AccordError("--to takes 0 or the number of a migration")
        runner = self.runner(owner)
        if runner is None:
            raise NotFound(f"{owner} has no migrations")
        applied = [m for m in runner.status() if m.applied]
        later = [m for m in applied if m.idx > to]
        if not later:
            return []
        with self._keeping_ids():
            try:
                reverted: list[str] = runner.down(later[0].name)
            except (MigrationError, peewee.DatabaseError) as exc:
                raise AccordError(f"downgrading {owner} failed: {exc}") from None
        return reverted

    @contextlib.contextmanager
    def _keeping_ids(self) -> Iterator[None]:
        """Ids are never reused: a table the migrations drop leaves its highest id
        behind, and one they create again (or rebuild) starts above it (accord.ids)."""
        database = self.kernel.database
        before = ids.counters(database)
        try:
            yield
        finally:
            ids.keep_counters(database, before)

    def forget(self, owner: str) -> None:
        """Drop an owner's history table (after a purge reverted everything)."""
        runner = self.runner(owner)
        if runner is not None:
            with self._keeping_ids():
                runner.History.drop_table(safe=True)

    def drift(self, models: list[type[peewee.Model]]) -> SchemaDiff:
        """Differences between the models and the tables (``accord db check``).

        Expression indexes of custom fields are the kernel's own and are not drift.
        """
        diff = diff_models(self.kernel.database, models)
        ours = self.kernel.fields.index_names()
        return diff._replace(drop_indexes=[i for i in diff.drop_indexes if i.name not in ours])
