"""Signals: sent after commit with sender=kernel; never by a failed write; a failing
receiver is logged and cannot break the write."""

from __future__ import annotations

import contextlib
import logging

import pytest

from accord import services, signals
from accord.errors import NotFound, StaleVersion, ValidationError
from accord.models import Contact, Organization


@contextlib.contextmanager
def listening(*sigs, sender=None):
    """Collect (signal name, sender, kwargs) of every signal sent inside the block."""
    got = []
    with contextlib.ExitStack() as stack:
        for sig in sigs:
            def receiver(sent_by, _name=sig.name, **kwargs):
                got.append((_name, sent_by, kwargs))
            if sender is None:
                stack.enter_context(sig.connected_to(receiver))
            else:
                stack.enter_context(sig.connected_to(receiver, sender=sender))
        yield got


ALL = (signals.record_created, signals.record_updated, signals.record_deleted)


def test_create_update_delete_each_send_one_signal(kernel, actor):
    with listening(*ALL) as got:
        org = services.create(kernel, "organization", {"name": "Northwind"}, actor=actor)
        services.update(kernel, "organization", org.id, {"city": "Hamburg"}, actor=actor)
        services.delete(kernel, "organization", org.id, actor=actor)
    assert got == [
        ("record-created", kernel, {"record_type": "organization", "ids": [org.id],
                                    "actor": actor}),
        ("record-updated", kernel, {"record_type": "organization", "ids": [org.id],
                                    "changes": [{"city": [None, "Hamburg"]}], "actor": actor}),
        ("record-deleted", kernel, {"record_type": "organization", "ids": [org.id],
                                    "actor": actor}),
    ]


def test_bulk_writes_send_one_signal_per_batch(kernel, actor):
    with listening(*ALL) as got:
        ids = services.bulk_create(kernel, "contact",
                                   [{"last_name": f"P{i}"} for i in range(600)], actor=actor)
        services.bulk_update(kernel, "contact", [(ids[0], {"title": "CEO"}),
                                                 (ids[1], {"last_name": "P1"}),
                                                 (ids[2], {"title": "CFO"})], actor=actor)
    assert [(name, kw["ids"]) for name, _, kw in got] == [
        ("record-created", ids), ("record-updated", [ids[0], ids[2]])]
    assert got[1][2]["changes"] == [{"title": [None, "CEO"]}, {"title": [None, "CFO"]}]


def test_an_update_that_changes_nothing_sends_nothing(kernel, actor):
    org = services.create(kernel, "organization", {"name": "Northwind"}, actor=actor)
    with listening(*ALL) as got:
        services.update(kernel, "organization", org.id, {"name": "Northwind"}, actor=actor)
    assert got == []


def test_the_signal_comes_after_commit(make_kernel, actor):
    kernel = make_kernel()
    elsewhere = make_kernel()  # another connection to the same database
    seen = []

    def receiver(sender, ids, **kwargs):
        with elsewhere.bound():
            seen.append([c.last_name for c in Contact.select().where(Contact.id.in_(ids))])

    with signals.record_created.connected_to(receiver, sender=kernel):
        services.bulk_create(kernel, "contact", [{"last_name": "Ng"}, {"last_name": "Ho"}],
                             actor=actor)
    assert seen == [["Ng", "Ho"]]


def test_receivers_for_another_kernel_hear_nothing(make_kernel, actor):
    kernel, other = make_kernel(), make_kernel()
    with listening(signals.record_created, sender=other) as got:
        services.create(kernel, "organization", {"name": "Northwind"}, actor=actor)
    assert got == []
    with listening(signals.record_created, sender=kernel) as got:
        services.create(kernel, "organization", {"name": "Kestrel"}, actor=actor)
    assert len(got) == 1


def test_a_failing_receiver_is_logged_and_does_not_break_the_write(kernel, actor, caplog):
    def broken(sender, **kwargs):
        raise RuntimeError("webhook down")

    with signals.record_created.connected_to(broken), listening(signals.record_created) as got:
        with caplog.at_level(logging.ERROR, logger="accord.signals"):
            org = services.create(kernel, "organization", {"name": "Northwind"}, actor=actor)
    assert services.get(kernel, "organization", org.id).name == "Northwind"
    assert len(got) == 1  # the other receiver still heard it
    [record] = [r for r in caplog.records if r.name == "accord.signals"]
    assert record.levelno == logging.ERROR
    assert "record-created" in record.getMessage() and "failed" in record.getMessage()
    assert str(record.exc_info[1]) == "webhook down"


@pytest.mark.parametrize("write, error", [
    (lambda k, a, org: services.create(k, "organization", {"name": ""}, actor=a),
     ValidationError),
    (lambda k, a, org: services.create(k, "contact", {"last_name": "X", "organization_id": 999},
                                       actor=a), ValidationError),
    (lambda k, a, org: services.bulk_create(k, "organization", [{"name": "A"},
                                                                {"name": "B", "size": -1}],
                                            actor=a), ValidationError),
    (lambda k, a, org: services.update(k, "organization", org.id, {"city": "Ulm"}, actor=a,
                                       version=7), StaleVersion),
    (lambda k, a, org: services.update(k, "organization", org.id, {"relationship": "enemy"},
                                       actor=a), ValidationError),
    (lambda k, a, org: services.delete(k, "organization", org.id, actor=a, version=7),
     StaleVersion),
    (lambda k, a, org: services.delete(k, "organization", 999, actor=a), NotFound),
], ids=["create", "reference", "bulk", "stale-update", "veto", "stale-delete", "missing"])
def test_a_failed_write_sends_no_signal(kernel, actor, write, error):
    org = services.create(kernel, "organization", {"name": "Northwind"}, actor=actor)
    with listening(*ALL) as got, pytest.raises(error):
        write(kernel, actor, org)
    assert got == []
    with kernel.bound():
        assert [(o.name, o.version) for o in Organization.select()] == [("Northwind", 1)]


def test_signals_inside_a_transaction_wait_for_its_commit(kernel, actor):
    with listening(*ALL) as got:
        with kernel.transaction():
            org = services.create(kernel, "organization", {"name": "Northwind"}, actor=actor)
            services.update(kernel, "organization", org.id, {"city": "Hamburg"}, actor=actor)
            assert got == []
        assert [(name, kw["ids"]) for name, _, kw in got] == [
            ("record-created", [org.id]), ("record-updated", [org.id])]


def test_a_rolled_back_transaction_sends_nothing(kernel, actor):
    with listening(*ALL) as got:
        with pytest.raises(RuntimeError), kernel.transaction():
            services.create(kernel, "organization", {"name": "Northwind"}, actor=actor)
            raise RuntimeError("changed my mind")
        # The next transaction's signals are not mixed with the discarded ones.
        with kernel.transaction():
            kept = services.create(kernel, "organization", {"name": "Kestrel"}, actor=actor)
    assert [(name, kw["ids"]) for name, _, kw in got] == [("record-created", [kept.id])]
    with kernel.bound():
        assert [o.name for o in Organization.select()] == ["Kestrel"]


def test_a_write_that_fails_inside_a_transaction_sends_only_the_others(kernel, actor):
    with listening(*ALL) as got:
        with kernel.transaction():
            good = services.create(kernel, "organization", {"name": "Northwind"}, actor=actor)
            with pytest.raises(ValidationError):
                services.create(kernel, "organization", {"name": "Bad", "size": -1},
                                actor=actor)
    assert [(name, kw["ids"]) for name, _, kw in got] == [("record-created", [good.id])]
    with kernel.bound():
        assert [o.name for o in Organization.select()] == ["Northwind"]
