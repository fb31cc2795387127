"""Custom fields: defined at run time or in the config, validated like built-in fields,
shown by services.dump(kernel, ), and never losing a stored value when removed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from accord import services
from accord.errors import NotFound, ValidationError
from accord.models import AuditEntry, Contact, CustomField
from accord.services.fields import add_field, remove_field

# kind, choices, a good value as given, as shown by dump, as stored in the JSON column
KINDS = [
    ("text", None, "Gold partner", "Gold partner", "Gold partner"),
    ("integer", None, 42, 42, 42),
    ("decimal", None, "1234.56", "1234.56", "1234.56"),
    ("date", None, "2024-02-29", "2024-02-29", "2024-02-29"),
    ("boolean", None, True, True, True),
    ("choice", ["gold", "silver"], "silver", "silver", "silver"),
    ("multi_choice", ["web", "fair", "referral"], ["web", "referral"], ["web", "referral"],
     ["web", "referral"]),
]
# kind, a value of the wrong type, the message
WRONG = [
    ("text", 5, "Not a valid string."),
    ("integer", "42", "Not a valid integer."),
    ("integer", 4.2, "Not a valid integer."),
    ("decimal", "lots", "Not a valid number."),
    ("date", "2024-02-30", "Not a valid date."),
    ("boolean", "perhaps", "Not a valid boolean."),
    ("choice", "bronze", "Must be one of: gold, silver."),
    ("multi_choice", "web", "Not a valid list."),
]
CHOICES = {k: c for k, c, *_ in KINDS}


def define(kernel, actor, name, kind, type_name="contact", **options):
    return add_field(kernel, type_name, name, kind, actor=actor,
                     choices=options.pop("choices", CHOICES[kind]), **options)


def stored_custom(kernel, contact_id):
    with kernel.bound():
        return Contact.get_by_id(contact_id).custom


@pytest.mark.parametrize("kind, choices, given, shown, stored", KINDS,
                         ids=[k[0] for k in KINDS])
def test_each_kind_stores_and_shows_its_values(kernel, actor, kind, choices, given, shown,
                                               stored):
    field = define(kernel, actor, "x_value", kind)
    assert (field.kind, field.choices) == (kind, tuple(choices) if choices else None)
    contact = services.create(kernel, "contact", {"last_name": "Schulz", "x_value": given},
                              actor=actor)
    assert services.dump(kernel, "contact", services.get(kernel, "contact", contact.id))["x_value"] == shown
    assert stored_custom(kernel, contact.id) == {"x_value": stored}
    with kernel.bound():
        [entry] = AuditEntry.select().where(AuditEntry.action == "created")
    assert entry.changes["x_value"] == [None, stored]


def test_values_are_typed_back_when_read(kernel, actor):
    define(kernel, actor, "x_budget", "decimal")
    define(kernel, actor, "x_renewal", "date")
    contact = services.create(kernel, "contact", {
        "last_name": "Weber", "x_budget": "0.10", "x_renewal": "2025-01-31"}, actor=actor)
    shown = services.dump(kernel, "contact", contact)
    assert (shown["x_budget"], shown["x_renewal"]) == ("0.10", "2025-01-31")
    assert kernel.fields.values("contact", contact.custom) == {
        "x_budget": Decimal("0.10"), "x_renewal": dt.date(2025, 1, 31)}


@pytest.mark.parametrize("kind, value, message", WRONG, ids=[f"{k}-{v!r}" for k, v, _ in WRONG])
def test_a_wrong_value_is_refused_naming_the_field(kernel, actor, kind, value, message):
    define(kernel, actor, "x_field", kind)
    with pytest.raises(ValidationError) as exc:
        services.create(kernel, "contact", {"last_name": "Ng", "x_field": value}, actor=actor)
    assert exc.value.messages == {"x_field": [message]}
    with kernel.bound():
        assert Contact.select().count() == 0


def test_a_wrong_choice_in_a_multi_choice_names_the_field_and_item(kernel, actor):
    define(kernel, actor, "x_source", "multi_choice")
    with pytest.raises(ValidationError) as exc:
        services.create(kernel, "contact", {"last_name": "Ng", "x_source": ["web", "radio"]},
                        actor=actor)
    assert exc.value.messages == {"x_source.1": ["Must be one of: web, fair, referral."]}


def test_a_wrong_value_in_an_update_keeps_the_stored_one(kernel, actor):
    define(kernel, actor, "x_seats", "integer")
    contact = services.create(kernel, "contact", {"last_name": "Ng", "x_seats": 5}, actor=actor)
    with pytest.raises(ValidationError) as exc:
        services.update(kernel, "contact", contact.id, {"x_seats": "many"}, actor=actor)
    assert exc.value.messages == {"x_seats": ["Not a valid integer."]}
    assert stored_custom(kernel, contact.id) == {"x_seats": 5}


def test_a_bulk_with_a_wrong_custom_value_writes_nothing(kernel, actor):
    define(kernel, actor, "x_seats", "integer")
    rows = [{"last_name": f"P{i}", "x_seats": i} for i in range(200)]
    rows[120]["x_seats"] = "lots"
    with pytest.raises(ValidationError) as exc:
        services.bulk_create(kernel, "contact", rows, actor=actor)
    assert exc.value.flat() == {"rows[120].x_seats": ["Not a valid integer."]}
    with kernel.bound():
        assert Contact.select().count() == 0


def test_an_update_changes_one_custom_value_and_audits_only_it(kernel, actor):
    define(kernel, actor, "x_seats", "integer")
    define(kernel, actor, "x_tier", "choice")
    contact = services.create(kernel, "contact", {"last_name": "Ng", "x_seats": 5,
                                                  "x_tier": "gold"}, actor=actor)
    services.update(kernel, "contact", contact.id, {"x_seats": 8}, actor=actor)
    assert stored_custom(kernel, contact.id) == {"x_seats": 8, "x_tier": "gold"}
    with kernel.bound():
        entry = AuditEntry.select().where(AuditEntry.action == "updated").get()
    assert entry.changes == {"x_seats": [5, 8]}


def test_a_required_field_must_be_given_and_not_empty(kernel, actor):
    old = services.create(kernel, "contact", {"last_name": "Before"}, actor=actor)
    define(kernel, actor, "x_region", "text", required=True)
    with pytest.raises(ValidationError) as exc:
        services.create(kernel, "contact", {"last_name": "Ng"}, actor=actor)
    assert exc.value.messages == {"x_region": ["Missing data for required field."]}
    with pytest.raises(ValidationError) as exc:
        services.create(kernel, "contact", {"last_name": "Ng", "x_region": None}, actor=actor)
    assert exc.value.messages == {"x_region": ["Field may not be null."]}
    with pytest.raises(ValidationError) as exc:
        services.update(kernel, "contact", old.id, {"x_region": None}, actor=actor)
    assert exc.value.messages == {"x_region": ["Field may not be null."]}
    # Records made before the field existed can still be edited without it.
    services.update(kernel, "contact", old.id, {"title": "CEO"}, actor=actor)
    made = services.create(kernel, "contact", {"last_name": "Ng", "x_region": "North"},
                           actor=actor)
    assert services.dump(kernel, "contact", made)["x_region"] == "North"


def test_dump_shows_every_defined_field_even_when_unset(kernel, actor):
    define(kernel, actor, "x_tier", "choice")
    define(kernel, actor, "x_seats", "integer", type_name="organization")
    contact = services.create(kernel, "contact", {"last_name": "Ng"}, actor=actor)
    shown = services.dump(kernel, "contact", contact)
    assert shown["x_tier"] is None
    assert "x_seats" not in shown


def test_removing_a_field_keeps_values_and_adding_it_again_brings_them_back(kernel, actor):
    define(kernel, actor, "x_seats", "integer")
    contact = services.create(kernel, "contact", {"last_name": "Ng", "x_seats": 12},
                              actor=actor)
    remove_field(kernel, "contact", "x_seats", actor=actor)

    assert "x_seats" not in services.dump(kernel, "contact", services.get(kernel, "contact", contact.id))
    with pytest.raises(ValidationError) as exc:
        services.create(kernel, "contact", {"last_name": "Ok", "x_seats": 3}, actor=actor)
    assert exc.value.messages == {"x_seats": ["unknown field 'x_seats'"]}
    # Editing the record meanwhile does not drop the hidden value.
    services.update(kernel, "contact", contact.id, {"title": "CTO"}, actor=actor)
    assert stored_custom(kernel, contact.id) == {"x_seats": 12}

    define(kernel, actor, "x_seats", "integer")
    assert services.dump(kernel, "contact", services.get(kernel, "contact", contact.id))["x_seats"] == 12
    with kernel.bound():
        actions = [(e.action, e.changes) for e in AuditEntry.select()
                   .where(AuditEntry.action.startswith("field_")).order_by(AuditEntry.id)]
    assert actions == [
        ("field_added", {"field": [None, "x_seats"], "kind": [None, "integer"]}),
        ("field_removed", {"field": ["x_seats", None]}),
        ("field_added", {"field": [None, "x_seats"], "kind": [None, "integer"]}),
    ]


def test_removing_an_unknown_field_is_not_found(kernel, actor):
    with pytest.raises(NotFound, match="contact has no custom field 'x_ghost'"):
        remove_field(kernel, "contact", "x_ghost", actor=actor)


def test_a_second_kernel_on_the_same_database_sees_a_new_field(make_kernel, actor):
    first, second = make_kernel(), make_kernel()
    add_field(first, "contact", "x_vip", "boolean", actor=actor)
    second.sync()  # what each request, command and job start does: one cheap read
    contact = services.create(second, "contact", {"last_name": "Ng", "x_vip": True},
                              actor=actor)
    assert services.dump(second, "contact", contact)["x_vip"] is True


CONFIG_FIELDS = {"contact": {"x_tier": {"kind": "choice", "choices": ["gold", "silver"],
                                        "label": "Tier"}}}


def test_fields_from_the_config_validate_and_show(make_kernel, actor):
    kernel = make_kernel(fields=CONFIG_FIELDS)
    contact = services.create(kernel, "contact", {"last_name": "Ng", "x_tier": "gold"},
                              actor=actor)
    assert services.dump(kernel, "contact", contact)["x_tier"] == "gold"
    with pytest.raises(ValidationError) as exc:
        services.create(kernel, "contact", {"last_name": "Ng", "x_tier": "platinum"},
                        actor=actor)
    assert exc.value.messages == {"x_tier": ["Must be one of: gold, silver."]}
    assert kernel.fields.get("contact", "x_tier").source == "config"


def test_fields_from_the_config_cannot_be_removed_or_redefined(make_kernel, actor):
    kernel = make_kernel(fields=CONFIG_FIELDS)
    with pytest.raises(ValidationError) as exc:
        remove_field(kernel, "contact", "x_tier", actor=actor)
    assert exc.value.messages == {"name": [
        "contact.x_tier is defined in accord.toml; remove it there"]}
    with pytest.raises(ValidationError) as exc:
        add_field(kernel, "contact", "x_tier", "text", actor=actor)
    assert exc.value.messages == {"name": ["contact already has a field 'x_tier' (in accord.toml)"]}
    assert kernel.fields.get("contact", "x_tier").kind == "choice"
    with kernel.bound():
        assert CustomField.select().count() == 0


@pytest.mark.parametrize("name, kind, choices, field, message", [
    ("tier", "text", None, "name", "'tier': custom field names start with 'x_', then a "
     "lowercase letter, then lowercase letters, digits or '_' (at most 62)"),
    ("x_Tier", "text", None, "name", "'x_Tier': custom field names start with 'x_', then a "
     "lowercase letter, then lowercase letters, digits or '_' (at most 62)"),
    ("x_tier", "choice", None, "choices", "a choice field needs a list of choices"),
    ("x_tier", "multi_choice", [], "choices", "a multi_choice field needs a list of choices"),
    ("x_tier", "choice", ["a", "a"], "choices", "choices must be distinct and not empty"),
    ("x_tier", "text", ["a"], "choices", "only choice and multi_choice fields take choices, "
     "not text"),
    ("x_tier", "colour", None, "kind", "'colour' is not a field kind; use one of text, "
     "integer, decimal, date, boolean, choice, multi_choice"),
])
def test_invalid_definitions_are_refused(kernel, actor, name, kind, choices, field, message):
    with pytest.raises(ValidationError) as exc:
        add_field(kernel, "contact", name, kind, choices=choices, actor=actor)
    assert exc.value.messages == {field: [message]}
    assert kernel.fields.of("contact") == {}
    with kernel.bound():
        assert CustomField.select().count() == 0


def test_a_field_cannot_be_defined_twice_or_on_an_unknown_type(kernel, actor):
    define(kernel, actor, "x_tier", "text")
    with pytest.raises(ValidationError) as exc:
        define(kernel, actor, "x_tier", "integer")
    assert exc.value.messages == {"name": ["contact already has a field 'x_tier'"]}
    with pytest.raises(ValidationError) as exc:
        add_field(kernel, "sales.deal", "x_tier", "text", actor=actor)
    assert exc.value.messages["record_type"][0].startswith(
        "unknown record type 'sales.deal' (known: ")


def index_names(kernel, table):
    return {i.name for i in kernel.database.get_indexes(table)}


def test_an_indexed_field_gets_an_index_that_goes_with_the_field(kernel, actor):
    define(kernel, actor, "x_code", "text", type_name="organization", indexed=True)
    define(kernel, actor, "x_note", "text", type_name="organization")
    index = "accord_organization_x_code_idx"
    assert index in index_names(kernel, "accord_organization")
    assert not any("x_note" in name for name in index_names(kernel, "accord_organization"))
    remove_field(kernel, "organization", "x_code", actor=actor)
    assert index not in index_names(kernel, "accord_organization")


def test_a_field_the_config_marks_indexed_gets_an_index_at_start(make_kernel):
    kernel = make_kernel(fields={"organization": {"x_code": {"kind": "text", "indexed": True}}})
    assert "accord_organization_x_code_idx" in index_names(kernel, "accord_organization")
