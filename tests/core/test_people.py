"""Adding users and reading the rosters through the people service (what `accord users`
and `accord teams` call)."""

from __future__ import annotations

import pytest

from accord import services
from accord.errors import NotFound, PermissionDenied, ValidationError
from accord.models import User
from accord.services import Actor
from accord.services.people import add_user, team_roster, user_roster

CLERK = Actor(99, "clerk@example.com", role="sales", grants=("core.*.read",))


def test_a_user_is_added_with_a_role_and_teams_or_not_at_all(kernel, actor):
    services.create(kernel, "team", {"name": "North"}, actor=actor)
    ann = add_user(kernel, "ann@example.com", "Ann", "sales", teams=["North"], actor=actor)
    assert [(r.email, r.role, r.teams) for r in user_roster(kernel, actor=actor)
            if r.id == ann.id] == [("ann@example.com", "sales", ("North",))]
    with pytest.raises(ValidationError) as caught:
        add_user(kernel, "bo@example.com", "Bo", "boss", actor=actor)
    assert caught.value.messages == {"role": [
        "no role 'boss' (roles: admin, manager, marketing, read-only, sales, service)"]}
    with pytest.raises(NotFound):
        add_user(kernel, "cy@example.com", "Cy", "sales", teams=["Nowhere"], actor=actor)
    with kernel.bound():
        assert User.select().where(User.email.in_(["bo@example.com", "cy@example.com"])
                                   ).count() == 0


def test_the_rosters_and_adding_need_their_permissions(kernel, actor):
    with pytest.raises(PermissionDenied) as caught:
        add_user(kernel, "dee@example.com", "Dee", "sales", actor=CLERK)
    assert "admin.users" in str(caught.value)
    assert [r.name for r in team_roster(kernel, actor=CLERK)] == []
    reader = Actor(98, "nobody@example.com", role="x", grants=())
    with pytest.raises(PermissionDenied) as caught:
        user_roster(kernel, actor=reader)
    assert "core.user.read" in str(caught.value)
    with pytest.raises(PermissionDenied):
        team_roster(kernel, actor=reader)
