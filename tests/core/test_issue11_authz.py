"""Issue 11, data safety and authorization: what a restricted user is refused, with
the exact message, and that the refused write leaves the data as it was."""

from __future__ import annotations

import pytest

import accord_sales.hooks
from accord import services
from accord.models import Activity, Contact, User
from accord.services import Actor
from accord.services import roles as role_services
from accord_sales.models import Opportunity, Quote
from accord_sdk.assertions import problem

SYSTEM = Actor.system("test")
pytestmark = pytest.mark.plugins(accord_sales.hooks)
OPPORTUNITIES = "/api/v1/sales/opportunities"
QUOTES = "/api/v1/sales/quotes"


def _rows(kernel, model):
    with kernel.bound():
        return [r.__data__ for r in model.select().order_by(model.id)]


def test_item_13_records_go_only_to_the_actors_teams(kernel, make_api_client):
    team = services.create(kernel, "team", {"name": "north"}, actor=SYSTEM)
    rep = make_api_client("sales")  # rule for sales.opportunity: own; in no team
    org = services.create(kernel, "organization", {"name": "Acme"}, actor=SYSTEM)
    made = rep.post(OPPORTUNITIES, json={"name": "Seats", "organization_id": org.id})
    assert made.status_code == 201, made.get_json()
    deal = made.get_json()
    before = _rows(kernel, Opportunity)

    moved = rep.patch(f"{OPPORTUNITIES}/{deal['id']}", json={"team_id": team.id})
    assert problem(moved, 403)["detail"] == (
        f"{rep.user.email} may only put sales.opportunity records in their own teams "
        "(rule: own)")
    placed = rep.post(OPPORTUNITIES, json={"name": "More", "organization_id": org.id,
                                           "team_id": team.id})
    assert problem(placed, 403)["detail"] == moved.get_json()["detail"]
    assert _rows(kernel, Opportunity) == before

    # A team the record already has (an admin put it there) may be sent back unchanged.
    services.update(kernel, "sales.opportunity", deal["id"], {"team_id": team.id},
                    actor=SYSTEM)
    sent_back = rep.patch(f"{OPPORTUNITIES}/{deal['id']}",
                          json={"team_id": team.id, "name": "Seats 2"})
    assert sent_back.status_code == 200, sent_back.get_json()
    assert sent_back.get_json()["team_id"] == team.id


def test_item_12_users_holding_more_than_the_actor_need_admin_users(kernel, make_api_client):
    admin = services.create(kernel, "user", {"email": "boss@example.com", "name": "Boss",
                                             "role": "admin"}, actor=SYSTEM)
    make_api_client("admin")  # so that admin is not the last one
    reader = services.create(kernel, "user", {"email": "rita@example.com", "name": "Rita",
                                              "role": "read-only"}, actor=SYSTEM)
    manager = make_api_client("manager")
    before = _rows(kernel, User)
    refusal = (f"{manager.user.email} (manager) lacks the permission admin.users, needed to "
               "{verb} a user whose role (admin) holds permissions they lack")

    for change in ({"active": False}, {"email": "mine@example.com"}, {"name": "Bossy"}):
        response = manager.patch(f"/api/v1/users/{admin.id}", json=change)
        assert problem(response, 403)["detail"] == refusal.format(verb="change"), change
    deleted = manager.delete(f"/api/v1/users/{admin.id}")
    assert problem(deleted, 403)["detail"] == refusal.format(verb="delete")
    assert _rows(kernel, User) == before

    # A user whose role holds nothing the manager lacks stays theirs to manage.
    renamed = manager.patch(f"/api/v1/users/{reader.id}", json={"name": "Rita R."})
    assert renamed.status_code == 200, renamed.get_json()
    assert renamed.get_json()["name"] == "Rita R."


