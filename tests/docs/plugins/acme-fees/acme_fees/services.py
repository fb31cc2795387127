"""The clinic's verbs on fees: the plugin's Python API, and the handlers of its actions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from accord import services
from accord.errors import Conflict, ValidationError
from accord.models import utcnow
from accord.money import Money
from accord.services.authz import require

if TYPE_CHECKING:
    from accord.kernel import Accord
    from accord.services import Actor

FEE = "acme_fees.fee"


def pay(kernel: Accord, fee_id: int, *, actor: Actor, paid_by: str,
        version: int | None = None) -> Any:
    """Record that a fee is paid. Returns the fee: the API answers with it and its ETag."""
    require(actor, "acme_fees.fee.pay")
    fee: Any = services.get(kernel, FEE, fee_id, actor=actor)
    if fee.status == "paid":  # writing "paid" again is no move: transitions let it pass
        raise Conflict(f"fee {fee.id} is paid already")
    return services.update(kernel, FEE, fee_id,
                           {"status": "paid", "paid_by": paid_by, "paid_at": utcnow()},
                           actor=actor, version=version, verb="pay")


def waive(kernel: Accord, fee_id: int, *, actor: Actor, version: int | None = None) -> Any:
    """Let the patient off a fee."""
    require(actor, "acme_fees.fee.waive")
    return services.update(kernel, FEE, fee_id, {"status": "waived"},
                           actor=actor, version=version, verb="waive")


def receipt(kernel: Accord, fee_id: int, *, actor: Actor,
            version: int | None = None) -> dict[str, Any]:
    """The receipt of a paid fee. Returns a dict: the API answers with it as JSON."""
    fee: Any = services.get(kernel, FEE, fee_id, actor=actor)
    if fee.status != "paid":
        raise ValidationError({"status": [f"fee {fee.id} is not paid"]})
    amount = Money(fee.amount, fee.amount_currency)
    return {"fee_id": fee.id, "text": f"Received {amount} for {fee.treatment} "
                                      f"on {fee.paid_at:%Y-%m-%d}"}
