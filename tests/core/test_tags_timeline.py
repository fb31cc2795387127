"""Tags on any record, and the timeline of a record built from its activities."""

from __future__ import annotations

import datetime as dt

import pytest

from accord import services
from accord.errors import NotFound, ValidationError
from accord.models import Activity, AuditEntry, Tag, Tagging
from accord.services.tags import tag, tags_of, untag

UTC = dt.timezone.utc


def tag_audit(kernel):
    with kernel.bound():
        return [(e.action, e.record_type, e.record_id, e.actor_label, e.changes)
                for e in AuditEntry.select().where(AuditEntry.action.in_(["tagged", "untagged"]))
                .order_by(AuditEntry.id)]


@pytest.fixture
def org(kernel, actor):
    return services.create(kernel, "organization", {"name": "Northwind"}, actor=actor)


def test_tags_are_trimmed_lowercased_and_kept_once(kernel, actor, org):
    assert tag(kernel, "organization", org.id, [" VIP ", "Key-Account", "vip"],
               actor=actor) == ["key-account", "vip"]
    assert tag(kernel, "organization", org.id, ["Vip", "renewal"], actor=actor) == [
        "key-account", "renewal", "vip"]
    assert tags_of(kernel, "organization", org.id, actor=actor) == ["key-account", "renewal", "vip"]
    with kernel.bound():
        assert sorted(t.name for t in Tag.select()) == ["key-account", "renewal", "vip"]
        assert Tagging.select().count() == 3


def test_each_new_tag_is_audited_once(kernel, actor, org):
    tag(kernel, "organization", org.id, ["VIP", "key-account"], actor=actor)
    tag(kernel, "organization", org.id, ["vip"], actor=actor)
    assert tag_audit(kernel) == [
        ("tagged", "organization", org.id, "test", {"tags": [None, "key-account"]}),
        ("tagged", "organization", org.id, "test", {"tags": [None, "vip"]}),
    ]


def test_untag_removes_and_audits_only_what_the_record_had(kernel, actor, org):
    tag(kernel, "organization", org.id, ["vip", "renewal"], actor=actor)
    assert untag(kernel, "organization", org.id, ["VIP", "never-had"], actor=actor) == [
        "renewal"]
    assert untag(kernel, "organization", org.id, ["never-had"], actor=actor) == ["renewal"]
    assert tag_audit(kernel)[2:] == [
        ("untagged", "organization", org.id, "test", {"tags": [["vip"], None]})]


def test_tags_belong_to_one_record_of_one_type(kernel, actor, org):
    contact = services.create(kernel, "contact", {"last_name": "Schulz"}, actor=actor)
    tag(kernel, "organization", org.id, ["vip"], actor=actor)
    tag(kernel, "contact", contact.id, ["vip", "newsletter"], actor=actor)
    untag(kernel, "contact", contact.id, ["vip"], actor=actor)
    assert tags_of(kernel, "organization", org.id, actor=actor) == ["vip"]
    assert tags_of(kernel, "contact", contact.id, actor=actor) == ["newsletter"]


def test_tags_work_on_plugin_records(make_kernel, plugins_folder, actor):
    kernel = make_kernel(plugins_dir=plugins_folder, enable=["acme_notes"])
    note = services.create(kernel, "acme_notes.note", {"title": "Call back"}, actor=actor)
    assert tag(kernel, "acme_notes.note", note.id, ["Urgent"], actor=actor) == ["urgent"]


@pytest.mark.parametrize("names", [["ok", ""], ["ok", "   "], ["ok", "x" * 101]])
def test_a_bad_tag_is_refused_and_nothing_is_tagged(kernel, actor, org, names):
    with pytest.raises(ValidationError) as exc:
        tag(kernel, "organization", org.id, names, actor=actor)
    assert exc.value.messages == {"tag": ["a tag is 1 to 100 characters"]}
    assert tags_of(kernel, "organization", org.id, actor=actor) == []
    assert tag_audit(kernel) == []


def test_tagging_a_missing_record_is_not_found(kernel, actor):
    with pytest.raises(NotFound, match="organization 999 does not exist"):
        tag(kernel, "organization", 999, ["vip"], actor=actor)
    with kernel.bound():
        assert Tag.select().count() == 0


