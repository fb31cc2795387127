"""Erasing a person (issue 16, part 6): no trace of the old values anywhere in the
database, copies in plugins erased, counts and amounts kept, one audit entry without
the values; ``--all`` leaves every metric reading the same."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from accord import services
from accord.demo import load_demo
from accord.errors import PermissionDenied
from accord.hooks import hookimpl
from accord.metrics import compute, list_metrics, metric_query
from accord.models import AuditEntry, Contact, OutboxMessage
from accord.plugins import PluginManifest
from accord.services import Actor
from accord.services.anonymize import Erasure, erase, preview, pseudonymize
from accord.services.authz import actor_for
from accord.services.fields import add_field
from accord.services.webhooks import add_subscription
from accord_sdk.pytest_plugin import CliRunner

SYSTEM = Actor.system("test")
EMAIL = "Mallory.Unique@Example.com"
PHONE = "+49 30 9876543"
STREET = "Geheimweg 17"


@pytest.fixture
def crm(make_kernel):
    return make_kernel(plugins=["sales", "marketing"], enable=["sales", "marketing"],
                       webhooks={"allow_private": True})


def _dump(kernel) -> str:
    """Every row of every table, as text."""
    db = kernel.database
    parts = []
    for table in sorted(db.get_tables()):
        cursor = db.execute_sql(f'SELECT * FROM "{table}"')
        parts.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(parts).lower()


def _counts(kernel) -> dict[str, int]:
    db = kernel.database
    return {t: db.execute_sql(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0]
            for t in db.get_tables() if not t.startswith("sqlite_")}


def _person(kernel):
    add_field(kernel, "contact", "x_passport", "text", personal=True, actor=SYSTEM)
    add_field(kernel, "contact", "x_tier", "text", actor=SYSTEM)
    add_subscription(kernel, {"url": "http://127.0.0.1:9/in", "events": ["*"]},
                     actor=SYSTEM)
    org = services.create(kernel, "organization", {"name": "Acme"}, actor=SYSTEM)
    lead = services.create(kernel, "sales.lead", {
        "name": "Mallory Quux", "email": EMAIL, "phone": PHONE, "company": "Acme"},
                           actor=SYSTEM)
    from accord_sales.services import convert_lead

    convert_lead(kernel, lead.id, actor=SYSTEM, contact={
        "first_name": "Mallory", "street": STREET, "x_passport": "P-4711-XY",
        "x_tier": "gold", "birthday": "1980-02-29", "city": "Kleinstadt"},
        organization={"name": "Acme"})
    with kernel.bound():
        contact = Contact.get(Contact.email == EMAIL)
    services.update(kernel, "contact", contact.id, {"mobile": "+49 171 5550123"},
                    actor=SYSTEM)
    # A second lead of the same person (same email, other case), never converted.
    copy = services.create(kernel, "sales.lead", {"name": "M. Quux",
                                                  "email": EMAIL.lower()}, actor=SYSTEM)
    opp = services.create(kernel, "sales.opportunity", {
        "name": "Big deal", "organization_id": org.id, "contact_id": contact.id,
        "amount": {"amount": "1250.00", "currency": "EUR"}}, actor=SYSTEM)
    other = services.create(kernel, "contact", {"first_name": "Olga", "last_name": "Other",
                                                "email": "olga@example.com",
                                                "city": "Kleinstadt"}, actor=SYSTEM)
    return contact.id, lead.id, copy.id, opp.id, other.id


def test_erasing_a_contact_leaves_no_trace_of_the_old_values(crm):
    contact_id, lead_id, copy_id, opp_id, other_id = _person(crm)
    before = _dump(crm)
    for old in (EMAIL.lower(), "+49 30 9876543", "geheimweg 17", "p-4711-xy", "quux",
                "+49 171 5550123"):
        assert old in before  # in the rows, the audit trail and the outbox
    admin = services.create(crm, "user", {"email": "ada@example.com", "name": "Ada",
                                          "role": "admin"}, actor=SYSTEM)
    counts = _counts(crm)
    shown = {(r.record_type, r.id): r.fields
             for r in preview(crm, "contact", contact_id, actor=actor_for(crm, admin))}
    assert shown[("contact", contact_id)] == (
        "birthday", "city", "email", "first_name", "last_name", "mobile", "phone",
        "street", "x_passport")
    assert set(shown) == {("contact", contact_id), ("sales.lead", lead_id),
                          ("sales.lead", copy_id)}

    report = erase(crm, "contact", contact_id, actor=actor_for(crm, admin))

    after = _dump(crm)
    for old in (EMAIL.lower(), "9876543", "geheimweg", "p-4711-xy", "quux", "5550123",
                "1980-02-29"):
        assert old not in after, old
    assert {(r.record_type, r.id) for r in report.records} == set(shown)
    assert report.audit_scrubbed >= 4 and report.outbox_scrubbed >= 3
    contact = services.get(crm, "contact", contact_id)
    assert (contact.first_name, contact.last_name, contact.email, contact.street) == (
        "Erased", "Erased", f"erased-contact-{contact_id}@example.invalid", "Erased")
    assert contact.birthday == dt.date(1900, 1, 1)
    assert contact.custom["x_passport"] == "Erased" and contact.custom["x_tier"] == "gold"
    lead = services.get(crm, "sales.lead", lead_id)
    assert (lead.name, lead.email, lead.phone, lead.company) == (
        "Erased", f"erased-lead-{lead_id}@example.invalid", "Erased", "Acme")
    # Nothing deleted, nothing else changed: amounts, other people, the region.
    assert _counts(crm) == {**counts, "accord_audit": counts["accord_audit"] + 1,
                            "accord_outbox": counts["accord_outbox"] + 1}
    with crm.bound():
        told = OutboxMessage.select().order_by(OutboxMessage.id.desc()).first()
    assert (told.topic, told.payload["id"], told.payload["records"][0]) == (
        "contact.erased", contact_id, {"record_type": "contact", "id": contact_id,
                                       "fields": list(shown[("contact", contact_id)])})
    assert services.get(crm, "sales.opportunity", opp_id).amount == Decimal("1250.00")
    assert services.get(crm, "contact", other_id).city == "Kleinstadt"
    # One audit entry, naming the fields and never the values.
    with crm.bound():
        entry = AuditEntry.get((AuditEntry.action == "erased")
                               & (AuditEntry.record_id == contact_id))
    assert entry.actor_label == "ada@example.com" and entry.record_type == "contact"
    assert entry.changes["erased"] == "personal data erased"
    assert f"sales.lead {lead_id}: email, name, phone" in entry.changes["records"]
    assert "erased-contact" not in str(entry.changes)


def test_erasing_needs_the_permission_and_an_existing_contact(crm, make_api_client):
    contact_id = services.create(crm, "contact", {"last_name": "Kept", "email": EMAIL},
                                 actor=SYSTEM).id
    sales = services.create(crm, "user", {"email": "sam@example.com", "name": "Sam",
                                          "role": "sales"}, actor=SYSTEM)
    with pytest.raises(PermissionDenied, match="lacks the permission admin.anonymize"):
        erase(crm, "contact", contact_id, actor=actor_for(crm, sales))
    assert services.get(crm, "contact", contact_id).email == EMAIL
    client = make_api_client("manager", kernel=crm)
    answer = client.post(f"/api/v1/anonymize/contact/{contact_id}")
    assert answer.status_code == 403
    assert "lacks the permission admin.anonymize" in answer.get_json()["detail"]
    assert services.get(crm, "contact", contact_id).email == EMAIL
    admin = make_api_client("admin", kernel=crm)
    assert admin.post("/api/v1/anonymize/contact/999999").status_code == 404
    assert admin.post("/api/v1/anonymize/contact/99999999999999999999").status_code == 404
    assert admin.post("/api/v1/anonymize/nothing/1").status_code == 404
    product = services.create(crm, "product", {"sku": "W-1", "name": "Widget"}, actor=SYSTEM)
    answer = admin.post(f"/api/v1/anonymize/product/{product.id}")
    assert answer.status_code == 422
    assert answer.get_json()["errors"] == {"record_type": ["product holds no personal data "
                                                           "to erase"]}
    answer = admin.post(f"/api/v1/anonymize/contact/{contact_id}", json={"confirm": False})
    assert answer.status_code == 400
    assert answer.get_json()["errors"] == {"confirm": ["must be true (or left out)"]}
    assert services.get(crm, "contact", contact_id).email == EMAIL


def test_the_api_previews_and_erases(crm, make_api_client):
    contact_id = services.create(crm, "contact", {"last_name": "Gone", "email": EMAIL},
                                 actor=SYSTEM).id
    admin = make_api_client("admin", kernel=crm)
    shown = admin.get(f"/api/v1/anonymize/contact/{contact_id}").get_json()
    assert shown == {"record_type": "contact", "id": contact_id, "records": [
        {"record_type": "contact", "id": contact_id, "fields": ["email", "last_name"]}]}
    answer = admin.post(f"/api/v1/anonymize/contact/{contact_id}")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    body = answer.get_json()
    assert body["records"] == shown["records"] and body["other"] == {}
    assert services.get(crm, "contact", contact_id).last_name == "Erased"
    doc = admin.get("/api/v1/openapi.json").get_json()
    path = doc["paths"]["/api/v1/anonymize/{record_type}/{record_id}"]
    assert path["post"]["x-permission"] == "admin.anonymize" and "get" in path


def test_the_cli_erases_after_confirmation(crm, cli):
    contact_id = services.create(crm, "contact", {"last_name": "Gone", "email": EMAIL},
                                 actor=SYSTEM).id
    result = cli("anonymize", "contact", str(contact_id), input="n\n")
    assert result.exit_code == 1 and "Aborted" in result.output
    assert f"contact {contact_id}: email, last_name" in result.output
    assert services.get(crm, "contact", contact_id).email == EMAIL
    result = cli("anonymize", "contact", str(contact_id), "--yes")
    assert result.exit_code == 0, result.output
    assert f"erased contact {contact_id}: 1 records" in result.output
    assert services.get(crm, "contact", contact_id).email.startswith("erased-contact-")
    result = cli("anonymize", "contact", "999999", "--yes")
    assert result.exit_code == 1 and "contact 999999 not found" in result.output
    result = cli("anonymize")
    assert result.exit_code == 1 and "or --all" in result.output


@pytest.mark.parametrize("by", ["total", "month"])
def test_pseudonymizing_everything_leaves_every_metric_the_same(make_kernel, by):
    kernel = make_kernel(plugins=["sales", "service", "marketing", "competitors"],
                         enable=["sales", "service", "marketing", "competitors"])
    add_field(kernel, "contact", "x_passport", "text", personal=True, actor=SYSTEM)
    assert load_demo(kernel)
    with kernel.bound():
        for contact in Contact.select().limit(5):
            services.update(kernel, "contact", contact.id, {"x_passport": f"P{contact.id}"},
                            actor=SYSTEM)
    today = dt.date.today()
    query = metric_query(start=dt.date(today.year - 10, 1, 1),
                         end=dt.date(today.year + 1, 12, 31) if by == "total" else today,
                         by=by)
    if by == "month":
        query = metric_query(start=dt.date(today.year - 3, 1, 1), end=today, by=by)
    names = sorted(list_metrics(kernel))
    assert len(names) > 20
    before = {name: compute(kernel, name, query) for name in names}
    counts = _counts(kernel)
    with kernel.bound():
        emails = [c.email for c in Contact.select().where(Contact.email.is_null(False))]
    assert emails
    result = CliRunner(kernel)("anonymize", "--all", input="y\n")
    assert result.exit_code == 0, result.output
    assert "pseudonymized" in result.output
    assert " 0 other rows" not in result.output  # the campaign messages' addresses
    after = {name: compute(kernel, name, query) for name in names}
    assert after == before
    assert _counts(kernel) == {**counts, "accord_audit": counts["accord_audit"] + 1}
    dump = _dump(kernel)
    assert not [e for e in emails if e.lower() in dump]
    with kernel.bound():
        first = Contact.select().order_by(Contact.id).first()
    assert (first.first_name, first.last_name) == ("Contact", str(first.id))
    assert first.email.endswith("@example.invalid")


def test_pseudonyms_keep_joins_and_uniqueness(crm):
    contact_id, lead_id, copy_id, _, other_id = _person(crm)
    report = pseudonymize(crm, actor=SYSTEM)
    assert report.records
    contact = services.get(crm, "contact", contact_id)
    lead = services.get(crm, "sales.lead", copy_id)
    # One old address gives one pseudonym, whatever its case, wherever it is.
    assert lead.email == contact.email != services.get(crm, "contact", other_id).email
    assert contact.city == services.get(crm, "contact", other_id).city != "Kleinstadt"
    assert services.get(crm, "sales.lead", lead_id).name == f"Lead {lead_id}"
    with pytest.raises(PermissionDenied):
        pseudonymize(crm, actor=actor_for(crm, services.create(crm, "user", {
            "email": "x@example.com", "name": "X", "role": "sales"}, actor=SYSTEM)))


class Keeper:
    """A plugin keeping a copy of a person's data: an organization's email (a record
    type) and a note outside any record type, replaced through ``replace``."""

    MANIFEST = PluginManifest(name="keeper", version="1.0")

    def __init__(self):
        self.asked = []
        self.notes = {}

    @hookimpl
    def erase_personal_data(self, record_type, ids):
        self.asked.append((record_type.name, list(ids)))
        if record_type.name != "contact":
            return []
        return [Erasure("organization", (self.org_id,), ("email",)),
                Erasure("keeper.note", (1,), ("text",), replace=self.replace)]

    def replace(self, kernel, placeholders):
        self.notes[1] = placeholders.value("keeper.note", 1, "text", self.notes[1])
        return 1


def test_hook_erase_personal_data(make_kernel):
    keeper = Keeper()
    kernel = make_kernel(plugins=[keeper], enable=["keeper"])
    contact = services.create(kernel, "contact", {"last_name": "Quux", "email": EMAIL},
                              actor=SYSTEM)
    keeper.org_id = services.create(kernel, "organization", {
        "name": "Quux Ltd", "email": EMAIL.lower()}, actor=SYSTEM).id
    keeper.notes[1] = f"call {EMAIL}"
    shown = preview(kernel, "contact", contact.id, actor=SYSTEM)
    assert [(r.record_type, r.id, r.fields) for r in shown] == [
        ("contact", contact.id, ("email", "last_name")),
        ("organization", keeper.org_id, ("email",)), ("keeper.note", 1, ("text",))]
    assert keeper.notes[1] == f"call {EMAIL}"  # a preview replaces nothing
    report = erase(kernel, "contact", contact.id, actor=SYSTEM)
    assert keeper.asked[-1] == ("contact", [contact.id])
    assert services.get(kernel, "organization", keeper.org_id).email == \
        f"erased-organization-{keeper.org_id}@example.invalid"
    assert keeper.notes[1] == "Erased" and report.other == {"keeper.note": 1}
    assert services.get(kernel, "organization", keeper.org_id).name == "Quux Ltd"
