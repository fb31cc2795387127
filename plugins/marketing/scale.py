"""The marketing share of the scale data (``accord demo --scale N``): segments of
contacts by city and job title, and 50 email campaigns (at scale 1) reaching them.

Segments and campaigns are created through ``services.bulk_create``; each campaign is
launched through ``launch_campaign`` (the verb that makes the segment's contacts its
members, set-based) and, when it ended in the past, completed through
``complete_campaign``: there is no bulk launch, and one call per campaign is cheap.
Nothing is sent, so members have no sends, opens or responses.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from accord.money import Money

from .campaigns import CAMPAIGN
from .models.campaigns import CampaignMember
from .segments import SEGMENT
from .services.campaigns import complete_campaign, launch_campaign

if TYPE_CHECKING:
    from accord.kernel import Accord
    from accord.scale import ScaleRun

__all__ = ["marketing_scale", "FIGURES"]

#: At scale 1.
FIGURES = {"campaigns": 50}
#: The places and titles segments pick from (the core's scale contacts have them).
CITIES = ("Hamburg", "Berlin", "Munich", "Stuttgart", "Lyon", "Paris", "Milan", "Rome",
          "Madrid", "Barcelona", "Rotterdam", "Vienna", "Bergen", "Warsaw", "Lisbon",
          "Zurich")
TITLES = ("CEO", "CFO", "Buyer", "Purchasing lead", "Office manager", "IT lead",
          "Head of operations", "Sales manager", "Assistant", "Engineer")
THEMES = ("Spring offers", "Product launch", "Webinar invitation", "Renewal reminder",
          "Customer survey", "Year-end deals", "Trade show follow-up")


def marketing_scale(kernel: Accord, run: ScaleRun) -> None:
    rng = run.rng("marketing.campaigns")
    total = run.count(FIGURES["campaigns"])
    audiences = [(CITIES[rng.randrange(len(CITIES))], TITLES[rng.randrange(len(TITLES))])
                 for _ in range(total)]
    segments = run.write(SEGMENT, ({
        "name": f"{title}s in {city} ({n + 1})", "target": "contact",
        "rules": [{"field": "city", "op": "eq", "value": city},
                  {"field": "title", "op": "eq", "value": title}]}
        for n, (city, title) in enumerate(audiences)), total, "marketing.segments")
    currency = kernel.config.base_currency
    rows: list[dict[str, Any]] = []
    for n, segment in enumerate(segments):
        start = run.day_back(rng, 3 * 365 - 30)
        budget = Decimal(rng.randrange(500, 20_000))
        rows.append({
            "name": f"{THEMES[n % len(THEMES)]} {n + 1}", "type": "email",
            "objective": "Bring customers back", "segment_id": segment,
            "budget": Money(budget, currency),
            "actual_cost": Money(budget * Decimal(rng.randint(70, 110)) / 100, currency),
            "start_date": start, "end_date": start + dt.timedelta(days=rng.randint(7, 45)),
            "expected_responses": rng.randint(10, 500),
            "subject": "{first_name}, " + THEMES[n % len(THEMES)].lower(),
            "body": "Hello {first_name},\n\nSee what is new: {link}\n"})
    ids = run.write(CAMPAIGN, rows, total, "marketing.campaigns")
    bar = run.bar("marketing.launched (one by one)", total)
    try:
        for campaign, row in zip(ids, rows):
            launch_campaign(kernel, campaign, actor=run.actor)
            if row["end_date"] < run.today:
                complete_campaign(kernel, campaign, actor=run.actor)
            bar.update(1)
    finally:
        bar.close()
    with kernel.bound():
        run.counts["marketing.members"] = (CampaignMember.select()
                                           .where(CampaignMember.campaign.in_(ids)).count())
