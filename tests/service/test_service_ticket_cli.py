"""``accord service ticket new``: a ticket through the ticket services, its reference and
due times printed; a refused option is named and nothing is written."""

from __future__ import annotations

import pytest

import accord_service.hooks
from accord import services
from accord.services import Actor
from accord.services.plugins import set_settings
from accord_service.models import Ticket

pytestmark = pytest.mark.plugins(accord_service.hooks)
SYSTEM = Actor.system("test")


@pytest.fixture
def customer(kernel):
    org = services.create(kernel, "organization", {"name": "Acme Ltd"}, actor=SYSTEM)
    person = services.create(kernel, "contact", {"last_name": "Ames", "email": "Ann@Acme.test",
                                                 "organization_id": org.id}, actor=SYSTEM)
    return org, person


def _tickets(kernel):
    with kernel.bound():
        return list(Ticket.select().order_by(Ticket.id))


def test_a_new_ticket_prints_its_reference_and_due_times(cli, kernel, customer):
    org, person = customer
    set_settings(kernel, "service", {"time_zone": "Europe/Berlin"}, actor=SYSTEM)
    result = cli("service", "ticket", "new", "--subject", "Invoice twice",
                 "--organization", "Acme Ltd", "--contact", "ann@acme.test",
                 "--channel", "phone", "--priority", "high", "--category", "complaint",
                 "--description", "Billed twice in March")
    assert result.exit_code == 0, result.output
    [ticket] = _tickets(kernel)
    assert (ticket.subject, ticket.organization_id, ticket.contact_id, ticket.channel,
            ticket.priority, ticket.category, ticket.description) == (
        "Invoice twice", org.id, person.id, "phone", "high", "complaint",
        "Billed twice in March")
    zone = "%Y-%m-%d %H:%M %Z"
    from zoneinfo import ZoneInfo

    berlin = ZoneInfo("Europe/Berlin")
    assert result.output.splitlines() == [
        f"T-{ticket.id} created (SLA policy default)",
        f"First response due: {ticket.first_response_due_at.astimezone(berlin):{zone}}",
        f"Resolution due:     {ticket.resolution_due_at.astimezone(berlin):{zone}}"]
    # By id, a contact alone.
    again = cli("service", "ticket", "new", "--subject", "Again", "--contact", str(person.id),
                "--channel", "email")
    assert again.exit_code == 0, again.output
    assert [(t.organization_id, t.contact_id, t.priority) for t in _tickets(kernel)][1:] == [
        (None, person.id, "normal")]


@pytest.mark.parametrize("options, message", [
    (["--organization", "Nobody"], "Invalid value for '--organization': no organization "
                                   "'Nobody' (give a name or an id)"),
    (["--organization", "Twin"], "Invalid value for '--organization': 2 organizations are "
                                 "named 'Twin': give the id"),
    (["--contact", "who@nowhere.test"], "Invalid value for '--contact': no contact "
                                        "'who@nowhere.test' (give an email or an id)"),
    (["--organization", "Acme Ltd", "--channel", "fax"],
     "--channel: 'fax' is not a channel; use one of phone, email, web, chat, on_site"),
    (["--organization", "Acme Ltd", "--category", "praise"],
     "--category: 'praise' is not a category; use one of question, incident, complaint, "
     "request"),
    (["--organization", "Acme Ltd", "--priority", "asap"],
     "Invalid value for '--priority': 'asap' is not one of"),
    (["--organization", "Acme Ltd", "--subject", ""],
     "--subject: Length must be between 1 and 200."),
    ([], "give the customer: --organization, --contact or both"),
])
def test_bad_input_names_the_option_and_writes_nothing(cli, kernel, customer, options,
                                                       message):
    for _ in range(2):
        services.create(kernel, "organization", {"name": "Twin"}, actor=SYSTEM)
    given = {"--subject": "Help", "--channel": "phone"}
    for name, value in zip(options[::2], options[1::2]):
        given[name] = value
    result = cli("service", "ticket", "new", *[part for pair in given.items() for part in pair])
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split()), result.output
    assert _tickets(kernel) == []


def test_a_missing_required_option_is_named(cli, kernel, customer):
    result = cli("service", "ticket", "new", "--organization", "Acme Ltd", "--channel", "web")
    assert result.exit_code == 2
    assert "Missing option '--subject'" in result.output
    assert _tickets(kernel) == []
