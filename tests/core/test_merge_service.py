"""Merging two contacts or two organizations (accord.services.merging): the field
choice, the core's own related rows moved, the audit entry, the outbox message, the
redirects and their chains, the safety net over any plugin's foreign keys, the
merge_records hook, and every refusal leaving the data as it was."""

from __future__ import annotations

import peewee
import pytest
from marshmallow import fields

from accord import services
from accord.errors import Conflict, NotFound, PermissionDenied, StaleVersion, ValidationError
from accord.hooks import hookimpl
from accord.models import (Activity, AuditEntry, Contact, ContactInterest, MergeRedirect,
                           Organization, OutboxMessage, OwnedRecord, Tagging)
from accord.plugins import PluginManifest
from accord.records import RecordType
from accord.schemas import OwnedRecordSchema
from accord.services import Actor
from accord.services.fields import add_field
from accord.services.merging import Moved, merge, move_rows, preview, resolve
from accord.services.plugins import disable
from accord.services.tags import tag, tags_of

SYSTEM = Actor.system("test")


def _contact(kernel, last="Doe", **extra):
    return services.create(kernel, "contact", {"last_name": last, **extra}, actor=SYSTEM)


def _org(kernel, name="Acme GmbH", **extra):
    return services.create(kernel, "organization", {"name": name, **extra}, actor=SYSTEM)


def _snapshot(kernel):
    """Everything a refused merge must leave as it was."""
    with kernel.bound():
        return {
            "contacts": [(c.id, c.version, c.email, c.phone, c.organization_id, c.custom)
                         for c in Contact.select().order_by(Contact.id)],
            "organizations": [(o.id, o.version, o.name, o.parent_id)
                              for o in Organization.select().order_by(Organization.id)],
            "activities": [(a.id, a.contact_id, a.organization_id, a.record_id)
                           for a in Activity.select().order_by(Activity.id)],
            "tags": sorted((t.record_type, t.record_id, t.tag_id) for t in Tagging.select()),
            "redirects": MergeRedirect.select().count(),
            "audit": AuditEntry.select().count(),
            "outbox": OutboxMessage.select().count(),
        }


def test_merge_moves_the_core_rows_and_keeps_a_redirect(kernel):
    org = _org(kernel)
    winner = _contact(kernel, "Doe", first_name="Jane", email="jane@example.com")
    loser = _contact(kernel, "Doe", first_name="Jane", phone="+49 30 1234567",
                     organization_id=org.id)
    seat = services.create(kernel, "product", {"sku": "SEAT", "name": "Seat"}, actor=SYSTEM)
    desk = services.create(kernel, "product", {"sku": "DESK", "name": "Desk"}, actor=SYSTEM)
    services.update(kernel, "contact", winner.id, {"products_of_interest": [seat.id]},
                    actor=SYSTEM)
    services.update(kernel, "contact", loser.id, {"products_of_interest": [seat.id, desk.id]},
                    actor=SYSTEM)
    call = services.create(kernel, "activity", {"kind": "call", "subject": "Called",
                                                "record_type": "contact",
                                                "record_id": loser.id}, actor=SYSTEM)
    note = services.create(kernel, "activity", {"kind": "note", "subject": "Met",
                                                "contact_id": loser.id}, actor=SYSTEM)
    tag(kernel, "contact", winner.id, ["vip"], actor=SYSTEM)
    tag(kernel, "contact", loser.id, ["vip", "newsletter"], actor=SYSTEM)
    version = services.get(kernel, "contact", winner.id).version

    result = merge(kernel, "contact", winner.id, loser.id, actor=SYSTEM)

    stored = services.get(kernel, "contact", winner.id)
    # Empty fields of the winner take the loser's values; the winner's own stay.
    assert (stored.first_name, stored.email, stored.phone, stored.organization_id) == (
        "Jane", "jane@example.com", "+49 30 1234567", org.id)
    assert stored.version > version
    with pytest.raises(NotFound, match=f"contact {loser.id} does not exist"):
        services.get(kernel, "contact", loser.id)
    with kernel.bound():
        assert Activity.get_by_id(call.id).record_id == winner.id
        assert Activity.get_by_id(note.id).contact_id == winner.id
        assert sorted(i.product_id for i in ContactInterest.select().where(
            ContactInterest.contact == winner.id)) == sorted([seat.id, desk.id])
        assert not ContactInterest.select().where(ContactInterest.contact == loser.id).exists()
        assert not Tagging.select().where(Tagging.record_id == loser.id,
                                          Tagging.record_type == "contact").exists()
    assert tags_of(kernel, "contact", winner.id, actor=SYSTEM) == ["newsletter", "vip"]
    assert result.moved == {"core": {"activities": 2, "tags": 2, "products of interest": 2}}
    assert resolve(kernel, "contact", loser.id) == winner.id
    assert resolve(kernel, "contact", winner.id) is None


