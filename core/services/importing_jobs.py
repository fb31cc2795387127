"""Import jobs and saved column mappings.

An upload over the API or the wizard becomes an ``accord_import`` row (``queue_import``:
the file is read and mapped at once, so a bad file is refused before it is queued),
which ``run_import_job`` imports on the worker (the huey task ``accord.import``) and
records its progress and outcome in. A user sees their own imports; an admin sees all.
"""

from __future__ import annotations

import io
import logging
import threading
from typing import TYPE_CHECKING, Any, Callable

import peewee

from ..database import is_postgres
from ..errors import NotFound, ValidationError
from ..models import User, utcnow
from ..models.imports import ImportJob, ImportMapping
from .authz import actor_for, permission_for, require
from .importing import IMPORT_PERMISSION, ImportResult, format_error, run_import
from .importing_map import plan_columns
from .importing_read import FileRefused, open_file

if TYPE_CHECKING:
    from ..kernel import Accord
    from .actors import Actor

__all__ = ["save_mapping", "get_mapping", "list_mappings", "queue_import", "run_import_job",
           "get_job", "list_jobs", "job_dict", "TASK_NAME", "register_import_task",
           "enqueue_import", "OPTIONS", "draft_import", "set_draft_options", "check_draft",
           "commit_draft", "job_options"]

logger = logging.getLogger(__name__)
#: The huey task that runs an import job.
TASK_NAME = "accord.import"
#: The options an import job takes (``headers``: the file's, in order, for the wizard).
OPTIONS = ("dry_run", "partial", "match", "sheet", "mapping", "headers")
#: Rows between two progress writes of a running job.
_PROGRESS_EVERY = 5000


# Saved mappings ------------------------------------------------------------

def save_mapping(kernel: Accord, name: str, record_type: str, columns: dict[str, str], *,
                 actor: Actor) -> dict[str, Any]:
    """Save (or replace) a column mapping under ``name`` for reuse."""
    require(actor, IMPORT_PERMISSION)
    kernel.records.get(record_type)
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ValidationError({"name": ["give a mapping name of 1 to 100 characters"]})
    if not isinstance(columns, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in columns.items()):
        raise ValidationError({"mapping": ["give the mapping as {column: field}"]})
    now = utcnow()
    with kernel.transaction():
        row = ImportMapping.get_or_none(ImportMapping.name == name)
        if row is None:
            ImportMapping.insert(name=name, record_type=record_type, columns=columns,
                                 created_by=actor.user_id, created_at=now,
                                 updated_at=now).execute()
        else:
            ImportMapping.update(record_type=record_type, columns=columns,
                                 updated_at=now).where(ImportMapping.id == row.id).execute()
    return {"name": name, "record_type": record_type, "columns": columns}


def get_mapping(kernel: Accord, name: str, *, actor: Actor,
                record_type: str | None = None) -> dict[str, str]:
    """The columns of a saved mapping; NotFound names it (and the type it is for)."""
    require(actor, IMPORT_PERMISSION)
    with kernel.bound():
        row = ImportMapping.get_or_none(ImportMapping.name == name)
    if row is None:
        raise NotFound(f"there is no saved mapping {name!r}")
    if record_type is not None and row.record_type != record_type:
        raise ValidationError({"mapping": [f"the mapping {name!r} is for "
                                           f"{row.record_type}, not {record_type}"]})
    return dict(row.columns)


def list_mappings(kernel: Accord, *, actor: Actor,
                  record_type: str | None = None) -> list[dict[str, Any]]:
    require(actor, IMPORT_PERMISSION)
    with kernel.bound():
        query = ImportMapping.select().order_by(ImportMapping.name)
        if record_type is not None:
            query = query.where(ImportMapping.record_type == record_type)
        return [{"name": m.name, "record_type": m.record_type, "columns": dict(m.columns)}
                for m in query]


# Jobs ----------------------------------------------------------------------

