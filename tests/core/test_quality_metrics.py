"""Data quality metrics: completeness per record type and field (custom fields
included) and stale records, counted as the reader may read them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from accord import services
from accord.metrics import MetricQuery, report
from accord.models import Contact
from accord.services import SYSTEM
from accord.services import fields as field_services
from accord.services import roles as role_services
from accord.services.authz import actor_for

RANGE = MetricQuery(dt.date(2026, 1, 1), dt.date(2026, 12, 31), by="total")


def _user(kernel, email, role):
    return services.create(kernel, "user", {"email": email, "name": email.split("@")[0].title(),
                                            "role": role}, actor=SYSTEM)


def _contact(kernel, last_name, **extra):
    return services.create(kernel, "contact", {"last_name": last_name, **extra}, actor=SYSTEM)


def _figures(kernel, name, actor=SYSTEM, query=RANGE):
    _, points = report(kernel, name, query, actor=actor)
    return {p.group: p.value for p in points}


def test_completeness_per_field_custom_fields_included(kernel):
    field_services.add_field(kernel, "contact", "x_tier", "choice", actor=SYSTEM,
                             choices=["gold", "silver"])
    org = services.create(kernel, "organization", {"name": "Acme"}, actor=SYSTEM)
    _contact(kernel, "Ames", email="ann@example.com", organization_id=org.id, x_tier="gold")
    _contact(kernel, "Baker", email="bob@example.com")
    _contact(kernel, "Cole", phone="")
    _contact(kernel, "Dunn")
    found = _figures(kernel, "core.completeness")
    assert (found["contact.last_name"], found["contact.email"], found["contact.phone"],
            found["contact.organization_id"], found["contact.x_tier"]) == (
        Decimal("100.00"), Decimal("50.00"), Decimal("0.00"), Decimal("25.00"),
        Decimal("25.00"))
    assert found["organization.name"] == Decimal("100.00")
    # Identifiers, timestamps, versions and flags say nothing about completeness.
    assert not {"contact.id", "contact.created_at", "contact.version",
                "contact.email_opt_out"} & set(found)


def test_a_reader_counts_the_records_and_types_it_may_read(kernel):
    # A role reading its own contacts and nothing else.
    role_services.add_role(kernel, "canvasser", actor=SYSTEM,
                           grants=["core.contact.read", "core.metrics.read"])
    role_services.set_rule(kernel, "canvasser", "contact", "own", actor=SYSTEM)
    sam = _user(kernel, "sam@example.com", "canvasser")
    _contact(kernel, "Mine", email="mine@example.com", owner_id=sam.id)
    _contact(kernel, "Theirs")
    _contact(kernel, "Others")
    everyone = _figures(kernel, "core.completeness")
    theirs = _figures(kernel, "core.completeness", actor_for(kernel, sam))
    assert everyone["contact.email"] == Decimal("33.33")
    assert theirs["contact.email"] == Decimal("100.00")  # the one contact sam owns
    # Only the types it may read: contacts, not users (sam is one).
    assert {g.split(".")[0] for g in theirs} == {"contact"}
    assert {g.split(".")[0] for g in everyone} == {"contact", "user"}


def test_stale_records_are_those_not_changed_since_the_range_began(kernel):
    old = _contact(kernel, "Old")
    _contact(kernel, "Fresh")
    with kernel.bound():
        Contact.update(updated_at=dt.datetime(2025, 3, 1, tzinfo=dt.timezone.utc)).where(
            Contact.id == old.id).execute()
    found = _figures(kernel, "core.stale_records")
    assert found["contact"] == Decimal(1)
    # Changed again: no longer stale.
    services.update(kernel, "contact", old.id, {"first_name": "Otto"}, actor=SYSTEM)
    assert "contact" not in _figures(kernel, "core.stale_records")
    # A range from tomorrow: every record is stale.
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    later = MetricQuery(tomorrow, tomorrow + dt.timedelta(days=30), by="total")
    assert _figures(kernel, "core.stale_records", query=later)["contact"] == Decimal(2)
