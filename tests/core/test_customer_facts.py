"""Customer facts (the register_customer_facts hook): a plugin declares facts about
organizations or contacts as SQL; another finds them by name and joins them."""

from __future__ import annotations

import peewee
import pytest

from accord import services
from accord.errors import NotFound
from accord.facts import CustomerFact, customer_fact, customer_facts
from accord.hooks import hookimpl
from accord.models import Activity
from accord.plugins import PluginManifest
from accord.services import Actor

SYSTEM = Actor.system("test")


class Calls:
    """A plugin knowing how many activities each organization has."""

    MANIFEST = PluginManifest(name="calls", version="1.0.0")

    @hookimpl
    def register_customer_facts(self):
        def query(kernel, since):
            return (Activity.select(Activity.organization.alias("customer"),
                                    peewee.fn.COUNT(Activity.id).alias("value"))
                    .where(Activity.organization.is_null(False))
                    .group_by(Activity.organization))

        return [CustomerFact("calls.activity_count", "Activities", "integer", "organization",
                             query),
                CustomerFact("calls.activity_count", "Shadowed", "integer", "organization",
                             query)]


def test_hook_register_customer_facts(make_kernel):
    kernel = make_kernel(plugins=[Calls()], enable=["calls"])
    acme = services.create(kernel, "organization", {"name": "Acme"}, actor=SYSTEM)
    quiet = services.create(kernel, "organization", {"name": "Quiet"}, actor=SYSTEM)
    for subject in ("Call", "Visit"):
        services.create(kernel, "activity", {"kind": "call", "subject": subject,
                                             "organization_id": acme.id}, actor=SYSTEM)
    facts = customer_facts(kernel, "organization")
    assert list(facts) == ["calls.activity_count"]
    assert facts["calls.activity_count"].label == "Activities"  # the first declaration
    assert customer_facts(kernel, "contact") == {}
    fact = customer_fact(kernel, "organization", "calls.activity_count")
    with kernel.bound():
        rows = {row["customer"]: row["value"] for row in fact.query(kernel, None).dicts()}
    assert rows == {acme.id: 2}  # no row for Quiet: it has no activities
    assert quiet.id not in rows
    with pytest.raises(NotFound) as caught:
        customer_fact(kernel, "organization", "calls.nope")
    assert caught.value.message == ("no customer fact 'calls.nope' about organizations "
                                    "(known: calls.activity_count)")
    # A disabled plugin's facts are gone.
    from accord.services.plugins import disable

    disable(kernel, "calls", actor=SYSTEM)
    assert customer_facts(kernel, "organization") == {}


def test_a_fact_says_what_it_is_or_is_refused():
    with pytest.raises(ValueError) as caught:
        CustomerFact("x.y", "Y", "money", "organization", lambda k, since: None)
    assert str(caught.value) == ("customer fact x.y: kind 'money' is not one of number, "
                                 "integer, date, ids, text, events")
    assert CustomerFact("x.y", "Y", "text", "contact", lambda k, since: None).kind == "text"
    with pytest.raises(ValueError):
        CustomerFact("x.y", "Y", "number", "team", lambda k, since: None)
    with pytest.raises(ValueError):
        CustomerFact("x.y", "Y", "ids", "contact", lambda k, since: None)
