"""Creating, changing and deleting the core's records through the service layer:
the stored row, the audit entry, and every refusal a user can run into."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from accord import services
from accord.errors import NotFound, StaleVersion, ValidationError
from accord.models import AuditEntry, Contact, Organization, Product
from accord.services import Actor

# One case per core record type: what is created, then one change to it.
CASES = {
    "organization": ({"name": "Northwind Traders", "city": "Hamburg", "country": "DE",
                      "size": 120, "website": "https://northwind.example"},
                     {"city": "Bremen"}),
    "contact": ({"first_name": "Hanna", "last_name": "Schulz",
                 "email": "hanna.schulz@northwind.example"},
                {"title": "Purchasing lead"}),
    "user": ({"email": "ann@example.com", "name": "Ann Lee", "role": "sales"},
             {"name": "Ann Lee-Park"}),
    "team": ({"name": "Field sales"}, {"name": "Inside sales"}),
    "activity": ({"kind": "call", "subject": "Intro call",
                  "done_at": "2024-05-02T09:30:00+00:00"},
                 {"subject": "Intro call about seat pricing"}),
    "product": ({"sku": "CRM-STD", "name": "Standard seat",
                 "unit_price": {"amount": "29.00", "currency": "EUR"}},
                {"name": "Standard seat 2025"}),
}
#: The audit trail names a user's role by its column.


def audit_of(kernel, type_name, record_id):
    with kernel.bound():
        return list(AuditEntry.select().where(AuditEntry.record_type == type_name,
                                              AuditEntry.record_id == record_id)
                    .order_by(AuditEntry.id))


def count(kernel, model):
    with kernel.bound():
        return model.select().count()


def make_user(kernel, actor, email="maria@example.com", **extra):
    return services.create(kernel, "user", {"email": email, "name": email.split("@")[0],
                                            "role": "sales", **extra}, actor=actor)


@pytest.mark.parametrize("type_name", list(CASES))
def test_create_update_delete_each_core_type(kernel, actor, type_name):
    data, change = CASES[type_name]
    record = services.create(kernel, type_name, data, actor=actor)

    stored = services.dump(kernel, type_name, services.get(kernel, type_name, record.id))
    assert {k: stored[k] for k in data} == data
    assert stored["version"] == 1
    created = audit_of(kernel, type_name, record.id)
    assert [(e.action, e.actor_label) for e in created] == [("created", "test")]
    for key, value in data.items():
        assert created[0].changes[key] == [None, value]

    before = stored[next(iter(change))]
    updated = services.update(kernel, type_name, record.id, change, actor=actor, version=1)
    reread = services.dump(kernel, type_name, services.get(kernel, type_name, record.id))
    assert reread == services.dump(kernel, type_name, updated)
    assert {k: reread[k] for k in change} == change
    assert reread["version"] == 2
    entry = audit_of(kernel, type_name, record.id)[-1]
    assert entry.action == "updated"
    assert entry.changes == {k: [before, v] for k, v in change.items()}

    services.delete(kernel, type_name, record.id, actor=actor, version=2)
    with pytest.raises(NotFound, match=f"{type_name} {record.id} does not exist"):
        services.get(kernel, type_name, record.id)
    gone = audit_of(kernel, type_name, record.id)[-1]
    assert gone.action == "deleted"
    assert gone.changes[next(iter(change))] == [change[next(iter(change))], None]


def test_update_that_changes_nothing_keeps_version_and_writes_no_audit(kernel, actor):
    org = services.create(kernel, "organization", {"name": "Kestrel", "city": "Rotterdam"},
                          actor=actor)
    services.update(kernel, "organization", org.id, {"city": "Rotterdam"}, actor=actor)
    assert services.get(kernel, "organization", org.id).version == 1
    assert [e.action for e in audit_of(kernel, "organization", org.id)] == ["created"]


def test_audit_names_the_user_who_made_the_change(kernel, actor):
    maria = make_user(kernel, actor)
    org = services.create(kernel, "organization", {"name": "Meridian"}, actor=Actor.user(maria))
    [entry] = audit_of(kernel, "organization", org.id)
    assert (entry.actor_id, entry.actor_label) == (maria.id, "maria@example.com")


# Money ---------------------------------------------------------------------

def test_money_is_stored_as_decimal_to_the_cent(kernel, actor):
    product = services.create(kernel, "product", {
        "sku": "ONB", "name": "Onboarding", "unit_price": {"amount": "10.50", "currency": "EUR"},
        "cost_price": {"amount": 7, "currency": "usd"}}, actor=actor)
    with kernel.bound():
        row = Product.get_by_id(product.id)
    assert (row.unit_price, row.unit_price_currency) == (Decimal("10.50"), "EUR")
    assert isinstance(row.unit_price, Decimal)
    assert (row.cost_price, row.cost_price_currency) == (Decimal("7"), "USD")
    shown = services.dump(kernel, "product", row)
    assert shown["unit_price"] == {"amount": "10.50", "currency": "EUR"}
    assert shown["cost_price"] == {"amount": "7.00", "currency": "USD"}
    [entry] = audit_of(kernel, "product", product.id)
    assert entry.changes["unit_price"] == [None, {"amount": "10.50", "currency": "EUR"}]


def test_money_keeps_every_cent_of_a_large_amount(kernel, actor):
    amount = "99999999999.9999"  # the largest amount every engine keeps exactly
    # (in a currency of four minor units: Chile's Unidad de Fomento)
    product = services.create(kernel, "product", {
        "sku": "BIG", "name": "Big", "unit_price": {"amount": amount, "currency": "CLF"}},
        actor=actor)
    with kernel.bound():
        assert Product.get_by_id(product.id).unit_price == Decimal(amount)


@pytest.mark.parametrize("price, message", [
    ({"amount": 10.5, "currency": "EUR"},
     "Give the amount as a string or an integer, not a float."),
    ({"amount": "ten", "currency": "EUR"},
     "Not a valid amount: 'ten' (give digits with an optional point, such as '12.50')."),
    ({"amount": "10.50", "currency": "EURO"}, "Not an ISO 4217 currency code: 'EURO'."),
    ({"amount": "100000000000", "currency": "EUR"},
     "Not a storable amount: '100000000000' (at most 11 digits before the point)."),
    ({"amount": "0.12345", "currency": "EUR"}, "EUR has 2 decimal places; 0.12345 has 5."),
    ("10.50", 'Not a money value; give {"amount": "12.50", "currency": "EUR"}.'),
])
def test_bad_money_is_refused_with_a_clear_message(kernel, actor, price, message):
    with pytest.raises(ValidationError) as exc:
        services.create(kernel, "product", {"sku": "X", "name": "X", "unit_price": price},
                        actor=actor)
    assert exc.value.messages == {"unit_price": [message]}
    assert count(kernel, Product) == 0


# Field rules ---------------------------------------------------------------

@pytest.mark.parametrize("type_name, data", [
    ("contact", {"last_name": "Weber", "email": "jonas.weber@"}),
    ("organization", {"name": "Orbit", "email": "sales at orbit"}),
    ("user", {"name": "Tom", "role": "sales", "email": "tom"}),
])
def test_emails_are_validated(kernel, actor, type_name, data):
    with pytest.raises(ValidationError) as exc:
        services.create(kernel, type_name, data, actor=actor)
    assert exc.value.messages == {"email": ["Not a valid email address."]}


def test_duplicate_contact_email_is_refused_whatever_its_case(kernel, actor):
    first = services.create(kernel, "contact", {"last_name": "Rossi",
                                                "email": "giulia@meridian.example"}, actor=actor)
    with pytest.raises(ValidationError) as exc:
        services.create(kernel, "contact", {"last_name": "Bianchi",
                                            "email": "Giulia@MERIDIAN.example"}, actor=actor)
    assert exc.value.messages == {"email": [
        f"Giulia@MERIDIAN.example is already the email of contact {first.id}"]}
    other = services.create(kernel, "contact", {"last_name": "Bianchi"}, actor=actor)
    with pytest.raises(ValidationError, match=f"already the email of contact {first.id}"):
        services.update(kernel, "contact", other.id, {"email": "GIULIA@meridian.example"},
                        actor=actor)
    assert count(kernel, Contact) == 2
    # A contact may change the case of its own address.
    services.update(kernel, "contact", first.id, {"email": "Giulia@Meridian.example"},
                    actor=actor)
    assert services.get(kernel, "contact", first.id).email == "Giulia@Meridian.example"


@pytest.mark.parametrize("type_name", ["organization", "contact", "product"])
def test_unknown_fields_are_refused_by_name(kernel, actor, type_name):
    data = {**CASES[type_name][0], "colour": "red"}
    with pytest.raises(ValidationError) as exc:
        services.create(kernel, type_name, data, actor=actor)
    assert exc.value.messages == {"colour": ["unknown field 'colour'"]}


def test_unknown_field_in_an_update_changes_nothing(kernel, actor):
    org = services.create(kernel, "organization", {"name": "Lumen"}, actor=actor)
    with pytest.raises(ValidationError) as exc:
        services.update(kernel, "organization", org.id, {"name": "Lumen Clinics", "vat": "X"},
                        actor=actor)
    assert exc.value.messages == {"vat": ["unknown field 'vat'"]}
    assert services.get(kernel, "organization", org.id).name == "Lumen"


@pytest.mark.parametrize("type_name, data, field, message", [
    ("contact", {"last_name": "Ng", "organization_id": 999}, "organization_id",
     "there is no organization 999"),
    ("organization", {"name": "Sub", "parent_id": 999}, "parent_id",
     "there is no organization 999"),
    ("contact", {"last_name": "Ng", "owner_id": 999}, "owner_id", "there is no user 999"),
    ("team", {"name": "North", "manager_id": 999}, "manager_id", "there is no user 999"),
    ("activity", {"kind": "note", "subject": "S", "record_type": "organization",
                  "record_id": 999}, "record_id", "there is no organization 999"),
])
def test_reference_to_a_missing_record_is_refused_naming_the_field(kernel, actor, type_name,
                                                                   data, field, message):
    with pytest.raises(ValidationError) as exc:
        services.create(kernel, type_name, data, actor=actor)
    assert exc.value.messages == {field: [message]}
    assert count(kernel, kernel.records.get(type_name).model) == 0


def test_reference_to_a_missing_record_is_refused_in_an_update(kernel, actor):
    contact = services.create(kernel, "contact", {"last_name": "Ng"}, actor=actor)
    with pytest.raises(ValidationError) as exc:
        services.update(kernel, "contact", contact.id, {"organization_id": 999}, actor=actor)
    assert exc.value.messages == {"organization_id": ["there is no organization 999"]}
    assert services.get(kernel, "contact", contact.id).organization_id is None


# Optimistic locking ---------------------------------------------------------

def test_update_with_a_stale_version_is_refused_and_changes_nothing(kernel, actor):
    org = services.create(kernel, "organization", {"name": "Cobalt"}, actor=actor)
    services.update(kernel, "organization", org.id, {"city": "Stuttgart"}, actor=actor, version=1)
    with pytest.raises(StaleVersion) as exc:
        services.update(kernel, "organization", org.id, {"city": "Ulm"}, actor=actor, version=1)
    assert str(exc.value) == (f"organization {org.id} is at version 2, not 1; "
                              "reload it and try again")
    row = services.get(kernel, "organization", org.id)
    assert (row.city, row.version) == ("Stuttgart", 2)
    assert len(audit_of(kernel, "organization", org.id)) == 2


def test_delete_with_a_stale_version_is_refused_and_keeps_the_record(kernel, actor):
    org = services.create(kernel, "organization", {"name": "Fjord"}, actor=actor)
    services.update(kernel, "organization", org.id, {"city": "Bergen"}, actor=actor)
    with pytest.raises(StaleVersion, match="is at version 2, not 1"):
        services.delete(kernel, "organization", org.id, actor=actor, version=1)
    assert services.get(kernel, "organization", org.id).city == "Bergen"
    assert [e.action for e in audit_of(kernel, "organization", org.id)] == ["created", "updated"]


# Bulk writes: all or nothing ------------------------------------------------

def contacts(n):
    return [{"last_name": f"Person {i}", "email": f"person{i}@bulk.example"} for i in range(n)]


@pytest.mark.parametrize("bad, field, message", [
    ({"email": "person637.bulk.example"}, "email", "Not a valid email address."),
    ({"last_name": ""}, "last_name", "Length must be between 1 and 100."),
    ({"x_colour": "red"}, "x_colour", "unknown field 'x_colour'"),
    ({"organization_id": 999}, "organization_id", "there is no organization 999"),
    ({"email": "PERSON5@bulk.example"}, "email",
     "PERSON5@bulk.example appears twice (also in rows[5])"),
    ({"email": "kept@stored.example"}, "email",
     "kept@stored.example is already the email of contact 1"),
])
def test_bulk_create_with_one_bad_row_writes_nothing(kernel, actor, bad, field, message):
    services.create(kernel, "contact", {"last_name": "Kept", "email": "kept@stored.example"},
                    actor=actor)
    rows = contacts(1000)
    rows[637].update(bad)
    with pytest.raises(ValidationError) as exc:
        services.bulk_create(kernel, "contact", rows, actor=actor)
    assert exc.value.flat() == {f"rows[637].{field}": [message]}
    assert str(exc.value) == f"rows[637].{field}: {message}"
    assert count(kernel, Contact) == 1
    assert count(kernel, AuditEntry) == 1


def test_bulk_create_names_the_first_twenty_bad_rows_and_counts_the_rest(kernel, actor):
    rows = contacts(100)
    for i in range(10, 35):
        rows[i]["email"] = f"bad{i}"
    with pytest.raises(ValidationError) as exc:
        services.bulk_create(kernel, "contact", rows, actor=actor)
    messages = exc.value.flat()
    assert [k for k in messages if k != "_schema"] == [f"rows[{i}].email" for i in range(10, 30)]
    assert messages["_schema"] == ["5 more rows have errors"]
    assert count(kernel, Contact) == 0


def test_bulk_create_stops_at_a_plugin_veto(make_kernel, plugins_folder, actor):
    kernel = make_kernel(plugins_dir=plugins_folder, enable=["acme_notes"])
    rows = [{"title": f"note {i}"} for i in range(300)]
    rows[250]["title"] = "CALL BACK NOW"
    with pytest.raises(ValidationError) as exc:
        services.bulk_create(kernel, "acme_notes.note", rows, actor=actor)
    assert exc.value.flat() == {"rows[250].title": ["no titles in capitals, please"]}
    assert count(kernel, kernel.records.get("acme_notes.note").model) == 0
    assert count(kernel, AuditEntry.select().where(AuditEntry.action == "created")) == 0


def test_bulk_create_returns_ids_and_audits_each_record(kernel, actor):
    ids = services.bulk_create(kernel, "contact", contacts(1000), actor=actor)
    assert len(set(ids)) == 1000
    with kernel.bound():
        assert Contact.get_by_id(ids[637]).email == "person637@bulk.example"
    assert count(kernel, AuditEntry.select().where(AuditEntry.action == "created")) == 1000


def orgs(kernel, actor, n):
    return services.bulk_create(kernel, "organization",
                                [{"name": f"Org {i}"} for i in range(n)], actor=actor)


@pytest.mark.parametrize("bad, text", [
    ({"relationship": "enemy"}, "rows[30].relationship: 'enemy' is not a relationship; "
     "use one of prospect, customer, partner, reseller, supplier"),
    ({"size": -5}, "rows[30].size: Must be greater than or equal to 0 and less than or "
                   "equal to 2147483647."),
    ({"parent_id": 999}, "rows[30].parent_id: there is no organization 999"),
])
def test_bulk_update_with_one_bad_row_changes_nothing(kernel, actor, bad, text):
    ids = orgs(kernel, actor, 50)
    changes = [(rid, {"city": "Vienna"}) for rid in ids]
    changes[30] = (ids[30], {"city": "Vienna", **bad})
    with pytest.raises(ValidationError) as exc:
        services.bulk_update(kernel, "organization", changes, actor=actor)
    assert str(exc.value) == text
    with kernel.bound():
        assert {(o.city, o.version) for o in Organization.select()} == {(None, 1)}
    assert count(kernel, AuditEntry.select().where(AuditEntry.action == "updated")) == 0


def test_bulk_update_with_a_stale_version_or_missing_id_changes_nothing(kernel, actor):
    ids = orgs(kernel, actor, 5)
    services.update(kernel, "organization", ids[3], {"city": "Milan"}, actor=actor)
    stale = [(rid, {"industry": "Retail"}, 1) for rid in ids]
    with pytest.raises(StaleVersion, match=f"organization {ids[3]} is at version 2, not 1"):
        services.bulk_update(kernel, "organization", stale, actor=actor)
    with pytest.raises(NotFound, match="organization 999 does not exist"):
        services.bulk_update(kernel, "organization",
                             [(ids[0], {"industry": "Retail"}), (999, {"industry": "Retail"})],
                             actor=actor)
    with kernel.bound():
        assert [o.industry for o in Organization.select()] == [None] * 5
    assert count(kernel, AuditEntry.select().where(AuditEntry.action == "updated")) == 1


def test_bulk_update_audits_only_the_changed_fields_of_each_record(kernel, actor):
    ids = orgs(kernel, actor, 3)
    changed = services.bulk_update(kernel, "organization", [
        (ids[0], {"city": "Lyon"}), (ids[1], {"name": "Org 1"}), (ids[2], {"size": 9})],
        actor=actor)
    assert changed == [ids[0], ids[2]]
    with kernel.bound():
        entries = {e.record_id: e.changes for e in
                   AuditEntry.select().where(AuditEntry.action == "updated")}
    assert entries == {ids[0]: {"city": [None, "Lyon"]}, ids[2]: {"size": [None, 9]}}


def test_bulk_update_writes_set_based_every_kind_of_value_whatever_the_rows(
        kernel, actor, count_queries):
    # Several rows are written by one UPDATE per set of columns changed (rows changing
    # other columns in another), whatever their number: texts, numbers, NULLs, dates,
    # custom values (merged into the record's own), each version one up.
    from accord.services.fields import add_field

    add_field(kernel, "organization", "x_tier", "choice", choices=["gold", "silver"],
              actor=actor)
    add_field(kernel, "organization", "x_seats", "integer", actor=actor)
    ids = services.bulk_create(kernel, "organization", [
        {"name": f"Org {i}", "size": 5, "x_seats": 3} for i in range(40)], actor=actor)

    def changes(rows):
        out = []
        for n, rid in enumerate(rows):
            if n % 3 == 0:
                out.append((rid, {"city": f"City {n}", "size": None}))
            elif n % 3 == 1:
                out.append((rid, {"customer_since": "2026-02-01", "x_tier": "gold"}))
            else:
                out.append((rid, {"industry": "Retail", "size": n}))
        return out

    with count_queries() as few:
        services.bulk_update(kernel, "organization", changes(ids[:6]), actor=actor)
    with count_queries() as many:
        services.bulk_update(kernel, "organization", changes(ids[6:]), actor=actor)
    assert many.count == few.count
    for n, rid in enumerate(ids[:6] + ids[6:]):
        stored = services.get(kernel, "organization", rid)
        n = n if n < 6 else n - 6
        got = services.dump(kernel, "organization", stored)
        assert stored.version == 2
        if n % 3 == 0:
            assert (got["city"], got["size"], got["x_seats"]) == (f"City {n}", None, 3)
        elif n % 3 == 1:
            assert (got["customer_since"], got["x_tier"], got["x_seats"], got["size"]) == (
                "2026-02-01", "gold", 3, 5)
        else:
            assert (got["industry"], got["size"], got["city"]) == ("Retail", n, None)
    with kernel.bound():
        assert AuditEntry.select().where(AuditEntry.action == "updated").count() == 40


def test_bulk_update_refused_by_a_unique_index_names_the_field_and_changes_nothing(
        kernel, actor):
    products = services.bulk_create(kernel, "product", [
        {"sku": f"SKU-{i}", "name": f"Product {i}"} for i in range(3)], actor=actor)
    with pytest.raises(ValidationError) as exc:
        services.bulk_update(kernel, "product", [(products[0], {"name": "Renamed"}),
                                                  (products[1], {"sku": "SKU-2"})],
                             actor=actor)
    assert "sku" in str(exc.value)
    with kernel.bound():
        assert sorted((p.sku, p.name, p.version) for p in Product.select()) == [
            (f"SKU-{i}", f"Product {i}", 1) for i in range(3)]


# Organizations and owners ---------------------------------------------------

def test_an_organization_becoming_a_customer_gets_customer_since(kernel, actor):
    today = dt.datetime.now(dt.timezone.utc).date()
    org = services.create(kernel, "organization", {"name": "Blue Harbor"}, actor=actor)
    assert (org.relationship, org.customer_since) == ("prospect", None)
    org = services.update(kernel, "organization", org.id, {"relationship": "customer"},
                          actor=actor)
    assert org.customer_since == today
    assert audit_of(kernel, "organization", org.id)[-1].changes == {
        "relationship": ["prospect", "customer"], "customer_since": [None, today.isoformat()]}
    # Lapsing and returning keeps the first date; an explicit date is kept as given.
    services.update(kernel, "organization", org.id, {"relationship": "partner"}, actor=actor)
    services.update(kernel, "organization", org.id, {"relationship": "customer"}, actor=actor)
    assert services.get(kernel, "organization", org.id).customer_since == today
    given = services.create(kernel, "organization", {
        "name": "Old friend", "relationship": "customer", "customer_since": "2019-04-01"},
        actor=actor)
    assert given.customer_since == dt.date(2019, 4, 1)


def test_relationship_must_be_one_of_the_configured_list(make_kernel, actor):
    kernel = make_kernel(organization_relationships=("lead", "client"))
    with pytest.raises(ValidationError) as exc:
        services.create(kernel, "organization", {"name": "X", "relationship": "customer"},
                        actor=actor)
    assert exc.value.messages == {"relationship": [
        "'customer' is not a relationship; use one of lead, client"]}
    org = services.create(kernel, "organization", {"name": "Y"}, actor=actor)
    assert org.relationship == "lead"
    with pytest.raises(ValidationError, match="'partner' is not a relationship"):
        services.update(kernel, "organization", org.id, {"relationship": "partner"},
                        actor=actor)
    assert services.get(kernel, "organization", org.id).relationship == "lead"


def test_owner_defaults_to_the_acting_user(kernel, actor):
    maria = make_user(kernel, actor)
    tom = make_user(kernel, actor, "tom@example.com")
    as_maria = Actor.user(maria)
    org = services.create(kernel, "organization", {"name": "Orbit"}, actor=as_maria)
    ids = services.bulk_create(kernel, "contact", [
        {"last_name": "Gruber"}, {"last_name": "Hansen", "owner_id": tom.id}], actor=as_maria)
    by_system = services.create(kernel, "organization", {"name": "Nobody's"}, actor=actor)
    assert org.owner_id == maria.id
    assert [services.get(kernel, "contact", i).owner_id for i in ids] == [maria.id, tom.id]
    assert by_system.owner_id is None
    product = services.create(kernel, "product", {"sku": "P", "name": "P"}, actor=as_maria)
    assert "owner_id" not in services.dump(kernel, "product", product)
