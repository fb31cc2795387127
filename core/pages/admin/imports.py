"""``/admin/import``: the import wizard, through ``accord.services.importing_jobs``.

Upload a file and pick the record type (a draft import keeps the file) -> map each
column to a field (the guess by header preselected; a saved mapping may be applied,
and the one chosen saved) with the options (match, partial) -> the dry run's report
(each bad row: line, column, message) -> import: the job is queued for
``accord worker`` and its page shows the progress and the result.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, g, render_template, request

from ...errors import AccordError, NotFound, PermissionDenied, ValidationError
from ...services import importing_jobs as jobs
from ...services.importing import IMPORT_PERMISSION, format_error
from ...services.importing_map import importable_fields
from ...services.authz import require
from .common import done, messages_of

if TYPE_CHECKING:
    from ...kernel import Accord

__all__ = ["register"]

_URL = "/admin/import"
_REFUSALS = (NotFound, PermissionDenied)


def register(bp: Blueprint, kernel: Accord) -> None:
    @bp.get(_URL)
    def admin_import() -> Any:
        return _start(kernel)

    @bp.post(_URL)
    def admin_import_upload() -> Any:
        type_name = request.form.get("record_type", "").strip()
        upload = request.files.get("file")
        form = {"record_type": type_name}
        if upload is None or not upload.filename:
            return _start(kernel, form=form, errors={"file": ["choose a CSV or XLSX file"]},
                          status=422)
        try:
            job = jobs.draft_import(kernel, type_name, upload.read(), upload.filename,
                                    actor=g.actor)
        except PermissionDenied:
            raise
        except AccordError as exc:
            errors = messages_of(exc, "file")
            if isinstance(exc, NotFound):
                errors = {"record_type": [exc.message]}
            return _start(kernel, form=form, errors=errors, status=exc.status)
        return done(f"{job.file_name}: {job.total} rows read. Map its columns, then check it.",
                    f"{_URL}/{job.id}")

    @bp.get(f"{_URL}/<int:job_id>")
    def admin_import_job(job_id: int) -> Any:
        job = jobs.get_job(kernel, job_id, actor=g.actor)
        options = jobs.job_options(job)
        saved = request.args.get("mapping")
        problem = None
        if saved and job.status == "draft":
            try:
                chosen = jobs.get_mapping(kernel, saved, actor=g.actor,
                                          record_type=job.record_type)
                mapping = dict(options.get("mapping") or {})
                mapping.update({k: v for k, v in chosen.items() if k in mapping})
                options["mapping"] = mapping
            except AccordError as exc:
                if isinstance(exc, PermissionDenied):
                    raise
                problem = {"saved": [exc.message]}
        return _job_page(kernel, job, options=options, errors=problem or {})

    @bp.get(f"{_URL}/<int:job_id>/rejects.csv")
    def admin_import_rejects(job_id: int) -> Any:
        job = jobs.get_job(kernel, job_id, actor=g.actor)
        if job.rejects is None:
            raise NotFound(f"import {job_id} has no rejected rows")
        return Response(bytes(job.rejects), mimetype="text/csv", headers={
            "Content-Disposition": f'attachment; filename="import-{job_id}-rejects.csv"'})

    @bp.post(f"{_URL}/<int:job_id>")
    def admin_import_check(job_id: int) -> Any:
        job = jobs.get_job(kernel, job_id, actor=g.actor)
        options = _options_from_form(job)
        commit = request.form.get("action") == "import"
        try:
            jobs.set_draft_options(kernel, job_id, options, actor=g.actor)
            if request.form.get("save_as", "").strip():
                jobs.save_mapping(kernel, request.form["save_as"], job.record_type,
                                  options["mapping"], actor=g.actor)
            if commit:
                queued = jobs.commit_draft(kernel, job_id, actor=g.actor)
                try:
                    jobs.enqueue_import(kernel, queued.id)
                except Exception:  # it stays queued; the worker's log says more
                    pass
                return done(f"Import {job_id} is queued; this page shows its progress.",
                            f"{_URL}/{job_id}")
            result = jobs.check_draft(kernel, job_id, actor=g.actor)
        except _REFUSALS:
            raise
        except AccordError as exc:
            return _job_page(kernel, jobs.get_job(kernel, job_id, actor=g.actor),
                             options=options, errors=messages_of(exc, "mapping"),
                             status=exc.status)
        return _job_page(kernel, jobs.get_job(kernel, job_id, actor=g.actor),
                         options=options, report=result)


def _options_from_form(job: Any) -> dict[str, Any]:
    headers = _headers(jobs.job_options(job))
    mapping = {h: request.form.get(f"map-{i}", "") for i, h in enumerate(headers)}
    return {"mapping": mapping, "headers": headers, "match": request.form.get("match") or None,
            "partial": request.form.get("partial") == "1"}


def _headers(options: dict[str, Any]) -> list[str]:
    """The file's headers in their order (the mapping is stored with sorted keys)."""
    return list(options.get("headers") or (options.get("mapping") or {}))


def _start(kernel: Accord, *, form: dict[str, Any] | None = None,
           errors: dict[str, list[str]] | None = None, status: int = 200) -> Response:
    require(g.actor, IMPORT_PERMISSION)
    recent = jobs.list_jobs(kernel, actor=g.actor, limit=20)
    body = render_template("admin/import.html", types=sorted(kernel.records.names()),
                           form=form or {"record_type": "contact"}, errors=errors or {},
                           recent=recent)
    return Response(body, status=status)


def _job_page(kernel: Accord, job: Any, *, options: dict[str, Any],
              errors: dict[str, list[str]] | None = None, report: Any = None,
              status: int = 200) -> Response:
    fields: list[tuple[str, str]] = []
    saved: list[dict[str, Any]] = []
    if job.status == "draft":
        try:
            record_type = kernel.records.get(job.record_type)
        except NotFound as exc:
            raise ValidationError({"record_type": [exc.message]}) from None
        for name in sorted(importable_fields(kernel, record_type)):
            definition = kernel.fields.of(record_type.name).get(name)
            label = definition.label if definition is not None and definition.label else ""
            fields.append((name, f"{name} ({label})" if label else name))
        saved = jobs.list_mappings(kernel, actor=g.actor, record_type=job.record_type)
    body = render_template(
        "admin/import_job.html", job=job, options=options, fields=fields, saved=saved,
        columns=[(h, (options.get("mapping") or {}).get(h, "")) for h in _headers(options)],
        errors=errors or {}, report=report, format_error=format_error,
        shown_errors=(report.errors if report is not None else job.errors or [])[:500])
    return Response(body, status=status)
