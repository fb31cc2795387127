"""The sales plugin's domain verbs: convert a lead, move an opportunity; the verbs of
quotes, orders, invoices and contracts live in this package's modules.

Each verb is one transaction built on the core's write path (``accord.services``):
validation, the plugins' write-path hooks, audit entries and signals all happen as
for any other write. The one table written here directly is the plugin's own
history of stage changes, in the same transaction as the move it records.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import peewee

from accord import services
from accord.errors import StaleVersion, ValidationError
from accord.models import Contact, Organization, utcnow
from accord.records import OutboxItem
from accord.services.authz import require
from accord.services.outbox import enqueue

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
#: The records a conversion writes, and the fields of each it sets itself (the caller
#: may not give them).
_FROM_CONVERSION = {"organization": (), "contact": ("organization_id",),
                    "opportunity": ("organization_id", "contact_id")}


def check_version(type_name: str, record: Any, version: int | None) -> None:
    """Refuse a verb on a record that changed since the caller read it (the ``version``
    it gives, if any); every verb of this package checks this way."""
    if version is not None and record.version != version:
        raise StaleVersion(f"{type_name} {record.id} is at version {record.version}, "
                           f"not {version}; reload it and try again")


# Converting a lead -----------------------------------------------------------------

def convert_lead(kernel: Accord, lead_id: int, *, actor: Actor, create_opportunity: bool = False,
                 opportunity: dict[str, Any] | None = None,
                 contact: dict[str, Any] | None = None,
                 organization: dict[str, Any] | None = None,
                 version: int | None = None) -> Lead:
    """Turn a lead into a contact and an organization (matched when they exist: the
    contact by email, the organization by name whatever its case), and optionally an
    opportunity, all in one transaction. The lead keeps links to what it became and
    is returned as stored afterwards.

    ``contact``, ``organization`` and ``opportunity`` give values of the records the
    conversion creates (any field their create takes, custom fields included) over
    those it takes from the lead; each is checked like that create, and a refusal
    names the field under its record (``contact.x_tier``) and writes nothing."""
    require(actor, CONVERT)
    if opportunity is not None and not create_opportunity:
        raise ValidationError({"opportunity": [
            "give create_opportunity: true to create an opportunity from these fields"]})
    given = {"organization": dict(organization or {}), "contact": dict(contact or {}),
             "opportunity": dict(opportunity or {})}
    taken = {f"{what}.{name}": ["set by the conversion from the lead"]
             for what, names in _FROM_CONVERSION.items() for name in names
             if name in given[what]}
    if taken:
        raise ValidationError(taken)
    with kernel.transaction():
        lead = services.get(kernel, LEAD, lead_id, actor=actor, for_update=True)
        _check_convertible(lead, version)
        problems: dict[str, list[str]] = {}
        organization_id = _organization_for(kernel, lead, given["organization"], actor,
                                            problems)
        contact_id = _contact_for(kernel, lead, organization_id, given["contact"], actor,
                                  problems)
        links = {"contact_id": contact_id, "organization_id": organization_id}
        if create_opportunity:
            links["opportunity_id"] = _opportunity_for(kernel, lead, given["opportunity"],
                                                       links, actor, problems)
        if problems:
            # Every record's problems at once; the transaction leaves nothing behind.
            raise ValidationError(problems)
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


def _organization_for(kernel: Accord, lead: Any, values: dict[str, Any], actor: Actor,
                      problems: dict[str, list[str]]) -> int | None:
    """The organization named by the lead's company (or the ``name`` given): an existing
    one of that name (case-insensitive; the oldest if several), else a new one from the
    values given. None without a company nor values."""
    name = values.get("name", lead.company)
    if not name and not values:
        return None
    found = None
    if isinstance(name, str) and name.strip():
        with kernel.bound():
            found = (Organization.select(Organization.id)
                     .where(peewee.fn.lower(Organization.name) == name.strip().lower())
                     .order_by(Organization.id).first())
    if found is not None:
        _refuse_values_of_found("organization", "an organization of that name exists",
                                values, ("name",), problems)
        return int(found.id)
    named = {"name": name} if name is not None else {}  # else "Missing data" for name
    return _create("organization", kernel, {**named, **_owners(lead), **values}, actor,
                   problems)


def _owners(lead: Any) -> dict[str, int]:
    """The lead's owner and team for what it becomes; left out when it has none, so
    the new records get the core's default (the converting user)."""
    return {k: v for k, v in (("owner_id", lead.owner_id), ("team_id", lead.team_id)) if v}


