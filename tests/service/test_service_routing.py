"""Routing a new ticket nobody is assigned to: the plugin's own routing (category ->
team and queue from the ``routing`` setting, then the team's round-robin: the active
member given a ticket least recently), and a firm's plugin replacing it through the
``route_ticket`` hook (firstresult)."""

from __future__ import annotations

import threading

import marshmallow as ma
import pytest

from accord import services
from accord.errors import ValidationError
from accord.hooks import hookimpl
from accord.plugins import PluginManifest
from accord.services import Actor
from accord.services.plugins import set_settings
from accord.services.teams import add_member

import accord_service.hooks
from accord_service.routing import Routing
from accord_service.settings import ServiceSettings

pytestmark = pytest.mark.plugins(accord_service.hooks)
SYSTEM = Actor.system("test")
ROUTING = {"queues": ["general", "complaints"],
           "routing": {"complaint": {"team": "Billing", "queue": "complaints"},
                       "incident": {"team": "Nobody by that name"}}}


def _team(kernel, name, *emails, inactive=()):
    team = services.create(kernel, "team", {"name": name}, actor=SYSTEM)
    users = []
    for email in emails:
        user = services.create(kernel, "user", {"email": email, "name": email.split("@")[0],
                                                "role": "service"}, actor=SYSTEM)
        add_member(kernel, team.id, user.id, actor=SYSTEM)
        if email in inactive:
            services.update(kernel, "user", user.id, {"active": False}, actor=SYSTEM)
        users.append(user.id)
    return team.id, users


@pytest.fixture
def billing(kernel):
    set_settings(kernel, "service", ROUTING, actor=SYSTEM)
    return _team(kernel, "Billing", "ann@example.com", "bob@example.com", "cid@example.com",
                 inactive=("cid@example.com",))


def test_a_complaint_goes_to_billing_round_robin(kernel, helpers, billing):
    team, (ann, bob, cid) = billing
    tickets = [helpers.ticket(kernel, category="complaint", subject=f"Charged twice {n}")
               for n in range(4)]
    assert [(t.team_id, t.queue) for t in tickets] == [(team, "complaints")] * 4
    # Ann and Bob in turn (never given one first, then by id); Cid is deactivated.
    assert [t.owner_id for t in tickets] == [ann, bob, ann, bob]


def test_a_new_member_never_given_a_ticket_is_next(kernel, helpers, billing):
    team, (ann, bob, _) = billing
    helpers.ticket(kernel, category="complaint")  # ann
    dan = _team(kernel, "Spare", "dan@example.com")[1][0]
    add_member(kernel, team, dan, actor=SYSTEM)
    owners = [helpers.ticket(kernel, category="complaint").owner_id for _ in range(3)]
    assert owners == [bob, dan, ann]


def test_a_team_given_without_an_assignee_gets_its_round_robin(kernel, helpers, billing):
    first_line, (eve, fay) = _team(kernel, "First line", "eve@example.com", "fay@example.com")
    tickets = [helpers.ticket(kernel, category="question", team_id=first_line)
               for _ in range(3)]
    assert [(t.owner_id, t.team_id, t.queue) for t in tickets] == [
        (eve, first_line, "general"), (fay, first_line, "general"),
        (eve, first_line, "general")]


def test_what_routing_leaves_alone(kernel, helpers, billing, actor):
    team, (ann, bob, _) = billing
    # No rule for the category and no team: unassigned in the first queue.
    plain = helpers.ticket(kernel, category="question")
    assert (plain.owner_id, plain.team_id, plain.queue) == (None, None, "general")
    # A rule naming a team that does not exist: unassigned (and logged).
    lost = helpers.ticket(kernel, category="incident")
    assert (lost.owner_id, lost.team_id) == (None, None)
    # A ticket created with an assignee is not routed, whatever its category.
    given = helpers.ticket(kernel, category="complaint", owner_id=bob)
    assert (given.owner_id, given.queue) == (bob, "general")
    # An agent creating a ticket is its assignee (the core's default): not routed.
    agent = services.create(kernel, "user", {"email": "gil@example.com", "name": "Gil",
                                             "role": "service"}, actor=SYSTEM)
    add_member(kernel, team, agent.id, actor=SYSTEM)
    own = helpers.ticket(kernel, Actor.user(agent), category="complaint")
    assert (own.owner_id, own.team_id, own.queue) == (agent.id, team, "general")
    # Routing happens once, at creation: an update leaves the assignee alone.
    moved = services.update(kernel, "service.ticket", plain.id, {"category": "complaint"},
                            actor=SYSTEM)
    assert moved.owner_id is None


