"""Leads: their rules, and converting them into customers (and opportunities) in one
transaction, matching the contact and organization that already exist."""

from __future__ import annotations

from decimal import Decimal

import pytest

import accord_sales.hooks
from accord import services
from accord.errors import PermissionDenied, StaleVersion, ValidationError
from accord.models import AuditEntry, Contact, Organization
from accord.services import Actor
from accord_sales.models import Opportunity
from accord_sales.services import convert_lead

SYSTEM = Actor.system("test")
pytestmark = pytest.mark.plugins(accord_sales.hooks)


def _lead(kernel, **fields):
    data = {"name": "Ada Lovelace", "company": "Analytical Engines", "email": "ada@ae.example",
            "phone": "+44 20 7946 0001", "source": "referral", **fields}
    return services.create(kernel, "sales.lead", data, actor=SYSTEM)


def _problem(call):
    with pytest.raises(ValidationError) as caught:
        call()
    return caught.value.messages


# Rules -----------------------------------------------------------------------------

def test_a_lead_starts_new_with_its_source(sales):
    lead = _lead(sales)
    assert (lead.status, lead.source, lead.converted_at, lead.contact_id) == (
        "new", "referral", None, None)


def test_the_source_must_be_a_configured_one(sales):
    assert _problem(lambda: _lead(sales, source="billboard")) == {"source": [
        "'billboard' is not a lead source; use one of web form, referral, campaign, "
        "trade show, cold call"]}


def test_disqualifying_needs_a_reason_which_goes_when_the_lead_comes_back(sales):
    lead = _lead(sales)
    assert _problem(lambda: services.update(sales, "sales.lead", lead.id,
                                            {"status": "disqualified"}, actor=SYSTEM)) == {
        "disqualify_reason": ["give a reason to disqualify the lead"]}
    assert _problem(lambda: services.update(sales, "sales.lead", lead.id,
                                            {"disqualify_reason": "No budget"}, actor=SYSTEM)) == {
        "disqualify_reason": ["only a disqualified lead has a disqualify reason"]}
    out = services.update(sales, "sales.lead", lead.id,
                          {"status": "disqualified", "disqualify_reason": "No budget"},
                          actor=SYSTEM)
    assert (out.status, out.disqualify_reason) == ("disqualified", "No budget")
    back = services.update(sales, "sales.lead", lead.id, {"status": "contacted"}, actor=SYSTEM)
    assert (back.status, back.disqualify_reason) == ("contacted", None)


def test_conversion_links_are_not_written_by_hand(sales, helpers):
    org = helpers.org(sales)
    assert _problem(lambda: _lead(sales, organization_id=org.id)) == {"organization_id": [
        "set by the convert action only (POST /api/v1/sales/leads/<id>/convert)"]}
    lead = _lead(sales)
    assert _problem(lambda: services.update(sales, "sales.lead", lead.id,
                                            {"organization_id": org.id}, actor=SYSTEM)) == {
        "organization_id": [f"set by the convert action only (POST /api/v1/sales/leads/"
                            f"{lead.id}/convert)"]}
    # Sending back the value it has (as a client re-sending a record it read) is fine.
    assert services.update(sales, "sales.lead", lead.id, {"organization_id": None,
                                                          "name": "Ada King"},
                           actor=SYSTEM).name == "Ada King"


def test_a_bulk_write_names_the_bad_lead(sales):
    with pytest.raises(ValidationError) as caught:
        services.bulk_create(sales, "sales.lead", [
            {"name": "Fine", "source": "campaign"},
            {"name": "Bad", "status": "disqualified"}], actor=SYSTEM)
    assert caught.value.messages == {"rows[1].disqualify_reason": [
        "give a reason to disqualify the lead"]}


# Converting ------------------------------------------------------------------------

def test_converting_a_new_customer_creates_organization_contact_and_opportunity(sales, helpers):
    owner = services.create(sales, "user", {"email": "maria@example.com", "name": "Maria",
                                            "role": "sales"}, actor=SYSTEM)
    lead = _lead(sales, owner_id=owner.id)
    done = convert_lead(sales, lead.id, actor=SYSTEM, create_opportunity=True, opportunity={
        "amount": {"amount": "12000.50", "currency": "EUR"}, "stage": "Qualification"})

    [org] = helpers.rows(sales, Organization)
    [contact] = helpers.rows(sales, Contact)
    [deal] = helpers.rows(sales, Opportunity)
    assert (org.name, org.relationship, org.owner_id) == ("Analytical Engines", "prospect",
                                                          owner.id)
    assert (contact.first_name, contact.last_name, contact.email, contact.phone,
            contact.organization_id, contact.owner_id) == (
        "Ada", "Lovelace", "ada@ae.example", "+44 20 7946 0001", org.id, owner.id)
    assert (deal.name, deal.organization_id, deal.contact_id, deal.amount,
            deal.amount_currency, deal.stage, deal.probability, deal.owner_id) == (
        "Analytical Engines", org.id, contact.id, Decimal("12000.50"), "EUR", "Qualification",
        25, owner.id)
    assert (done.status, done.contact_id, done.organization_id, done.opportunity_id,
            done.version) == ("qualified", contact.id, org.id, deal.id, 2)
    assert done.converted_at is not None
    with sales.bound():
        entry = AuditEntry.select().where(AuditEntry.record_type == "sales.lead",
                                          AuditEntry.action == "updated").get()
    assert entry.changes["status"] == ["new", "qualified"]
    assert entry.changes["opportunity_id"] == [None, deal.id]