def test_deleting_a_record_removes_its_tags(kernel, actor, org):
    other = services.create(kernel, "organization", {"name": "Kestrel"}, actor=actor)
    tag(kernel, "organization", org.id, ["vip", "renewal"], actor=actor)
    tag(kernel, "organization", other.id, ["vip"], actor=actor)
    services.delete(kernel, "organization", other.id, actor=actor)
    with kernel.bound():
        assert Tagging.select().where(Tagging.record_id == other.id).count() == 0
    assert tags_of(kernel, "organization", org.id, actor=actor) == ["renewal", "vip"]
    # A new record (which SQLite may give the freed id) starts without tags.
    newcomer = services.create(kernel, "organization", {"name": "Cobalt"}, actor=actor)
    assert tags_of(kernel, "organization", newcomer.id, actor=actor) == []


# Timeline -------------------------------------------------------------------

def activity(kernel, actor, subject, **data):
    return services.create(kernel, "activity", {"kind": data.pop("kind", "call"),
                                                "subject": subject, **data}, actor=actor)


def at(day, hour=9):
    return dt.datetime(2024, 3, day, hour, tzinfo=UTC).isoformat()


def test_timeline_merges_both_kinds_of_link_newest_first(kernel, actor, org):
    other = services.create(kernel, "organization", {"name": "Kestrel"}, actor=actor)
    by_fk = activity(kernel, actor, "Intro call", organization_id=org.id, done_at=at(1))
    by_link = activity(kernel, actor, "Workshop", kind="meeting", record_type="organization",
                       record_id=org.id, due_at=at(20))
    both = activity(kernel, actor, "Renewal", organization_id=org.id,
                    record_type="organization", record_id=org.id, done_at=at(10))
    undated = activity(kernel, actor, "Prefers Italian invoices", kind="note",
                       organization_id=org.id)
    activity(kernel, actor, "Not ours", organization_id=other.id, done_at=at(15))
    activity(kernel, actor, "Not ours either", record_type="organization", record_id=other.id,
             done_at=at(16))

    items = services.timeline(kernel, "organization", org.id)
    assert [(i.source_id, i.title, i.kind) for i in items] == [
        (undated.id, "Prefers Italian invoices", "activity.note"),
        (by_link.id, "Workshop", "activity.meeting"),
        (both.id, "Renewal", "activity.call"),
        (by_fk.id, "Intro call", "activity.call"),
    ]
    with kernel.bound():
        created = Activity.get_by_id(undated.id).created_at
    assert [i.at for i in items] == [created, dt.datetime(2024, 3, 20, 9, tzinfo=UTC),
                                     dt.datetime(2024, 3, 10, 9, tzinfo=UTC),
                                     dt.datetime(2024, 3, 1, 9, tzinfo=UTC)]
    assert {(i.record_type, i.record_id, i.source_type) for i in items} == {
        ("organization", org.id, "activity")}
    assert [i.details for i in items] == [{"done": False}, {"done": False}, {"done": True},
                                          {"done": True}]


def test_timeline_of_a_contact_and_of_any_linked_record(kernel, actor, org):
    contact = services.create(kernel, "contact", {"last_name": "Schulz"}, actor=actor)
    product = services.create(kernel, "product", {"sku": "P", "name": "P"}, actor=actor)
    call = activity(kernel, actor, "Call Hanna", contact_id=contact.id, organization_id=org.id,
                    done_at=at(2))
    demo = activity(kernel, actor, "Demo", record_type="product", record_id=product.id,
                    done_at=at(3))
    assert [i.source_id for i in services.timeline(kernel, "contact", contact.id)] == [call.id]
    assert [i.source_id for i in services.timeline(kernel, "organization", org.id)] == [call.id]
    assert [i.source_id for i in services.timeline(kernel, "product", product.id)] == [demo.id]


def test_timeline_limit_keeps_the_newest(kernel, actor, org):
    ids = [activity(kernel, actor, f"Call {d}", organization_id=org.id, done_at=at(d)).id
           for d in (5, 1, 9, 3)]
    assert [i.source_id for i in services.timeline(kernel, "organization", org.id, limit=2)] == [
        ids[2], ids[0]]


def test_timeline_of_an_unknown_type_is_not_found(kernel, org):
    with pytest.raises(NotFound, match="unknown record type 'sales.deal'"):
        services.timeline(kernel, "sales.deal", 1)
    assert services.timeline(kernel, "organization", org.id) == []