def test_merge_writes_one_audit_entry_and_one_outbox_message(kernel):
    winner, loser = _contact(kernel, "Doe"), _contact(kernel, "Doe", city="Berlin")
    services.create(kernel, "activity", {"kind": "note", "subject": "x",
                                         "contact_id": loser.id}, actor=SYSTEM)
    with kernel.bound():
        outbox_before = OutboxMessage.select().count()
    merge(kernel, "contact", winner.id, loser.id, actor=Actor.system("merger"))
    with kernel.bound():
        merged = list(AuditEntry.select().where(AuditEntry.action == "merged"))
        assert [(e.record_type, e.record_id, e.actor_label) for e in merged] == [
            ("contact", winner.id, "merger")]
        assert merged[0].changes == {"merged_from": [None, loser.id],
                                     "moved": [None, {"core": {"activities": 1}}]}
        gone = AuditEntry.get(AuditEntry.record_id == loser.id,
                              AuditEntry.action == "deleted")
        assert gone.changes["merged_into"] == [None, winner.id]
        assert gone.changes["city"] == ["Berlin", None]
        topics = [(m.topic, m.payload) for m in OutboxMessage.select()
                  .where(OutboxMessage.id > 0).order_by(OutboxMessage.id)][outbox_before:]
    assert ("contact.merged", {"winner": winner.id, "loser": loser.id,
                               "moved": {"core": {"activities": 1}}}) in topics


def test_field_choice_winner_loser_and_explicit_values(kernel):
    add_field(kernel, "contact", "x_tier", "text", actor=SYSTEM)
    winner = _contact(kernel, "Doe", first_name="Jane", email="jane@example.com",
                      city="Bonn", x_tier="gold")
    loser = _contact(kernel, "Doe", first_name="Janet", email="janet@example.com",
                     city="Berlin", x_tier="silver", title="CEO")
    shown = preview(kernel, "contact", winner.id, loser.id, actor=SYSTEM,
                    values={"email": "loser", "x_tier": "loser", "city": "Köln"})
    kept = {f.name: (f.kept, f.source) for f in shown.fields}
    assert kept["email"] == ("janet@example.com", "loser")
    assert kept["city"] == ("Köln", "value")
    assert kept["first_name"] == ("Jane", "winner")
    assert kept["title"] == ("CEO", "loser")  # the winner had none
    merge(kernel, "contact", winner.id, loser.id, actor=SYSTEM,
          values={"email": "loser", "x_tier": "loser", "city": "Köln",
                  "first_name": "winner"})
    stored = services.dump(kernel, "contact", services.get(kernel, "contact", winner.id))
    assert (stored["email"], stored["x_tier"], stored["city"], stored["first_name"],
            stored["title"]) == ("janet@example.com", "silver", "Köln", "Jane", "CEO")


def test_merging_organizations_moves_contacts_activities_and_subsidiaries(kernel):
    winner, loser = _org(kernel, "Acme GmbH"), _org(kernel, "ACME")
    child = _org(kernel, "Acme Labs", parent_id=loser.id)
    under = services.update(kernel, "organization", winner.id, {"parent_id": loser.id},
                            actor=SYSTEM)
    person = _contact(kernel, "Doe", organization_id=loser.id)
    visit = services.create(kernel, "activity", {"kind": "meeting", "subject": "Visit",
                                                 "organization_id": loser.id}, actor=SYSTEM)
    result = merge(kernel, "organization", winner.id, loser.id, actor=SYSTEM)
    with kernel.bound():
        assert Contact.get_by_id(person.id).organization_id == winner.id
        assert Organization.get_by_id(child.id).parent_id == winner.id
        # The winner was under the loser: it is not made its own parent.
        assert Organization.get_by_id(winner.id).parent_id is None
        assert Activity.get_by_id(visit.id).organization_id == winner.id
        assert Contact.get_by_id(person.id).version == 2
    assert under.version == 2
    assert result.moved["core"] == {"contacts": 1, "activities": 1, "subsidiaries": 1}


