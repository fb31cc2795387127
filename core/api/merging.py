"""Duplicates and merges under /api/v1.

``GET /duplicates?type=contact|organization[&min_score=N][&limit=N]`` lists likely
duplicates, best first; ``POST /merges`` {type, winner, loser, values,
winner_version, loser_version} merges the loser into the winner. Both call one
service (``accord.services.duplicates``, ``accord.services.merging``), which checks
the permissions and every rule.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import marshmallow as ma
from flask import Blueprint, jsonify, request
from marshmallow import fields, validate

from ..errors import ValidationError, flatten_messages
from ..services.paging import MAX_ID
from .auth import current_actor
from .bodies import json_object
from .problems import ApiError

if TYPE_CHECKING:
    from ..kernel import Accord

__all__ = ["register", "MergeBody"]


class MergeBody(ma.Schema):
    """What ``POST /api/v1/merges`` takes."""

    type = fields.String(required=True, metadata={
        "description": "contact or organization"})
    winner = fields.Integer(required=True, strict=True, validate=validate.Range(1, MAX_ID),
                            metadata={"description": "The id of the record that stays"})
    loser = fields.Integer(required=True, strict=True, validate=validate.Range(1, MAX_ID),
                           metadata={"description": "The id of the record merged into it; "
                                                    "it then redirects to the winner"})
    values = fields.Dict(keys=fields.String(), load_default=dict, metadata={
        "description": "Field -> \"winner\", \"loser\" or the value to keep. A field not "
                       "named keeps the winner's value, or the loser's where the "
                       "winner's is empty."})
    winner_version = fields.Integer(strict=True, allow_none=True, load_default=None)
    loser_version = fields.Integer(strict=True, allow_none=True, load_default=None)


def register(bp: Blueprint, kernel: Accord) -> None:
    """Add ``/duplicates`` and ``/merges`` to the API blueprint."""
    from ..services.duplicates import DEFAULT_MIN_SCORE, find_duplicates
    from ..services.merging import merge

    @bp.get("/duplicates", endpoint="duplicates")
    def duplicates() -> Any:
        type_name = request.args.get("type", "contact")
        raw = request.args.get("min_score", str(DEFAULT_MIN_SCORE))
        if not (raw.isascii() and raw.isdigit()):
            raise ApiError(400, "min_score must be a whole number from 0 to 100",
                           errors={"min_score": [f"{raw!r} is not a whole number"]})
        try:
            found = find_duplicates(kernel, type_name, actor=current_actor(),
                                    min_score=int(raw), limit=request.args.get("limit"))
        except ValidationError as exc:
            raise ApiError(400, exc.message, errors=exc.flat()) from None
        return jsonify({"items": [p.as_dict() for p in found.items],
                        "truncated": found.truncated})

    @bp.post("/merges", endpoint="merges")
    def merges() -> Any:
        try:
            body = MergeBody().load(json_object())
        except ma.ValidationError as exc:
            raise ValidationError(flatten_messages(exc.messages)) from None
        result = merge(kernel, body["type"], body["winner"], body["loser"],
                       actor=current_actor(), values=body["values"],
                       winner_version=body["winner_version"],
                       loser_version=body["loser_version"])
        return jsonify(result.as_dict()), 200


def merge_endpoints() -> tuple[Any, ...]:
    """The rows of the OpenAPI document for these routes (``openapi_admin``)."""
    from ..services.merging import MERGE
    from .openapi_admin import STRING, AdminEndpoint, object_schema

    a = AdminEndpoint
    side = object_schema({"id": {"type": "integer"}, "title": STRING},
                         required=["id", "title"])
    counts = {"type": "object", "additionalProperties": {
        "type": "object", "additionalProperties": {"type": "integer"}},
        "description": "Rows moved onto the winner, by plugin then kind"}
    return (
        a("get", "/duplicates", "List likely duplicate contacts or organizations",
          "list_duplicates", tag="admin", errors=(400, 403),
          parameters=({"name": "type", "in": "query", "description": "contact (default) "
                       "or organization", "schema": {"type": "string",
                                                     "enum": ["contact", "organization"]}},
                      {"name": "min_score", "in": "query", "description": "The lowest "
                       "score listed, 0-100 (50 by default)", "schema": {"type": "integer"}},
                      "Limit"),
          response=object_schema({
              "items": {"type": "array", "items": object_schema({
                  "type": STRING, "score": {"type": "integer"},
                  "reasons": {"type": "array", "items": STRING},
                  "first": side, "second": side},
                  required=["type", "score", "reasons", "first", "second"])},
              "truncated": {"type": "boolean", "description": "More pairs passed the "
                                                              "minimum than the limit"}},
              required=["items", "truncated"]),
          description="Pairs of records the reader may read, best first, with the "
                      "reasons (same email, same phone, similar names); fields masked "
                      "for the reader are not compared. Needs the type's read "
                      "permission."),
        a("post", "/merges", "Merge two contacts or two organizations", "merge_records",
          MERGE, tag="admin", body=MergeBody, errors=(403, 404, 409, 412, 415, 422),
          response=object_schema({"type": STRING, "winner": {"type": "integer"},
                                  "loser": {"type": "integer"},
                                  "version": {"type": "integer"}, "moved": counts},
                                 required=["type", "winner", "loser", "version", "moved"]),
          description="In one transaction: the chosen values are written to the winner, "
                      "every related record of every plugin moves onto it, and the loser "
                      "is deleted; its old URL then redirects to the winner. Needs "
                      f"`{MERGE}` and write permission on the type."),
    )
