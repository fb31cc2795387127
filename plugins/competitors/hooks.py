"""Hook implementations of the competitors plugin: thin adapters over its rules,
services and reports.

It extends the sales plugin only through hooks: sales' own ``validate_opportunity_close``
(the veto on closing a contested deal), ``opportunity_moved`` (recording the outcome
in this plugin's table) and ``validate_opportunity_delete``, and the core's timeline
hook. It never imports sales' models nor reads its tables
(its demo data closes deals with sales' public verb, ``move_opportunity``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from accord.hooks import hookimpl
from accord.pages import NavEntry, Panel, SearchType
from accord.records import (Link, Permission, RecordAction, RecordType, RoleGrant, TimelineItem,
                            VerbField)

from . import rules, services
from .merging import merge_records  # noqa: F401 (customers merged: nothing of ours moves)
from .models import (CompetingProduct, Competitor, Involvement, Outcome, PriceObservation,
                     Rivalry)
from .reports import competitor_items, opportunity_items
from .schemas import (CompetingProductSchema, CompetitorSchema, InvolvementSchema,
                      ObservePriceSchema, PriceObservationSchema)

if TYPE_CHECKING:
    import click
    import peewee
    from flask import Blueprint

    from accord.kernel import Accord
    from accord.metrics import Metric
    from accord.services.actors import Actor

COMPETITOR = RecordType(rules.COMPETITOR, Competitor, CompetitorSchema, "competitors",
                        "Competitor", searchable=("name", "markets", "regions", "segments"),
                        title_fields=("name",), check_delete=rules.competitor_in_use)
PRODUCT = RecordType(rules.PRODUCT, CompetingProduct, CompetingProductSchema, "products",
                     "Competing product", searchable=("name", "category", "main_use"),
                     title_fields=("name",),
                     links=(Link("competes_with", Rivalry, "product", "ours"),),
                     verb_fields=tuple(VerbField(name, ("observe_price",))
                                       for name in rules.PRICE_FIELDS),
                     validate=rules.product_rules)
PRICE = RecordType(rules.PRICE, PriceObservation, PriceObservationSchema, "prices",
                   "Observed price", searchable=("source",), title_fields=("observed_on",),
                   written_by=("observe_price",), defaults=rules.price_defaults,
                   validate=rules.price_rules, check_delete=rules.price_kept)
INVOLVEMENT = RecordType(rules.INVOLVEMENT, Involvement, InvolvementSchema, "involvements",
                         "Competitor on a deal", searchable=("notes",), title_fields=(),
                         validate=rules.involvement_rules,
                         check_delete=rules.involvement_kept)
TYPES = (COMPETITOR, PRODUCT, PRICE, INVOLVEMENT)


@hookimpl
def register_record_types() -> list[RecordType]:
    return list(TYPES)


@hookimpl
def register_models() -> list[type[peewee.Model]]:
    return [Rivalry, Outcome]


@hookimpl
def register_permissions() -> list[Permission]:
    perms = []
    for record_type, what in zip(TYPES, ("competitors", "competing products",
                                         "observed prices", "competitors' links to deals")):
        perms += [Permission(f"{record_type.name}.read", f"Read {what}"),
                  Permission(f"{record_type.name}.write", f"Create and change {what}"),
                  Permission(f"{record_type.name}.delete", f"Delete {what}")]
    return [*perms,
            Permission(services.OBSERVE, "Record an observed list price of a competing product"),
            Permission(services.COMPARE, "Compare a competing product's price with ours")]


@hookimpl
def register_actions() -> list[RecordAction]:
    return [RecordAction(rules.PRODUCT, "observe_price", services.OBSERVE,
                         services.observe_price, schema=ObservePriceSchema,
                         description="Record the list price seen on a day in the price "
                                     "history; the latest becomes the current price"),
            RecordAction(rules.PRODUCT, "compare_prices", services.COMPARE,
                         services.compare_prices,
                         description="The current list price against our products' prices")]


# sales' hooks: optionalhook, so that without sales installed this plugin still loads
# (an implementation of a hook nobody declared is otherwise a load error) and enabling
# it is refused with the manifest's requirement named, not a hook error.

@hookimpl(optionalhook=True)
def validate_opportunity_close(opportunity: Any, stage: Any, data: dict[str, Any]) -> None:
    rules.check_close(opportunity, stage.kind, data)


@hookimpl(optionalhook=True)
def opportunity_moved(opportunity: Any, to_stage: Any, data: dict[str, Any]) -> None:
    services.record_outcome(opportunity, to_stage.kind, data)


@hookimpl(optionalhook=True)
def validate_opportunity_delete(opportunities: list[Any]) -> None:
    rules.opportunity_in_use(opportunities)


@hookimpl
def plugin_enabled(kernel: Accord) -> None:
    services.sync_outcomes(kernel)


@hookimpl
def timeline_items(kernel: Accord, record_type: str,
                   record_ids: list[int]) -> list[TimelineItem]:
    if record_type == rules.COMPETITOR:
        return competitor_items(kernel, record_ids)
    if record_type == rules.OPPORTUNITY:
        return opportunity_items(record_ids)
    return []


@hookimpl
def register_metrics() -> list[Metric]:
    from .metrics import METRICS

    return list(METRICS)


@hookimpl
def register_commands() -> list[click.Command]:
    from .cli import winloss

    return [winloss]


@hookimpl(trylast=True)  # links competitors to the sales demo's deals: sales' runs first
def load_demo_data(kernel: Accord, actor: Actor) -> None:
    from .demo import competitors_demo

    competitors_demo(kernel, actor)


@hookimpl
def register_role_grants() -> list[RoleGrant]:
    """The built-in manager and sales roles hold every competitors permission."""
    return [RoleGrant("manager", ("competitors.*",)), RoleGrant("sales", ("competitors.*",))]


@hookimpl
def navigation_entries() -> list[NavEntry]:
    # The plugin's page: every competitor with its win/loss (register_pages).
    return [NavEntry("Competitors", "/competitors/", f"{rules.COMPETITOR}.read", order=40)]


@hookimpl
def register_search_types() -> list[SearchType]:
    return [SearchType(rules.COMPETITOR, "Competitors", ("threat_level", "markets"), order=40),
            SearchType(rules.PRODUCT, "Competing products", ("category",), order=41)]


@hookimpl
def register_pages() -> list[Blueprint]:
    from .pages import blueprint

    return [blueprint()]


@hookimpl
def record_panels(kernel: Accord, actor: Actor, record_type: str,
                  record: dict[str, Any]) -> list[Panel]:
    if record_type == rules.OPPORTUNITY:
        from .closing import closing_panels

        return closing_panels(kernel, actor, record)
    if record_type != rules.COMPETITOR:
        return []
    from .panels import competitor_panels

    return competitor_panels(kernel, actor, record["id"])


if TYPE_CHECKING:
    from accord.metrics import MetricQuery
    from accord.pages import Widget


@hookimpl
def dashboard_widgets(kernel: Accord, actor: Actor, query: MetricQuery) -> list[Widget]:
    from .widgets import competitors_widgets

    return competitors_widgets(kernel, actor, query)
