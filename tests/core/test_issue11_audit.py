"""Issue 11 item 10: the audit trail obeys masking and record rules like every read."""

from __future__ import annotations

import pytest

import accord_sales.hooks
from accord import services
from accord.models import AuditEntry
from accord.services import Actor
from accord.services import roles as role_services
from accord.services.audit import write_audit
from accord.services.fields import add_field

SYSTEM = Actor.system("test")
pytestmark = pytest.mark.plugins(accord_sales.hooks)
AUDIT = "/api/v1/audit"


def _audit_rows(kernel):
    with kernel.bound():
        return [(e.id, e.action, e.record_type, e.record_id, e.changes)
                for e in AuditEntry.select().order_by(AuditEntry.id)]


def test_item_10_a_deleted_entry_masks_personal_custom_fields(kernel, make_api_client):
    add_field(kernel, "contact", "x_birthday", "text", personal=True, actor=SYSTEM)
    add_field(kernel, "contact", "x_tier", "text", actor=SYSTEM)
    contact = services.create(kernel, "contact", {
        "last_name": "Lovelace", "email": "ada@example.com", "x_birthday": "1815-12-10",
        "x_tier": "gold"}, actor=SYSTEM)
    services.delete(kernel, "contact", contact.id, actor=SYSTEM)
    # An entry in the shape deletes were written in before: the custom column whole.
    with kernel.bound(), kernel.transaction():
        write_audit(SYSTEM, "deleted", "contact", [(contact.id, {
            "owner": [None, None], "custom": [{"x_birthday": "1815-12-10", "x_tier": "gold"},
                                              None]})])
    role_services.add_role(kernel, "auditor", grants=["admin.audit", "core.*.read"],
                           rules={"*": "all"}, actor=SYSTEM)
    auditor = make_api_client("auditor")
    stored = _audit_rows(kernel)

    one = {"record_type": "contact", "record_id": contact.id}
    entries = auditor.get(AUDIT, query_string=one).get_json()["items"]
    legacy, deleted, created = entries
    assert deleted["action"] == "deleted"
    assert deleted["changes"]["x_birthday"] is None
    assert deleted["changes"]["email"] is None
    assert deleted["changes"]["x_tier"] == ["gold", None]
    assert "owner" not in deleted["changes"] and "custom" not in deleted["changes"]
    assert created["changes"]["x_birthday"] is None
    assert legacy["changes"]["custom"] == [{"x_birthday": None, "x_tier": "gold"}, None]
    assert _audit_rows(kernel) == stored  # reading changes nothing

    # Who may read personal data sees the values.
    admin = make_api_client("admin")
    entries = admin.get(AUDIT, query_string=one).get_json()["items"]
    assert entries[1]["changes"]["x_birthday"] == ["1815-12-10", None]
    assert entries[0]["changes"]["custom"][0]["x_birthday"] == "1815-12-10"


def test_item_10_the_audit_obeys_record_rules(kernel, make_api_client):
    north = services.create(kernel, "team", {"name": "north"}, actor=SYSTEM)
    south = services.create(kernel, "team", {"name": "south"}, actor=SYSTEM)
    role_services.add_role(kernel, "lead", grants=["admin.audit", "core.*.read",
                                                   "sales.opportunity.read"],
                           rules={"sales.opportunity": "team"}, actor=SYSTEM)
    lead = make_api_client("lead", teams=["north"])
    mate = make_api_client("sales", teams=["north"])
    stranger = make_api_client("sales", teams=["south"])
    org = services.create(kernel, "organization", {"name": "Acme"}, actor=SYSTEM)
    ours = [services.create(kernel, "sales.opportunity", {
        "name": f"Ours {n}", "organization_id": org.id, "owner_id": mate.user.id,
        "team_id": north.id}, actor=SYSTEM).id for n in range(3)]
    theirs = [services.create(kernel, "sales.opportunity", {
        "name": f"Theirs {n}", "organization_id": org.id, "owner_id": stranger.user.id,
        "team_id": south.id}, actor=SYSTEM).id for n in range(3)]
    for rid in ours + theirs:
        services.update(kernel, "sales.opportunity", rid, {"name": f"Deal {rid}"},
                        actor=SYSTEM)
    services.delete(kernel, "sales.opportunity", theirs[0], actor=SYSTEM)
    services.delete(kernel, "sales.opportunity", ours[0], actor=SYSTEM)

    listed = lead.get("/api/v1/sales/opportunities").get_json()["items"]
    assert sorted(o["id"] for o in listed) == ours[1:]
    entries = lead.get(AUDIT, query_string={"record_type": "sales.opportunity"}
                       ).get_json()["items"]
    assert {e["record_id"] for e in entries} == set(ours)
    assert [e["action"] for e in entries if e["record_id"] == ours[0]] == [
        "deleted", "updated", "created"]
    assert not any("Theirs" in str(e["changes"]) for e in entries)

    # Page by page, one entry at a time, the cursor never reaches another team's deal.
    seen, params = [], {"record_type": "sales.opportunity", "limit": 1}
    while True:
        page = lead.get(AUDIT, query_string=params).get_json()
        assert len(page["items"]) <= 1
        seen += page["items"]
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]
    assert [e["id"] for e in seen] == [e["id"] for e in entries]

    # An id filter naming another team's deal finds nothing, live or deleted.
    for rid in theirs[:2]:
        found = lead.get(AUDIT, query_string={"record_type": "sales.opportunity",
                                               "record_id": rid}).get_json()
        assert found == {"items": [], "next_cursor": None}
    # A rule of all sees every deal's entries.
    admin = make_api_client("admin")
    everything = admin.get(AUDIT, query_string={"record_type": "sales.opportunity",
                                                 "limit": 100}).get_json()["items"]
    assert {e["record_id"] for e in everything} == set(ours + theirs)


def test_item_10_types_the_reader_may_not_read_are_left_out(kernel, make_api_client):
    role_services.add_role(kernel, "books", grants=["admin.audit", "core.organization.read"],
                           rules={"*": "all"}, actor=SYSTEM)
    books = make_api_client("books")
    services.create(kernel, "organization", {"name": "Acme"}, actor=SYSTEM)
    services.create(kernel, "contact", {"last_name": "Lovelace"}, actor=SYSTEM)
    types = {e["record_type"] for e in books.get(AUDIT, query_string={"limit": 500}
                                                 ).get_json()["items"]}
    assert "organization" in types
    assert "contact" not in types and "sales.opportunity" not in types
