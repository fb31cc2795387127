"""The satisfaction survey page in a real browser: a customer (no login) opens the
signed link of a CSAT survey, picks a score with the keyboard, writes a comment and
sends it; the same link then says it was answered. Desktop and phone widths, axe-core
and screenshots."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from accord import services
from accord.services import Actor
from accord_service.models import Survey
from accord_service.services import resolve_ticket
from accord_service.surveys import link_of

from browsing import PHONE, no_horizontal_scroll, screenshot, serious_violations

SYSTEM = Actor.system("test")


@pytest.fixture
def web_kernel(make_kernel):
    return make_kernel(plugins=["service"], enable=["service"])


def test_a_customer_answers_a_csat_survey(web_kernel, new_context):
    org = services.create(web_kernel, "organization", {"name": "Acme"}, actor=SYSTEM)
    ticket = services.create(web_kernel, "service.ticket", {
        "organization_id": org.id, "channel": "phone", "subject": "Printer jams"},
        actor=SYSTEM)
    resolve_ticket(web_kernel, ticket.id, actor=SYSTEM)
    with web_kernel.bound():
        survey = Survey.get(Survey.ticket == ticket.id)
    link = link_of(web_kernel, survey.id)

    phone = new_context(viewport=PHONE).new_page()
    phone.goto(link)
    expect(phone.get_by_role("heading", name="How did we do?")).to_be_visible()
    assert no_horizontal_scroll(phone)
    screenshot(phone, "survey-phone")

    page = new_context().new_page()
    page.goto(link)
    assert serious_violations(page) == []
    group = page.get_by_role("group", name=f"How satisfied are you with how we handled "
                                           f"your request (T-{ticket.id})?")
    expect(group).to_be_visible()
    # Sending without a score names the field, nothing written.
    page.get_by_role("button", name="Send my answer").click()
    expect(page.get_by_text("Score: Choose a score from 1 to 5.")).to_be_visible()
    screenshot(page, "survey-no-score")
    page.get_by_role("radio", name="4").check()
    page.get_by_label("Anything you would like to tell us?").fill("Quick and kind.")
    screenshot(page, "survey-desktop")
    page.get_by_role("button", name="Send my answer").click()
    expect(page.get_by_role("status")).to_have_text(
        "Your answer was received. Thank you for taking the time to tell us.")
    with web_kernel.bound():
        assert (Survey.get_by_id(survey.id).score,
                Survey.get_by_id(survey.id).comment) == (4, "Quick and kind.")

    again = page.goto(link)
    assert again.status == 409
    expect(page.get_by_role("alert")).to_contain_text(f"Survey {survey.id} was answered on")
    screenshot(page, "survey-answered")
