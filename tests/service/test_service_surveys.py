"""Satisfaction surveys: a CSAT survey per resolution, NPS surveys per contact, answered
through the signed link (the public page) or the API, and the CSAT/NPS metrics
against figures worked out by hand (see test_metrics_by_hand)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from itsdangerous import URLSafeSerializer

import accord_service.hooks
from accord import services
from accord.metrics import MetricQuery, compute
from accord.errors import ValidationError
from accord.models import AuditEntry, OutboxMessage
from accord.services import Actor
from accord.services.plugins import disable, enable, patch_settings
from accord.web import create_app
from accord_service import services as verbs
from accord_service.models import Survey
from accord_service.services.surveys import answer_survey, send_nps
from accord_service.surveys import link_of

pytestmark = pytest.mark.plugins(accord_service.hooks)
SYSTEM = Actor.system("test")
UTC = dt.timezone.utc
NOW = dt.datetime.now(UTC)


def _contact(kernel, name="Jane"):
    org = services.create(kernel, "organization", {"name": f"{name} Ltd"}, actor=SYSTEM)
    return services.create(kernel, "contact", {"first_name": name, "last_name": "Doe",
                                               "organization_id": org.id}, actor=SYSTEM)


def _resolved(kernel, helpers, at=None, **extra):
    contact = _contact(kernel)
    ticket = helpers.ticket(kernel, contact_id=contact.id,
                            organization_id=contact.organization_id, **extra)
    verbs.resolve_ticket(kernel, ticket.id, actor=SYSTEM, at=at)
    return ticket


def _surveys(kernel, helpers):
    return helpers.rows(kernel, Survey)


def _stranger(kernel):
    """A browser without a login (the customer)."""
    return create_app(kernel, SECRET_KEY="survey-pages").test_client()


def _post(client, link, **form):
    html = client.get(link).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html)
    # A refused link shows no form: post with the token of another page of the app.
    if token is None:
        html = client.get("/service/request").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', html)
    return client.post(link, data={**form, "csrf_token": token[1]})


# Sending ----------------------------------------------------------------------------

def test_resolving_a_ticket_sends_a_csat_survey(kernel, helpers):
    moment = NOW.replace(microsecond=0)
    ticket = _resolved(kernel, helpers, at=moment)
    [survey] = _surveys(kernel, helpers)
    assert (survey.kind, survey.ticket_id, survey.score, survey.answered_at) == (
        "csat", ticket.id, None, None)
    assert (survey.contact_id, survey.organization_id) == (ticket.contact_id,
                                                          ticket.organization_id)
    assert survey.sent_at == moment
    assert survey.expires_at == moment + dt.timedelta(days=14)  # survey_link_days
    with kernel.bound():
        [row] = OutboxMessage.select().where(OutboxMessage.topic == "service.survey.sent")
    assert row.payload == {"survey_id": survey.id, "kind": "csat", "ticket_id": ticket.id,
                           "organization_id": ticket.organization_id,
                           "contact_id": ticket.contact_id,
                           "link": link_of(kernel, survey.id),
                           "expires_at": survey.expires_at.isoformat()}
    assert row.payload["link"].startswith("/service/survey/")


def test_the_link_days_come_from_the_settings(kernel, helpers):
    patch_settings(kernel, "service", {"survey_link_days": 3}, actor=SYSTEM)
    moment = NOW.replace(microsecond=0)
    _resolved(kernel, helpers, at=moment)
    [survey] = _surveys(kernel, helpers)
    assert survey.expires_at == moment + dt.timedelta(days=3)


def test_a_failed_resolve_sends_no_survey(kernel, helpers):
    ticket = _resolved(kernel, helpers)
    with pytest.raises(ValidationError, match="resolved already"):
        verbs.resolve_ticket(kernel, ticket.id, actor=SYSTEM)
    assert len(_surveys(kernel, helpers)) == 1
    with kernel.bound():
        assert OutboxMessage.select().where(
            OutboxMessage.topic == "service.survey.sent").count() == 1


def test_a_re_resolved_ticket_is_asked_again_only_if_it_did_not_answer(kernel, helpers):
    first_at = NOW - dt.timedelta(hours=3)
    ticket = _resolved(kernel, helpers, at=first_at)
    verbs.reopen_ticket(kernel, ticket.id, actor=SYSTEM, at=first_at + dt.timedelta(hours=1))
    second_at = NOW - dt.timedelta(hours=1)
    verbs.resolve_ticket(kernel, ticket.id, actor=SYSTEM, at=second_at)
    first, second = _surveys(kernel, helpers)
    # The unanswered one is replaced: its link expired when the new one was sent.
    assert first.expires_at == second_at
    assert second.ticket_id == ticket.id and second.expires_at > NOW
    client = _stranger(kernel)
    refused = client.get(link_of(kernel, first.id))
    assert refused.status_code == 410
    answer_survey(kernel, second.id, actor=SYSTEM, score=5)
    verbs.reopen_ticket(kernel, ticket.id, actor=SYSTEM)
    verbs.resolve_ticket(kernel, ticket.id, actor=SYSTEM)
    assert len(_surveys(kernel, helpers)) == 2  # answered: not asked a third time


def test_nps_surveys_one_open_per_contact(kernel, helpers, make_api_client):
    contact = _contact(kernel)
    agent = make_api_client("service")
    sent = agent.post(f"/api/v1/contacts/{contact.id}/send_nps_survey")
    assert sent.status_code == 200, sent.get_json()
    body = sent.get_json()
    assert (body["kind"], body["contact_id"], body["organization_id"], body["ticket_id"],
            body["score"]) == ("nps", contact.id, contact.organization_id, None, None)
    again = agent.post(f"/api/v1/contacts/{contact.id}/send_nps_survey")
    assert again.status_code == 422
    assert again.get_json()["errors"] == {"contact_id": [
        f"contact {contact.id} has an open NPS survey already (survey {body['id']}, sent "
        f"on {body['sent_at'][:10]}, open until {body['expires_at'][:10]})"]}
    assert len(_surveys(kernel, helpers)) == 1
    # Answered, it is not open any more: another may be sent.
    answer_survey(kernel, body["id"], actor=SYSTEM, score=9)
    assert agent.post(f"/api/v1/contacts/{contact.id}/send_nps_survey").status_code == 200
    with kernel.bound():
        assert OutboxMessage.select().where(
            OutboxMessage.topic == "service.survey.sent").count() == 2


def test_sending_an_nps_survey_needs_the_permission(kernel, helpers, make_api_client):
    contact = _contact(kernel)
    sales = make_api_client("sales")
    answer = sales.post(f"/api/v1/contacts/{contact.id}/send_nps_survey")
    assert answer.status_code == 403
    assert _surveys(kernel, helpers) == []


def test_surveys_are_written_by_the_verbs_only(kernel, helpers, api_client):
    contact = _contact(kernel)
    answer = api_client.post("/api/v1/service/surveys", json={
        "kind": "nps", "contact_id": contact.id, "sent_at": NOW.isoformat(),
        "expires_at": NOW.isoformat()})
    assert answer.status_code == 422
    assert answer.get_json()["errors"] == {"_schema": [
        "service.survey records are written by the send, replace or answer action only"]}
    assert _surveys(kernel, helpers) == []


# Answering through the signed link ---------------------------------------------------

def test_answered_through_the_link(kernel, helpers):
    _resolved(kernel, helpers)
    [survey] = _surveys(kernel, helpers)
    client = _stranger(kernel)
    link = link_of(kernel, survey.id)
    page = client.get(link)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "How did we do?" in html
    assert re.findall(r'name="score" value="(\d+)"', html) == ["1", "2", "3", "4", "5"]
    sent = _post(client, link, score="4", comment="  Quick and kind.  ")
    assert sent.status_code == 200
    assert "Your answer was received" in sent.get_data(as_text=True)
    [answered] = _surveys(kernel, helpers)
    assert (answered.score, answered.comment) == (4, "Quick and kind.")
    assert answered.answered_at is not None
    with kernel.bound():
        entry = AuditEntry.select().where(AuditEntry.record_type == "service.survey",
                                          AuditEntry.record_id == survey.id).order_by(
            AuditEntry.id.desc()).first()
    assert (entry.action, entry.actor_label) == ("updated", "service survey link")


def test_a_second_answer_is_refused(kernel, helpers):
    _resolved(kernel, helpers)
    [survey] = _surveys(kernel, helpers)
    client = _stranger(kernel)
    link = link_of(kernel, survey.id)
    assert _post(client, link, score="2").status_code == 200
    again = client.get(link)
    assert again.status_code == 409
    assert f"Survey {survey.id} was answered on" in again.get_data(as_text=True)
    posted = _post(client, link, score="5", comment="changed my mind")
    assert posted.status_code == 409
    [kept] = _surveys(kernel, helpers)
    assert (kept.score, kept.comment) == (2, None)


def test_a_tampered_link_is_refused(kernel, helpers):
    _resolved(kernel, helpers)
    [survey] = _surveys(kernel, helpers)
    client = _stranger(kernel)
    link = link_of(kernel, survey.id)
    token = link.rsplit("/", 1)[1]
    payload, signature = token.split(".")
    # (The first character: the last one's low bits are base64 padding, ignored.)
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    # Another survey's id under the same signature, a changed signature, a made-up one.
    other = URLSafeSerializer("not the key", salt="accord_service.survey").dumps(survey.id)
    for bad in (f"Mg.{signature}", f"{payload}.{flipped}", other, "nonsense"):
        page = client.get(f"/service/survey/{bad}")
        assert page.status_code == 400, bad
        assert "This survey link is not valid" in page.get_data(as_text=True)
        assert _post(client, f"/service/survey/{bad}", score="5").status_code == 400
    [untouched] = _surveys(kernel, helpers)
    assert (untouched.score, untouched.answered_at) == (None, None)


def test_an_expired_link_is_refused(kernel, helpers):
    long_ago = NOW - dt.timedelta(days=15)
    _resolved(kernel, helpers, at=long_ago)
    [survey] = _surveys(kernel, helpers)
    client = _stranger(kernel)
    link = link_of(kernel, survey.id)
    page = client.get(link)
    assert page.status_code == 410
    assert (f"Survey {survey.id} expired on {survey.expires_at:%Y-%m-%d}: it takes no "
            "answer any more") in page.get_data(as_text=True)
    assert _post(client, link, score="5").status_code == 410
    [untouched] = _surveys(kernel, helpers)
    assert (untouched.score, untouched.answered_at) == (None, None)


def test_a_score_out_of_range_is_named(kernel, helpers):
    _resolved(kernel, helpers)
    [survey] = _surveys(kernel, helpers)
    client = _stranger(kernel)
    link = link_of(kernel, survey.id)
    for score in ("6", "0", "x", ""):
        page = _post(client, link, score=score, comment="kept as typed")
        assert page.status_code == 422, score
        html = page.get_data(as_text=True)
        assert ("Score: Choose a score from 1 to 5." if score == ""
                else "Score: Give a whole number from 1 to 5.") in html
        assert "kept as typed</textarea>" in html
    [untouched] = _surveys(kernel, helpers)
    assert (untouched.score, untouched.answered_at) == (None, None)


def test_links_hold_across_kernels_with_the_same_secret_key(make_kernel, helpers):
    one = make_kernel([accord_service.hooks], enable=["service"], secret_key="k" * 32)
    _resolved(one, helpers)
    [survey] = _surveys(one, helpers)
    link = link_of(one, survey.id)
    same = make_kernel([accord_service.hooks], secret_key="k" * 32)
    assert _stranger(same).get(link).status_code == 200
    other = make_kernel([accord_service.hooks], secret_key="z" * 32)
    assert _stranger(other).get(link).status_code == 400


# Answering through the API -----------------------------------------------------------

def test_answered_through_the_api(kernel, helpers, make_api_client):
    agent = make_api_client("service")
    # The agent's ticket: its survey is the agent's too (the rule "team" reaches it).
    _resolved(kernel, helpers, owner_id=agent.user.id)
    [survey] = _surveys(kernel, helpers)
    assert survey.owner_id == agent.user.id
    path = f"/api/v1/service/surveys/{survey.id}/answer"
    out_of_range = agent.post(path, json={"score": 6})
    assert out_of_range.status_code == 422
    assert out_of_range.get_json()["errors"] == {"score": ["give a whole number from 1 to 5"]}
    not_a_number = agent.post(path, json={"score": "five"})
    assert not_a_number.status_code == 422
    assert list(not_a_number.get_json()["errors"]) == ["score"]
    assert _surveys(kernel, helpers)[0].answered_at is None
    answer = agent.post(path, json={"score": 5, "comment": "Said so on the phone"})
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert (body["score"], body["comment"]) == (5, "Said so on the phone")
    assert body["answered_at"] is not None
    again = agent.post(path, json={"score": 1})
    assert again.status_code == 409
    assert again.get_json()["detail"] == (f"survey {survey.id} was answered on "
                                          f"{NOW:%Y-%m-%d}: it takes one answer")
    assert _surveys(kernel, helpers)[0].score == 5


def test_an_nps_answer_takes_0_to_10(kernel, helpers):
    contact = _contact(kernel)
    survey = send_nps(kernel, contact.id, actor=SYSTEM)
    with pytest.raises(ValidationError) as refused:
        answer_survey(kernel, survey.id, actor=SYSTEM, score=11)
    assert refused.value.messages == {"score": ["give a whole number from 0 to 10"]}
    answered = answer_survey(kernel, survey.id, actor=SYSTEM, score=0)
    assert answered.score == 0
    client = _stranger(kernel)
    assert client.get(link_of(kernel, survey.id)).status_code == 409


def test_answering_needs_the_permission(kernel, helpers, make_api_client):
    _resolved(kernel, helpers)
    [survey] = _surveys(kernel, helpers)
    sales = make_api_client("sales")
    answer = sales.post(f"/api/v1/service/surveys/{survey.id}/answer", json={"score": 5})
    assert answer.status_code in (403, 404)
    assert _surveys(kernel, helpers)[0].score is None


# Metrics -------------------------------------------------------------------------------

def _answered(kernel, kind, score, at):
    if kind == "csat":
        contact = _contact(kernel, name=f"C{score}{at.day}{at.month}")
        ticket = services.create(kernel, "service.ticket", {
            "channel": "email", "subject": "s", "contact_id": contact.id}, actor=SYSTEM)
        verbs.resolve_ticket(kernel, ticket.id, actor=SYSTEM, at=at - dt.timedelta(hours=1))
        with kernel.bound():
            survey = Survey.get(Survey.ticket == ticket.id)
    else:
        contact = _contact(kernel, name=f"N{score}{at.day}{at.month}")
        survey = send_nps(kernel, contact.id, actor=SYSTEM, at=at - dt.timedelta(hours=1))
    answer_survey(kernel, survey.id, actor=SYSTEM, score=score, at=at)


def test_metrics_by_hand(kernel):
    """CSAT in March 2026: answers 5, 4, 3, 1 -> satisfied (4-5): 2 of 4 = 50.00 %,
    average 13 / 4 = 3.25. April: 5, 4, 4 -> 100.00 %, 13 / 3 = 4.33.
    NPS in March: 10, 9, 9, 7, 3 -> promoters 3 (60 %), detractors 1 (20 %) -> 40.00.
    April: 6, 8 -> promoters 0, detractors 1 of 2 -> -50.00. Whole range: 10, 9, 9, 7,
    3, 6, 8 -> 3/7 - 2/7 = 14.29."""
    march = [dt.datetime(2026, 3, d, 10, tzinfo=UTC) for d in (2, 9, 16, 23, 30)]
    april = [dt.datetime(2026, 4, d, 10, tzinfo=UTC) for d in (6, 13, 20)]
    for score, at in zip((5, 4, 3, 1), march):
        _answered(kernel, "csat", score, at)
    for score, at in zip((5, 4, 4), april):
        _answered(kernel, "csat", score, at)
    for score, at in zip((10, 9, 9, 7, 3), march):
        _answered(kernel, "nps", score, at)
    for score, at in zip((6, 8), april):
        _answered(kernel, "nps", score, at)
    # An unanswered survey counts nowhere.
    send_nps(kernel, _contact(kernel, "Silent").id, actor=SYSTEM,
             at=dt.datetime(2026, 3, 3, tzinfo=UTC))
    months = MetricQuery(dt.date(2026, 3, 1), dt.date(2026, 4, 30))
    total = MetricQuery(dt.date(2026, 3, 1), dt.date(2026, 4, 30), by="total")

    def values(name, query):
        return [(p.period, p.value) for p in compute(kernel, name, query)]

    assert values("service.csat", months) == [("2026-03", Decimal("50.00")),
                                              ("2026-04", Decimal("100.00"))]
    assert values("service.csat_average", months) == [("2026-03", Decimal("3.25")),
                                                      ("2026-04", Decimal("4.33"))]
    assert values("service.nps", months) == [("2026-03", Decimal("40.00")),
                                             ("2026-04", Decimal("-50.00"))]
    assert values("service.nps", total) == [("total", Decimal("14.29"))]
    assert values("service.csat", total) == [("total", Decimal("71.43"))]  # 5 of 7


# The plugin's life ---------------------------------------------------------------------

def test_disable_and_enable_keep_the_surveys(kernel, helpers):
    _resolved(kernel, helpers)
    [survey] = _surveys(kernel, helpers)
    link = link_of(kernel, survey.id)
    disable(kernel, "service", actor=SYSTEM)
    client = _stranger(kernel)
    assert client.get(link).status_code == 404  # the plugin's pages are off
    assert len(_surveys(kernel, helpers)) == 1
    enable(kernel, "service", actor=SYSTEM)
    assert client.get(link).status_code == 200
    assert _post(client, link, score="5").status_code == 200
    assert _surveys(kernel, helpers)[0].score == 5


def test_an_answer_is_on_the_customer_timeline(kernel, helpers):
    ticket = _resolved(kernel, helpers)
    [survey] = _surveys(kernel, helpers)
    answer_survey(kernel, survey.id, actor=SYSTEM, score=4, comment="Quick\n and kind.")
    for record_type, record_id in (("contact", ticket.contact_id),
                                   ("organization", ticket.organization_id)):
        entries = [item for item in services.timeline(kernel, record_type, record_id,
                                                      actor=SYSTEM)
                   if item.kind.startswith("service.survey")]
        assert [(e.kind, e.title, e.source_type, e.source_id) for e in entries] == [
            ("service.survey.csat", f"CSAT 4/5 for T-{ticket.id}: Quick and kind.",
             "service.survey", survey.id)]
    # An unanswered survey is not on it.
    nps = send_nps(kernel, ticket.contact_id, actor=SYSTEM)
    assert nps.id not in [item.source_id for item in services.timeline(
        kernel, "contact", ticket.contact_id, actor=SYSTEM) if item.kind == "service.survey.nps"]
