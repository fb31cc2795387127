"""The sales share of the scale data (``accord demo --scale N``): opportunities in every
stage of both pipelines, and orders with their lines, over three years.

At scale 1: 300,000 opportunities and 500,000 orders with 2,000,000 lines (1 to 7 each).
Opportunities are created in an open stage through ``services.bulk_create``; those
whose expected close lies more than a month back are closed (won or lost) through
``move_opportunity``, one by one: the plugin has no bulk move, and the move is what
writes the stage history and runs the close hooks. Orders are created through
``services.bulk_create`` with their lines, and stay confirmed (the status verb writes its
history row one order at a time).
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from typing import TYPE_CHECKING, Any, Iterator

from accord.models import Organization, Product

from .rules import OPPORTUNITY, ORDER
from .services import move_opportunity
from .settings import pipelines

if TYPE_CHECKING:
    from accord.kernel import Accord
    from accord.scale import ScaleRun

__all__ = ["sales_scale", "FIGURES"]

#: At scale 1.
FIGURES = {"opportunities": 300_000, "orders": 500_000}
#: Lines per order, equally likely: 4 on average, 2,000,000 lines at scale 1.
LINES = (1, 2, 3, 4, 5, 6, 7)
DEALS = ("Seats for", "Support renewal for", "Roll-out at", "Training for", "Upgrade of",
         "Pilot with", "Expansion at")
LOSSES = ("Price too high", "Chose a competitor", "No budget this year", "Project cancelled",
          "No decision")


def sales_scale(kernel: Accord, run: ScaleRun) -> None:
    with kernel.bound():
        orgs: list[Any] = list(Organization.select(
            Organization.id, Organization.size, Organization.relationship, Organization.owner,
            Organization.team, Organization.name).order_by(Organization.id).tuples())
        products: list[Any] = list(Product.select(Product.id).order_by(Product.id).tuples())
    if not orgs or not products:
        return
    _opportunities(kernel, run, orgs)
    _orders(run, [o for o in orgs if o[2] == "customer"] or orgs, [p[0] for p in products])


def _weights(orgs: list[Any], power: float) -> list[float]:
    """Cumulative weights by head count: a few big customers take many of the records."""
    return list(itertools.accumulate((max(o[1] or 1, 1)) ** power for o in orgs))


def _opportunities(kernel: Accord, run: ScaleRun, orgs: list[Any]) -> None:
    rng = run.rng("sales.opportunities")
    total = run.count(FIGURES["opportunities"])
    known = pipelines(kernel)
    names = list(known)
    picks = rng.choices(range(len(orgs)), cum_weights=_weights(orgs, 0.6), k=total)
    channels = kernel.settings("sales")["channels"]
    closing: list[tuple[int, str, str | None]] = []  # row number, stage, loss reason

    def rows() -> Iterator[dict[str, Any]]:  # made as written; closing filled meanwhile
        for n, org in enumerate(picks):
            org_id, size, _, owner, team, name = orgs[org]
            pipeline = known[names[0] if len(names) == 1 or rng.random() < 0.85
                             else names[rng.randrange(1, len(names))]]
            open_stages = [s for s in pipeline.stages if s.kind == "open"]
            # Early stages hold more deals than late ones.
            stage = rng.choices(open_stages, [len(open_stages) - i
                                              for i in range(len(open_stages))])[0]
            close = run.day_back(rng) if rng.random() < 0.7 else (
                run.today + dt.timedelta(days=rng.randint(1, 180)))
            amount = round(min(2_000_000.0, rng.lognormvariate(8.5, 1.0)
                               * math.sqrt(max(size or 1, 1)) / 3), 2)
            yield {
                "name": f"{DEALS[n % len(DEALS)]} {name}", "organization_id": org_id,
                "amount": {"amount": f"{max(amount, 100.0):.2f}", "currency": "EUR"},
                "pipeline": pipeline.name, "stage": stage.name,
                "channel": channels[rng.randrange(len(channels))],
                "owner_id": owner, "team_id": team,
                "expected_close_date": close.isoformat()}
            if close < run.today - dt.timedelta(days=30):
                won = [s for s in pipeline.stages if s.kind == "won"]
                lost = [s for s in pipeline.stages if s.kind == "lost"]
                if won and (rng.random() < 0.3 + stage.probability / 200 or not lost):
                    closing.append((n, won[0].name, None))
                elif lost:
                    closing.append((n, lost[0].name, LOSSES[rng.randrange(len(LOSSES))]))

    ids = run.write(OPPORTUNITY, rows(), total, "sales.opportunities")
    bar = run.bar("sales.closed (one by one)", len(closing))
    try:
        for n, stage_name, reason in closing:
            move_opportunity(kernel, ids[n], stage_name, actor=run.actor, loss_reason=reason)
            bar.update(1)
    finally:
        bar.close()
    run.counts["sales.closed"] = len(closing)


def _orders(run: ScaleRun, orgs: list[Any], products: list[int]) -> None:
    rng = run.rng("sales.orders")
    total = run.count(FIGURES["orders"])
    weights = _weights(orgs, 0.8)
    # Popular products sell more: a Zipf-like pick over the catalogue.
    product_weights = list(itertools.accumulate(1 / (i + 1) ** 0.8
                                                for i in range(len(products))))
    lines = 0

    def rows() -> Iterator[dict[str, Any]]:
        nonlocal lines
        for n in range(total):
            org_id, _, _, owner, team, _ = orgs[rng.choices(range(len(orgs)),
                                                            cum_weights=weights)[0]]
            count = LINES[rng.randrange(len(LINES))]
            lines += count
            first = rng.choices(range(len(products)), cum_weights=product_weights)[0]
            chosen = [products[(first + i) % len(products)] for i in range(count)]
            yield {"organization_id": org_id, "owner_id": owner, "team_id": team,
                   "reference": f"PO-{n + 1:07d}",
                   "order_date": run.day_back(rng).isoformat(),
                   "lines": [{"product_id": product, "quantity": str(rng.randint(1, 40)),
                              "tax_rate": "19"} for product in chosen]}

    run.write(ORDER, rows(), total, "sales.orders")
    run.counts["sales.order_lines"] = lines
