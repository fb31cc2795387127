"""Erasing a person's personal data on request: ``GET /api/v1/anonymize/<type>/<id>``
shows what would be erased, ``POST`` erases it and answers the report
(``accord.services.anonymize``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Blueprint, jsonify

from ..services.anonymize import ERASE, erase, preview
from .auth import current_actor
from .bodies import json_object
from .openapi_admin import AdminEndpoint, object_schema

if TYPE_CHECKING:
    from ..kernel import Accord

__all__ = ["register", "anonymize_endpoints"]

# Past 64 bits an id is no record of any type: the service answers 404.
_ID = "<int:record_id>"
_RECORD = object_schema({"record_type": {"type": "string"}, "id": {"type": "integer"},
                         "fields": {"type": "array", "items": {"type": "string"}}},
                        required=["record_type", "id", "fields"])


def register(bp: Blueprint, kernel: Accord) -> None:
    @bp.get(f"/anonymize/<record_type>/{_ID}")
    def erasure_preview(record_type: str, record_id: int) -> Any:
        records = preview(kernel, record_type, record_id, actor=current_actor())
        return jsonify({"record_type": record_type, "id": record_id,
                        "records": [r.as_dict() for r in records]})

    @bp.post(f"/anonymize/<record_type>/{_ID}")
    def erasure(record_type: str, record_id: int) -> Any:
        from .problems import ApiError

        body = json_object() if _has_body() else {}
        unknown = sorted(set(body) - {"confirm"})
        if unknown or body.get("confirm", True) is not True:
            raise ApiError(400, "the body takes only {\"confirm\": true}", errors={
                name: ["unknown field"] for name in unknown} or {
                "confirm": ["must be true (or left out)"]})
        report = erase(kernel, record_type, record_id, actor=current_actor())
        return jsonify(report.as_dict())


def _has_body() -> bool:
    from flask import request

    return bool(request.get_data())


def anonymize_endpoints() -> tuple[AdminEndpoint, ...]:
    """The endpoints above, as the OpenAPI document shows them."""
    path = "/anonymize/{record_type}/{record_id}"
    report = object_schema({
        "record_type": {"type": "string"}, "id": {"type": "integer"},
        "records": {"type": "array", "items": _RECORD,
                    "description": "The records whose fields were replaced (names, never "
                                   "values)"},
        "other": {"type": "object", "additionalProperties": {"type": "integer"},
                  "description": "Rows of plugin tables replaced, by table"},
        "audit_entries_scrubbed": {"type": "integer"},
        "outbox_messages_scrubbed": {"type": "integer"}},
        required=["record_type", "id", "records", "other", "audit_entries_scrubbed",
                  "outbox_messages_scrubbed"])
    return (
        AdminEndpoint("get", path, "What erasing a person's personal data would replace",
                      "preview_erasure", ERASE, errors=(403, 404), response=object_schema({
                          "record_type": {"type": "string"}, "id": {"type": "integer"},
                          "records": {"type": "array", "items": _RECORD}},
                          required=["record_type", "id", "records"])),
        AdminEndpoint("post", path, "Erase a person's personal data (on request)",
                      "erase_personal_data", ERASE, body=object_schema(
                          {"confirm": {"type": "boolean", "const": True}}),
                      body_required=False, errors=(400, 403, 404, 415, 422), response=report,
                      description="Replaces the person's names and personal fields, and "
                                  "the copies other records keep, with placeholders; "
                                  "scrubs them from the audit trail and the outbox; writes "
                                  "one audit entry (`erased`) naming the fields. Records, "
                                  "amounts and dates stay, so every metric reads the same."),
    )
