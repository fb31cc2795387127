"""Merging moves the related records of every shipped plugin onto the winner: sales
(leads, opportunities, quotes, orders, invoices, contracts), competitors (through the
opportunities), service (tickets, warranties, repairs, returns, surveys) and marketing
(campaign memberships, a membership of both kept once, responses, segment members),
each read back from the database after the merge; a disabled plugin's rows too."""

from __future__ import annotations

import datetime as dt

import pytest

import accord_competitors.hooks
import accord_marketing.hooks
import accord_sales.hooks
import accord_service.hooks
from accord import services
from accord.models import utcnow
from accord.services import Actor
from accord.services.merging import merge
from accord.services.plugins import disable
from accord_competitors.models import Involvement
from accord_marketing.models.campaigns import Campaign, CampaignMember, CampaignResponse
from accord_marketing.models.segments import SegmentMember
from accord_sales.models import Contract, Invoice, Lead, Opportunity, Order, Quote
from accord_service.models import RepairOrder, Return, Survey, Ticket, Warranty
from accord_service.services.surveys import send_nps

pytestmark = pytest.mark.plugins(accord_sales.hooks, accord_competitors.hooks,
                                 accord_service.hooks, accord_marketing.hooks)
SYSTEM = Actor.system("test")
LINES = [{"description": "Consulting day", "quantity": "1", "unit_price": "100.00"}]


def _create(kernel, type_name, **data):
    return services.create(kernel, type_name, data, actor=SYSTEM)


def _customer_of(kernel, model, record_id):
    with kernel.bound():
        row = model.get_by_id(record_id)
    return row.organization_id, row.contact_id


def _sales_records(kernel, org, person):
    customer = {"organization_id": org.id, "contact_id": person.id}
    deal = _create(kernel, "sales.opportunity", name="Deal", **customer)
    return {
        # A lead names its customer once converted (the convert action sets them).
        Lead: services.create(kernel, "sales.lead", {"name": "Jane Doe", "company": "Acme",
                                                     **customer},
                              actor=SYSTEM, verb="convert").id,
        Opportunity: deal.id,
        Quote: _create(kernel, "sales.quote", name="Offer", lines=LINES, **customer).id,
        Order: _create(kernel, "sales.order", lines=LINES, **customer).id,
        Invoice: _create(kernel, "sales.invoice", lines=LINES, **customer).id,
        Contract: _create(kernel, "sales.contract", name="Support", start_date="2026-01-01",
                          end_date="2026-12-31",
                          value={"amount": "1000.00", "currency": "EUR"}, **customer).id,
    }


def _service_records(kernel, org, person):
    customer = {"organization_id": org.id, "contact_id": person.id}
    product = _create(kernel, "product", sku=f"PR-{person.id}", name="Printer")
    ticket = _create(kernel, "service.ticket", channel="email", subject="Jams", **customer)
    survey = send_nps(kernel, person.id, actor=SYSTEM)
    return {
        Ticket: ticket.id,
        Warranty: _create(kernel, "service.warranty", product_id=product.id,
                          serial_number=f"SN-{person.id}", starts_on="2026-01-01",
                          ends_on="2027-12-31", **customer).id,
        RepairOrder: _create(kernel, "service.repair", ticket_id=ticket.id,
                             labour_minutes=30, labour_rate="60.00", **customer).id,
        Return: _create(kernel, "service.return", reason="Broken", items=[
            {"description": "Toner", "quantity": "1", "unit_paid": "40.00"}],
            **customer).id,
        Survey: survey.id,
    }


def _campaign(kernel, name):
    return _create(kernel, "marketing.campaign", name=name, type="email",
                   subject="Hello", body="Dear you")


def _member(kernel, campaign, person, status="targeted"):
    """A membership as a launch stores it (launching needs a channel and a segment)."""
    with kernel.bound():
        return CampaignMember.insert(campaign=campaign.id, contact=person.id, status=status,
                                     created_at=utcnow()).execute()


def _response(kernel, campaign, person, member_id):
    with kernel.bound():
        return CampaignResponse.insert(campaign=campaign.id, member=member_id,
                                       contact=person.id, kind="reply",
                                       at=utcnow()).execute()