def test_item_11_a_uniqueness_message_does_not_map_hidden_values_to_records(
        kernel, make_api_client):
    role_services.add_role(kernel, "clerk", grants=["core.contact.read", "core.contact.write"],
                           rules={"contact": "all"}, actor=SYSTEM)
    services.create(kernel, "contact", {"last_name": "Lovelace", "email": "ada@example.com"},
                    actor=SYSTEM)
    clerk = make_api_client("clerk")
    before = _rows(kernel, Contact)

    response = clerk.post("/api/v1/contacts", json={"last_name": "Byron",
                                                    "email": "ADA@example.com"})
    assert problem(response, 422)["errors"] == {"email": ["this email address is already used"]}
    assert _rows(kernel, Contact) == before

    # Who may read personal data still learns which contact holds it.
    seller = make_api_client("sales")
    response = seller.post("/api/v1/contacts", json={"last_name": "Byron",
                                                     "email": "ada@example.com"})
    holder = before[0]["id"]
    assert problem(response, 422)["errors"] == {"email": [
        f"ada@example.com is already the email of contact {holder}"]}
    assert _rows(kernel, Contact) == before


def test_item_6_a_write_names_only_records_the_actor_can_read(kernel, make_api_client):
    role_services.add_role(kernel, "rep", grants=["core.*.read", "core.activity.write",
                                                  "sales.*"],
                           rules={"*": "own"}, actor=SYSTEM)
    other = make_api_client("sales")
    rep = make_api_client("rep")
    theirs = services.create(kernel, "organization", {"name": "Theirs",
                                                      "owner_id": other.user.id},
                             actor=SYSTEM)
    their_deal = services.create(kernel, "sales.opportunity", {
        "name": "Their deal", "organization_id": theirs.id, "owner_id": other.user.id},
        actor=SYSTEM)
    mine = services.create(kernel, "organization", {"name": "Mine", "owner_id": rep.user.id},
                           actor=SYSTEM)
    assert rep.get(f"/api/v1/organizations/{theirs.id}").status_code == 404
    before = {m: _rows(kernel, m) for m in (Opportunity, Quote, Activity)}

    deal = rep.post(OPPORTUNITIES, json={"name": "Seats", "organization_id": theirs.id})
    assert problem(deal, 422)["errors"] == {
        "organization_id": [f"there is no organization {theirs.id}"]}
    quote = rep.post(QUOTES, json={"name": "Offer", "organization_id": theirs.id})
    assert problem(quote, 422)["errors"] == {
        "organization_id": [f"there is no organization {theirs.id}"]}
    note = rep.post("/api/v1/activities", json={
        "kind": "note", "subject": "Called", "record_type": "sales.opportunity",
        "record_id": their_deal.id})
    assert problem(note, 422)["errors"] == {
        "record_id": [f"there is no sales.opportunity {their_deal.id}"]}
    # The same answer as for an id that does not exist.
    missing = rep.post(OPPORTUNITIES, json={"name": "Seats", "organization_id": 999_999})
    assert problem(missing, 422)["errors"] == {
        "organization_id": ["there is no organization 999999"]}
    # Moving one's own deal onto another's organization is refused alike.
    own = rep.post(OPPORTUNITIES, json={"name": "Own", "organization_id": mine.id})
    assert own.status_code == 201, own.get_json()
    before[Opportunity] = _rows(kernel, Opportunity)
    moved = rep.patch(f"{OPPORTUNITIES}/{own.get_json()['id']}",
                      json={"organization_id": theirs.id})
    assert problem(moved, 422)["errors"] == {
        "organization_id": [f"there is no organization {theirs.id}"]}
    assert {m: _rows(kernel, m) for m in (Opportunity, Quote, Activity)} == before

    # What the rep can read is accepted.
    allowed = rep.post("/api/v1/activities", json={
        "kind": "note", "subject": "Called", "record_type": "sales.opportunity",
        "record_id": own.get_json()["id"]})
    assert allowed.status_code == 201, allowed.get_json()

    # A link field names only records the writer can read (here: no product read).
    role_services.add_role(kernel, "clerk", grants=["core.contact.read", "core.contact.write"],
                           actor=SYSTEM)
    product = services.create(kernel, "product", {"sku": "SEAT", "name": "Seat"}, actor=SYSTEM)
    clerk = make_api_client("clerk")
    contacts = _rows(kernel, Contact)
    linked = clerk.post("/api/v1/contacts", json={"last_name": "Byron",
                                                  "products_of_interest": [product.id]})
    assert problem(linked, 422)["errors"] == {
        "products_of_interest": [f"there is no product {product.id}"]}
    assert _rows(kernel, Contact) == contacts
    plain = clerk.post("/api/v1/contacts", json={"last_name": "Byron"})
    assert plain.status_code == 201, plain.get_json()
