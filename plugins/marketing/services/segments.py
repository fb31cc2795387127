"""The segments' writes: the freeze action storing a static segment's members, and the
demo segments. Segments themselves are written through the core's services."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from accord import services
from accord.errors import StaleVersion, ValidationError
from accord.facts import customer_facts
from accord.query import find
from accord.services.authz import require

from ..models.segments import SegmentMember

if TYPE_CHECKING:
    from accord.kernel import Accord
    from accord.services import Actor

__all__ = ["freeze", "demo_segments"]

#: Rows written per INSERT when a segment is frozen.
_BATCH = 500


def freeze(kernel: Accord, segment_id: int, *, actor: Actor,
           version: int | None = None) -> Any:
    """Store the members of a static segment as its rules find them now (the firm's,
    whoever freezes), replacing the ones stored before, and set its ``frozen_at``. One
    transaction; a dynamic segment is refused (422 naming ``kind``). Returns the
    segment as stored."""
    from ..segments import FREEZE, SEGMENT, rules_query

    require(actor, FREEZE)
    with kernel.transaction():
        segment: Any = services.get(kernel, SEGMENT, segment_id, actor=actor)
        if version is not None and segment.version != version:
            raise StaleVersion(f"{SEGMENT} {segment.id} is at version {segment.version}, "
                               f"not {version}; reload it and try again")
        if segment.kind != "static":
            raise ValidationError({"kind": [
                f"segment {segment.id} is dynamic: it is evaluated when asked, there is "
                "nothing to freeze (set its kind to static first)"]})
        query: Any = rules_query(kernel, segment.target, segment.rules or [])
        ids = [row[0] for row in query.select(query.model.id).tuples()]
        SegmentMember.delete().where(SegmentMember.segment == segment.id).execute()
        for start in range(0, len(ids), _BATCH):
            SegmentMember.insert_many(
                [{"segment": segment.id, "record_id": rid} for rid in ids[start:start + _BATCH]]
            ).execute()
        services.update(kernel, SEGMENT, segment.id,
                        {"frozen_at": dt.datetime.now(dt.timezone.utc)}, actor=actor,
                        version=segment.version, verb="freeze")
    return services.get(kernel, SEGMENT, segment_id)


def demo_segments(kernel: Accord, actor: Actor) -> None:
    """Segments over the core's demo firm: its German customers' contacts, a frozen
    snapshot of the healthcare organizations and, with the sales plugin, the
    organizations that bought Premium support."""
    from ..segments import SEGMENT

    services.create(kernel, SEGMENT, {
        "name": "Customers in Germany", "target": "contact",
        "description": "Contacts of our customers based in Germany",
        "rules": [{"field": "organization.country", "op": "eq", "value": "DE"},
                  {"field": "organization.relationship", "op": "eq", "value": "customer"}]},
        actor=actor)
    snapshot = services.create(kernel, SEGMENT, {
        "name": "Healthcare organizations", "target": "organization", "kind": "static",
        "description": "The healthcare firms as they were at the spring mailing",
        "rules": [{"field": "industry", "op": "eq", "value": "Healthcare"}]}, actor=actor)
    freeze(kernel, snapshot.id, actor=actor)
    if "sales.products_bought" not in customer_facts(kernel, "organization"):
        return
    support = find(kernel, "product", {"sku": "SUP-PRM"}, limit=1)
    if support:
        services.create(kernel, SEGMENT, {
            "name": "Bought Premium support", "target": "organization",
            "description": "Organizations with an order of Premium support",
            "rules": [{"field": "sales.products_bought", "op": "includes",
                       "value": support[0].id}]}, actor=actor)