def test_merging_contacts_moves_every_plugins_records(kernel):
    org = _create(kernel, "organization", name="Acme GmbH")
    winner = _create(kernel, "contact", last_name="Doe", first_name="Jane",
                     email="jane@example.com", organization_id=org.id)
    loser = _create(kernel, "contact", last_name="Doe", first_name="Jane",
                    email="jane.doe@example.com", organization_id=org.id)
    sales = _sales_records(kernel, org, loser)
    rival = _create(kernel, "competitors.competitor", name="Rival Inc")
    involvement = _create(kernel, "competitors.involvement",
                          opportunity_id=sales[Opportunity], competitor_id=rival.id)
    service = _service_records(kernel, org, loser)
    both, only = _campaign(kernel, "Spring"), _campaign(kernel, "Autumn")
    kept = _member(kernel, both, winner)
    twin = _member(kernel, both, loser, status="responded")
    single = _member(kernel, only, loser)
    answer_twin = _response(kernel, both, loser, twin)
    answer_single = _response(kernel, only, loser, single)
    segment = _create(kernel, "marketing.segment", name="Static", target="contact",
                      kind="static")
    with kernel.bound():
        SegmentMember.insert(segment=segment.id, record_id=loser.id).execute()

    result = merge(kernel, "contact", winner.id, loser.id, actor=SYSTEM)

    for model, record_id in {**sales, **service}.items():
        assert _customer_of(kernel, model, record_id) == (org.id, winner.id), model
    with kernel.bound():
        # Competitors' rows name the opportunity, which moved: they follow it.
        assert Involvement.get_by_id(involvement.id).opportunity_id == sales[Opportunity]
        members = sorted((m.campaign_id, m.contact_id, m.id) for m in CampaignMember.select())
        assert members == sorted([(both.id, winner.id, kept), (only.id, winner.id, single)])
        responses = {r.id: (r.member_id, r.contact_id) for r in CampaignResponse.select()}
        assert responses == {answer_twin: (kept, winner.id),
                             answer_single: (single, winner.id)}
        assert [m.record_id for m in SegmentMember.select()] == [winner.id]
        assert Opportunity.get_by_id(sales[Opportunity]).version == 2
    assert result.moved["sales"] == {"leads": 1, "opportunities": 1, "quotes": 1,
                                     "orders": 1, "invoices": 1, "contracts": 1}
    assert result.moved["service"] == {"tickets": 1, "warranties": 1, "repair orders": 1,
                                       "returns": 1, "surveys": 1}
    assert result.moved["marketing"] == {"campaign memberships": 2, "campaign responses": 2,
                                         "segment memberships": 1}
    assert "competitors" not in result.moved


def test_merging_organizations_moves_every_plugins_records(kernel):
    winner = _create(kernel, "organization", name="Acme GmbH")
    loser = _create(kernel, "organization", name="ACME")
    person = _create(kernel, "contact", last_name="Doe", email="jd@example.com",
                     organization_id=loser.id)
    sales = _sales_records(kernel, loser, person)
    service = _service_records(kernel, loser, person)
    result = merge(kernel, "organization", winner.id, loser.id, actor=SYSTEM)
    for model, record_id in {**sales, **service}.items():
        assert _customer_of(kernel, model, record_id) == (winner.id, person.id), model
    assert result.moved["core"] == {"contacts": 1}
    assert result.moved["sales"]["contracts"] == 1
    assert result.moved["service"]["tickets"] == 1


def test_a_disabled_plugins_memberships_are_moved_not_deleted(kernel):
    winner = _create(kernel, "contact", last_name="Doe")
    loser = _create(kernel, "contact", last_name="Doe")
    campaign = _campaign(kernel, "Spring")
    member = _member(kernel, campaign, loser)
    response = _response(kernel, campaign, loser, member)
    disable(kernel, "marketing", actor=SYSTEM)
    result = merge(kernel, "contact", winner.id, loser.id, actor=SYSTEM)
    with kernel.bound():
        # ON DELETE CASCADE would have taken the membership (and SET NULL the response's
        # contact) with the loser: the core's safety net moved them first.
        assert CampaignMember.get_by_id(member).contact_id == winner.id
        assert CampaignResponse.get_by_id(response).contact_id == winner.id
        assert Campaign.get_by_id(campaign.id).name == "Spring"
    assert result.moved["marketing"] == {"marketing campaign member": 1,
                                         "marketing campaign response": 1}
    assert "marketing" not in kernel.plugins.active


def test_the_loser_of_a_plugin_record_stays_deleted_and_redirects(kernel):
    """A sales record naming the loser with ON DELETE RESTRICT would block the delete;
    moved first, it does not, and the old id still leads to the winner over the API."""
    org = _create(kernel, "organization", name="Acme")
    winner = _create(kernel, "contact", last_name="Doe")
    loser = _create(kernel, "contact", last_name="Doe")
    _create(kernel, "sales.quote", name="Offer", lines=LINES, organization_id=org.id,
            contact_id=loser.id)
    merge(kernel, "contact", winner.id, loser.id, actor=SYSTEM)
    with kernel.bound():
        assert Quote.select().where(Quote.contact == loser.id).count() == 0
        assert Quote.select().where(Quote.contact == winner.id).count() == 1
    assert dt.date.today()  # the merge ran today; nothing else to check here
