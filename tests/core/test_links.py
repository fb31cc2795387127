"""Many-to-many fields: a contact's products of interest, and how bulk errors read."""

from __future__ import annotations

import pytest

from accord import services
from accord.errors import ValidationError
from accord.hooks import hookimpl
from accord.models import AuditEntry, ContactInterest
from accord.plugins import PluginManifest


@pytest.fixture
def products(kernel, actor):
    return [services.create(kernel, "product", {"sku": sku, "name": sku}, actor=actor).id
            for sku in ("SEAT", "TRAIN", "SUPPORT")]


def test_products_of_interest_are_stored_shown_and_audited(kernel, actor, products):
    seat, train, support = products
    contact = services.create(kernel, "contact", {
        "last_name": "Ng", "products_of_interest": [support, seat, seat]}, actor=actor)
    assert services.dump(kernel, "contact", contact)["products_of_interest"] == [seat, support]
    contact = services.update(kernel, "contact", contact.id,
                              {"products_of_interest": [train]}, actor=actor)
    assert contact.version == 2
    assert services.dump(kernel, "contact", contact)["products_of_interest"] == [train]
    with kernel.bound():
        stored = [(r.contact_id, r.product_id) for r in ContactInterest.select()]
        changes = [e.changes for e in AuditEntry.select().where(
            AuditEntry.record_type == "contact").order_by(AuditEntry.id)]
    assert stored == [(contact.id, train)]
    assert changes[0]["products_of_interest"] == [None, [seat, support]]
    assert changes[1] == {"products_of_interest": [[seat, support], [train]]}


def test_an_unknown_product_is_refused_and_nothing_is_written(kernel, actor, products):
    with pytest.raises(ValidationError) as error:
        services.bulk_create(kernel, "contact", [
            {"last_name": "Ok", "products_of_interest": [products[0]]},
            {"last_name": "Bad", "products_of_interest": [products[1], 999]}], actor=actor)
    assert error.value.messages == {"rows[1].products_of_interest": ["there is no product 999"]}
    with kernel.bound():
        assert ContactInterest.select().count() == 0


def test_deleting_a_product_removes_it_from_interests(kernel, actor, products):
    contact = services.create(kernel, "contact", {
        "last_name": "Ng", "products_of_interest": products[:2]}, actor=actor)
    services.delete(kernel, "product", products[0], actor=actor)
    assert services.dump(kernel, "contact", contact)["products_of_interest"] == [products[1]]


def test_changing_a_users_role_is_audited_under_the_api_name(kernel, actor):
    user = services.create(kernel, "user", {"email": "ann@example.com", "name": "Ann",
                                            "role": "sales"}, actor=actor)
    user = services.update(kernel, "user", user.id, {"role": "manager"}, actor=actor)
    assert user.role_id == "manager"
    with kernel.bound():
        last = AuditEntry.select().where(AuditEntry.record_type == "user").order_by(
            AuditEntry.id.desc()).get()
    assert last.changes == {"role": ["sales", "manager"]}


class NoShouting:
    MANIFEST = PluginManifest(name="no_shouting", version="1.0")

    @hookimpl
    def validate_records(self, record_type, rows):
        for index, row in enumerate(rows):
            if (row.get("last_name") or "").isupper():
                raise ValidationError({"last_name": ["no capitals"]}, row=index)


def test_a_hook_veto_in_a_bulk_names_the_row_like_schema_errors(make_kernel, actor):
    kernel = make_kernel(plugins=[NoShouting()], enable=["no_shouting"])
    with pytest.raises(ValidationError) as error:
        services.bulk_create(kernel, "contact", [{"last_name": "Ok"}, {"last_name": "LOUD"}],
                             actor=actor)
    assert error.value.messages == {"rows[1].last_name": ["no capitals"]}
    assert str(error.value) == "rows[1].last_name: no capitals"