def test_converting_matches_the_contact_by_email_and_the_organization_by_name(sales, helpers):
    org = helpers.org(sales, "ANALYTICAL ENGINES")
    helpers.org(sales, "Analytical Engines")  # a later duplicate: the oldest match is taken
    known = services.create(sales, "contact", {"last_name": "Lovelace",
                                               "email": "Ada@AE.example"}, actor=SYSTEM)
    lead = _lead(sales)
    done = convert_lead(sales, lead.id, actor=SYSTEM)
    assert (done.contact_id, done.organization_id, done.opportunity_id) == (known.id, org.id,
                                                                           None)
    assert helpers.count(sales, Organization) == 2 and helpers.count(sales, Contact) == 1
    assert helpers.count(sales, Opportunity) == 0
    # The matched contact is left as it was.
    assert services.get(sales, "contact", known.id).version == 1


def test_a_lead_without_company_or_email_becomes_a_new_contact_only(sales, helpers):
    lead = _lead(sales, company=None, email=None, name="Prince")
    done = convert_lead(sales, lead.id, actor=SYSTEM, create_opportunity=True,
                        opportunity={"name": "Private commission"})
    [contact] = helpers.rows(sales, Contact)
    [deal] = helpers.rows(sales, Opportunity)
    assert (contact.first_name, contact.last_name, contact.organization_id) == (None, "Prince",
                                                                                None)
    assert (deal.name, deal.contact_id, deal.organization_id) == ("Private commission",
                                                                  contact.id, None)
    assert (done.organization_id, done.contact_id, done.opportunity_id) == (None, contact.id,
                                                                            deal.id)


def test_converting_twice_or_a_disqualified_lead_is_refused(sales, helpers):
    lead = _lead(sales)
    convert_lead(sales, lead.id, actor=SYSTEM)
    date = services.get(sales, "sales.lead", lead.id).converted_at
    assert _problem(lambda: convert_lead(sales, lead.id, actor=SYSTEM)) == {"status": [
        f"lead {lead.id} was already converted on {date:%Y-%m-%d}; a lead is converted once"]}
    assert _problem(lambda: services.update(sales, "sales.lead", lead.id,
                                            {"status": "new"}, actor=SYSTEM)) == {
        "status": [f"lead {lead.id} is converted; its status stays qualified"]}
    out = _lead(sales, email="out@ae.example", status="disqualified",
                disqualify_reason="A competitor's employee")
    assert _problem(lambda: convert_lead(sales, out.id, actor=SYSTEM)) == {"status": [
        f"lead {out.id} is disqualified (A competitor's employee); change its status before "
        "converting it"]}
    assert (helpers.count(sales, Organization), helpers.count(sales, Contact)) == (1, 1)


def test_a_bad_opportunity_undoes_the_whole_conversion(sales, helpers):
    lead = _lead(sales)
    assert _problem(lambda: convert_lead(sales, lead.id, actor=SYSTEM, create_opportunity=True,
                                         opportunity={"stage": "Won", "colour": "red"})) == {
        "opportunity.colour": ["unknown field 'colour'"]}
    assert _problem(lambda: convert_lead(sales, lead.id, actor=SYSTEM, create_opportunity=True,
                                         opportunity={"stage": "Won"})) == {
        "opportunity.stage": ["a new opportunity starts in an open stage, not in the won stage "
                              "'Won'; close it with the move action"]}
    # The organization and contact made before the opportunity failed are gone too.
    assert (helpers.count(sales, Organization), helpers.count(sales, Contact),
            helpers.count(sales, Opportunity)) == (0, 0, 0)
    stored = services.get(sales, "sales.lead", lead.id)
    assert (stored.status, stored.converted_at, stored.version) == ("new", None, 1)


def test_conversion_input_is_checked_before_anything_is_written(sales, helpers):
    lead = _lead(sales)
    assert _problem(lambda: convert_lead(sales, lead.id, actor=SYSTEM,
                                         opportunity={"name": "X"})) == {"opportunity": [
        "give create_opportunity: true to create an opportunity from these fields"]}
    assert _problem(lambda: convert_lead(sales, lead.id, actor=SYSTEM, create_opportunity=True,
                                         opportunity={"contact_id": 1})) == {
        "opportunity.contact_id": ["set by the conversion from the lead"]}
    with pytest.raises(StaleVersion):
        convert_lead(sales, lead.id, actor=SYSTEM, version=7)
    reader = Actor(None, "reader", role="read-only", grants=("*.read",))
    with pytest.raises(PermissionDenied) as denied:
        convert_lead(sales, lead.id, actor=reader)
    assert str(denied.value) == "reader (read-only) lacks the permission sales.lead.convert"
    assert helpers.count(sales, Contact) == 0


def test_what_the_conversion_cannot_create_is_named_by_record(sales, helpers):
    lead = _lead(sales, name="A" * 101, email=None)
    assert _problem(lambda: convert_lead(sales, lead.id, actor=SYSTEM)) == {
        "contact.last_name": ["Length must be between 1 and 100."]}
    assert (helpers.count(sales, Organization), helpers.count(sales, Contact)) == (0, 0)