def queue_import(kernel: Accord, record_type: str, content: bytes, file_name: str, *,
                 actor: Actor, options: dict[str, Any] | None = None) -> ImportJob:
    """Check the file (readable, a header that maps, rows) and record the job, queued.
    ValidationError (nothing recorded) names what is wrong with the file or options."""
    options = dict(options or {})
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise ValidationError({name: ["unknown option"] for name in unknown})
    rtype = kernel.records.get(record_type)
    require(actor, IMPORT_PERMISSION)
    require(actor, permission_for(rtype, "write"))
    mapping = options.get("mapping") or {}
    if not isinstance(mapping, dict):
        raise ValidationError({"mapping": ["give the mapping as {column: field}"]})
    if options.get("sheet") is not None and not isinstance(options["sheet"], str):
        raise ValidationError({"sheet": ["give the sheet's name"]})
    if options.get("match") is not None and not isinstance(options["match"], str):
        raise ValidationError({"match": ["give a field name"]})
    for flag in ("dry_run", "partial"):
        if not isinstance(options.get(flag, False), bool):
            raise ValidationError({flag: ["give true or false"]})
    opened = open_file(content, name=file_name, sheet=options.get("sheet"))
    plan_columns(kernel, rtype, opened.headers, mapping)
    if opened.total == 0:
        raise FileRefused(f"{opened.name} has a header but no rows")
    if options.get("match"):
        from .importing import _matcher

        _matcher(kernel, rtype, options["match"])
    now = utcnow()
    with kernel.transaction():
        job_id = ImportJob.insert(
            record_type=rtype.name, file_name=file_name[:255], status="queued",
            options={k: v for k, v in options.items() if v not in (None, "", {})},
            total=opened.total, processed=0, created=0, updated=0, rejected=0, errors=[],
            content=content, actor=actor.user_id, created_at=now, updated_at=now).execute()
    return _job(kernel, int(job_id))


def draft_import(kernel: Accord, record_type: str, content: bytes, file_name: str, *,
                 actor: Actor) -> ImportJob:
    """Keep an upload of the wizard, to be mapped and checked before it is queued.
    The file must be readable, with a header and rows."""
    rtype = kernel.records.get(record_type)
    require(actor, IMPORT_PERMISSION)
    require(actor, permission_for(rtype, "write"))
    opened = open_file(content, name=file_name)
    if opened.total == 0:
        raise FileRefused(f"{opened.name} has a header but no rows")
    from .importing_map import guess_columns

    now = utcnow()
    with kernel.transaction():
        job_id = ImportJob.insert(
            record_type=rtype.name, file_name=file_name[:255], status="draft",
            options={"mapping": guess_columns(kernel, rtype, opened.headers),
                     "headers": opened.headers},
            total=opened.total, processed=0, created=0, updated=0, rejected=0, errors=[],
            content=content, actor=actor.user_id, created_at=now, updated_at=now).execute()
    return _job(kernel, int(job_id))


def _draft(kernel: Accord, job_id: int, actor: Actor) -> ImportJob:
    job = get_job(kernel, job_id, actor=actor)
    if job.status != "draft":
        raise ValidationError({"_schema": [f"import {job_id} is {job.status}; it cannot "
                                           "be changed any more"]})
    return job


def job_options(job: ImportJob) -> dict[str, Any]:
    return dict(job.options or {})


def set_draft_options(kernel: Accord, job_id: int, options: dict[str, Any], *,
                      actor: Actor) -> ImportJob:
    """Replace a draft's mapping and options (checked when it is checked or queued)."""
    _draft(kernel, job_id, actor)
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise ValidationError({name: ["unknown option"] for name in unknown})
    with kernel.transaction():
        ImportJob.update(options={k: v for k, v in options.items() if v not in (None, "")},
                         updated_at=utcnow()).where(ImportJob.id == job_id).execute()
    return _job(kernel, job_id)


