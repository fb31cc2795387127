"""Satisfaction surveys: the reading side. The signed links, the survey's schemas, the
CSAT and NPS metrics, and the public page a customer answers on.

A survey is answered through a link ``/service/survey/<token>``: the token is the
survey's id signed with itsdangerous (which Flask ships) under the kernel's
``secret_key``, salted for surveys, so a link cannot be made for another survey nor
altered. The link's life is the survey's own ``expires_at`` (``sent_at`` plus the
``survey_link_days`` setting), read from its row: a survey replaced by a newer one
expires at once, whatever its token says. The writes (sending, answering) are in
``accord_service.services.surveys``.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, current_app, render_template, request
from itsdangerous import BadData, URLSafeSerializer
from marshmallow import fields, validate

from accord.errors import AccordError, Conflict, ValidationError
from accord.metrics import Metric, MetricPoint, MetricQuery, scoped
from accord.pages import public
from accord.records import Permission, TimelineItem
from accord.schemas import InputSchema, OwnedRecordSchema
from accord.signing import link_serializer

from .models import SURVEY_KINDS, Survey

if TYPE_CHECKING:
    from accord.kernel import Accord

__all__ = ["Survey", "SURVEY", "SENT", "SEND", "ANSWER", "PERMISSIONS", "AGENT", "SCORES", "MAX_COMMENT", "BadLink",
           "SurveyClosed", "token_of", "survey_of", "link_of", "SurveySchema",
           "SurveyAnswerSchema", "SURVEY_METRICS", "add_survey_pages", "csat_figures",
           "nps_figure", "survey_items"]


SURVEY = "service.survey"
#: The outbox topic of a survey to send (its payload carries the link).
SENT = "service.survey.sent"
#: Send an NPS survey to a contact; record an answer a customer gave (by phone…).
SEND = "service.survey.send"
ANSWER = "service.survey.answer"
#: The scores each kind takes, lowest and highest.
SCORES = {"csat": (1, 5), "nps": (0, 10)}
MAX_COMMENT = 5000
#: The survey permissions, and those the agents (the service role) hold.
PERMISSIONS = (
    Permission(f"{SURVEY}.read", "Read satisfaction surveys and their answers"),
    Permission(f"{SURVEY}.write", "Change satisfaction surveys (only the plugin's send "
                                  "and answer verbs write them)"),
    Permission(f"{SURVEY}.delete", "Delete satisfaction surveys"),
    Permission(SEND, "Send a contact an NPS survey"),
    Permission(ANSWER, "Record a customer's answer to a survey"))
AGENT = (f"{SURVEY}.read", SEND, ANSWER)
_SALT = "accord_service.survey"


class BadLink(AccordError):
    """A survey link whose signature does not hold (altered, cut, made up): 400."""

    status = 400


class SurveyClosed(Conflict):
    """A survey that takes no answer any more: ``reason`` is ``answered`` (409) or
    ``expired`` (the page answers 410 Gone; the API 409)."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


# The signed links -------------------------------------------------------------------

def _serializer(kernel: Accord) -> URLSafeSerializer:
    return link_serializer(kernel, _SALT)


def token_of(kernel: Accord, survey_id: int) -> str:
    """The signed token carrying ``survey_id``."""
    return str(_serializer(kernel).dumps(survey_id))


def link_of(kernel: Accord, survey_id: int) -> str:
    """The path of the survey's public page (the sender puts the site's address first)."""
    return f"/service/survey/{token_of(kernel, survey_id)}"


def survey_of(kernel: Accord, token: str) -> int:
    """The survey id a token carries; BadLink when its signature does not hold."""
    try:
        value = _serializer(kernel).loads(token)
    except BadData:
        raise BadLink("this survey link is not valid: it was altered or cut short. "
                      "Open the link exactly as you received it") from None
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise BadLink("this survey link is not valid")
    return value


# Schemas ---------------------------------------------------------------------------

def _ref() -> fields.Integer:
    return fields.Integer(allow_none=True, strict=True,
                          validate=validate.Range(min=1, max=2 ** 63 - 1))


