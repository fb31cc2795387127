"""The sales plugin's own API routes (``register_api_routes``) and the reads and
settings changes they share with the pages: the pipeline summary, an opportunity's
stage history, and adding one stage to a pipeline.

- ``GET /api/v1/sales/pipeline`` (``?pipeline=NAME``): per pipeline and stage, how many
  opportunities and their value in the base currency, counting only those the reader's
  record rule reaches (what ``accord sales pipeline`` prints, for everyone).
- ``GET /api/v1/sales/opportunities/<id>/stages``: the moves of one opportunity the
  reader may read, oldest first (404 for one it may not).
- ``POST /api/v1/sales/pipelines/<pipeline>/stages``: add one stage at a position, through
  the settings service (``patch_settings``), so the settings' own checks apply.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import marshmallow as ma
import peewee
from marshmallow import fields, validate

from accord import services
from accord.errors import NotFound, ValidationError
from accord.metrics import MetricQuery, MoneySum, round_money, scoped
from accord.money import Money
from accord.rates import base_currency
from accord.routes import ApiRoute
from accord.services.plugins import PLUGINS, patch_settings

from .models import Opportunity, StageChange
from .rules import OPPORTUNITY
from .settings import StageSchema, pipelines

if TYPE_CHECKING:
    from accord.kernel import Accord
    from accord.services.actors import Actor

__all__ = ["api_routes", "pipeline_summary", "stage_history", "add_stage", "rename_stage",
           "move_stage", "StageFigure", "PipelineFigures", "StageMove"]

_READ = f"{OPPORTUNITY}.read"


# The pipeline summary -----------------------------------------------------------------

@dataclass
class StageFigure:
    """One stage: how many opportunities the reader sees in it and their value in the
    base currency (amounts without an exchange rate on their day listed apart)."""

    name: str
    kind: str
    probability: int | None
    currency: str
    count: int = 0
    value: Decimal = Decimal("0.00")
    unconverted: tuple[Money, ...] = ()


@dataclass
class PipelineFigures:
    name: str
    currency: str
    stages: list[StageFigure] = field(default_factory=list)

    @property
    def open_count(self) -> int:
        return sum(s.count for s in self.stages if s.kind not in ("won", "lost"))

    @property
    def open_value(self) -> Decimal:
        return sum((s.value for s in self.stages if s.kind not in ("won", "lost")),
                   Decimal("0.00"))


def pipeline_summary(kernel: Accord, *, actor: Actor,
                     pipeline: str | None = None) -> list[PipelineFigures]:
    """Every pipeline (or the one named ``pipeline``) with each stage's count and value
    in the base currency, stages in settings order, counting only the opportunities
    ``actor``'s record rule reaches. Each amount is converted on the opportunity's
    expected close date (today without one), as the dashboard's pipeline is. One
    grouped query, and one for the rates."""
    known = pipelines(kernel)
    if pipeline is not None and pipeline not in known:
        raise NotFound(f"no pipeline {pipeline!r} (pipelines: {', '.join(known)})")
    O = Opportunity
    today = dt.datetime.now(dt.timezone.utc).date()
    sums = MoneySum(kernel, O.amount, O.amount_currency,
                    peewee.fn.COALESCE(O.expected_close_date, today))
    reader = MetricQuery(today, today, by="total", reader=actor)
    query: Any = (O.select(O.pipeline, O.stage, peewee.fn.COUNT(O.id), *sums.columns)
                  .group_by(O.pipeline, O.stage, *sums.keys))
    if pipeline is not None:
        query = query.where(O.pipeline == pipeline)
    counts: dict[tuple[str, str], int] = {}
    with kernel.bound():
        for name, stage, count, currency, day, value in scoped(
                query, O, reader, record_type=OPPORTUNITY).tuples():
            counts[(name, stage)] = counts.get((name, stage), 0) + count
            sums.add((name, stage), currency, day, value or 0)
        figures = sums.result()
    base = sums.base
    out = {name: PipelineFigures(name, base, [StageFigure(s.name, s.kind, s.probability,
                                                          base) for s in p.stages])
           for name, p in known.items() if pipeline in (None, name)}
    for name, stage in sorted(counts):
        totals = out.setdefault(name, PipelineFigures(name, base))
        found = next((s for s in totals.stages if s.name == stage), None)
        if found is None:  # a stage dropped from settings edited outside Accord
            found = StageFigure(stage, "unknown", None, base)
            totals.stages.append(found)
        found.count = counts[(name, stage)]
        converted = figures.get((name, stage))
        if converted is not None:
            found.value = round_money(converted.amount, base)
            found.unconverted = converted.left_out()
    return list(out.values())


# Stage history --------------------------------------------------------------------------

@dataclass(frozen=True)
class StageMove:
    """One move of an opportunity: from which stage to which, when and by whom."""

    from_stage: str
    to_stage: str
    at: dt.datetime
    by: str
    user_id: int | None


def stage_history(kernel: Accord, opportunity_id: int, *, actor: Actor) -> dict[str, Any]:
    """The opportunity (NotFound when ``actor`` may not read it) and its moves, oldest
    first: ``{"opportunity": record, "moves": [StageMove…]}``."""
    opportunity: Any = services.get(kernel, OPPORTUNITY, opportunity_id, actor=actor)
    with kernel.bound():
        rows = list(StageChange.select()
                    .where(StageChange.opportunity == opportunity.id)
                    .order_by(StageChange.at, StageChange._meta.primary_key))
    moves = [StageMove(r.from_stage, r.to_stage, r.at, r.actor_label,
                       getattr(r, "actor_id", None)) for r in rows]
    return {"opportunity": opportunity, "moves": moves}


# Editing one pipeline's stages ------------------------------------------------------------

def _stages_of(kernel: Accord, pipeline: str) -> list[dict[str, Any]]:
    stages = kernel.settings("sales")["pipelines"].get(pipeline)
    if stages is None:
        raise NotFound(f"no pipeline {pipeline!r} (pipelines: "
                       f"{', '.join(kernel.settings('sales')['pipelines'])})")
    return [dict(s) for s in stages]


def _save(kernel: Accord, pipeline: str, stages: list[dict[str, Any]], *,
          actor: Actor) -> list[dict[str, Any]]:
    """Set this pipeline's stages (the others kept) through the settings service, which
    checks the whole and may refuse; returns the stages now in force."""
    settings = patch_settings(kernel, "sales", {"pipelines": {pipeline: stages}}, actor=actor)
    return [dict(s) for s in settings["pipelines"][pipeline]]


def _index_of(stages: list[dict[str, Any]], name: str, pipeline: str) -> int:
    for index, stage in enumerate(stages):
        if stage["name"] == name:
            return index
    raise NotFound(f"the {pipeline} pipeline has no stage {name!r} (stages: "
                   f"{', '.join(s['name'] for s in stages)})")


def add_stage(kernel: Accord, pipeline: str, *, actor: Actor, name: str, probability: int,
              kind: str = "open", position: int | None = None) -> list[dict[str, Any]]:
    """Add one stage to ``pipeline`` at ``position`` (1 = first; default: right after
    the last open stage), the other stages and pipelines kept as they are. Returns the
    pipeline's stages now in force; the settings' checks (a unique name, one won stage,
    probabilities of won and lost stages) refuse with a ValidationError."""
    stages = _stages_of(kernel, pipeline)
    if position is None:
        opens = [i for i, s in enumerate(stages) if s.get("kind", "open") == "open"]
        index = opens[-1] + 1 if opens else 0
    elif not 1 <= position <= len(stages) + 1:
        raise ValidationError({"position": [f"give a position from 1 to {len(stages) + 1}"]})
    else:
        index = position - 1
    stages.insert(index, {"name": name.strip(), "probability": probability, "kind": kind})
    return _save(kernel, pipeline, stages, actor=actor)


def rename_stage(kernel: Accord, pipeline: str, stage: str, new_name: str, *,
                 actor: Actor) -> list[dict[str, Any]]:
    """Give a stage another name, in place. A stage holding opportunities keeps its name
    (the settings' check says how many are in it)."""
    stages = _stages_of(kernel, pipeline)
    stages[_index_of(stages, stage, pipeline)]["name"] = new_name.strip()
    return _save(kernel, pipeline, stages, actor=actor)


def move_stage(kernel: Accord, pipeline: str, stage: str, position: int, *,
               actor: Actor) -> list[dict[str, Any]]:
    """Put a stage at ``position`` (1 = first), the others keeping their order."""
    stages = _stages_of(kernel, pipeline)
    if not 1 <= position <= len(stages):
        raise ValidationError({"position": [f"give a position from 1 to {len(stages)}"]})
    moved = stages.pop(_index_of(stages, stage, pipeline))
    stages.insert(position - 1, moved)
    return _save(kernel, pipeline, stages, actor=actor)


# The routes ------------------------------------------------------------------------------

def _money(amount: Decimal, currency: str) -> dict[str, str]:
    return {"amount": f"{amount:.2f}", "currency": currency}


class _MoneyOut(ma.Schema):
    amount = fields.Decimal(as_string=True)
    currency = fields.String()


class _StageOut(ma.Schema):
    name = fields.String()
    kind = fields.String(metadata={"description": "open, won, lost (or unknown: a stage "
                                                  "the settings no longer name)"})
    probability = fields.Integer(allow_none=True)
    count = fields.Integer(metadata={"description": "Opportunities the reader may read"})
    value = fields.Function(lambda s: _money(s.value, s.currency), metadata={
        "description": "Their amounts in the base currency"})
    unconverted = fields.List(fields.Nested(_MoneyOut), metadata={
        "description": "Amounts left out of value for want of an exchange rate"})


class _PipelineOut(ma.Schema):
    name = fields.String()
    open_count = fields.Integer()
    open_value = fields.Function(lambda p: _money(p.open_value, p.currency))
    stages = fields.List(fields.Nested(_StageOut))


class PipelineArgs(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    pipeline = fields.String(validate=validate.Length(min=1, max=40), metadata={
        "description": "Only this pipeline (default: every pipeline)"})


class PipelineSummary(ma.Schema):
    """The answer of ``GET /api/v1/sales/pipeline``."""

    base_currency = fields.String()
    pipelines = fields.List(fields.Nested(_PipelineOut))


class _MoveOut(ma.Schema):
    from_stage = fields.String()
    to_stage = fields.String()
    at = fields.AwareDateTime()
    by = fields.String(metadata={"description": "Who moved it (the user's label)"})
    user_id = fields.Integer(allow_none=True)


class StageHistory(ma.Schema):
    """The answer of ``GET /api/v1/sales/opportunities/<id>/stages``."""

    opportunity_id = fields.Function(lambda h: h["opportunity"].id)
    pipeline = fields.Function(lambda h: h["opportunity"].pipeline)
    stage = fields.Function(lambda h: h["opportunity"].stage,
                            metadata={"description": "The stage it is in now"})
    moves = fields.List(fields.Nested(_MoveOut))


class NewStage(StageSchema):
    """The body of ``POST /api/v1/sales/pipelines/<pipeline>/stages``."""

    position = fields.Integer(strict=True, validate=validate.Range(min=1), metadata={
        "description": "The new stage's place, 1 = first (default: right after the last "
                       "open stage)"})


class PipelineStages(ma.Schema):
    """The stages of a pipeline after the change."""

    pipeline = fields.String()
    stages = fields.List(fields.Nested(StageSchema))


def _summary(kernel: Accord, *, actor: Actor, pipeline: str | None = None) -> dict[str, Any]:
    found = pipeline_summary(kernel, actor=actor, pipeline=pipeline)
    return {"base_currency": base_currency(kernel), "pipelines": found}


def _history(kernel: Accord, id: int, *, actor: Actor) -> dict[str, Any]:
    return stage_history(kernel, id, actor=actor)


def _add(kernel: Accord, pipeline: str, *, actor: Actor, **stage: Any) -> dict[str, Any]:
    return {"pipeline": pipeline, "stages": add_stage(kernel, pipeline, actor=actor, **stage)}


def api_routes() -> list[ApiRoute]:
    return [
        ApiRoute("/sales/pipeline", _summary, _READ, "The pipeline by stage",
                 args=PipelineArgs, response=PipelineSummary,
                 description="Per pipeline and stage: how many opportunities and their "
                             "value in the base currency, counting those the caller's "
                             "record rule reaches (as `accord sales pipeline`)."),
        ApiRoute("/sales/opportunities/<int:id>/stages", _history, _READ,
                 "An opportunity's stage history", response=StageHistory,
                 description="Its moves from stage to stage, oldest first; 404 for an "
                             "opportunity the caller may not read."),
        ApiRoute("/sales/pipelines/<pipeline>/stages", _add, PLUGINS, "Add a stage to a pipeline",
                 method="POST", args=NewStage, response=PipelineStages, status=201,
                 description="One stage at a position; the pipeline's other stages and the "
                             "other pipelines are kept. The settings' checks apply (422)."),
    ]