def check_draft(kernel: Accord, job_id: int, *, actor: Actor) -> ImportResult:
    """The dry run of a draft with its mapping and options: every row checked, nothing
    written. FileRefused names a mapping or option that cannot work."""
    job = _draft(kernel, job_id, actor)
    options = job_options(job)
    return run_import(kernel, job.record_type, bytes(job.content or b""), actor=actor,
                      file_name=job.file_name, mapping=options.get("mapping") or None,
                      match=options.get("match"), partial=bool(options.get("partial")),
                      dry_run=True, sheet=options.get("sheet"))


def commit_draft(kernel: Accord, job_id: int, *, actor: Actor) -> ImportJob:
    """Queue a draft for the worker (its mapping checked once more)."""
    job = _draft(kernel, job_id, actor)
    options = job_options(job)
    rtype = kernel.records.get(job.record_type)
    opened = open_file(bytes(job.content or b""), name=job.file_name,
                       sheet=options.get("sheet"))
    plan_columns(kernel, rtype, opened.headers, options.get("mapping") or None)
    with kernel.transaction():
        ImportJob.update(status="queued", updated_at=utcnow()).where(
            ImportJob.id == job_id, ImportJob.status == "draft").execute()
    return _job(kernel, job_id)


def _job(kernel: Accord, job_id: int) -> ImportJob:
    with kernel.bound():
        job = ImportJob.get_or_none(ImportJob.id == job_id)
    if job is None:
        raise NotFound(f"import {job_id} does not exist")
    return job


def get_job(kernel: Accord, job_id: int, *, actor: Actor) -> ImportJob:
    """An import job; another user's is not found unless the actor is an admin."""
    require(actor, IMPORT_PERMISSION)
    job = _job(kernel, job_id)
    if not _sees_all(actor) and job.actor_id != actor.user_id:
        raise NotFound(f"import {job_id} does not exist")
    return job


def list_jobs(kernel: Accord, *, actor: Actor, limit: int = 50) -> list[ImportJob]:
    """The latest imports the actor may see, newest first."""
    require(actor, IMPORT_PERMISSION)
    fields = [f for f in ImportJob._meta.sorted_fields
              if f.name not in ("content", "rejects", "errors")]
    with kernel.bound():
        query = ImportJob.select(*fields).order_by(ImportJob.id.desc()).limit(limit)
        if not _sees_all(actor):
            query = query.where(ImportJob.actor == actor.user_id)
        return list(query)


def _sees_all(actor: Actor) -> bool:
    from ..models import ADMIN_ROLE

    return not actor.restricted or actor.role == ADMIN_ROLE


def job_dict(job: ImportJob, *, errors: bool = True) -> dict[str, Any]:
    """An import job as the API shows it."""
    out: dict[str, Any] = {
        "id": job.id, "record_type": job.record_type, "file_name": job.file_name,
        "status": job.status, "options": dict(job.options or {}), "total": job.total,
        "processed": job.processed, "created": job.created, "updated": job.updated,
        "rejected": job.rejected, "message": job.message, "actor_id": job.actor_id,
        "created_at": job.created_at.isoformat(),
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
    }
    if errors:
        out["errors"] = list(job.errors or [])
        out["has_rejects"] = job.rejects is not None
    return out