def _contact_for(kernel: Accord, lead: Any, organization_id: int | None,
                 values: dict[str, Any], actor: Actor,
                 problems: dict[str, list[str]]) -> int | None:
    """The contact with the lead's email (or the ``email`` given; emails are unique
    whatever their case), else a new contact from the lead's name, email and phone
    and the values given. None when it cannot be created (``problems`` say why)."""
    email = values.get("email", lead.email)
    if isinstance(email, str) and email.strip():
        with kernel.bound():
            found = (Contact.select(Contact.id)
                     .where(peewee.fn.lower(Contact.email) == email.strip().lower()).first())
        if found is not None:
            _refuse_values_of_found("contact", "a contact with that email exists", values,
                                    ("email",), problems)
            return int(found.id)
    first, _, last = lead.name.strip().rpartition(" ")
    return _create("contact", kernel, {
        "first_name": first or None, "last_name": last, "email": lead.email,
        "phone": lead.phone, "organization_id": organization_id, **_owners(lead),
        **values}, actor, problems)


def _opportunity_for(kernel: Accord, lead: Any, fields: dict[str, Any],
                     links: dict[str, Any], actor: Actor,
                     problems: dict[str, list[str]]) -> int | None:
    data = {"name": lead.company or lead.name, **_owners(lead), **fields,
            **{k: v for k, v in links.items() if v}}
    if problems:
        # The contact or organization was refused (and named): the opportunity's own
        # values are still checked, not the customer the conversion could not give it.
        found: dict[str, list[str]] = {}
        _create("opportunity", kernel, data, actor, found, type_name=OPPORTUNITY)
        links_named = {f"opportunity.{name}" for name in _FROM_CONVERSION["opportunity"]}
        problems.update({k: v for k, v in found.items() if k not in links_named})
        return None
    return _create("opportunity", kernel, data, actor, problems, type_name=OPPORTUNITY)


def _refuse_values_of_found(what: str, reason: str, values: dict[str, Any],
                            matched_on: tuple[str, ...],
                            problems: dict[str, list[str]]) -> None:
    """Values given for a record the conversion links instead of creating are refused
    (never dropped unseen, never written over the record found)."""
    other = sorted(k for k in values if k not in matched_on)
    if other:
        problems[what] = [f"{reason}: the conversion links it instead of creating one, "
                          f"so it takes no {what} values ({', '.join(other)}); change "
                          f"that {what} itself"]


def _create(what: str, kernel: Accord, data: dict[str, Any], actor: Actor,
            problems: dict[str, list[str]], *, type_name: str | None = None) -> int | None:
    """Create one record of the conversion, checked like any create (in a savepoint, so
    a refusal leaves the transaction usable for the next record's checks). Its errors
    are added to ``problems`` named ``<what>.<field>``, so the caller can tell the new
    contact's ``last_name`` from the lead's own fields."""
    try:
        with kernel.transaction():
            created = services.create(kernel, type_name or what, data, actor=actor)
    except ValidationError as exc:
        problems.update({what if k == "_schema" else f"{what}.{k}": v
                         for k, v in exc.flat().items()})
        return None
    return int(created.id)


# Moving an opportunity ---------------------------------------------------------------

def move_opportunity(kernel: Accord, opportunity_id: int, stage: str, *, actor: Actor,
                     loss_reason: str | None = None, probability: int | None = None,
                     win_reason: str | None = None, details: dict[str, Any] | None = None,
                     version: int | None = None) -> Opportunity:
    """Move an opportunity to another stage of its pipeline, closing it when the stage
    is won or lost (other plugins may veto through ``validate_opportunity_close``).
    Writes the change, its stage history row, audit entry and the outbox message
    ``sales.opportunity.stage_changed`` (for webhooks) in one transaction, then sends
    the signal of that name. Returns the opportunity as stored."""
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
        # For other systems (webhooks), in the move's transaction: kept with the move.
        enqueue(kernel, [OutboxItem(opportunity_stage_changed.name, {
            "opportunity_id": current.id, "pipeline": current.pipeline,
            "from_stage": current.stage, "to_stage": target.name, "kind": target.kind,
            "at": at, "actor": actor.label})])
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
