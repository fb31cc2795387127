"""Satisfaction surveys: the writes. Sending a CSAT survey when a ticket is resolved
(called by ``resolve_ticket`` inside its transaction), sending an NPS survey to a
contact, and taking an answer, through the signed link or the API's answer action.

Every survey sent writes an outbox row ``service.survey.sent`` in the same transaction,
with the link, for a mail or webhook consumer to deliver.

One CSAT survey per resolution: resolving a ticket sends one unless the ticket's
customer answered an earlier one (a reopened and re-resolved ticket is not asked
twice); an earlier one still unanswered is replaced (it expires at that moment, so its
link is refused), so a ticket has at most one open CSAT survey. A contact has at most
one open (unanswered, unexpired) NPS survey.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from accord import services
from accord.errors import NotFound, ValidationError
from accord.models import utcnow
from accord.records import OutboxItem
from accord.services import Actor
from accord.services.authz import require
from accord.services.outbox import enqueue

from ..models import Survey
from ..surveys import ANSWER, MAX_COMMENT, SCORES, SEND, SENT, SURVEY, SurveyClosed, \
    link_of, survey_of

if TYPE_CHECKING:
    from accord.kernel import Accord

__all__ = ["send_csat", "send_nps", "answer_survey", "answer_by_link", "open_survey"]

#: Who writes an answer given through a link (the customer has no login).
LINK = "service survey link"


def _send(kernel: Accord, data: dict[str, Any], *, actor: Actor,
          moment: dt.datetime) -> Any:
    days = kernel.settings("service")["survey_link_days"]
    survey: Any = services.create(kernel, SURVEY, {
        **data, "sent_at": moment, "expires_at": moment + dt.timedelta(days=days)},
        actor=actor, verb="send")
    # The row commits (or rolls back) with the survey it tells of.
    enqueue(kernel, [OutboxItem(SENT, {
        "survey_id": survey.id, "kind": survey.kind, "ticket_id": survey.ticket_id,
        "organization_id": survey.organization_id, "contact_id": survey.contact_id,
        "link": link_of(kernel, survey.id), "expires_at": survey.expires_at.isoformat()})])
    return survey


def send_csat(kernel: Accord, ticket: Any, *, actor: Actor,
              at: dt.datetime | None = None) -> Any:
    """The CSAT survey of a ticket just resolved (inside the resolving transaction), or
    None when its customer answered one of this ticket already. An earlier unanswered
    one is replaced: it expires now."""
    moment = at or utcnow()
    earlier = list(Survey.select(Survey.id, Survey.answered_at, Survey.expires_at).where(
        Survey.kind == "csat", Survey.ticket == ticket.id))
    if any(s.answered_at is not None for s in earlier):
        return None
    for old in earlier:
        if old.expires_at > moment:
            services.update(kernel, SURVEY, old.id, {"expires_at": moment}, actor=actor,
                            verb="replace")
    return _send(kernel, {"kind": "csat", "ticket_id": ticket.id,
                          "organization_id": ticket.organization_id,
                          "contact_id": ticket.contact_id, "owner_id": ticket.owner_id,
                          "team_id": ticket.team_id}, actor=actor, moment=moment)


def send_nps(kernel: Accord, contact_id: int, *, actor: Actor, version: int | None = None,
             at: dt.datetime | None = None) -> Any:
    """Send an NPS survey to a contact (the contact's ``send_nps_survey`` action): refused,
    naming ``contact_id``, while the contact has one open (unanswered and unexpired)."""
    require(actor, SEND)
    moment = at or utcnow()
    with kernel.transaction():
        # Locked: two sends at once cannot both find no open survey.
        contact: Any = services.get(kernel, "contact", contact_id, actor=actor,
                                    for_update=True)
        open_one = Survey.select().where(
            Survey.kind == "nps", Survey.contact == contact.id,
            Survey.answered_at.is_null(), Survey.expires_at > moment).first()
        if open_one is not None:
            raise ValidationError({"contact_id": [
                f"contact {contact.id} has an open NPS survey already (survey "
                f"{open_one.id}, sent on {open_one.sent_at:%Y-%m-%d}, open until "
                f"{open_one.expires_at:%Y-%m-%d})"]})
        return _send(kernel, {"kind": "nps", "contact_id": contact.id,
                              "organization_id": contact.organization_id},
                     actor=actor, moment=moment)


def _check_open(survey: Any, moment: dt.datetime) -> None:
    if survey.answered_at is not None:
        raise SurveyClosed(f"survey {survey.id} was answered on "
                           f"{survey.answered_at:%Y-%m-%d}: it takes one answer",
                           "answered")
    if survey.expires_at <= moment:
        raise SurveyClosed(f"survey {survey.id} expired on {survey.expires_at:%Y-%m-%d}: "
                           "it takes no answer any more", "expired")


def _score(kind: str, value: Any) -> int:
    low, high = SCORES[kind]
    problem = [f"give a whole number from {low} to {high}"]
    if isinstance(value, str):
        text = value.strip()
        if not text:
            raise ValidationError({"score": [f"choose a score from {low} to {high}"]})
        if not text.lstrip("-").isdigit() or len(text) > 3:
            raise ValidationError({"score": problem})
        value = int(text)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationError({"score": problem})
    return value


def _answer(kernel: Accord, survey: Any, score: Any, comment: str | None, *,
            actor: Actor, version: int | None, moment: dt.datetime) -> Any:
    _check_open(survey, moment)
    value = _score(survey.kind, score)
    text = (comment or "").strip() or None
    if text is not None and len(text) > MAX_COMMENT:
        raise ValidationError({"comment": [f"at most {MAX_COMMENT} characters"]})
    return services.update(kernel, SURVEY, survey.id, {
        "score": value, "comment": text, "answered_at": moment}, actor=actor,
        version=version, verb="answer")


def answer_survey(kernel: Accord, survey_id: int, *, actor: Actor, score: Any,
                  comment: str | None = None, version: int | None = None,
                  at: dt.datetime | None = None) -> Any:
    """Record the customer's answer (the survey's ``answer`` action: an agent noting an
    answer given by phone). Once only, before ``expires_at``; the score within the
    kind's range (``score`` named otherwise)."""
    require(actor, ANSWER)
    moment = at or utcnow()
    with kernel.transaction():
        survey = services.get(kernel, SURVEY, survey_id, actor=actor, for_update=True)
        return _answer(kernel, survey, score, comment, actor=actor, version=version,
                       moment=moment)


def open_survey(kernel: Accord, token: str, *, at: dt.datetime | None = None) -> Any:
    """The survey a link names, if it still takes an answer: BadLink, or SurveyClosed
    (answered, expired) otherwise."""
    survey_id = survey_of(kernel, token)
    with kernel.bound():
        survey = Survey.get_or_none(Survey.id == survey_id)
    if survey is None:
        raise SurveyClosed(f"survey {survey_id} no longer exists", "expired")
    _check_open(survey, at or utcnow())
    return survey


def answer_by_link(kernel: Accord, token: str, score: Any, comment: str | None, *,
                   at: dt.datetime | None = None) -> Any:
    """The customer's answer through the signed link (the public page), written by the
    system actor "service survey link": the link is the customer's key."""
    survey_id = survey_of(kernel, token)
    moment = at or utcnow()
    actor = Actor.system(LINK)
    with kernel.transaction():
        try:
            survey = services.get(kernel, SURVEY, survey_id, for_update=True)
        except NotFound as exc:  # deleted since the link was sent
            raise SurveyClosed(f"survey {survey_id} no longer exists", "expired") from exc
        return _answer(kernel, survey, score, comment, actor=actor, version=None,
                       moment=moment)
