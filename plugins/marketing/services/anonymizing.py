"""Erasing the addresses campaign messages went to, with the person they name."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..models.campaigns import CampaignMember

if TYPE_CHECKING:
    from accord.kernel import Accord
    from accord.services.anonymize import Placeholders

#: How the report names the table.
MEMBERS = "marketing.campaign_member"


def members_with_address(contact_ids: list[int]) -> list[int]:
    """The campaign members of these contacts that keep the address a message went to."""
    return [m.id for m in CampaignMember.select(CampaignMember.id).where(
        CampaignMember.contact.in_(contact_ids) & CampaignMember.address.is_null(False)
        & (CampaignMember.address != "")).order_by(CampaignMember.id)]


def erase_addresses(kernel: Accord, placeholders: Placeholders, member_ids: list[int]) -> int:
    """Replace the members' addresses (inside the erasing transaction); returns how many."""
    done = 0
    for start in range(0, len(member_ids), 500):
        rows = CampaignMember.select(CampaignMember.id, CampaignMember.address).where(
            CampaignMember.id.in_(member_ids[start:start + 500]))
        for member in list(rows):
            new = placeholders.value(MEMBERS, member.id, "address", member.address,
                                     max_length=254)
            if new != member.address:
                CampaignMember.update(address=new).where(
                    CampaignMember.id == member.id).execute()
                done += 1
    return done
