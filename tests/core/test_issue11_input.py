"""Issue 11, wrong input: custom filters are validated like built-in ones, and boolean
custom fields take JSON booleans only."""

from __future__ import annotations

import pytest

from accord import services
from accord.errors import ValidationError
from accord.services.fields import add_field


@pytest.fixture
def fielded(kernel, actor):
    add_field(kernel, "contact", "x_first_met", "date", actor=actor)
    add_field(kernel, "contact", "x_vip", "boolean", actor=actor)
    return kernel


def test_item_14_a_custom_date_filter_refuses_what_is_no_date(fielded, actor,
                                                              make_api_client):
    services.create(fielded, "contact", {"last_name": "Ng", "x_first_met": "2026-03-01"},
                    actor=actor)
    client = make_api_client("admin", kernel=fielded)
    bad = client.get("/api/v1/contacts?x_first_met__gte=notadate")
    assert bad.status_code == 400, bad.get_json()
    assert bad.get_json()["errors"] == {"x_first_met__gte": ["'notadate' is not a date "
                                                             "(YYYY-MM-DD)"]}
    good = client.get("/api/v1/contacts?x_first_met__gte=2026-01-01").get_json()
    assert [c["last_name"] for c in good["items"]] == ["Ng"]
    none = client.get("/api/v1/contacts?x_first_met__gte=2026-04-01").get_json()
    assert none["items"] == []


@pytest.mark.parametrize("value", ["yes", 1, "off", 0, "true"])
def test_item_15_boolean_custom_fields_take_json_booleans_only(fielded, actor, value):
    with pytest.raises(ValidationError) as caught:
        services.create(fielded, "contact", {"last_name": "Ng", "x_vip": value}, actor=actor)
    assert caught.value.messages == {"x_vip": ["Not a valid boolean."]}
    with fielded.bound():
        from accord.models import Contact

        assert Contact.select().count() == 0
    made = services.create(fielded, "contact", {"last_name": "Ng", "x_vip": True},
                           actor=actor)
    assert services.dump(fielded, "contact", made)["x_vip"] is True