def test_routed_at_once_each_ticket_goes_to_another_member(kernel, helpers):
    """Four tickets created at the same moment (four web workers): the team's turn is
    taken under a lock, so the four members get one each."""
    team, members = _team(kernel, "Rush", *(f"m{n}@example.com" for n in range(4)))
    customer = helpers.customer(kernel)
    start = threading.Barrier(4)
    owners, errors = [], []

    def create():
        try:
            start.wait()
            owners.append(helpers.ticket(kernel, organization_id=customer.id,
                                         team_id=team).owner_id)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            kernel.database.close()

    threads = [threading.Thread(target=create) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(owners) == sorted(members)


class Vip:
    """A firm's routing: complaints from its key account go to the account's agent;
    the rest is left to the service plugin's routing (None)."""

    MANIFEST = PluginManifest(name="vip", version="1.0", requires={"service": ">=1,<2"})

    def __init__(self):
        self.agent_id = None
        self.account_id = None
        self.seen = []

    @hookimpl
    def route_ticket(self, ticket):
        self.seen.append(ticket["subject"])
        if ticket.get("organization_id") == self.account_id:
            return Routing(queue="general", owner_id=self.agent_id)
        return None


def test_a_firms_plugin_replaces_the_routing(make_kernel, helpers):
    vip = Vip()
    kernel = make_kernel(plugins=[accord_service.hooks, vip], enable=["service", "vip"])
    set_settings(kernel, "service", ROUTING, actor=SYSTEM)
    team, (ann, bob, _) = _team(kernel, "Billing", "ann@example.com", "bob@example.com",
                                "cid@example.com", inactive=("cid@example.com",))
    vip.agent_id = _team(kernel, "Key accounts", "kim@example.com")[1][0]
    vip.account_id = helpers.customer(kernel, "Big Bank").id
    key = helpers.ticket(kernel, organization_id=vip.account_id, category="complaint",
                         subject="Statement wrong")
    assert (key.owner_id, key.queue) == (vip.agent_id, "general")
    # The firm's plugin returned None: the plugin's own routing decides.
    other = helpers.ticket(kernel, category="complaint", subject="Fee too high")
    assert (other.owner_id, other.team_id, other.queue) == (ann, team, "complaints")
    assert vip.seen == ["Statement wrong", "Fee too high"]


class Careless:
    MANIFEST = PluginManifest(name="careless", version="1.0", requires={"service": ">=1,<2"})

    @hookimpl
    def route_ticket(self):
        return Routing(queue="nowhere", owner_id=999_999)


def test_a_routing_naming_what_does_not_exist_is_refused(make_kernel, helpers):
    kernel = make_kernel(plugins=[accord_service.hooks, Careless()],
                         enable=["service", "careless"])
    customer = helpers.customer(kernel)
    with pytest.raises(ValidationError) as caught:
        helpers.ticket(kernel, organization_id=customer.id)
    assert caught.value.messages == {
        "queue": ["route_ticket chose the queue 'nowhere', which is not one of general"],
        "owner_id": ["route_ticket chose user 999999, who does not exist"]}
    with kernel.bound():
        from accord_service.models import Ticket

        assert Ticket.select().count() == 0


def test_bad_routing_settings_are_refused_by_name():
    with pytest.raises(ma.ValidationError) as caught:
        ServiceSettings().load({"routing": {"praise": {"team": "Billing"},
                                            "complaint": {"queue": "vip"},
                                            "question": {}}})
    assert caught.value.messages == {"routing": [
        "'praise' is not one of the categories", "complaint: 'vip' is not one of the queues",
        "question: give a team, a queue or both"]}
