"""Assigning records to users and teams, and moving all of a user's records at once."""

from __future__ import annotations

import pytest

from accord import services, signals
from accord.errors import NotFound, ValidationError
from accord.hooks import hookimpl
from accord.models import Activity, AuditEntry, Contact, Organization
from accord.plugins import PluginManifest
from accord.services.assignment import assign, transfer

OWNED = {"organization": Organization, "contact": Contact, "activity": Activity}


def user(kernel, actor, email, **extra):
    return services.create(kernel, "user", {"email": email, "name": email.split("@")[0],
                                            "role": "sales", **extra}, actor=actor)


@pytest.fixture
def people(kernel, actor):
    """maria owns 3 organizations, 2 contacts and 2 activities; tom owns one of each."""
    maria = user(kernel, actor, "maria@example.com")
    tom = user(kernel, actor, "tom@example.com")
    priya = user(kernel, actor, "priya@example.com")
    services.bulk_create(kernel, "organization", [
        {"name": f"Maria's {i}", "owner_id": maria.id} for i in range(3)]
        + [{"name": "Tom's", "owner_id": tom.id}], actor=actor)
    services.bulk_create(kernel, "contact", [
        {"last_name": "M1", "owner_id": maria.id}, {"last_name": "M2", "owner_id": maria.id},
        {"last_name": "T1", "owner_id": tom.id}], actor=actor)
    services.bulk_create(kernel, "activity", [
        {"kind": "call", "subject": "m1", "owner_id": maria.id},
        {"kind": "task", "subject": "m2", "owner_id": maria.id},
        {"kind": "note", "subject": "t1", "owner_id": tom.id}], actor=actor)
    return {"maria": maria.id, "tom": tom.id, "priya": priya.id}


def owners(kernel):
    """{type: sorted owner ids of its records}."""
    with kernel.bound():
        return {name: sorted(r.owner_id for r in model.select())
                for name, model in OWNED.items()}


def updates(kernel):
    with kernel.bound():
        return list(AuditEntry.select().where(AuditEntry.action == "updated")
                    .order_by(AuditEntry.id))


# Assign ---------------------------------------------------------------------

@pytest.mark.parametrize("ref", ["id", "maria@example.com", "Maria@Example.COM"])
def test_assign_to_a_user_by_id_or_email(kernel, actor, people, ref):
    org = services.create(kernel, "organization", {"name": "Lumen"}, actor=actor)
    target = people["maria"] if ref == "id" else ref
    record = assign(kernel, "organization", org.id, user=target, actor=actor)
    assert services.get(kernel, "organization", org.id).owner_id == people["maria"]
    assert record.version == 2
    [entry] = updates(kernel)
    assert (entry.record_id, entry.actor_label) == (org.id, "test")
    assert entry.changes == {"owner_id": [None, people["maria"]]}


def test_assign_to_a_team_by_name_or_id_and_to_both(kernel, actor, people):
    north = services.create(kernel, "team", {"name": "North"}, actor=actor)
    south = services.create(kernel, "team", {"name": "South"}, actor=actor)
    contact = services.create(kernel, "contact", {"last_name": "Ng"}, actor=actor)
    assign(kernel, "contact", contact.id, team="North", actor=actor)
    assert services.get(kernel, "contact", contact.id).team_id == north.id
    assign(kernel, "contact", contact.id, team=south.id, user="tom@example.com", actor=actor)
    stored = services.get(kernel, "contact", contact.id)
    assert (stored.team_id, stored.owner_id) == (south.id, people["tom"])
    assert updates(kernel)[-1].changes == {"team_id": [north.id, south.id],
                                           "owner_id": [None, people["tom"]]}


@pytest.mark.parametrize("kwargs, error, message", [
    ({"user": "ghost@example.com"}, NotFound, "no user 'ghost@example.com' (give an id or an "
     "email)"),
    ({"user": 999}, NotFound, "no user 999 (give an id or an email)"),
    ({"team": "Nowhere"}, NotFound, "no team 'Nowhere' (give an id or a name)"),
    ({}, ValidationError, "to: name a user or a team to assign to"),
])
def test_assign_refusals_leave_the_record_as_it_was(kernel, actor, people, kwargs, error,
                                                    message):
    org = services.create(kernel, "organization", {"name": "Lumen", "owner_id": people["tom"]},
                          actor=actor)
    with pytest.raises(error) as exc:
        assign(kernel, "organization", org.id, actor=actor, **kwargs)
    assert str(exc.value) == message
    assert services.get(kernel, "organization", org.id).owner_id == people["tom"]
    assert updates(kernel) == []


def test_records_without_an_owner_cannot_be_assigned(kernel, actor, people):
    product = services.create(kernel, "product", {"sku": "P", "name": "P"}, actor=actor)
    with pytest.raises(ValidationError) as exc:
        assign(kernel, "product", product.id, user=people["tom"], actor=actor)
    assert exc.value.messages == {"type": ["product records have no owner to assign"]}
    with pytest.raises(NotFound, match="organization 999 does not exist"):
        assign(kernel, "organization", 999, user=people["tom"], actor=actor)


# Transfer -------------------------------------------------------------------

