"""A single create writes with the fewest statements: the record comes back from its
INSERT (no read-back) and a unique index refuses a taken value inside the INSERT (no
probe first, no aborted transaction), yet the record and the errors are the same."""

from __future__ import annotations

import logging
import threading

import pytest

from accord import services
from accord.database import is_postgres
from accord.errors import ValidationError
from accord.models import AuditEntry, Contact, Product, User
from accord.services.fields import add_field

from test_records import CASES  # the one create per core record type


def _dump(kernel, type_name, record):
    return services.dump(kernel, type_name, record)


@pytest.mark.parametrize("type_name", list(CASES))
def test_the_record_a_create_returns_is_the_stored_one(kernel, actor, type_name):
    data, _ = CASES[type_name]
    created = services.create(kernel, type_name, data, actor=actor)

    stored = services.get(kernel, type_name, created.id)
    assert _dump(kernel, type_name, created) == _dump(kernel, type_name, stored)
    assert created.version == 1 and created.created_at == stored.created_at


def test_a_contact_with_custom_fields_comes_back_as_stored(kernel, actor):
    add_field(kernel, "contact", "x_tier", "choice", choices=["gold", "silver"], actor=actor)
    add_field(kernel, "contact", "x_renewal", "date", actor=actor)
    created = services.create(kernel, "contact", {
        "first_name": "Ada", "last_name": "Byron", "email": "ada@engine.example",
        "x_tier": "gold", "x_renewal": "2027-03-01"}, actor=actor)

    shown = _dump(kernel, "contact", created)
    assert shown["x_tier"] == "gold" and shown["x_renewal"] == "2027-03-01"
    assert shown == _dump(kernel, "contact", services.get(kernel, "contact", created.id))


def _messages(body, texts=None):
    """What ``body`` sends to the server, a list per message (several statements may go
    in one), each statement by its first word (and table for INSERTs); each message's
    text is added to ``texts``."""
    sent: list[list[str]] = []

    class Listen(logging.Handler):
        def emit(self, record):
            if isinstance(record.msg, tuple):
                sent.append([_word(sql) for sql in record.msg[0].split("; ")])
                if texts is not None:
                    texts.append(record.msg[0])

    peewee_log = logging.getLogger("peewee")
    handler, level = Listen(), peewee_log.level
    peewee_log.addHandler(handler)
    peewee_log.setLevel(logging.DEBUG)
    try:
        body()
    finally:
        peewee_log.removeHandler(handler)
        peewee_log.setLevel(level)
    return sent


def _word(sql):
    words = sql.split()
    return words[0].upper() + (f" {words[2].strip(chr(34))}" if words[0].upper() == "INSERT"
                               else "")


def test_a_single_create_in_a_callers_transaction_costs_one_round_trip_on_postgresql(
        kernel, actor):
    # The first write of a kernel reads what it caches (the webhook subscriptions).
    services.create(kernel, "contact", {"last_name": "Kent"}, actor=actor)

    def create():
        with kernel.transaction():
            services.create(kernel, "contact", {"last_name": "Lane",
                                                "email": "lois@planet.example"}, actor=actor)
            sent.extend(_messages(lambda: services.create(
                kernel, "contact", {"last_name": "Olsen"}, actor=actor), sent_sql))

    sent: list[list[str]] = []
    sent_sql: list[str] = []
    create()
    if is_postgres(kernel.database):
        # SAVEPOINT goes with the INSERT, and the audit row in the INSERT's statement;
        # RELEASE waits for the next statement, and the previous create's RELEASE went
        # with this one's SAVEPOINT.
        assert sent == [["RELEASE", "SAVEPOINT", "WITH"]]
        assert sent_sql[0].split("; ")[-1].startswith(
            'WITH written AS (INSERT INTO "accord_contact" ')
        assert 'along AS (INSERT INTO "accord_audit" ' in sent_sql[0]
    else:
        assert sent == [["SAVEPOINT"], ["INSERT accord_contact"], ["INSERT accord_audit"],
                        ["RELEASE"]]
    with kernel.bound():
        assert [c.last_name for c in Contact.select().order_by(Contact.id)] == [
            "Kent", "Lane", "Olsen"]
        entries = AuditEntry.select().where(AuditEntry.action == "created").order_by(
            AuditEntry.id)
        assert [(e.record_type, e.record_id, e.changes, e.actor_id) for e in entries] == [
            ("contact", c.id, {"last_name": [None, c.last_name], "call_opt_out": [None, False],
                               "email_opt_out": [None, False]}
             | ({"email": [None, c.email]} if c.email else {}), actor.user_id)
            for c in Contact.select().order_by(Contact.id)]


@pytest.mark.parametrize("type_name, first, second, field, message", [
    ("contact", {"last_name": "Rossi", "email": "giulia@meridian.example"},
     {"last_name": "Bianchi", "email": "GIULIA@meridian.example"}, "email",
     "GIULIA@meridian.example is already the email of contact {id}"),
    ("product", {"sku": "CRM-STD", "name": "Standard seat"},
     {"sku": "CRM-STD", "name": "Another seat"}, "sku",
     "'CRM-STD' is already used by product {id}"),
    ("user", {"email": "ann@example.com", "name": "Ann", "role": "sales"},
     {"email": "ann@example.com", "name": "Ann again", "role": "sales"}, "email",
     "'ann@example.com' is already used by user {id}"),
])
def test_a_taken_unique_value_is_refused_and_the_callers_transaction_goes_on(
        kernel, actor, type_name, first, second, field, message):
    model = {"contact": Contact, "product": Product, "user": User}[type_name]
    with kernel.bound():
        before = model.select().count()
    with kernel.transaction():
        holder = services.create(kernel, type_name, first, actor=actor)
        with pytest.raises(ValidationError) as exc:
            services.create(kernel, type_name, second, actor=actor)
        assert exc.value.messages == {field: [message.format(id=holder.id)]}
        # On PostgreSQL a failed statement would have aborted the transaction.
        services.create(kernel, "organization", {"name": "Still writing"}, actor=actor)

    with kernel.bound():
        assert model.select().count() == before + 1
        created = [e.record_type for e in AuditEntry.select().where(
            AuditEntry.action == "created", AuditEntry.record_type.in_([type_name,
                                                                       "organization"]))]
    assert sorted(created).count(type_name) == 1 and "organization" in created


def test_two_clients_racing_for_one_email_get_one_contact_and_a_worded_refusal(
        kernel, actor):
    """The second INSERT waits on the first's index entry; once that commits it is
    refused with the holder named, not a bare integrity error."""
    results: dict[str, object] = {}
    inside = threading.Event()
    release = threading.Event()

    def first():
        with kernel.transaction():
            results["first"] = services.create(
                kernel, "contact", {"last_name": "One", "email": "race@example.com"},
                actor=actor).id
            inside.set()
            release.wait(10)

    def second():
        inside.wait(10)
        try:
            services.create(kernel, "contact", {"last_name": "Two",
                                                "email": "RACE@example.com"}, actor=actor)
        except ValidationError as exc:
            results["second"] = exc.messages

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    inside.wait(10)
    threading.Timer(0.3, release.set).start()
    for thread in threads:
        thread.join(20)

    assert results["second"] == {"email": [
        f"RACE@example.com is already the email of contact {results['first']}"]}
    with kernel.bound():
        assert [c.last_name for c in Contact.select().where(
            Contact.email.contains("race@"))] == ["One"]
