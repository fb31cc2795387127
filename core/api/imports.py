"""Imports under /api/v1/imports: an upload runs as a job with progress.

``POST /imports`` takes the file as multipart form data (``file``, ``type`` and the
options as fields: ``dry_run``, ``partial``, ``match``, ``sheet``, ``mapping`` as a JSON
object or ``mapping_name``) or as JSON (``content`` holding the file's text, or
``content_base64`` its bytes, with ``file_name``); the file is checked at once (a
header that maps, rows) and the job queued for ``accord worker``: 202 with the job.
``GET /imports/<id>`` shows its status, progress and row errors; a user sees their
own imports, an admin everyone's.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, jsonify, request

from ..errors import ValidationError
from ..services.importing import IMPORT_PERMISSION
from .auth import current_actor
from .bodies import json_object
from .problems import ApiError

if TYPE_CHECKING:
    from ..kernel import Accord

__all__ = ["register", "import_endpoints"]

logger = logging.getLogger(__name__)
_FLAGS = ("dry_run", "partial")
_TRUE, _FALSE = {"true", "1", "yes", "on"}, {"false", "0", "no", "off", ""}


def register(bp: Blueprint, kernel: Accord) -> None:
    """Add the import routes to the API blueprint."""
    from ..services import importing_jobs as jobs

    @bp.post("/imports", endpoint="imports_create")
    def create_import() -> Any:
        actor = current_actor()
        type_name, file_name, content, options = _upload()
        if options.get("mapping_name"):
            saved = jobs.get_mapping(kernel, options.pop("mapping_name"), actor=actor,
                                     record_type=type_name)
            options["mapping"] = {**saved, **(options.get("mapping") or {})}
        options.pop("mapping_name", None)
        job = jobs.queue_import(kernel, type_name, content, file_name, actor=actor,
                                options=options)
        try:
            jobs.enqueue_import(kernel, job.id)
        except Exception:  # the job stays queued; the log says why
            logger.exception("import %s: could not be handed to the worker", job.id)
        response = jsonify(jobs.job_dict(job))
        response.status_code = 202
        response.headers["Location"] = f"{request.script_root}/api/v1/imports/{job.id}"
        return response

    @bp.get("/imports", endpoint="imports_list")
    def list_imports() -> Any:
        found = jobs.list_jobs(kernel, actor=current_actor())
        return jsonify({"items": [jobs.job_dict(j, errors=False) for j in found]})

    @bp.get("/imports/<int:import_id>", endpoint="imports_get")
    def get_import(import_id: int) -> Any:
        return jsonify(jobs.job_dict(jobs.get_job(kernel, import_id, actor=current_actor())))

    @bp.get("/imports/<int:import_id>/rejects", endpoint="imports_rejects")
    def get_rejects(import_id: int) -> Any:
        job = jobs.get_job(kernel, import_id, actor=current_actor())
        if job.rejects is None:
            raise ApiError(404, f"import {import_id} has no rejected rows")
        return Response(bytes(job.rejects), mimetype="text/csv", headers={
            "Content-Disposition": f'attachment; filename="import-{import_id}-rejects.csv"'})


def _upload() -> tuple[str, str, bytes, dict[str, Any]]:
    """The record type, file name, file bytes and options of the request."""
    if request.mimetype == "multipart/form-data":
        form = request.form
        upload = request.files.get("file")
        if upload is None:
            raise ValidationError({"file": ["send the file in the form field 'file'"]})
        content = upload.read()
        file_name = upload.filename or "upload.csv"
        fields: dict[str, Any] = {k: v for k, v in form.items() if k not in ("type",)}
        type_name = form.get("type", "")
        options = _form_options(fields)
    else:
        body = json_object()
        type_name = body.pop("type", "")
        file_name = body.pop("file_name", None) or "upload.csv"
        content = _json_content(body)
        options = body
    if not isinstance(type_name, str) or not type_name:
        raise ValidationError({"type": ["give the record type to import into"]})
    if not isinstance(file_name, str):
        raise ValidationError({"file_name": ["give the file's name"]})
    return type_name, file_name, content, options


def _json_content(body: dict[str, Any]) -> bytes:
    text, encoded = body.pop("content", None), body.pop("content_base64", None)
    if (text is None) == (encoded is None):
        raise ValidationError({"content": ["give the file as content (text) or "
                                           "content_base64 (bytes), one of them"]})
    if text is not None:
        if not isinstance(text, str):
            raise ValidationError({"content": ["give the file's text as a string"]})
        return text.encode("utf-8")
    if not isinstance(encoded, str):
        raise ValidationError({"content_base64": ["give the file's bytes in base64"]})
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError({"content_base64": ["not valid base64"]}) from None


def _form_options(fields: dict[str, Any]) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for key, value in fields.items():
        if key in _FLAGS:
            text = str(value).strip().casefold()
            if text not in _TRUE | _FALSE:
                raise ValidationError({key: ["give true or false"]})
            options[key] = text in _TRUE
        elif key == "mapping":
            try:
                options[key] = json.loads(value) if value.strip() else {}
            except ValueError:
                raise ValidationError({"mapping": ['give a JSON object such as '
                                                   '{"Company": "organization_id"}']}) from None
        else:
            options[key] = value or None
    return options


def import_endpoints() -> tuple[Any, ...]:
    """The rows of the OpenAPI document for these routes (``openapi_admin``)."""
    from .openapi_admin import NULLABLE_STRING, STRING, AdminEndpoint, object_schema

    a = AdminEndpoint
    integer = {"type": "integer"}
    error = object_schema({"line": integer, "column": STRING, "message": STRING},
                          required=["line", "column", "message"])
    job_fields = {
        "id": integer, "record_type": STRING, "file_name": STRING,
        "status": {"type": "string", "enum": ["queued", "running", "done", "refused",
                                              "failed"]},
        "options": {"type": "object"},
        "total": {"type": ["integer", "null"], "description": "Rows in the file"},
        "processed": {**integer, "description": "Rows read so far"},
        "created": integer, "updated": integer, "rejected": integer,
        "message": {**NULLABLE_STRING, "description": "The outcome in words, or why the "
                                                      "file was refused"},
        "actor_id": {"type": ["integer", "null"]},
        "created_at": {"type": "string", "format": "date-time"},
        "finished_at": {"type": ["string", "null"], "format": "date-time"}}
    job = object_schema({**job_fields, "errors": {"type": "array", "items": error},
                         "has_rejects": {"type": "boolean"}},
                        required=["id", "record_type", "status", "total", "processed",
                                  "errors"])
    body = object_schema({
        "type": {**STRING, "description": "The record type (contact, a plugin's type…)"},
        "file_name": {**STRING, "description": "Ends in .csv or .xlsx"},
        "content": {**STRING, "description": "The file's text (CSV)"},
        "content_base64": {**STRING, "description": "The file's bytes (XLSX), base64"},
        "dry_run": {"type": "boolean"}, "partial": {"type": "boolean"},
        "match": {**STRING, "description": "email, x_external_id or a unique field"},
        "sheet": STRING,
        "mapping": {"type": "object", "additionalProperties": STRING,
                    "description": "Column header -> field (\"\" skips the column)"},
        "mapping_name": {**STRING, "description": "A saved mapping"}},
        required=["type"])
    return (
        a("post", "/imports", "Import a CSV or XLSX file (runs as a job)", "create_import",
          IMPORT_PERMISSION, tag="imports", body=body, status=202, response=job,
          errors=(403, 404, 415, 422),
          description="Send the file as JSON (below) or as multipart/form-data with the "
                      "fields file, type and the same options. The file is read and its "
                      "columns mapped at once (422 naming what is wrong: `file`, a column, "
                      "an option); then the job is queued for `accord worker`. The type's "
                      "write permission is needed too."),
        a("get", "/imports", "List your imports, newest first", "list_imports",
          IMPORT_PERMISSION, tag="imports", errors=(403,),
          response=object_schema({"items": {"type": "array", "items": object_schema(
              job_fields)}}, required=["items"]),
          description="An admin sees everyone's."),
        a("get", "/imports/{import_id}", "An import's status, progress and row errors",
          "get_import", IMPORT_PERMISSION, tag="imports", response=job, errors=(403, 404),
          description="Another user's import is a 404 unless you are an admin."),
        a("get", "/imports/{import_id}/rejects", "The rejected rows of a partial import",
          "get_import_rejects", IMPORT_PERMISSION, tag="imports", errors=(403, 404),
          description="CSV: the file's columns and an `error` column."),
    )
