"""The sales plugin's domain verbs: convert a lead, move an opportunity; the verbs of
quotes, orders, invoices and contracts live in this package's modules.

Each verb is one transaction built on the core's write path (``accord.services``):
validation, the plugins' write-path hooks, audit entries and signals all happen as
for any other write. The one table written here directly is the plugin's own
history of stage changes, in the same transaction as the move it records.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterator

import peewee

from accord import services
from accord.errors import StaleVersion, ValidationError
from accord.models import Contact, Organization, utcnow
from accord.services.authz import require

from ..models import Lead, Opportunity, StageChange
from ..rules import LEAD, OPPORTUNITY
from ..settings import pipelines
from ..signals import opportunity_stage_changed

if TYPE_CHECKING:
    from accord.kernel import Accord
    from accord.services.actors import Actor

__all__ = ["convert_lead", "move_opportunity", "StageSpell", "stage_spells",
           "current_stage_since", "check_stages_in_use", "CONVERT", "MOVE"]

#: The permissions of the two verbs (declared in hooks.py).
CONVERT = "sales.lead.convert"
MOVE = "sales.opportunity.move"
#: Opportunity fields a conversion sets itself; the caller may not give them.
_FROM_CONVERSION = ("organization_id", "contact_id")


def check_version(type_name: str, record: Any, version: int | None) -> None:
    """Refuse a verb on a record that changed since the caller read it (the ``version``
    it gives, if any); every verb of this package checks this way."""
    if version is not None and record.version != version:
        raise StaleVersion(f"{type_name} {record.id} is at version {record.version}, "
                           f"not {version}; reload it and try again")


# Converting a lead -----------------------------------------------------------------

def convert_lead(kernel: Accord, lead_id: int, *, actor: Actor, create_opportunity: bool = False,
                 opportunity: dict[str, Any] | None = None,
                 version: int | None = None) -> Lead:
    """Turn a lead into a contact and an organization (matched when they exist: the
    contact by email, the organization by name whatever its case), and optionally an
    opportunity, all in one transaction. The lead keeps links to what it became and
    is returned as stored afterwards."""
    require(actor, CONVERT)
    if opportunity is not None and not create_opportunity:
        raise ValidationError({"opportunity": [
            "give create_opportunity: true to create an opportunity from these fields"]})
    extra = dict(opportunity or {})
    taken = [name for name in _FROM_CONVERSION if name in extra]
    if taken:
        raise ValidationError({f"opportunity.{name}": ["set by the conversion from the lead"]
                               for name in taken})
    with kernel.transaction():
        lead = services.get(kernel, LEAD, lead_id, actor=actor, for_update=True)
        _check_convertible(lead, version)
        organization_id = _organization_for(kernel, lead, actor)
        contact_id = _contact_for(kernel, lead, organization_id, actor)
        links = {"contact_id": contact_id, "organization_id": organization_id}
        if create_opportunity:
            links["opportunity_id"] = _opportunity_for(kernel, lead, extra, links, actor)
        services.update(kernel, LEAD, lead.id, {
            "status": "qualified", "converted_at": utcnow(), **links},
            actor=actor, version=lead.version, verb="convert")
    return services.get(kernel, LEAD, lead_id)  # type: ignore[return-value]


def _check_convertible(lead: Any, version: int | None) -> None:
    check_version(LEAD, lead, version)
    if lead.converted_at is not None:
        raise ValidationError({"status": [
            f"lead {lead.id} was already converted on {lead.converted_at:%Y-%m-%d}; "
            "a lead is converted once"]})
    if lead.status == "disqualified":
        raise ValidationError({"status": [
            f"lead {lead.id} is disqualified ({lead.disqualify_reason}); change its status "
            "before converting it"]})


def _organization_for(kernel: Accord, lead: Any, actor: Actor) -> int | None:
    """The organization named by the lead's company: an existing one of that name
    (case-insensitive; the oldest if several), else a new one. None without a company."""
    if not lead.company:
        return None
    with kernel.bound():
        found = (Organization.select(Organization.id)
                 .where(peewee.fn.lower(Organization.name) == lead.company.lower())
                 .order_by(Organization.id).first())
    if found is not None:
        return int(found.id)
    with _named("organization"):
        created = services.create(kernel, "organization",
                                  {"name": lead.company, **_owners(lead)}, actor=actor)
    return int(created.id)


def _owners(lead: Any) -> dict[str, int]:
    """The lead's owner and team for what it becomes; left out when it has none, so
    the new records get the core's default (the converting user)."""
    return {k: v for k, v in (("owner_id", lead.owner_id), ("team_id", lead.team_id)) if v}