def test_a_chain_of_merges_resolves_to_the_last_winner(kernel):
    first, second, third = (_contact(kernel, "Doe") for _ in range(3))
    merge(kernel, "contact", second.id, first.id, actor=SYSTEM)
    merge(kernel, "contact", third.id, second.id, actor=SYSTEM)
    assert resolve(kernel, "contact", first.id) == third.id
    assert resolve(kernel, "contact", second.id) == third.id
    assert resolve(kernel, "organization", first.id) is None


@pytest.mark.parametrize("case", ["same", "type", "missing", "permission", "stale",
                                  "field", "bad value"])
def test_refusals_name_the_problem_and_change_nothing(kernel, make_api_client, case):
    winner = _contact(kernel, "Doe", email="a@example.com")
    loser = _contact(kernel, "Doe", email="b@example.com")
    services.create(kernel, "activity", {"kind": "note", "subject": "x",
                                         "contact_id": loser.id}, actor=SYSTEM)
    client = make_api_client("sales")  # a user without admin.merge
    before = _snapshot(kernel)
    expected: tuple[type, str]
    call = dict(type_name="contact", winner_id=winner.id, loser_id=loser.id, actor=SYSTEM)
    if case == "same":
        call["loser_id"] = winner.id
        expected = (ValidationError, f"loser: contact {winner.id} cannot be merged into itself")
    elif case == "type":
        call["type_name"] = "product"
        expected = (ValidationError,
                    "type: only contact and organization records can be merged, not 'product'")
    elif case == "missing":
        call["loser_id"] = 99999
        expected = (NotFound, "contact 99999 does not exist")
    elif case == "permission":
        from accord.models import User
        from accord.services.authz import actor_for
        with kernel.bound():
            user = User.get(User.email == client.user.email)
        call["actor"] = actor_for(kernel, user)
        expected = (PermissionDenied, f"{client.user.email} (sales) lacks the permission "
                                      "admin.merge")
    elif case == "stale":
        call["loser_version"] = 7
        expected = (StaleVersion, f"contact {loser.id} is at version 1, not 7; reload it "
                                  "and try again")
    elif case == "field":
        call["values"] = {"shoe_size": "loser"}
        expected = (ValidationError, "values.shoe_size: contact has no field 'shoe_size' "
                                     "to choose")
    else:
        call["values"] = {"country": "Germany"}
        expected = (ValidationError, "values.country: Give a two-letter ISO country code "
                                     "such as DE or US.")
    with pytest.raises(expected[0]) as exc:
        merge(kernel, call.pop("type_name"), call.pop("winner_id"), call.pop("loser_id"),
              **call)
    assert str(exc.value) == expected[1]
    assert _snapshot(kernel) == before


# The safety net and the hook -------------------------------------------------

def manifest(name):
    return PluginManifest(name=name, version="1.0")


class Badge(OwnedRecord):
    """A row per contact (unique), deleted with it: a merge must move it or refuse."""

    contact = peewee.ForeignKeyField(Contact, on_delete="CASCADE", unique=True)
    label = peewee.CharField(max_length=50)

    class Meta:
        table_name = "badges_badge"


class Pin(OwnedRecord):
    contact = peewee.ForeignKeyField(Contact, on_delete="CASCADE")
    label = peewee.CharField(max_length=50)

    class Meta:
        table_name = "pins_pin"


class LabelSchema(OwnedRecordSchema):
    contact_id = fields.Integer(required=True)
    label = fields.String(required=True)


class Badges:
    MANIFEST = manifest("badges")

    @hookimpl
    def register_record_types(self):
        return [RecordType("badges.badge", Badge, LabelSchema, "badges", "Badge",
                           title_fields=("label",))]


class Pins:
    """Moves its pins itself (and says so), through the core's move_rows."""

    MANIFEST = manifest("pins")

    def __init__(self):
        self.calls = []

    @hookimpl
    def register_record_types(self):
        return [RecordType("pins.pin", Pin, LabelSchema, "pins", "Pin",
                           title_fields=("label",))]

    @hookimpl
    def merge_records(self, kernel, record_type, winner_id, loser_id):
        self.calls.append((record_type.name, winner_id, loser_id))
        if record_type.name != "contact":
            return []
        return [Moved("pins", move_rows(kernel, Pin.contact, winner_id, loser_id))]


