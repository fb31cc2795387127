"""The service plugin's own API operations (``register_api_routes``): the endpoint a
mail gateway posts received messages to, and the warranty lookup by serial number."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import marshmallow as ma
from marshmallow import fields

from accord.routes import ApiRoute

from .intake import MalformedEmail, ParsedEmail, parse_email, take_email
from .warranties import lookup

if TYPE_CHECKING:
    from accord.kernel import Accord
    from accord.services import Actor

__all__ = ["routes", "InboundEmailArgs", "InboundEmailAnswer", "MAX_MESSAGE",
           "WarrantyLookupArgs", "WarrantyLookupAnswer"]

#: The longest message taken in (characters): a support request, not an archive.
MAX_MESSAGE = 10_000_000


class RawEmail(fields.Field):  # type: ignore[type-arg]
    """A raw RFC 5322 message, parsed on load (a malformed one is a 400 naming the
    problem, like any bad parameter)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any,
                     **kwargs: Any) -> ParsedEmail:
        if not isinstance(value, str):
            raise ma.ValidationError("give the message as a string")
        text = value
        if len(text) > MAX_MESSAGE:
            raise ma.ValidationError(f"the message is longer than {MAX_MESSAGE} characters")
        try:
            return parse_email(text)
        except MalformedEmail as exc:
            raise ma.ValidationError(exc.problem) from None


class InboundEmailArgs(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    message = RawEmail(required=True,
                            metadata={"description": "The raw RFC 5322 message as received "
                                                     "(headers, an empty line, the body)"})


class InboundEmailAnswer(ma.Schema):
    ticket_id = fields.Integer(allow_none=True)
    reference = fields.String(allow_none=True, metadata={
        "description": "The ticket's reference (T-12), for the subject of answers"})
    outcome = fields.String(metadata={
        "description": "created: a new ticket; comment: a reply added to the ticket"})
    duplicate = fields.Boolean(metadata={
        "description": "This Message-ID was taken in before: nothing was written, the "
                       "first outcome is given"})


def inbound_email(kernel: Accord, *, actor: Actor, message: ParsedEmail) -> dict[str, Any]:
    return take_email(kernel, message, actor=actor)


class WarrantyLookupArgs(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    serial = fields.String(required=True, validate=ma.validate.Length(min=1, max=100),
                           metadata={"description": "The serial number looked up"})


class CoverageAnswer(ma.Schema):
    covered = fields.Boolean()
    covers = fields.String(allow_none=True, metadata={
        "description": "parts, labour or parts_and_labour; null when not covered"})
    reason = fields.String(metadata={
        "description": "What it covers until when, or why not: 'expired on 2027-03-31', "
                       "'starts on 2026-05-01'"})


class FoundWarranty(ma.Schema):
    warranty = fields.Dict(metadata={"description": "The warranty, as GET "
                                                   "/api/v1/service/warranties/<id> shows it"})
    product = fields.String(metadata={"description": "The product's name"})
    customer = fields.String(metadata={"description": "The customer's name(s)"})
    coverage = fields.Nested(CoverageAnswer, metadata={"description": "Its coverage today"})


class WarrantyLookupAnswer(ma.Schema):
    serial = fields.String()
    warranties = fields.List(fields.Nested(FoundWarranty), metadata={
        "description": "One per product with this serial number the reader may read"})


def warranty_lookup(kernel: Accord, *, actor: Actor, serial: str) -> dict[str, Any]:
    return {"serial": serial, "warranties": lookup(kernel, actor, serial.strip())}


class FromOrderArgs(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    order_id = fields.Integer(required=True, strict=True,
                              validate=ma.validate.Range(min=1, max=2 ** 63 - 1),
                              metadata={"description": "An invoiced sales order"})
    line = fields.Integer(required=True, strict=True,
                          validate=ma.validate.Range(min=1, max=500),
                          metadata={"description": "Its line, 1 for the first"})
    serial_numbers = fields.List(
        fields.String(validate=ma.validate.Length(min=1, max=100)), required=True,
        validate=ma.validate.Length(min=1, max=1000),
        metadata={"description": "One warranty each; no more than the line's quantity"})


class FromOrderAnswer(ma.Schema):
    warranties = fields.List(fields.Dict(), metadata={
        "description": "The warranties made, as GET /api/v1/service/warranties/<id> shows "
                       "them"})


def warranties_from_order_line(kernel: Accord, *, actor: Actor, order_id: int, line: int,
                               serial_numbers: list[str]) -> dict[str, Any]:
    from accord import services

    from .services.warranties import warranties_from_order
    from .warranties import WARRANTY

    made = warranties_from_order(kernel, actor=actor, order_id=order_id, line=line,
                                 serial_numbers=[s.strip() for s in serial_numbers])
    return {"warranties": [services.dump(kernel, WARRANTY, w, actor=actor) for w in made]}


def routes() -> list[ApiRoute]:
    return [ApiRoute(
        "/service/inbound-email", inbound_email, "service.ticket.write",
        "Take in an email message", method="POST", args=InboundEmailArgs,
        response=InboundEmailAnswer,
        description="A mail gateway posts each message it receives: a new ticket (the "
                    "sender's contact found or created), or, when the subject holds a "
                    "ticket's reference such as [#T-12] and the sender is its contact, a "
                    "public comment on it. The same Message-ID twice writes nothing. A "
                    "message without a From address, a Message-ID or a text body is "
                    "refused (400) with the problem named."),
        ApiRoute(
        "/service/warranties/lookup", warranty_lookup, "service.warranty.read",
        "Look up a warranty by serial number", args=WarrantyLookupArgs,
        response=WarrantyLookupAnswer,
        description="The warranties of a serial number (one per product) the reader's "
                    "record rule reaches, each with its product, customer and coverage "
                    "today; an unknown serial number is a 404 naming it."),
        ApiRoute(
        "/service/warranties/from-order", warranties_from_order_line,
        "service.warranty.write", "Make warranties from an invoiced order line",
        method="POST", args=FromOrderArgs, response=FromOrderAnswer,
        description="With the sales plugin enabled: one warranty per serial number for the "
                    "product of an order's line, for the order's customer, from the day the "
                    "order was first invoiced, for the warranty_months setting. Refused "
                    "(422, naming the field) for an order not invoiced, a line without a "
                    "product, more serial numbers than the line's quantity, or a serial "
                    "number the product has a warranty for already.")]