def _contact_for(kernel: Accord, lead: Any, organization_id: int | None,
                 actor: Actor) -> int:
    """The contact with the lead's email (emails are unique whatever their case), else
    a new contact from the lead's name, email and phone."""
    if lead.email:
        with kernel.bound():
            found = (Contact.select(Contact.id)
                     .where(peewee.fn.lower(Contact.email) == lead.email.lower()).first())
        if found is not None:
            return int(found.id)
    first, _, last = lead.name.strip().rpartition(" ")
    with _named("contact"):
        created = services.create(kernel, "contact", {
            "first_name": first or None, "last_name": last, "email": lead.email,
            "phone": lead.phone, "organization_id": organization_id, **_owners(lead)},
            actor=actor)
    return int(created.id)


def _opportunity_for(kernel: Accord, lead: Any, fields: dict[str, Any],
                     links: dict[str, Any], actor: Actor) -> int:
    data = {"name": lead.company or lead.name, **_owners(lead), **fields,
            **{k: v for k, v in links.items() if v}}
    with _named("opportunity"):
        created = services.create(kernel, OPPORTUNITY, data, actor=actor)
    return int(created.id)


@contextlib.contextmanager
def _named(what: str) -> Iterator[None]:
    """Errors of a record the conversion writes are named ``<what>.<field>``, so the
    caller can tell the new contact's ``last_name`` from the lead's own fields."""
    try:
        yield
    except ValidationError as exc:
        raise ValidationError({f"{what}.{k}": v for k, v in exc.messages.items()}) from None


# Moving an opportunity ---------------------------------------------------------------

def move_opportunity(kernel: Accord, opportunity_id: int, stage: str, *, actor: Actor,
                     loss_reason: str | None = None, probability: int | None = None,
                     win_reason: str | None = None, details: dict[str, Any] | None = None,
                     version: int | None = None) -> Opportunity:
    """Move an opportunity to another stage of its pipeline, closing it when the stage
    is won or lost (other plugins may veto through ``validate_opportunity_close``).
    Writes the change, its stage history row and audit entry in one transaction, then
    sends ``sales.opportunity.stage_changed``. Returns the opportunity as stored."""
    require(actor, MOVE)
    reason = (loss_reason or "").strip() or None
    won_because = (win_reason or "").strip() or None
    with kernel.transaction():
        current: Any = services.get(kernel, OPPORTUNITY, opportunity_id, actor=actor,
                                    for_update=True)
        check_version(OPPORTUNITY, current, version)
        target = _target_stage(kernel, current, stage, reason, probability)
        if won_because is not None and target.kind != "won":
            raise ValidationError({"win_reason": ["only a move to the won stage takes a win "
                                                  "reason"]})
        data = {"stage": target.name, "loss_reason": reason, "win_reason": won_because,
                "probability": target.probability if probability is None else probability}
        extra = {**data, "details": dict(details or {})}
        if target.closed:
            kernel.hooks.validate_opportunity_close(kernel=kernel, opportunity=current,
                                                    stage=target, data=dict(extra),
                                                    actor=actor)
        services.update(kernel, OPPORTUNITY, current.id, data, actor=actor,
                        version=current.version, verb="move")
        at = utcnow()
        StageChange.insert(opportunity=current.id, pipeline=current.pipeline,
                           from_stage=current.stage, to_stage=target.name, at=at,
                           actor=actor.user_id, actor_label=actor.label).execute()
        kernel.hooks.opportunity_moved(
            kernel=kernel, opportunity=services.get(kernel, OPPORTUNITY, current.id),
            from_stage=current.stage, to_stage=target, data=extra, actor=actor)
        kernel.emit(opportunity_stage_changed, opportunity_id=current.id,
                    pipeline=current.pipeline, from_stage=current.stage, to_stage=target.name,
                    kind=target.kind, at=at, actor=actor)
    return services.get(kernel, OPPORTUNITY, opportunity_id)  # type: ignore[return-value]


def _target_stage(kernel: Accord, current: Any, name: str, reason: str | None,
                  probability: int | None) -> Any:
    pipeline = pipelines(kernel).get(current.pipeline)
    target = pipeline.stage(name) if pipeline is not None else None
    if pipeline is None:
        raise ValidationError({"stage": [f"the pipeline {current.pipeline!r} of this "
                                         "opportunity is no longer in the settings"]})
    if target is None:
        raise ValidationError({"stage": [f"{name!r} is not a stage of the {pipeline.name} "
                                         f"pipeline; use one of {pipeline.names()}"]})
    if target.name == current.stage:
        raise ValidationError({"stage": [f"the opportunity is already in {target.name!r}"]})
    if target.kind == "lost" and reason is None:
        raise ValidationError({"loss_reason": [
            f"give a loss reason to move the opportunity to the lost stage {target.name!r}"]})
    if target.kind != "lost" and reason is not None:
        raise ValidationError({"loss_reason": ["only a move to a lost stage takes a loss "
                                               "reason"]})
    if target.closed and probability is not None and probability != target.probability:
        raise ValidationError({"probability": [
            f"a {target.kind} opportunity's probability is its stage's ({target.probability})"]})
    return target


