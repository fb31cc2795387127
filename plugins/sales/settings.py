"""The sales settings: pipelines and their stages, lead sources, channels, currency,
the forecast's commit probability.

Settings come from ``[plugins.settings.sales]`` in ``accord.toml`` and from
``accord plugins settings sales KEY=VALUE`` (or ``PUT /api/v1/plugins/sales/settings``);
this schema checks them. ``pipelines(kernel)`` gives them back as typed values.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import marshmallow as ma
from marshmallow import fields, validate

from accord.money import CurrencyField

if TYPE_CHECKING:
    from accord.kernel import Accord

__all__ = ["SalesSettings", "Stage", "Pipeline", "pipelines", "pipeline_of", "STAGE_KINDS",
           "DEFAULT_PIPELINES", "DEFAULT_LEAD_SOURCES", "DEFAULT_CHANNELS"]

#: What a stage means: still being worked on, won, or lost.
STAGE_KINDS = ("open", "won", "lost")

DEFAULT_PIPELINES: dict[str, list[dict[str, Any]]] = {
    "new_business": [
        {"name": "Prospecting", "probability": 10, "kind": "open"},
        {"name": "Qualification", "probability": 25, "kind": "open"},
        {"name": "Proposal", "probability": 50, "kind": "open"},
        {"name": "Negotiation", "probability": 75, "kind": "open"},
        {"name": "Won", "probability": 100, "kind": "won"},
        {"name": "Lost", "probability": 0, "kind": "lost"},
    ],
    "renewals": [
        {"name": "Upcoming", "probability": 60, "kind": "open"},
        {"name": "Negotiation", "probability": 80, "kind": "open"},
        {"name": "Renewed", "probability": 100, "kind": "won"},
        {"name": "Churned", "probability": 0, "kind": "lost"},
    ],
}
DEFAULT_LEAD_SOURCES = ["web form", "referral", "campaign", "trade show", "cold call"]
DEFAULT_CHANNELS = ["telesales", "field", "e-commerce", "partner"]

_PIPELINE_NAME = validate.Regexp(
    r"^[a-z][a-z0-9_]{0,39}$",
    error="A pipeline name is lowercase letters, digits and '_' (at most 40), such as "
          "new_business.")
_CHOICE = fields.String(validate=validate.Length(min=1, max=60))


class StageSchema(ma.Schema):
    """One stage of a pipeline; the list order is the stage order."""

    class Meta:
        unknown = ma.RAISE

    name = fields.String(required=True, validate=validate.Length(min=1, max=60))
    probability = fields.Integer(required=True, strict=True, validate=validate.Range(0, 100))
    kind = fields.String(load_default="open", validate=validate.OneOf(STAGE_KINDS))


class SalesSettings(ma.Schema):
    """``pipelines``: name -> ordered stages; each pipeline has at least one open stage,
    exactly one won stage (probability 100) and at least one lost stage (probability 0),
    with stage names unique within it."""

    class Meta:
        unknown = ma.RAISE

    pipelines = fields.Dict(
        keys=fields.String(validate=_PIPELINE_NAME),
        values=fields.List(fields.Nested(StageSchema), validate=validate.Length(min=3, max=30)),
        load_default=lambda: copy.deepcopy(DEFAULT_PIPELINES),
        validate=validate.Length(min=1, error="Declare at least one pipeline."))
    #: The pipeline of opportunities created without one.
    default_pipeline = fields.String(load_default="new_business")
    lead_sources = fields.List(_CHOICE, load_default=lambda: list(DEFAULT_LEAD_SOURCES),
                               validate=validate.Length(min=1, max=100))
    channels = fields.List(_CHOICE, load_default=lambda: list(DEFAULT_CHANNELS),
                           validate=validate.Length(min=1, max=100))
    #: The currency of an opportunity created without an amount (ISO 4217).
    currency = CurrencyField(load_default="EUR")
    #: From which probability (0-100) an open opportunity counts as committed in the
    #: forecast.
    commit_probability = fields.Integer(load_default=75, strict=True, validate=validate.Range(
        0, 100, error="Give a probability from 0 to 100."))
    #: The tax rate of a quote, order or invoice line given none (percent, as a string).
    default_tax_rate = fields.String(load_default="0", validate=validate.Regexp(
        r"^(100|[0-9]{1,2}(\.[0-9]{1,2})?)$",
        error="Give a percentage from 0 to 100 with at most two decimals, as a string "
              "such as \"20\" or \"5.5\"."))
    #: Days a sent quote stays valid when it names no valid_until date.
    quote_validity_days = fields.Integer(load_default=30, strict=True,
                                         validate=validate.Range(1, 365))
    #: Days from an invoice's issue to its due date, unless the invoice says otherwise.
    payment_terms_days = fields.Integer(load_default=30, strict=True,
                                        validate=validate.Range(0, 365))
    #: Put before an invoice's number: INV-2026-00001.
    invoice_prefix = fields.String(load_default="INV-", validate=validate.Regexp(
        r"^[A-Za-z0-9/_-]{0,8}$", error="At most 8 letters, digits, '/', '_' or '-'."))

    @ma.validates_schema
    def _check(self, data: dict[str, Any], **kwargs: Any) -> None:
        problems: dict[str, list[str]] = {}
        for name, stages in (data.get("pipelines") or {}).items():
            found = _pipeline_problems(name, stages)
            if found:
                problems.setdefault("pipelines", []).extend(found)
        pipelines = data.get("pipelines")
        default = data.get("default_pipeline")
        if pipelines and default not in pipelines:
            problems["default_pipeline"] = [
                f"{default!r} is not one of the pipelines ({', '.join(pipelines)})"]
        for key in ("lead_sources", "channels"):
            values = data.get(key) or []
            twice = sorted({v for v in values if values.count(v) > 1})
            if twice:
                problems[key] = [f"{', '.join(map(repr, twice))} listed twice"]
        if problems:
            raise ma.ValidationError(problems)


def _pipeline_problems(name: str, stages: list[dict[str, Any]]) -> list[str]:
    out = []
    kinds = [s["kind"] for s in stages]
    if kinds.count("won") != 1:
        out.append(f"{name}: needs exactly one won stage (found {kinds.count('won')})")
    if "lost" not in kinds:
        out.append(f"{name}: needs at least one lost stage")
    if "open" not in kinds:
        out.append(f"{name}: needs at least one open stage, where opportunities start")
    seen: set[str] = set()
    for stage in stages:
        key = stage["name"].strip().lower()
        if key in seen:
            out.append(f"{name}: the stage name {stage['name']!r} is used twice")
        seen.add(key)
        fixed = {"won": 100, "lost": 0}.get(stage["kind"])
        if fixed is not None and stage["probability"] != fixed:
            out.append(f"{name}: the {stage['kind']} stage {stage['name']!r} has probability "
                       f"{fixed}, not {stage['probability']}")
    return out


@dataclass(frozen=True)
class Stage:
    """A pipeline stage as the plugin uses it."""

    pipeline: str
    name: str
    probability: int
    kind: str
    #: Position in the pipeline, from 0.
    position: int

    @property
    def closed(self) -> bool:
        return self.kind != "open"


@dataclass(frozen=True)
class Pipeline:
    name: str
    stages: tuple[Stage, ...]

    def stage(self, name: str) -> Stage | None:
        """The stage called ``name`` (exactly), or None."""
        for stage in self.stages:
            if stage.name == name:
                return stage
        return None

    @property
    def first_open(self) -> Stage:
        return next(s for s in self.stages if s.kind == "open")

    def names(self) -> str:
        return ", ".join(s.name for s in self.stages)


def pipeline_of(name: str, stages: list[dict[str, Any]]) -> Pipeline:
    return Pipeline(name, tuple(Stage(name, s["name"], s["probability"], s["kind"], i)
                                for i, s in enumerate(stages)))


def pipelines(kernel: Accord, settings: dict[str, Any] | None = None) -> dict[str, Pipeline]:
    """The configured pipelines by name, in settings order (of ``settings`` when given,
    else of the kernel's current sales settings)."""
    values = kernel.settings("sales") if settings is None else settings
    return {name: pipeline_of(name, stages) for name, stages in values["pipelines"].items()}
