"""The records every CRM shares: organizations, contacts, activities, products, tags."""

from __future__ import annotations

from typing import TYPE_CHECKING

import peewee

from .base import BaseModel, BaseRecord, MoneyAmountField, UTCDateTimeField
from .people import OwnedRecord

__all__ = ["Organization", "Contact", "ContactInterest", "Activity", "Product", "Tag", "Tagging"]


class Organization(OwnedRecord):
    name = peewee.CharField(max_length=200, index=True)
    relationship = peewee.CharField(max_length=40, default="prospect", index=True)
    industry = peewee.CharField(max_length=100, null=True, index=True)
    size = peewee.IntegerField(null=True)
    website = peewee.CharField(max_length=500, null=True)
    phone = peewee.CharField(max_length=50, null=True)
    email = peewee.CharField(max_length=254, null=True)
    street = peewee.CharField(max_length=200, null=True)
    city = peewee.CharField(max_length=100, null=True, index=True)
    postal_code = peewee.CharField(max_length=20, null=True)
    region = peewee.CharField(max_length=100, null=True)
    country = peewee.CharField(max_length=2, null=True, index=True)
    parent = peewee.ForeignKeyField("self", null=True, backref="subsidiaries",
                                    on_delete="SET NULL")
    customer_since = peewee.DateField(null=True, index=True)
    if TYPE_CHECKING:  # added by peewee at class creation; declared for mypy
        parent_id: peewee.ForeignKeyField[int | None]

    class Meta:
        table_name = "accord_organization"


class Contact(OwnedRecord):
    first_name = peewee.CharField(max_length=100, null=True)
    last_name = peewee.CharField(max_length=100, index=True)
    email = peewee.CharField(max_length=254, null=True)
    phone = peewee.CharField(max_length=50, null=True)
    mobile = peewee.CharField(max_length=50, null=True)
    title = peewee.CharField(max_length=100, null=True)
    organization = peewee.ForeignKeyField(Organization, null=True, backref="contacts",
                                          on_delete="SET NULL")
    street = peewee.CharField(max_length=200, null=True)
    city = peewee.CharField(max_length=100, null=True)
    postal_code = peewee.CharField(max_length=20, null=True)
    region = peewee.CharField(max_length=100, null=True)
    country = peewee.CharField(max_length=2, null=True)
    birthday = peewee.DateField(null=True)
    email_opt_out = peewee.BooleanField(default=False)
    call_opt_out = peewee.BooleanField(default=False)
    if TYPE_CHECKING:  # added by peewee at class creation; declared for mypy
        organization_id: peewee.ForeignKeyField[int | None]

    class Meta:
        table_name = "accord_contact"


# Case-insensitive uniqueness of contact emails, enforced by the database as well.
Contact.add_index(Contact.index(peewee.fn.lower(Contact.email), unique=True,
                                name="accord_contact_email_lower"))


class Product(BaseRecord):
    sku = peewee.CharField(max_length=64, unique=True)
    name = peewee.CharField(max_length=200, index=True)
    description = peewee.TextField(null=True)
    category = peewee.CharField(max_length=100, null=True, index=True)
    unit_price = MoneyAmountField(null=True)
    unit_price_currency = peewee.CharField(max_length=3, null=True)
    cost_price = MoneyAmountField(null=True)
    cost_price_currency = peewee.CharField(max_length=3, null=True)
    active = peewee.BooleanField(default=True, index=True)

    class Meta:
        table_name = "accord_product"


class ContactInterest(BaseModel):
    """A product a contact is interested in."""

    contact = peewee.ForeignKeyField(Contact, backref="interests", on_delete="CASCADE")
    product = peewee.ForeignKeyField(Product, backref="interested", on_delete="CASCADE")
    if TYPE_CHECKING:  # added by peewee at class creation; declared for mypy
        id: peewee.AutoField[int]
        contact_id: peewee.ForeignKeyField[int]
        product_id: peewee.ForeignKeyField[int]

    class Meta:
        table_name = "accord_contact_interest"
        indexes = ((("contact", "product"), True),)


class Activity(OwnedRecord):
    """A call, meeting, email, task or note, linked to any record: the timeline."""

    kind = peewee.CharField(max_length=20, index=True)
    subject = peewee.CharField(max_length=300)
    body = peewee.TextField(null=True)
    due_at = UTCDateTimeField(null=True, index=True)
    done_at = UTCDateTimeField(null=True, index=True)
    record_type = peewee.CharField(max_length=100, null=True)
    record_id = peewee.IntegerField(null=True)
    organization = peewee.ForeignKeyField(Organization, null=True, backref="activities",
                                          on_delete="SET NULL")
    contact = peewee.ForeignKeyField(Contact, null=True, backref="activities",
                                     on_delete="SET NULL")
    if TYPE_CHECKING:  # added by peewee at class creation; declared for mypy
        organization_id: peewee.ForeignKeyField[int | None]
        contact_id: peewee.ForeignKeyField[int | None]

    class Meta:
        table_name = "accord_activity"
        indexes = ((("record_type", "record_id"), False),)


class Tag(BaseModel):
    name = peewee.CharField(max_length=100, unique=True)
    if TYPE_CHECKING:  # added by peewee at class creation; declared for mypy
        id: peewee.AutoField[int]

    class Meta:
        table_name = "accord_tag"


class Tagging(BaseModel):
    """A tag put on any record (of any record type, plugins' included)."""

    tag = peewee.ForeignKeyField(Tag, backref="taggings", on_delete="CASCADE")
    record_type = peewee.CharField(max_length=100)
    record_id = peewee.IntegerField()
    if TYPE_CHECKING:  # added by peewee at class creation; declared for mypy
        id: peewee.AutoField[int]
        tag_id: peewee.ForeignKeyField[int]

    class Meta:
        table_name = "accord_tagging"
        indexes = ((("record_type", "record_id", "tag"), True),)
