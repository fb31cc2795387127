"""A ticket's SLA: its policy, its due times and the business time its clock stood
still.

The policy gives the targets per priority: the ``contract`` policy for a customer with
an active contract (the sales plugin enabled), else the policy of the customer's tier
(the organization field the ``tier_field`` setting names), else the default targets
(the ``sla`` setting). The clock starts when the ticket is received and stands still
while the ticket waits for the customer or is resolved; each pause's business time is
added to the targets when the clock goes on (``resumed``), so the due times move by
exactly that much.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Sequence

from accord.errors import ValidationError
from accord.query import MAX_IN_VALUES, find

from .businesstime import Calendar, business_time, due_at
from .settings import targets

if TYPE_CHECKING:
    from accord.kernel import Accord

__all__ = ["Customer", "Policy", "DEFAULT", "CONTRACT", "HOOK", "CONTRACT_TYPE",
           "policies", "due_times", "paused", "resumed", "check_settings"]

#: The names a ticket's ``sla_policy`` holds: these, or ``tier:<tier>``.
DEFAULT = "default"
CONTRACT = "contract"
#: A plugin's ``ticket_due_times`` gave the due times.
HOOK = "hook"
#: The record type whose active records give a customer the contract policy.
CONTRACT_TYPE = "sales.contract"


@dataclass(frozen=True)
class Customer:
    """Whom a ticket is for, and the day (in the business calendar's zone) it came."""

    organization_id: int | None
    contact_id: int | None
    day: dt.date


@dataclass(frozen=True)
class Policy:
    """An SLA policy: its name (``default``, ``contract``, ``tier:<tier>``) and its
    targets per priority (``{"urgent": {"first_response": 30, "resolution": 240}, …}``,
    business minutes)."""

    name: str
    targets: dict[str, dict[str, int]]


def _chunks(ids: Iterable[int]) -> Iterator[list[int]]:
    values = sorted(set(ids))
    for start in range(0, len(values), MAX_IN_VALUES):
        yield values[start:start + MAX_IN_VALUES]


def _organizations(kernel: Accord, customers: Sequence[Customer]) -> list[int | None]:
    """Each customer's organization: the one named, else the contact's."""
    asked = [c.contact_id for c in customers
             if c.organization_id is None and c.contact_id is not None]
    of_contact: dict[int, int | None] = {}
    for chunk in _chunks(asked):
        of_contact.update((c.id, c.organization_id)
                          for c in find(kernel, "contact", {"id__in": chunk}))
    return [c.organization_id if c.organization_id is not None
            else of_contact.get(c.contact_id) if c.contact_id is not None else None
            for c in customers]


def _under_contract(kernel: Accord, customers: Sequence[Customer],
                    organizations: Sequence[int | None]) -> set[int]:
    """The indexes of the customers whose organization has a contract active on their
    day: status ``active``, the day from its start to its end date. Read through the
    record type (never the sales tables), only while it is available."""
    if CONTRACT_TYPE not in kernel.records:
        return set()
    days: dict[int, list[dt.date]] = {}
    for customer, org in zip(customers, organizations):
        if org is not None:
            days.setdefault(org, []).append(customer.day)
    if not days:
        return set()
    first = min(d for ds in days.values() for d in ds)
    last = max(d for ds in days.values() for d in ds)
    terms: dict[int, list[tuple[dt.date, dt.date]]] = {}
    for chunk in _chunks(days):
        for contract in find(kernel, CONTRACT_TYPE, {
                "organization_id__in": chunk, "status": "active",
                "start_date__lte": last.isoformat(), "end_date__gte": first.isoformat()}):
            terms.setdefault(contract.organization_id, []).append(
                (contract.start_date, contract.end_date))
    return {index for index, (customer, org) in enumerate(zip(customers, organizations))
            if org is not None and any(start <= customer.day <= end
                                       for start, end in terms.get(org, ()))}


def _tiers(kernel: Accord, field: str, organizations: Sequence[int | None]
           ) -> dict[int, Any]:
    """The tier field's value of each organization (a custom field's from ``custom``)."""
    values: dict[int, Any] = {}
    for chunk in _chunks(o for o in organizations if o is not None):
        for org in find(kernel, "organization", {"id__in": chunk}):
            values[org.id] = ((org.custom or {}).get(field) if field.startswith("x_")
                              else getattr(org, field, None))
    return values


def _tier_policy(settings: dict[str, Any], value: Any) -> Policy | None:
    tiers = settings["sla_tiers"]
    # A multi-choice field holds a list: its first value that has a policy.
    for tier in value if isinstance(value, list) else [value]:
        if tier is not None and str(tier) in tiers:
            return Policy(f"tier:{tier}", tiers[str(tier)])
    return None


def policies(kernel: Accord, settings: dict[str, Any],
             customers: Sequence[Customer]) -> list[Policy]:
    """The SLA policy of each customer: ``contract``, else its tier's, else the
    default; a few queries for the whole batch, whatever its size."""
    default = Policy(DEFAULT, settings["sla"])
    if not customers or (settings["sla_contract"] is None and not (
            settings["tier_field"] and settings["sla_tiers"])):
        return [default] * len(customers)
    organizations = _organizations(kernel, customers)
    contracted = (_under_contract(kernel, customers, organizations)
                  if settings["sla_contract"] is not None else set())
    tiers = (_tiers(kernel, settings["tier_field"], organizations)
             if settings["tier_field"] and settings["sla_tiers"] else {})
    out = []
    for index, org in enumerate(organizations):
        if index in contracted:
            out.append(Policy(CONTRACT, settings["sla_contract"]))
            continue
        tier = _tier_policy(settings, tiers.get(org)) if org is not None else None
        out.append(tier or default)
    return out


def due_times(calendar: Calendar, settings: dict[str, Any], *, priority: str,
              received_at: dt.datetime, paused_seconds: int,
              policy: Policy | None = None) -> tuple[dt.datetime, dt.datetime]:
    """When the first response and the resolution of a ticket are due: its priority's
    targets (the policy's, else the default ``sla`` setting's) in business time after
    ``received_at``, plus the business time its clock stood still."""
    first, resolution = targets({"sla": policy.targets} if policy is not None else settings,
                                priority)
    pause = dt.timedelta(seconds=paused_seconds)
    return (due_at(calendar, received_at, first + pause),
            due_at(calendar, received_at, resolution + pause))


def paused(ticket: Any, at: dt.datetime) -> dict[str, Any]:
    """The fields that stop a ticket's clock at ``at`` (nothing when it stands still
    already)."""
    return {} if ticket.sla_paused_at is not None else {"sla_paused_at": at}


def resumed(calendar: Calendar, ticket: Any, at: dt.datetime) -> dict[str, Any]:
    """The fields that start a stopped clock again at ``at``: the pause's business
    time (whole seconds) is added to what the clock stood still before."""
    if ticket.sla_paused_at is None:
        return {}
    stood = business_time(calendar, ticket.sla_paused_at, at)
    return {"sla_paused_at": None,
            "sla_paused_seconds": ticket.sla_paused_seconds + int(stood.total_seconds())}


def check_settings(kernel: Accord, settings: dict[str, Any]) -> None:
    """Refuse a ``tier_field`` that is no field of organizations (the ``validate_settings``
    hook: custom fields are known only to a running kernel)."""
    field = settings.get("tier_field")
    if field is None:
        return
    from accord.models import Organization

    known = (field in kernel.fields.of("organization") if field.startswith("x_")
             else field in Organization._meta.fields and field not in _NOT_TIERS)
    if not known:
        raise ValidationError({"tier_field": [
            f"organizations have no field {field!r}: give a custom field (x_…) or a core "
            "field such as industry or relationship"]})


#: Organization columns that hold no tier.
_NOT_TIERS = frozenset({"id", "custom", "version", "created_at", "updated_at", "owner",
                        "team", "parent"})
