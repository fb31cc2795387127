"""Marshmallow schemas of tickets and their comments, and of the ticket actions' bodies.

Rules that need the settings or the stored ticket (a channel, category or queue of
the settings; a customer named; the reopen window) are in rules.py.
"""

from __future__ import annotations

from typing import Any

from marshmallow import fields, validate

from accord.schemas import InputSchema, OwnedRecordSchema

from .models import COVERS, STATUSES, VISIBILITIES
from .settings import PRIORITIES

__all__ = ["TicketSchema", "CommentSchema", "CommentBodySchema", "WarrantySchema"]

_BY = "Set by the {} action only (POST /api/v1/service/tickets/<id>/{})"


def _ref(**kwargs: Any) -> fields.Integer:
    return fields.Integer(allow_none=True, strict=True,
                          validate=validate.Range(min=1, max=2 ** 63 - 1), **kwargs)


def _set_by(*actions: str) -> dict[str, str]:
    return {"description": _BY.format(" or ".join(actions), actions[0])}


class CommentSchema(InputSchema):
    """A comment as the ticket shows it (``comments``; written by the comment action)."""

    id = fields.Integer(dump_only=True)
    body = fields.String(dump_only=True)
    visibility = fields.String(dump_only=True, metadata={
        "description": "public: the customer sees it; internal: the firm only"})
    at = fields.AwareDateTime(dump_only=True)
    author_id = fields.Integer(dump_only=True, allow_none=True)
    author_label = fields.String(dump_only=True)


class TicketSchema(OwnedRecordSchema):
    organization_id = _ref(metadata={"description": "The customer: an organization, a "
                                                    "contact, or both"})
    contact_id = _ref()
    channel = fields.String(required=True, validate=validate.Length(min=1, max=60), metadata={
        "description": "phone, email, web, chat, on_site, or one of the channels setting"})
    category = fields.String(allow_none=True, validate=validate.Length(max=60), metadata={
        "description": "One of the categories setting"})
    priority = fields.String(load_default="normal", validate=validate.OneOf(PRIORITIES))
    subject = fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = fields.String(allow_none=True, validate=validate.Length(max=100_000))
    queue = fields.String(validate=validate.Length(min=1, max=60), metadata={
        "description": "One of the queues setting; the first when left out"})
    received_at = fields.AwareDateTime(metadata={
        "description": "When the customer got in touch (now when left out): the SLA clock "
                       "starts here. Fixed once the ticket exists."})
    status = fields.String(validate=validate.OneOf(STATUSES), metadata={
        "description": "new, open, pending_customer, resolved or closed: set by the open, "
                       "wait, resolve, close and reopen actions"})
    first_responded_at = fields.AwareDateTime(allow_none=True, metadata=_set_by("comment"))
    last_comment_at = fields.AwareDateTime(allow_none=True, metadata=_set_by("comment"))
    resolved_at = fields.AwareDateTime(allow_none=True, metadata=_set_by("resolve"))
    closed_at = fields.AwareDateTime(allow_none=True, metadata=_set_by("close"))
    sla_paused_at = fields.AwareDateTime(allow_none=True, metadata={
        "description": "Set while the SLA clock stands still (pending customer, resolved)"})
    sla_paused_seconds = fields.Integer(strict=True, metadata={
        "description": "Business seconds the SLA clock stood still before"})
    first_response_seconds = fields.Integer(strict=True, allow_none=True, metadata={
        "description": "Business seconds from receipt to the first public reply: set by "
                       "the comment action"})
    resolution_seconds = fields.Integer(strict=True, allow_none=True, metadata={
        "description": "Business seconds from receipt to the resolution, less the time "
                       "the clock stood still: set by the resolve action"})
    first_response_due_at = fields.AwareDateTime(dump_only=True, allow_none=True, metadata={
        "description": "When the first public reply is due (business hours, pauses "
                       "added)"})
    resolution_due_at = fields.AwareDateTime(dump_only=True, allow_none=True, metadata={
        "description": "When the resolution is due (business hours, pauses added)"})
    sla_policy = fields.String(dump_only=True, allow_none=True, metadata={
        "description": "The SLA policy the due times came from: default, contract, "
                       "tier:<tier>, or hook (a plugin's ticket_due_times)"})
    first_response_breached = fields.Boolean(metadata={
        "description": "The first response came, or is, later than due: set by the comment "
                       "action and the service.sla_breaches job"})
    resolution_breached = fields.Boolean(metadata={
        "description": "The resolution came, or is, later than due: set by the resolve "
                       "action and the service.sla_breaches job"})
    comments = fields.List(fields.Nested(CommentSchema), dump_only=True)


class CommentBodySchema(InputSchema):
    """The body of ``POST /api/v1/service/tickets/<id>/comment``."""

    body = fields.String(required=True, validate=validate.Length(min=1, max=100_000))
    visibility = fields.String(load_default="internal", validate=validate.OneOf(VISIBILITIES),
                               metadata={"description": "public (the customer sees it) or "
                                                        "internal (the default)"})


class WarrantySchema(OwnedRecordSchema):
    """A warranty (the dates' order and a serial number taken twice for one product are
    checked by its rules, warranties.py)."""

    product_id = fields.Integer(required=True, strict=True,
                                validate=validate.Range(min=1, max=2 ** 63 - 1),
                                metadata={"description": "The product (a core product)"})
    serial_number = fields.String(required=True, validate=validate.Length(min=1, max=100),
                                  metadata={"description": "Unique per product"})
    organization_id = _ref(metadata={"description": "The customer: an organization, a "
                                                    "contact, or both"})
    contact_id = _ref()
    starts_on = fields.Date(required=True, metadata={"description": "The first day covered"})
    ends_on = fields.Date(required=True, metadata={
        "description": "The last day covered (on or after starts_on)"})
    covers = fields.String(load_default="parts_and_labour", validate=validate.OneOf(COVERS),
                           metadata={"description": "parts, labour or parts_and_labour"})
    terms = fields.String(allow_none=True, validate=validate.Length(max=100_000), metadata={
        "description": "The coverage terms, as agreed"})
    order_line_ref = fields.String(allow_none=True, validate=validate.Length(max=100), metadata={
        "description": "The sales order line the warranty came from"})
    reminded_at = fields.AwareDateTime(allow_none=True, metadata={
        "description": "When the service.warranty_reminders job gave the owner a task "
                       "about its end"})