def test_transfer_moves_every_owned_record_and_audits_each(kernel, actor, people):
    maria, tom, priya = people["maria"], people["tom"], people["priya"]
    counts = transfer(kernel, from_user="maria@example.com", to_user=priya, actor=actor)
    assert counts == {"organization": 3, "contact": 2, "activity": 2, "goal": 0}
    assert owners(kernel) == {"organization": [tom, priya, priya, priya],
                              "contact": [tom, priya, priya],
                              "activity": [tom, priya, priya]}
    entries = updates(kernel)
    assert sorted((e.record_type, e.record_id) for e in entries) == sorted(
        (name, r.id) for name, model in OWNED.items()
        for r in model.select().where(model.owner == priya).bind(kernel.database))
    assert [(e.actor_label, e.changes) for e in entries] == [
        ("test", {"owner_id": [maria, priya]})] * 7


def test_transfer_of_one_type_leaves_the_others(kernel, actor, people):
    maria, tom, priya = people["maria"], people["tom"], people["priya"]
    assert transfer(kernel, from_user=maria, to_user=priya, type_name="contact",
                    actor=actor) == {"contact": 2}
    assert owners(kernel) == {"organization": [maria, maria, maria, tom],
                              "contact": [tom, priya, priya],
                              "activity": [maria, maria, tom]}
    assert {e.record_type for e in updates(kernel)} == {"contact"}
    with pytest.raises(ValidationError) as exc:
        transfer(kernel, from_user=maria, to_user=priya, type_name="product", actor=actor)
    assert exc.value.messages == {"type": ["product records have no owner"]}


def test_transfer_from_a_deactivated_user_is_the_point(kernel, actor, people):
    services.update(kernel, "user", people["maria"], {"active": False}, actor=actor)
    counts = transfer(kernel, from_user=people["maria"], to_user=people["tom"], actor=actor)
    assert sum(counts.values()) == 7
    assert set(owners(kernel)["organization"]) == {people["tom"]}


@pytest.mark.parametrize("source, target, error, message", [
    ("maria", "deactivated", ValidationError, "to: gone@example.com is deactivated; records "
     "would be lost to a user who cannot work them"),
    ("maria", "maria", ValidationError, "to: the records already belong to that user"),
    ("ghost@example.com", "tom", NotFound, "no user 'ghost@example.com' (give an id or an "
     "email)"),
    ("maria", "ghost@example.com", NotFound, "no user 'ghost@example.com' (give an id or an "
     "email)"),
])
def test_transfer_refusals_move_nothing(kernel, actor, people, source, target, error,
                                        message):
    gone = user(kernel, actor, "gone@example.com", active=False)
    refs = {**people, "deactivated": gone.id}
    before = owners(kernel)
    with pytest.raises(error) as exc:
        transfer(kernel, from_user=refs.get(source, source), to_user=refs.get(target, target),
                 actor=actor)
    assert str(exc.value) == message
    assert owners(kernel) == before
    assert updates(kernel) == []


class KeepActivities:
    """A plugin that refuses to move activities to another owner."""

    MANIFEST = PluginManifest(name="keep_activities", version="1.0.0")

    @hookimpl
    def validate_records(self, record_type, rows, existing):
        for index, (row, current) in enumerate(zip(rows, existing)):
            if record_type.name == "activity" and current is not None and "owner_id" in row:
                raise ValidationError({"owner_id": ["activities stay with their author"]},
                                      row=index)


def test_transfer_is_one_transaction_for_all_types(make_kernel, actor):
    kernel = make_kernel(plugins=[KeepActivities()], enable=["keep_activities"])
    maria = user(kernel, actor, "maria@example.com")
    priya = user(kernel, actor, "priya@example.com")
    services.create(kernel, "organization", {"name": "O", "owner_id": maria.id}, actor=actor)
    services.create(kernel, "contact", {"last_name": "C", "owner_id": maria.id}, actor=actor)
    services.create(kernel, "activity", {"kind": "call", "subject": "A",
                                         "owner_id": maria.id}, actor=actor)
    with pytest.raises(ValidationError, match="activities stay with their author"):
        transfer(kernel, from_user=maria.id, to_user=priya.id, actor=actor)
    # Organizations and contacts were moved before the veto; the whole transfer is undone.
    assert owners(kernel) == {name: [maria.id] for name in OWNED}
    assert updates(kernel) == []


def test_transfer_includes_plugin_record_types(make_kernel, plugins_folder, actor):
    kernel = make_kernel(plugins_dir=plugins_folder, enable=["acme_notes"])
    maria = user(kernel, actor, "maria@example.com")
    priya = user(kernel, actor, "priya@example.com")
    note = services.create(kernel, "acme_notes.note", {"title": "Call back",
                                                       "owner_id": maria.id}, actor=actor)
    counts = transfer(kernel, from_user=maria.id, to_user=priya.id, actor=actor)
    assert counts["acme_notes.note"] == 1
    assert services.get(kernel, "acme_notes.note", note.id).owner_id == priya.id


def test_transfer_announces_the_counts_after_commit(kernel, actor, people):
    received = []

    def receiver(sender, **kwargs):
        received.append((sender, kwargs["from_user"], kwargs["to_user"], kwargs["counts"]))

    with signals.records_transferred.connected_to(receiver):
        transfer(kernel, from_user=people["tom"], to_user=people["priya"], actor=actor)
    assert received == [(kernel, people["tom"], people["priya"],
                         {"organization": 1, "contact": 1, "activity": 1, "goal": 0})]