# Stage history -----------------------------------------------------------------------

@dataclass(frozen=True)
class StageSpell:
    """A stretch of time an opportunity spent in one stage."""

    stage: str
    entered_at: dt.datetime
    #: None while the opportunity is still in the stage.
    left_at: dt.datetime | None

    def duration(self, now: dt.datetime | None = None) -> dt.timedelta:
        """Time in the stage: until it left, else until ``now`` (default: now)."""
        return (self.left_at or now or utcnow()) - self.entered_at


def stage_spells(kernel: Accord, opportunity_id: int) -> list[StageSpell]:
    """The stages an opportunity went through, oldest first, from its creation and its
    stage history (one query for the history)."""
    opportunity: Any = services.get(kernel, OPPORTUNITY, opportunity_id)
    with kernel.bound():
        changes = list(StageChange.select()
                       .where(StageChange.opportunity == opportunity_id)
                       .order_by(StageChange.at, StageChange._meta.primary_key))
    spells: list[StageSpell] = []
    stage = changes[0].from_stage if changes else opportunity.stage
    since = opportunity.created_at
    for change in changes:
        spells.append(StageSpell(stage, since, change.at))
        stage, since = change.to_stage, change.at
    spells.append(StageSpell(stage, since, None))
    return spells


def current_stage_since(kernel: Accord, opportunity_ids: list[int]) -> dict[int, dt.datetime]:
    """When each opportunity entered its current stage (its last move, else its
    creation), for many at once: one query."""
    if not opportunity_ids:
        return {}
    # MAX() of the column comes back through the column's own conversion: aware UTC.
    last = peewee.fn.MAX(StageChange.at)
    query: Any = (Opportunity.select(Opportunity.id, Opportunity.created_at, last)
                  .join(StageChange, peewee.JOIN.LEFT_OUTER,
                        on=(StageChange.opportunity == Opportunity.id))
                  .where(Opportunity.id.in_(opportunity_ids))
                  .group_by(Opportunity.id, Opportunity.created_at))
    with kernel.bound():
        return {rid: moved or created for rid, created, moved in query.tuples()}


# Settings ------------------------------------------------------------------------------

def check_stages_in_use(kernel: Accord, settings: dict[str, Any],
                        previous: dict[str, Any]) -> None:
    """Refuse settings that drop a pipeline or stage opportunities are in, or change the
    kind (open, won, lost) of a stage that holds opportunities; one query."""
    new = pipelines(kernel, settings)
    old = pipelines(kernel, previous) if previous.get("pipelines") else {}
    with kernel.bound():
        rows: Any = (Opportunity.select(Opportunity.pipeline, Opportunity.stage,
                                        peewee.fn.COUNT(Opportunity.id))
                     .group_by(Opportunity.pipeline, Opportunity.stage).tuples())
        used: dict[str, dict[str, int]] = {}
        for pipeline_name, stage_name, count in rows:
            used.setdefault(pipeline_name, {})[stage_name] = count
    problems = []
    for pipeline_name, stages in sorted(used.items()):
        before = old.get(pipeline_name)
        # Stages in their order in the settings in force, then any others by name.
        order = [s.name for s in before.stages] if before is not None else []
        named = sorted(stages, key=lambda n: (order.index(n) if n in order else len(order), n))
        pipeline = new.get(pipeline_name)
        if pipeline is None:
            total = sum(stages.values())
            problems.append(f"the pipeline {pipeline_name!r} cannot go: {_held(total)} in it ("
                            + ", ".join(f"{n}: {stages[n]}" for n in named) + ")")
            continue
        for stage_name in named:
            stage = pipeline.stage(stage_name)
            was = before.stage(stage_name) if before is not None else None
            if stage is None:
                problems.append(f"the stage {stage_name!r} of the {pipeline_name} pipeline "
                                f"cannot go: {_held(stages[stage_name])} in it; move them to "
                                "another stage first")
            elif was is not None and was.kind != stage.kind:
                problems.append(f"the stage {stage_name!r} of the {pipeline_name} pipeline "
                                f"cannot turn from {was.kind} to {stage.kind}: "
                                f"{_held(stages[stage_name])} in it")
    if problems:
        raise ValidationError({"pipelines": problems})


def _held(count: int) -> str:
    return f"{count} {'opportunity is' if count == 1 else 'opportunities are'}"
