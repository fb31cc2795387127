"""``accord import TYPE FILE``: records from a CSV or XLSX file (accord.services.importing)."""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from ._context import CliState, actor, handle_errors, pass_state

@click.command("import")
@click.argument("type_name", metavar="TYPE")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check every row (hooks included); write nothing.")
@click.option("--match", "match", metavar="FIELD",
              help="Update the record whose FIELD (email, x_external_id, any unique field) "
                   "holds the row's value instead of creating one.")
@click.option("--partial", is_flag=True,
              help="Import the good rows even when others are bad (default: all or nothing).")
@click.option("--reject-file", type=click.Path(dir_okay=False, writable=True),
              help="With --partial: write the bad rows here, with an 'error' column "
                   "(default: FILE.rejects.csv).")
@click.option("--map", "maps", multiple=True, metavar="COLUMN=FIELD",
              help="Map a column to a field ('Company=organization_id'); COLUMN= skips it. "
                   "Repeatable.")
@click.option("--mapping", "mapping_name", metavar="NAME", help="Use a saved mapping.")
@click.option("--save-mapping", metavar="NAME",
              help="Save the mapping used under NAME for reuse.")
@click.option("--sheet", metavar="NAME", help="The sheet of an XLSX workbook (default: the first).")
@pass_state
def import_(state: CliState, type_name: str, file: str, dry_run: bool, match: str | None,
            partial: bool, reject_file: str | None, maps: tuple[str, ...],
            mapping_name: str | None, save_mapping: str | None, sheet: str | None) -> None:
    """Import TYPE records (contact, organization, a plugin's type...) from FILE.

    Columns map to fields by header (the field's name or label, case and spaces
    ignored); references are given by id or natural key (an organization's name, a
    user's or contact's email, a product's SKU or name). Nothing is written when any
    row is bad, unless --partial. Exits 1 when the file is refused.
    """
    from ..services.importing import (MAX_ERRORS, FileRefused, format_error, open_file,
                                      parse_map, plan_columns, run_import)
    from ..services.importing_jobs import get_mapping
    from ..services.importing_jobs import save_mapping as store_mapping

    if reject_file and not partial:
        raise click.UsageError("--reject-file goes with --partial")
    with handle_errors():
        kernel = state.kernel()
        who = actor()
        try:
            overrides: dict[str, str] = {}
            if mapping_name:
                overrides.update(get_mapping(kernel, mapping_name, actor=who,
                                             record_type=kernel.records.get(type_name).name))
            overrides.update(parse_map(maps))
            rejects_path = reject_file or (f"{file}.rejects.csv" if partial else None)
            bar = _Progress()
            handle = open(rejects_path, "w", newline="", encoding="utf-8") \
                if rejects_path and not dry_run else None
            try:
                result = run_import(kernel, type_name, file, actor=who, mapping=overrides,
                                    match=match, partial=partial, dry_run=dry_run,
                                    sheet=sheet, rejects=handle, progress=bar)
            finally:
                bar.close()
                if handle is not None:
                    handle.close()
            if save_mapping:
                opened = open_file(file, sheet=sheet)
                plan = plan_columns(kernel, kernel.records.get(type_name), opened.headers,
                                    overrides)
                store_mapping(kernel, save_mapping, type_name, plan.mapping, actor=who)
        except FileRefused as exc:
            where = "" if os.path.basename(file) in exc.reason else f"{file}: "
            raise click.ClickException(f"{where}{exc.reason}; nothing imported") from None
    for error in result.errors:
        click.echo(format_error(error), err=True)
    if len(result.errors) >= MAX_ERRORS:
        click.echo(f"(the first {MAX_ERRORS:,} errors are listed; {result.rejected:,} rows "
                   "are bad in all)", err=True)
    _summary(result, rejects_path if result.rejected and handle is not None else None)
    if save_mapping:
        click.echo(f"mapping saved as {save_mapping!r}")
    if result.refused:
        raise SystemExit(1)


def _summary(result: Any, rejects: str | None) -> None:
    if result.refused:
        what = "dry run: the file would be refused" if result.dry_run else "nothing imported"
        click.echo(f"{what}: {result.rejected} of {result.total} rows are bad "
                   f"(fix them, or import the good ones with --partial)")
        return
    if result.dry_run:
        click.echo(f"dry run, nothing written: would create {result.created}, update "
                   f"{result.updated}, reject {result.rejected}")
        return
    click.echo(f"created {result.created}, updated {result.updated}, rejected "
               f"{result.rejected}")
    if rejects:
        click.echo(f"bad rows written to {rejects}")


class _Progress:
    """A tqdm bar of rows on stderr, made when the total is first known."""

    def __init__(self) -> None:
        self.bar: Any = None

    def __call__(self, processed: int, total: int) -> None:
        if self.bar is None:
            from tqdm import tqdm  # type: ignore[import-untyped]

            self.bar = tqdm(total=total, unit="rows", file=sys.stderr, leave=False,
                            disable=None, desc="importing")
        self.bar.update(processed - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
