"""Hook implementations of the sales plugin: thin adapters over its rules and services."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from accord.hooks import hookimpl
from accord.records import Permission, RecordAction, RecordType, TimelineItem

from . import rules, services
from .models import Lead, Opportunity, StageChange
from .reports import stage_change_items
from .schemas import ConvertSchema, LeadSchema, MoveSchema, OpportunitySchema

if TYPE_CHECKING:
    import click
    import peewee

    from accord.kernel import Accord
    from accord.services.actors import Actor

LEAD = RecordType(rules.LEAD, Lead, LeadSchema, "leads", "Lead",
                  searchable=("name", "company", "email"), personal=("email", "phone"),
                  title_fields=("name",))
OPPORTUNITY = RecordType(rules.OPPORTUNITY, Opportunity, OpportunitySchema, "opportunities",
                         "Opportunity", searchable=("name",), title_fields=("name",))


@hookimpl
def register_record_types() -> list[RecordType]:
    return [LEAD, OPPORTUNITY]


@hookimpl
def register_models() -> list[type[peewee.Model]]:
    return [StageChange]


@hookimpl
def register_permissions() -> list[Permission]:
    return [Permission("sales.lead.read", "Read leads"),
            Permission("sales.lead.write", "Create and change leads"),
            Permission("sales.lead.delete", "Delete leads"),
            Permission("sales.lead.convert", "Convert leads into customers and opportunities"),
            Permission("sales.opportunity.read", "Read opportunities"),
            Permission("sales.opportunity.write", "Create and change opportunities"),
            Permission("sales.opportunity.delete", "Delete opportunities"),
            Permission("sales.opportunity.move", "Move opportunities between stages, "
                                                 "closing them as won or lost")]


@hookimpl
def register_actions() -> list[RecordAction]:
    return [RecordAction(rules.LEAD, "convert", services.CONVERT, _convert, schema=ConvertSchema,
                         description="Convert a lead into a contact, an organization and "
                                     "optionally an opportunity"),
            RecordAction(rules.OPPORTUNITY, "move", services.MOVE, _move, schema=MoveSchema,
                         description="Move an opportunity to another stage (win or lose it)")]


def _convert(kernel: Accord, record: Any, data: dict[str, Any], actor: Actor) -> Any:
    return services.convert_lead(kernel, record.id, actor=actor, version=record.version,
                        create_opportunity=data["create_opportunity"],
                        opportunity=data["opportunity"])


def _move(kernel: Accord, record: Any, data: dict[str, Any], actor: Actor) -> Any:
    return services.move_opportunity(kernel, record.id, data["stage"], actor=actor,
                                     version=record.version,
                                     loss_reason=data.get("loss_reason"),
                                     probability=data.get("probability"))


@hookimpl
def record_defaults(kernel: Accord, record_type: RecordType, rows: list[dict[str, Any]]) -> None:
    if record_type.name == rules.OPPORTUNITY:
        rules.opportunity_defaults(kernel, rows)


@hookimpl
def validate_records(kernel: Accord, record_type: RecordType, rows: list[dict[str, Any]],
                     existing: list[Any]) -> None:
    if record_type.name == rules.LEAD:
        rules.lead_rules(kernel, rows, existing)
    elif record_type.name == rules.OPPORTUNITY:
        rules.opportunity_rules(kernel, rows, existing)


@hookimpl
def compute_fields(kernel: Accord, record_type: RecordType, rows: list[dict[str, Any]],
                   existing: list[Any]) -> None:
    if record_type.name == rules.LEAD:
        rules.lead_computed(rows, existing)
    elif record_type.name == rules.OPPORTUNITY:
        rules.opportunity_computed(kernel, rows, existing)


@hookimpl
def validate_delete(record_type: RecordType, records: list[Any]) -> None:
    if record_type.name in ("organization", "contact"):
        rules.opportunities_in_use(record_type.name, records)


@hookimpl
def validate_settings(kernel: Accord, plugin: str, settings: dict[str, Any],
                      previous: dict[str, Any]) -> None:
    if plugin == "sales":
        services.check_stages_in_use(kernel, settings, previous)


@hookimpl
def timeline_items(record_type: str, record_ids: list[int]) -> list[TimelineItem]:
    return stage_change_items(record_type, record_ids)


@hookimpl
def register_commands() -> list[click.Command]:
    from .cli import pipeline

    return [pipeline]


@hookimpl
def load_demo_data(kernel: Accord, actor: Actor) -> None:
    from .demo import sales_demo

    sales_demo(kernel, actor)
