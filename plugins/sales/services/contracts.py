"""Contracts: an organization's agreement over a term, billed each period; the renewal
reminder and the end of the term come from a daily job.

A draft's terms may change; an active contract keeps them (renewal terms, notice
and auto-renewal excepted). The term from ``start_date`` to ``end_date`` is a whole
number of billing periods, so each period is invoiced for the contract's value.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from accord import services
from accord.errors import ValidationError
from accord.models import utcnow
from accord.services.authz import require

from ..dates import add_months
from ..jobs import each_record, job_summary, plural
from ..models import Contract
from ..rules import CONTRACT
from ..schemas import BILLING_PERIODS
from . import check_version

if TYPE_CHECKING:
    from accord.kernel import Accord
    from accord.records import Write
    from accord.services.actors import Actor

__all__ = ["contract_rules", "contract_computed", "activate_contract", "terminate_contract",
           "contract_renewals", "ACTIVATE", "TERMINATE", "INVOICE_PERIOD"]

ACTIVATE = "sales.contract.activate"
TERMINATE = "sales.contract.terminate"
INVOICE_PERIOD = "sales.contract.invoice"
#: What may change once a contract is active.
_ALWAYS_EDITABLE = {"renewal_terms", "renewal_notice_days", "auto_renew", "contact_id",
                    "owner_id", "team_id", "name"}


def _term_problem(start: dt.date, end: dt.date, period: str) -> str | None:
    if end <= start:
        return f"the end date {end} is not after the start date {start}"
    months = BILLING_PERIODS[period]
    k = 1
    while add_months(start, k * months) - dt.timedelta(days=1) < end:
        k += 1
    fits = add_months(start, k * months) - dt.timedelta(days=1)
    if fits != end:
        before = add_months(start, (k - 1) * months) - dt.timedelta(days=1)
        options = f"{before} or {fits}" if k > 1 else f"{fits}"
        return (f"the term from {start} must be a whole number of {period} billing periods: "
                f"end it on {options}")
    return None


def contract_rules(write: Write) -> None:
    for index, row, current in write:
        problems: dict[str, list[str]] = {}
        if current is not None and current.status != "draft" and write.verb is None:
            fixed = sorted(k for k in row if k not in _ALWAYS_EDITABLE
                           and k not in ("custom",) and not k.startswith("x_"))
            changed = [k for k in fixed if row[k] != write.stored(index, k)]
            if changed:
                problems[changed[0]] = [f"the {current.status} contract keeps its terms; "
                                        "only its renewal terms, notice, auto-renewal, "
                                        "contact and owner change"]
        start = row.get("start_date", getattr(current, "start_date", None))
        end = row.get("end_date", getattr(current, "end_date", None))
        period = row.get("billing_period", getattr(current, "billing_period", "yearly"))
        if not problems and start is not None and end is not None:
            problem = _term_problem(start, end, period)
            if problem:
                problems["end_date"] = [problem]
        write.refuse(index, problems)


def contract_computed(write: Write) -> None:
    rate = Decimal(write.kernel.settings("sales")["default_tax_rate"])
    for _, row, current in write:
        if current is None:
            row.setdefault("tax_rate", rate)


def _contract(kernel: Accord, contract_id: int, actor: Actor, version: int | None) -> Any:
    contract = services.get(kernel, CONTRACT, contract_id, actor=actor, for_update=True)
    check_version(CONTRACT, contract, version)
    return contract


def activate_contract(kernel: Accord, contract_id: int, *, actor: Actor,
                      version: int | None = None) -> Contract:
    require(actor, ACTIVATE)
    with kernel.transaction():
        contract = _contract(kernel, contract_id, actor, version)
        if contract.status != "draft":
            raise ValidationError({"status": [f"contract {contract.id} is {contract.status}; "
                                              "only a draft is activated"]})
        services.update(kernel, CONTRACT, contract.id, {"status": "active"}, actor=actor,
                        version=contract.version, verb="activate")
    return services.get(kernel, CONTRACT, contract_id)  # type: ignore[return-value]


def terminate_contract(kernel: Accord, contract_id: int, *, actor: Actor,
                       reason: str | None = None,
                       version: int | None = None) -> Contract:
    require(actor, TERMINATE)
    with kernel.transaction():
        contract = _contract(kernel, contract_id, actor, version)
        if contract.status != "active":
            raise ValidationError({"status": [f"contract {contract.id} is {contract.status}; "
                                              "only an active contract is terminated"]})
        text = (reason or "").strip()
        if not text:
            raise ValidationError({"reason": ["give the reason the contract is terminated"]})
        services.update(kernel, CONTRACT, contract.id, {
            "status": "terminated", "terminated_reason": text}, actor=actor,
            version=contract.version, verb="terminate")
    return services.get(kernel, CONTRACT, contract_id)  # type: ignore[return-value]


def contract_renewals(kernel: Accord, day: dt.date) -> str:
    """The ``sales.contract_renewals`` job, for ``day``:

    - an active contract whose end is within its notice (``renewal_notice_days``) gets
      a renewal reminder once: a task for its owner, on the contract's and its
      organization's timeline, due on the last day of the contract;
    - an active contract past its end is renewed for the same term when it renews
      automatically (its reminder starts over), else it expires.
    Running it twice for a day changes nothing the second time."""
    from accord.services.actors import Actor

    actor = Actor.system("sales.contract_renewals")
    with kernel.bound():
        active = list(Contract.select().where(Contract.status == "active"))
    counts = {"reminded": 0, "renewed": 0, "expired": 0}

    def handle(listed: Any) -> None:
        with kernel.transaction():
            # Terminated since the list was read: left alone.
            contract: Any = services.get(kernel, CONTRACT, listed.id, for_update=True)
            if contract.status == "active":
                _handle(contract)

    def _handle(contract: Any) -> None:
        if contract.end_date < day:
            if not contract.auto_renew:
                services.update(kernel, CONTRACT, contract.id, {"status": "expired"},
                                actor=actor, verb="renewal")
                counts["expired"] += 1
                return
            _renew(kernel, contract, day, actor)
            counts["renewed"] += 1
            contract = services.get(kernel, CONTRACT, contract.id)
        # Within the notice of its (perhaps new) end: remind, once per end date.
        if (contract.renewal_reminded_at is None
                and contract.end_date - dt.timedelta(days=contract.renewal_notice_days) <= day):
            _remind(kernel, contract, actor)
            counts["reminded"] += 1

    failed = each_record(active, handle, "contract")
    return job_summary(f"{plural(counts['reminded'], 'renewal reminder')}, "
                       f"{plural(counts['renewed'], 'contract')} renewed, "
                       f"{plural(counts['expired'], 'contract')} expired", failed)


def _renew(kernel: Accord, contract: Any, day: dt.date, actor: Actor) -> None:
    """Extend the term by its own length until it covers ``day``."""
    months = 0
    start, end = contract.start_date, contract.end_date
    term = 1
    while add_months(start, term) - dt.timedelta(days=1) < end:
        term += 1
    while end < day:
        months += term
        end = add_months(start, months + term) - dt.timedelta(days=1)
    services.update(kernel, CONTRACT, contract.id, {"end_date": end, "renewal_reminded_at": None},
                    actor=actor, verb="renewal")


def _remind(kernel: Accord, contract: Any, actor: Actor) -> None:
    with kernel.transaction():
        due = dt.datetime.combine(contract.end_date, dt.time(9), tzinfo=dt.timezone.utc)
        services.create(kernel, "activity", {
            "kind": "task", "subject": f"Renew contract {contract.name} (ends "
                                       f"{contract.end_date})",
            "body": contract.renewal_terms, "due_at": due,
            "record_type": CONTRACT, "record_id": contract.id,
            "organization_id": contract.organization_id,
            **({"owner_id": contract.owner_id} if contract.owner_id else {})}, actor=actor)
        services.update(kernel, CONTRACT, contract.id, {"renewal_reminded_at": utcnow()},
                        actor=actor, verb="renewal")