def test_hook_merge_records(make_kernel):
    pins = Pins()
    kernel = make_kernel(plugins=[pins], enable=["pins"])
    with kernel.bound():
        kernel.database.create_tables([Pin])
    winner, loser = _contact(kernel, "Doe"), _contact(kernel, "Doe")
    pin = services.create(kernel, "pins.pin", {"contact_id": loser.id, "label": "red"},
                          actor=SYSTEM)
    result = merge(kernel, "contact", winner.id, loser.id, actor=SYSTEM)
    assert pins.calls == [("contact", winner.id, loser.id)]
    assert result.moved == {"pins": {"pins": 1}}
    stored = services.get(kernel, "pins.pin", pin.id)
    assert (stored.contact_id, stored.version) == (winner.id, 2)


def test_a_disabled_plugins_rows_are_moved_not_lost(make_kernel):
    kernel = make_kernel(plugins=[Badges()], enable=["badges"])
    with kernel.bound():
        kernel.database.create_tables([Badge])
    winner, loser = _contact(kernel, "Doe"), _contact(kernel, "Doe")
    badge = services.create(kernel, "badges.badge", {"contact_id": loser.id, "label": "gold"},
                            actor=SYSTEM)
    disable(kernel, "badges", actor=SYSTEM)
    result = merge(kernel, "contact", winner.id, loser.id, actor=SYSTEM)
    with kernel.bound():
        assert Badge.get_by_id(badge.id).contact_id == winner.id
    assert result.moved == {"badges": {"badges badge": 1}}


def test_a_move_a_unique_index_refuses_stops_the_merge_with_409(make_kernel):
    kernel = make_kernel(plugins=[Badges()], enable=["badges"])
    with kernel.bound():
        kernel.database.create_tables([Badge])
    winner, loser = _contact(kernel, "Doe"), _contact(kernel, "Doe")
    for person, label in ((winner, "gold"), (loser, "silver")):
        services.create(kernel, "badges.badge", {"contact_id": person.id, "label": label},
                        actor=SYSTEM)
    disable(kernel, "badges", actor=SYSTEM)
    before = _snapshot(kernel)
    with pytest.raises(Conflict) as exc:
        merge(kernel, "contact", winner.id, loser.id, actor=SYSTEM)
    assert str(exc.value) == (f"contact {loser.id} cannot be merged: rows of the table "
                              "badges_badge name both records and may not be joined; merge "
                              "them in that plugin first")
    assert _snapshot(kernel) == before
    with kernel.bound():
        assert sorted(b.contact_id for b in Badge.select()) == [winner.id, loser.id]


def test_a_restricted_merger_reaches_only_records_within_its_rule(kernel, make_api_client):
    from accord.models import User
    from accord.services.authz import actor_for
    from accord.services.roles import add_role

    add_role(kernel, "deduper", actor=SYSTEM, grants=["admin.merge", "core.contact.*"],
             rules={"contact": "own"})
    client = make_api_client("deduper")
    with kernel.bound():
        user = User.get(User.email == client.user.email)
    deduper = actor_for(kernel, user)
    mine = _contact(kernel, "Doe", owner_id=user.id, city="Bonn")
    also_mine = _contact(kernel, "Doe", owner_id=user.id, email="x@example.com")
    theirs = _contact(kernel, "Doe", city="Berlin")
    before = _snapshot(kernel)
    with pytest.raises(NotFound, match=f"contact {theirs.id} does not exist"):
        merge(kernel, "contact", mine.id, theirs.id, actor=deduper)
    with pytest.raises(NotFound, match=f"contact {theirs.id} does not exist"):
        preview(kernel, "contact", mine.id, theirs.id, actor=deduper)
    assert _snapshot(kernel) == before
    # Without core.personal_data.read the preview hides the personal fields.
    shown = {f.name: f for f in preview(kernel, "contact", mine.id, also_mine.id,
                                        actor=deduper).fields}
    assert (shown["email"].winner, shown["email"].loser, shown["email"].kept) == (
        None, None, None)
    assert shown["city"].winner is None  # a contact's address is personal data too
    merge(kernel, "contact", mine.id, also_mine.id, actor=deduper)
    assert services.get(kernel, "contact", mine.id).email == "x@example.com"


def test_an_opt_out_of_either_stays_and_no_organization_becomes_its_own_parent(kernel):
    winner = _contact(kernel, "Doe")
    loser = _contact(kernel, "Doe", email_opt_out=True)
    merge(kernel, "contact", winner.id, loser.id, actor=SYSTEM)
    assert services.get(kernel, "contact", winner.id).email_opt_out is True
    parent = _org(kernel, "Acme Holding")
    branch = _org(kernel, "Acme", parent_id=parent.id)
    merge(kernel, "organization", parent.id, branch.id, actor=SYSTEM,
          values={"parent_id": "loser"})
    assert services.get(kernel, "organization", parent.id).parent_id is None
