"""Hook implementations of acme_fees: declarations, each a thin adapter."""

from __future__ import annotations

from typing import TYPE_CHECKING

from accord.hooks import hookimpl
from accord.records import Permission, RecordAction, RoleGrant

from . import services
from .records import FEE
from .schemas import PaySchema
from .timeline import fee_items

if TYPE_CHECKING:
    import click

    from accord.metrics import Metric
    from accord.records import RecordType, TimelineItem


@hookimpl
def register_record_types() -> list[RecordType]:
    return [FEE]


@hookimpl
def register_permissions() -> list[Permission]:
    return [Permission(f"acme_fees.fee.{verb}", f"{verb.capitalize()} fees")
            for verb in ("read", "write", "delete", "pay", "waive")]


@hookimpl
def register_actions() -> list[RecordAction]:
    return [RecordAction("acme_fees.fee", "pay", "acme_fees.fee.pay", services.pay,
                         schema=PaySchema, description="Record that the fee is paid"),
            RecordAction("acme_fees.fee", "waive", "acme_fees.fee.waive", services.waive,
                         description="Let the patient off the fee"),
            RecordAction("acme_fees.fee", "receipt", "acme_fees.fee.read", services.receipt,
                         description="The receipt of a paid fee")]


@hookimpl
def register_role_grants() -> list[RoleGrant]:
    return [RoleGrant("service", ("acme_fees.fee.read", "acme_fees.fee.write",
                                  "acme_fees.fee.pay"),
                      rules=(("acme_fees.fee", "team"),)),
            RoleGrant("manager", ("acme_fees.*",))]


@hookimpl
def timeline_items(record_type: str, record_ids: list[int]) -> list[TimelineItem]:
    return fee_items(record_type, record_ids)


@hookimpl
def register_commands() -> list[click.Command]:
    from .cli import open_fees, pay  # imported only when `accord acme_fees …` runs

    return [open_fees, pay]


@hookimpl
def register_metrics() -> list[Metric]:
    from .metrics import BILLED

    return [BILLED]
