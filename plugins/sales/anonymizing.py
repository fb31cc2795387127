"""The sales plugin's part in erasing a person: the leads that copy their data."""

from __future__ import annotations

from typing import TYPE_CHECKING

import peewee
from accord.hooks import hookimpl
from accord.models import Contact
from accord.services.anonymize import Erasure

from . import rules
from .models import Lead

if TYPE_CHECKING:
    from accord.kernel import Accord
    from accord.records import RecordType

#: What a lead keeps of a person: their name, email and phone.
LEAD_FIELDS = ("name", "email", "phone")


@hookimpl
def erase_personal_data(kernel: Accord, record_type: RecordType,
                        ids: list[int]) -> list[Erasure]:
    if record_type.name == rules.LEAD:
        # A lead is a person too: its name goes with its own personal fields.
        return [Erasure(rules.LEAD, tuple(ids), LEAD_FIELDS)]
    if record_type.name != "contact":
        return []
    return [Erasure(rules.LEAD, tuple(leads_of(ids)), LEAD_FIELDS)]


def leads_of(contact_ids: list[int]) -> list[int]:
    """The leads converted into these contacts or holding one of their emails."""
    emails = [c.email.lower() for c in Contact.select(Contact.email).where(
        Contact.id.in_(contact_ids) & Contact.email.is_null(False)) if c.email]
    condition = Lead.contact.in_(contact_ids)
    if emails:
        condition = condition | peewee.fn.LOWER(Lead.email).in_(emails)
    return [lead.id for lead in Lead.select(Lead.id).where(condition).order_by(Lead.id)]