class SurveySchema(OwnedRecordSchema):
    """A survey as the API shows it. Written by the plugin's services only: sent when a
    ticket is resolved (csat) or by the contact's send_nps_survey action (nps), answered
    through its link or the answer action."""

    kind = fields.String(required=True, validate=validate.OneOf(SURVEY_KINDS), metadata={
        "description": "csat: about one resolved ticket (1-5); nps: about the firm (0-10)"})
    ticket_id = _ref()
    organization_id = _ref()
    contact_id = _ref()
    score = fields.Integer(allow_none=True, strict=True, validate=validate.Range(0, 10),
                           metadata={"description": "The answer: 1-5 (csat), 0-10 (nps)"})
    comment = fields.String(allow_none=True, validate=validate.Length(max=MAX_COMMENT))
    sent_at = fields.AwareDateTime(required=True)
    answered_at = fields.AwareDateTime(allow_none=True)
    expires_at = fields.AwareDateTime(required=True, metadata={
        "description": "The link takes no answer from this moment on"})


class SurveyAnswerSchema(InputSchema):
    """The body of ``POST /api/v1/service/surveys/<id>/answer``."""

    score = fields.Integer(required=True, strict=True, metadata={
        "description": "1 to 5 (csat) or 0 to 10 (nps)"})
    comment = fields.String(allow_none=True, validate=validate.Length(max=MAX_COMMENT))


# Metrics ---------------------------------------------------------------------------

_PERCENT = Decimal("0.01")


def _ratio(part: int, whole: int) -> Decimal:
    return (Decimal(part * 100) / Decimal(whole)).quantize(_PERCENT, rounding=ROUND_HALF_UP)


def _answers(kind: str, mq: MetricQuery) -> dict[str, list[int]]:
    """The scores of the surveys of ``kind`` answered in the range, by the period of the
    answer (the reader's rule applies)."""
    query = Survey.select(Survey.answered_at, Survey.score).where(
        Survey.kind == kind, Survey.score.is_null(False),
        (Survey.answered_at >= mq.start_at) & (Survey.answered_at < mq.end_exclusive))
    out: dict[str, list[int]] = {}
    for answered, score in scoped(query, Survey, mq).tuples():
        period = "total" if mq.by == "total" else f"{answered.year:04d}-{answered.month:02d}"
        out.setdefault(period, []).append(score)
    return out


def csat_figures(scores: list[int]) -> tuple[Decimal, Decimal]:
    """The share of answers 4 or 5 (percent) and the average score, both to 0.01."""
    satisfied = sum(1 for s in scores if s >= 4)
    average = (Decimal(sum(scores)) / Decimal(len(scores))).quantize(
        _PERCENT, rounding=ROUND_HALF_UP)
    return _ratio(satisfied, len(scores)), average


def nps_figure(scores: list[int]) -> Decimal:
    """Net promoter score: percent of promoters (9-10) less percent of detractors
    (0-6), from -100 to 100, to 0.01."""
    promoters = sum(1 for s in scores if s >= 9)
    detractors = sum(1 for s in scores if s <= 6)
    return _ratio(promoters - detractors, len(scores))


def _csat(kernel: Accord, mq: MetricQuery) -> list[MetricPoint]:
    return [MetricPoint(period, csat_figures(scores)[0])
            for period, scores in _answers("csat", mq).items()]


def _csat_average(kernel: Accord, mq: MetricQuery) -> list[MetricPoint]:
    return [MetricPoint(period, csat_figures(scores)[1])
            for period, scores in _answers("csat", mq).items()]


def _nps(kernel: Accord, mq: MetricQuery) -> list[MetricPoint]:
    return [MetricPoint(period, nps_figure(scores))
            for period, scores in _answers("nps", mq).items()]


