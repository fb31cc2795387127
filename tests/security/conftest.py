"""Helpers of the security tests (as fixtures, since conftest modules are not imported
by name). The kernels and clients come from accord_sdk's fixtures.

``world`` loads the demo data of all four shipped plugins and sets up who reaches
what: a user of the role under test in the team "Insiders" (with a teammate), and an
"outsider" in the team "Outsiders". For every owned record type with rows, one record
is given to the outsider (out of reach of every ``own``/``team`` rule), one to the
user under test and one to the teammate; the demo's other rows belong to the demo
users, whom the user under test does not share a team with.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest

#: Every shipped plugin: the matrix runs with all of them enabled.
ALL_PLUGINS = ("sales", "competitors", "service", "marketing")


@dataclass
class World:
    kernel: Any
    user: Any
    mate: Any
    outsider: Any
    insiders: int
    outsiders: int
    actor: Any = None
    #: record type name -> {"outsider": id, "user": id, "mate": id} (owned types only)
    placed: dict[str, dict[str, int]] = field(default_factory=dict)

    def rows(self, type_name: str) -> dict[int, tuple[Any, Any]]:
        """id -> (owner_id, team_id) of every stored row of an owned type."""
        model: Any = self.kernel.records.get(type_name).model
        with self.kernel.bound():
            return {r.id: (r.owner_id, r.team_id)
                    for r in model.select(model.id, model.owner, model.team)}

    def reached(self, type_name: str) -> set[int]:
        """The ids the user's rule for the type reaches, computed here from the rows
        (not by the code under test)."""
        scope = self.actor.scope(type_name)
        rows = self.rows(type_name)
        if scope == "all":
            return set(rows)
        if scope == "own":
            return {i for i, (owner, _) in rows.items() if owner == self.user.id}
        return {i for i, (owner, team) in rows.items()
                if owner in self.actor.teammate_ids
                or (team is not None and team in self.actor.team_ids)}

    def version(self, type_name: str, record_id: int) -> Any:
        model: Any = self.kernel.records.get(type_name).model
        with self.kernel.bound():
            row = model.get_or_none(model.id == record_id)
            return None if row is None else (row.version, row.updated_at)


def build_world(kernel: Any, role: str) -> World:
    from accord import services
    from accord.demo import load_demo
    from accord.services import Actor
    from accord.services.authz import actor_for
    from accord.services.teams import add_member

    system = Actor.system("test")
    load_demo(kernel)

    def person(email: str, user_role: str) -> Any:
        return services.create(kernel, "user", {"email": email, "name": email.split("@")[0],
                                                "role": user_role}, actor=system)

    user = person(f"{role.replace('-', '')}@security.example", role)
    mate = person("mate@security.example", role)
    outsider = person("outsider@security.example", "sales")
    insiders = services.create(kernel, "team", {"name": "Insiders", "manager_id": mate.id,
                                                "members": [mate.id]}, actor=system)
    outsiders = services.create(kernel, "team", {"name": "Outsiders",
                                                 "manager_id": outsider.id,
                                                 "members": [outsider.id]}, actor=system)
    add_member(kernel, insiders.id, user.id, actor=system)
    world = World(kernel, user, mate, outsider, insiders.id, outsiders.id)
    with kernel.bound():
        for rt in kernel.records:
            if not rt.owned:
                continue
            model: Any = rt.model
            ids = [r.id for r in model.select(model.id).order_by(model.id)]
            if not ids:
                continue
            placed: dict[str, int] = {}
            for who, owner, team, record_id in (
                    ("outsider", outsider.id, outsiders.id, ids[0]),
                    ("user", user.id, None, ids[-1]),
                    ("mate", mate.id, None, ids[len(ids) // 2])):
                if record_id in placed.values():
                    continue
                # Test set-up: who owns what, written straight to the rows (the
                # services would refuse giving records across teams, rightly).
                model.update(owner=owner, team=team).where(model.id == record_id).execute()
                placed[who] = record_id
            world.placed[rt.name] = placed
    with kernel.bound():
        from accord.models import User

        world.user = User.get_by_id(user.id)
    world.actor = actor_for(kernel, world.user)
    return world


@pytest.fixture
def security() -> SimpleNamespace:
    """``security.world(kernel, role)``; ``security.ALL_PLUGINS``."""
    return SimpleNamespace(world=build_world, ALL_PLUGINS=ALL_PLUGINS)
