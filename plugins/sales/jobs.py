"""What the plugin's jobs share: each record in its own transaction, the failures
gathered into the run's one-line summary."""

from __future__ import annotations

from typing import Any, Callable, Iterable

from accord.errors import AccordError

__all__ = ["plural", "each_record", "job_summary", "set_status_where"]


def plural(count: int, word: str, many: str | None = None) -> str:
    return f"{count} {word if count == 1 else (many or word + 's')}"


def each_record(records: Iterable[Any], work: Callable[[Any], Any], what: str) -> list[str]:
    """Run a job's ``work`` on each record in its own transaction, going on past one
    that fails; the failures, as ``"<what> <id>: <message>"`` lines."""
    failed = []
    for record in records:
        try:
            work(record)
        except AccordError as exc:
            failed.append(f"{what} {getattr(record, 'id', record)}: {exc}")
    return failed


def job_summary(summary: str, failed: list[str]) -> str:
    """The job's one-line summary; raises (the run is recorded failed) when some record
    could not be handled, after every other record was."""
    if failed:
        raise AccordError(f"{summary}; {plural(len(failed), 'record')} could not be: "
                          + "; ".join(failed))
    return summary


def set_status_where(kernel: Any, type_name: str, ids: list[int], status: str,
                     still: Callable[[Any], bool], actor: Any, what: str,
                     verb: str) -> tuple[int, list[str]]:
    """A job's status change (a quote expires, an invoice goes overdue) on the records
    listed, each in its own transaction with its row locked and ``still(record)``
    checked again first (paid or answered since the list was read: left alone);
    ``verb`` names the job as the writer of the status field. Returns how many changed
    and the failures (see ``each_record``)."""
    from accord import services

    changed = []

    def work(record_id: int) -> None:
        with kernel.transaction():
            record = services.get(kernel, type_name, record_id, for_update=True)
            if not still(record):
                return
            services.update(kernel, type_name, record_id, {"status": status}, actor=actor,
                            verb=verb)
            changed.append(record_id)

    failed = each_record(ids, work, what)
    return len(changed), failed
