"""Custom fields from accord.toml and from the CLI: the example of docs/custom-fields.md."""

import pytest

from accord import services
from accord.errors import ValidationError
from accord.query import find
from accord.services.fields import add_field, remove_field

TIER = {"kind": "choice", "choices": ["gold", "silver", "bronze"], "indexed": True}


@pytest.fixture
def tiered(make_kernel):
    """A kernel whose contacts have a tier, as if accord.toml said so."""
    return make_kernel(fields={"contact": {"x_tier": TIER}})


def test_values_are_validated_stored_and_shown(tiered, actor):
    ng = services.create(tiered, "contact", {"last_name": "Ng", "x_tier": "gold"}, actor=actor)
    assert ng.custom == {"x_tier": "gold"}
    assert services.dump(tiered, "contact", ng)["x_tier"] == "gold"
    with pytest.raises(ValidationError) as caught:
        services.create(tiered, "contact", {"last_name": "Li", "x_tier": "platinum"},
                        actor=actor)
    assert list(caught.value.messages) == ["x_tier"]


def test_filter_and_sort_on_custom_fields(tiered, actor):
    add_field(tiered, "contact", "x_score", "decimal", actor=actor)
    services.bulk_create(tiered, "contact", [
        {"last_name": "Ng", "x_tier": "gold", "x_score": "7.5"},
        {"last_name": "Li", "x_tier": "silver", "x_score": "12"},
        {"last_name": "Ito", "x_tier": "gold", "x_score": "9.25"},
    ], actor=actor)
    gold = find(tiered, "contact", {"x_tier": "gold"}, sort=["-x_score"])
    assert [c.last_name for c in gold] == ["Ito", "Ng"]
    high = find(tiered, "contact", {"x_score__gte": "9"})
    assert sorted(c.last_name for c in high) == ["Ito", "Li"]


def test_removing_a_field_keeps_the_values(tiered, actor):
    add_field(tiered, "contact", "x_score", "integer", actor=actor)
    ng = services.create(tiered, "contact", {"last_name": "Ng", "x_score": 3}, actor=actor)
    remove_field(tiered, "contact", "x_score", actor=actor)
    assert "x_score" not in services.dump(tiered, "contact", services.get(tiered, "contact", ng.id))
    add_field(tiered, "contact", "x_score", "integer", actor=actor)
    assert services.dump(tiered, "contact", services.get(tiered, "contact", ng.id))["x_score"] == 3
