"""Hook implementations of the marketing plugin: declarations gathered from its parts.

Each part (segments, campaigns, tiers) is a module declaring what it adds, by name:
``RECORD_TYPES``, ``MODELS`` (tables written with a record, such as members),
``PERMISSIONS``, ``AGENT`` (what the built-in marketing role holds), ``RULES`` (the
record rules of those grants), ``ACTIONS``, ``NAV``, ``SEARCH``, ``JOBS``, ``METRICS``,
``FACTS`` (customer facts), ``api_routes()`` and ``add_pages(bp)`` (functions),
``COMMANDS`` (click commands), ``panels(kernel, actor, record_type, record)`` (panels on
record pages) and ``demo(kernel, actor)``. The hooks
below only add the parts' lists up. It requires no other plugin: segments and tiers
are richer with the sales plugin's customer facts when it is enabled.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from accord.hooks import hookimpl
from accord.records import RoleGrant

from . import attribution, campaigns, retention, segments, tiers, value
from .merging import merge_records  # noqa: F401 (customers merged: their rows move)
from .anonymizing import erase_personal_data  # noqa: F401 (a person erased: their addresses)

if TYPE_CHECKING:
    import click
    import peewee
    from flask import Blueprint

    from accord.facts import CustomerFact
    from accord.jobs import Job
    from accord.kernel import Accord
    from accord.metrics import Metric
    from accord.pages import NavEntry, Panel, SearchType
    from accord.records import Permission, RecordAction, RecordType
    from accord.routes import ApiRoute
    from accord.scale import ScaleRun
    from accord.services import Actor

#: The plugin's parts, in the order their declarations are listed.
PARTS = (segments, campaigns, tiers, value, retention, attribution)


def _all(name: str) -> list[Any]:
    return [item for part in PARTS for item in getattr(part, name, ())]


@hookimpl
def register_record_types() -> list[RecordType]:
    return _all("RECORD_TYPES")


@hookimpl
def register_models() -> list[type[peewee.Model]]:
    return _all("MODELS")


@hookimpl
def register_permissions() -> list[Permission]:
    return _all("PERMISSIONS")


@hookimpl
def register_actions() -> list[RecordAction]:
    return _all("ACTIONS")


@hookimpl
def register_role_grants() -> list[RoleGrant]:
    """The built-in marketing role works segments, campaigns and tiers; managers hold
    ``marketing.*``."""
    rules = tuple(_all("RULES"))
    return [RoleGrant("marketing", tuple(_all("AGENT")), rules=rules),
            RoleGrant("manager", ("marketing.*",), rules=rules)]


@hookimpl
def navigation_entries() -> list[NavEntry]:
    return _all("NAV")


@hookimpl
def register_search_types() -> list[SearchType]:
    return _all("SEARCH")


@hookimpl
def register_jobs() -> list[Job]:
    return _all("JOBS")


@hookimpl
def register_metrics() -> list[Metric]:
    return _all("METRICS")


@hookimpl
def register_customer_facts() -> list[CustomerFact]:
    """The plugin's own facts about customers (a customer's value tier, RFM scores),
    usable in segments like the sales plugin's."""
    return _all("FACTS")


@hookimpl
def register_api_routes() -> list[ApiRoute]:
    return [route for part in PARTS if hasattr(part, "api_routes")
            for route in part.api_routes()]


@hookimpl
def register_pages() -> list[Blueprint]:
    from .pages import blueprint

    return [blueprint()]


@hookimpl
def record_panels(kernel: Accord, actor: Actor, record_type: str,
                  record: dict[str, Any]) -> list[Panel]:
    """The parts' panels on record pages (a customer's value and lifecycle stage)."""
    return [panel for part in PARTS if hasattr(part, "panels")
            for panel in part.panels(kernel, actor, record_type, record)]


@hookimpl
def register_commands() -> list[click.Command]:
    from .cli import marketing_commands

    return marketing_commands()


@hookimpl(trylast=True)  # tiers, values and attribution read the sales demo: it runs first
def load_demo_data(kernel: Accord, actor: Actor) -> None:
    """Segments, a completed campaign with responses, tiers computed."""
    for part in PARTS:
        demo = getattr(part, "demo", None)
        if demo is not None:
            demo(kernel, actor)


@hookimpl
def load_scale_data(kernel: Accord, run: ScaleRun) -> None:
    """Segments and campaigns reaching them (accord_marketing.scale)."""
    from .scale import marketing_scale

    marketing_scale(kernel, run)