def run_import_job(kernel: Accord, job_id: int) -> str:
    """Run a queued import as the user who uploaded it; returns the final status
    (done, refused or failed), recorded on the job with the counts and errors."""
    job = _job(kernel, job_id)
    if job.status != "queued":
        return str(job.status)
    with kernel.bound():
        user = User.get_or_none(User.id == job.actor_id) if job.actor_id else None
    from .actors import Actor as _Actor

    actor = actor_for(kernel, user) if user is not None else _Actor.system("import")
    _set(kernel, job_id, status="running")
    options = dict(job.options or {})
    rejects = io.StringIO() if options.get("partial") else None
    report = _progress(kernel, job_id)
    try:
        result = run_import(kernel, job.record_type, bytes(job.content or b""),
                            actor=actor, file_name=job.file_name,
                            mapping=options.get("mapping") or None,
                            match=options.get("match"), partial=bool(options.get("partial")),
                            dry_run=bool(options.get("dry_run")), sheet=options.get("sheet"),
                            rejects=rejects, progress=report)
    except (FileRefused, ValidationError, NotFound) as exc:
        _set(kernel, job_id, status="refused", message=str(exc), content=None,
             finished_at=utcnow())
        return "refused"
    except Exception as exc:  # recorded on the job; the worker keeps running
        logger.exception("import %s failed", job_id)
        _set(kernel, job_id, status="failed", message=f"unexpected error: {exc}",
             content=None, finished_at=utcnow())
        return "failed"
    status = "refused" if result.refused else "done"
    _set(kernel, job_id, **_outcome(result), status=status, content=None,
         rejects=(rejects.getvalue().encode() if rejects is not None and result.rejected
                  else None),
         message=_summary(result), finished_at=utcnow())
    return status


def _outcome(result: ImportResult) -> dict[str, Any]:
    return {"total": result.total, "processed": result.processed, "created": result.created,
            "updated": result.updated, "rejected": result.rejected,
            "errors": [e.as_dict() for e in result.errors]}


def _summary(result: ImportResult) -> str:
    if result.refused:
        first = format_error(result.errors[0]) if result.errors else ""
        return (f"nothing imported: {result.rejected} of {result.total} rows are bad "
                f"(first: {first})")
    verb = "would create" if result.dry_run else "created"
    return (f"{verb} {result.created}, {'would update' if result.dry_run else 'updated'} "
            f"{result.updated}, rejected {result.rejected}")


def _set(kernel: Accord, job_id: int, **values: Any) -> None:
    values["updated_at"] = utcnow()
    with kernel.transaction():
        ImportJob.update(**values).where(ImportJob.id == job_id).execute()


def _progress(kernel: Accord, job_id: int) -> Callable[[int, int], None]:
    """Record the progress every few thousand rows where others can read it: at once
    between transactions, and from a connection of its own while an all-or-nothing
    import holds its transaction open (PostgreSQL; SQLite has one writer at a time,
    so there the count moves when the import ends)."""
    last = [0]

    def report(processed: int, total: int) -> None:
        if processed - last[0] < _PROGRESS_EVERY and processed < total:
            return
        last[0] = processed
        if not kernel.in_transaction():
            _set(kernel, job_id, processed=processed)
        elif is_postgres(kernel.database):
            thread = threading.Thread(target=_set_apart, args=(kernel, job_id, processed))
            thread.start()
            thread.join()

    return report


def _set_apart(kernel: Accord, job_id: int, processed: int) -> None:
    try:
        with kernel.bound():
            assert kernel.database is not None
            with kernel.database.connection_context():
                ImportJob.update(processed=processed, updated_at=utcnow()).where(
                    ImportJob.id == job_id).execute()
    except peewee.PeeweeException:  # progress is a courtesy; the import goes on
        logger.warning("import %s: progress not recorded", job_id, exc_info=True)


# The queue -----------------------------------------------------------------

def register_import_task(kernel: Accord, huey: Any) -> Any:
    """Add the import task to a huey instance (the worker's, or the API's to enqueue);
    the task it already has, if it has one."""
    known = getattr(huey, "_accord_import_task", None)
    if known is not None:
        return known

    def run(job_id: int) -> str:
        kernel.sync()
        return run_import_job(kernel, job_id)

    run.__doc__ = "Run an import job (accord.services.importing_jobs)."
    task = huey.task(name=TASK_NAME)(run)
    huey._accord_import_task = task
    return task


def enqueue_import(kernel: Accord, job_id: int) -> None:
    """Hand a queued job to ``accord worker``."""
    from ..jobs import _queue

    task = register_import_task(kernel, _queue(kernel.config))
    task(job_id)
