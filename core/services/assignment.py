"""Assigning records to a user or a team, and transferring a user's records whole.

A firm must never lose a customer when a salesperson leaves: ``transfer`` moves
every owned record of one user to another in one audited transaction. Assigning is
an update (the record's write permission and rule apply); transferring a user's whole
book is managing users, and needs ``admin.users`` besides.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import signals
from ..errors import NotFound, ValidationError
from ..models import Team, User
from .actors import Actor
from .authz import require
from .crud import bulk_update, update
from .roles import USERS

if TYPE_CHECKING:
    from ..kernel import Accord

__all__ = ["assign", "transfer", "find_user", "find_team"]


def find_user(kernel: Accord, ref: str | int) -> User:
    """A user by id or email."""
    with kernel.bound():
        text = str(ref).strip()
        user = (User.get_or_none(User.id == int(text)) if text.isdigit()
                else User.get_or_none(User.email == text.lower()))
    if user is None:
        raise NotFound(f"no user {ref!r} (give an id or an email)")
    return user


def find_team(kernel: Accord, ref: str | int) -> Team:
    """A team by id or name."""
    with kernel.bound():
        text = str(ref).strip()
        team = (Team.get_or_none(Team.id == int(text)) if text.isdigit()
                else Team.get_or_none(Team.name == text))
    if team is None:
        raise NotFound(f"no team {ref!r} (give an id or a name)")
    return team


def assign(kernel: Accord, type_name: str, record_id: int, *, actor: Actor,
           user: str | int | None = None, team: str | int | None = None) -> Any:
    """Give a record to a user and/or a team (audited like any update)."""
    record_type = kernel.records.get(type_name)
    if not record_type.owned:
        raise ValidationError({"type": [f"{type_name} records have no owner to assign"]})
    if user is None and team is None:
        raise ValidationError({"to": ["name a user or a team to assign to"]})
    data: dict[str, Any] = {}
    if user is not None:
        target = find_user(kernel, user)
        _refuse_inactive(target)
        data["owner_id"] = target.id
    if team is not None:
        data["team_id"] = find_team(kernel, team).id
    return update(kernel, type_name, record_id, data, actor=actor)


def _refuse_inactive(target: User) -> None:
    """Records given to a deactivated user would be lost: assign and transfer refuse."""
    if not target.active:
        raise ValidationError({"to": [f"{target.email} is deactivated; records would be lost "
                                      "to a user who cannot work them"]})


def transfer(kernel: Accord, *, from_user: str | int, to_user: str | int, actor: Actor,
             type_name: str | None = None) -> dict[str, int]:
    """Move every record owned by ``from_user`` (or only those of one type) to
    ``to_user``, all types in one transaction. Returns the count per type."""
    require(actor, USERS)
    source = find_user(kernel, from_user)
    target = find_user(kernel, to_user)
    if source.id == target.id:
        raise ValidationError({"to": ["the records already belong to that user"]})
    _refuse_inactive(target)
    if type_name is not None:
        record_type = kernel.records.get(type_name)
        if not record_type.owned:
            raise ValidationError({"type": [f"{type_name} records have no owner"]})
        types = [record_type]
    else:
        types = kernel.records.owned()
    counts: dict[str, int] = {}
    with kernel.transaction():
        for record_type in types:
            # Any: owned types have an owner (checked above), BaseRecord does not.
            model: Any = record_type.model
            ids = [r.id for r in model.select(model.id).where(model.owner == source.id)]
            if ids:
                bulk_update(kernel, record_type.name,
                            [(rid, {"owner_id": target.id}) for rid in ids], actor=actor)
            counts[record_type.name] = len(ids)
    kernel.emit(signals.records_transferred, from_user=source.id, to_user=target.id,
                 counts=counts, actor=actor)
    return counts

