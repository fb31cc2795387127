"""Merging contacts and organizations: the marketing rows that name the loser move to
the winner: campaign memberships and responses, static segments' members, tier
history. A campaign both were members of keeps the winner's membership, and the
loser's responses go to it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from accord.hooks import hookimpl
from accord.services.merging import Moved, move_rows

from .models.campaigns import CampaignMember, CampaignResponse
from .models.segments import Segment, SegmentMember
from .models.tiers import TierAssignment

if TYPE_CHECKING:
    from accord.kernel import Accord
    from accord.records import RecordType


@hookimpl
def merge_records(kernel: Accord, record_type: RecordType, winner_id: int,
                  loser_id: int) -> list[Moved]:
    name = record_type.name
    if name not in ("contact", "organization"):
        return []
    moved = []
    if name == "contact":
        moved += [
            Moved("campaign memberships",
                  move_rows(kernel, CampaignMember.contact, winner_id, loser_id,
                            unique_with=(CampaignMember.campaign,),
                            children=(CampaignResponse.member,))),
            Moved("campaign responses",
                  move_rows(kernel, CampaignResponse.contact, winner_id, loser_id))]
    targets = Segment.select(Segment.id).where(Segment.target == name)
    moved += [
        Moved("segment memberships",
              move_rows(kernel, SegmentMember.record_id, winner_id, loser_id,
                        where=SegmentMember.segment.in_(targets),
                        unique_with=(SegmentMember.segment,))),
        Moved("tier assignments",
              move_rows(kernel, TierAssignment.customer_id, winner_id, loser_id,
                        where=TierAssignment.customer_type == name,
                        unique_with=(TierAssignment.computed_on,)))]
    return [m for m in moved if m.count]