SURVEY_METRICS = (
    Metric("service.csat", "Share of the CSAT answers given in the period that score 4 or "
           "5 (satisfied)", "percent", _csat, adds_up=False),
    Metric("service.csat_average", "Average score (1 to 5) of the CSAT answers given in "
           "the period", "score", _csat_average, adds_up=False),
    Metric("service.nps", "Net promoter score of the NPS answers given in the period: "
           "percent of promoters (9-10) less percent of detractors (0-6)", "points",
           _nps, adds_up=False),
)


# The timeline ------------------------------------------------------------------------

def survey_items(record_type: str, record_ids: list[int]) -> list[TimelineItem]:
    """Each answered survey on its organization's and contact's timeline, when it was
    answered: ``CSAT 4/5 for T-12: Quick and kind.`` (one of accord_service.timeline's
    SOURCES; ``record_type`` is ``organization`` or ``contact``)."""
    column = getattr(Survey, record_type)
    out = []
    survey: Any
    for survey in Survey.select().where(column.in_(record_ids),
                                        Survey.answered_at.is_null(False)):
        high = SCORES[survey.kind][1]
        about = f" for T-{survey.ticket_id}" if survey.ticket_id else ""
        comment = " ".join((survey.comment or "").split())
        if len(comment) > 120:
            comment = comment[:119] + "\u2026"
        out.append(TimelineItem(
            record_type=record_type, record_id=getattr(survey, column.object_id_name),
            at=survey.answered_at, kind=f"service.survey.{survey.kind}",
            title=f"{survey.kind.upper()} {survey.score}/{high}{about}"
                  + (f": {comment}" if comment else ""),
            source_type=SURVEY, source_id=survey.id,
            details={"kind": survey.kind, "score": survey.score,
                     "ticket_id": survey.ticket_id}))
    return out


# The public page -------------------------------------------------------------------

_TITLES = {"csat": "How did we do?", "nps": "Would you recommend us?"}
_QUESTIONS = {"csat": "How satisfied are you with how we handled your request{}?",
              "nps": "How likely are you to recommend us to a friend or colleague?"}


def add_survey_pages(bp: Blueprint) -> None:
    """Mount ``/service/survey/<token>`` on the plugin's blueprint."""
    bp.add_url_rule("/survey/<token>", "survey_page", survey_page, methods=["GET", "POST"])


def _refused(title: str, message: str, status: int) -> Response:
    body = render_template("service/survey_refused.html", title=title, message=message)
    return Response(body, status=status)


@public
def survey_page(token: str) -> Response:
    """The customer's answer to a survey: no login, the link is the key. A link that
    does not hold (400), expired (410) or answered already (409) is refused with a page
    saying so, nothing written; a bad score or comment is named at its field (422)."""
    from .services.surveys import answer_by_link, open_survey

    kernel = current_app.extensions["accord"]
    try:
        survey = open_survey(kernel, token)
    except BadLink as exc:
        return _refused("This link does not work", exc.message, 400)
    except SurveyClosed as exc:
        return _refused("Thank you" if exc.reason == "answered" else "This survey is closed",
                        exc.message, 409 if exc.reason == "answered" else 410)
    values = {"score": request.form.get("score", ""), "comment": request.form.get("comment", "")}
    problems: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        try:
            answer_by_link(kernel, token, values["score"], values["comment"])
        except BadLink as exc:
            return _refused("This link does not work", exc.message, 400)
        except SurveyClosed as exc:
            return _refused("Thank you" if exc.reason == "answered"
                            else "This survey is closed", exc.message,
                            409 if exc.reason == "answered" else 410)
        except ValidationError as exc:
            problems = {k: " ".join(v) for k, v in exc.flat().items()}
            status = 422
        else:
            return Response(render_template("service/survey_thanks.html"))
    low, high = SCORES[survey.kind]
    reference = f" (T-{survey.ticket_id})" if survey.ticket_id else ""
    body = render_template("service/survey.html", survey=survey, scores=range(low, high + 1),
                           title=_TITLES[survey.kind],
                           question=_QUESTIONS[survey.kind].format(reference),
                           values=values, problems=problems, token=token)
    return Response(body, status=status)
