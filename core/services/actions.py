"""Record actions: the verbs plugins declare beyond create, update and delete.

``run_action`` is what every face calls: it checks the action's permission and the
record's reach, loads the body with the action's schema, and calls the plugin's
handler with the loaded body as keyword arguments.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import marshmallow as ma

from ..errors import NotFound, StaleVersion, ValidationError, flatten_messages
from .actors import Actor
from .authz import require
from .crud import get

if TYPE_CHECKING:
    from ..kernel import Accord
    from ..records import RecordAction

__all__ = ["actions_of", "find_action", "run_action"]


def actions_of(kernel: Accord, type_name: str | None = None) -> list[RecordAction]:
    """The actions of the running plugins (of one record type when named)."""
    return [action for action in kernel.actions.values()
            if type_name is None or action.record_type == type_name]


def find_action(kernel: Accord, type_name: str, name: str) -> RecordAction:
    """One action of a record type, or NotFound naming the ones it has."""
    kernel.records.get(type_name)
    action = kernel.actions.get((type_name, name))
    if action is None:
        known = sorted(a.name for a in actions_of(kernel, type_name))
        raise NotFound(f"{type_name} has no action {name!r}"
                       + (f" (actions: {', '.join(known)})" if known else ""))
    return action


def run_action(kernel: Accord, type_name: str, record_id: int, name: str,
               body: dict[str, Any] | None = None, *, actor: Actor,
               version: int | None = None) -> Any:
    """Run action ``name`` on one record: the actor needs the action's permission and
    must reach the record; ``body`` is loaded by the action's schema (a body given to
    an action without one is refused); ``version`` (If-Match) must be the record's.
    Returns what the handler returns: a record or a JSON-ready value.

    The handler runs in one transaction with the record locked from the moment it is
    read (``FOR UPDATE`` on PostgreSQL; SQLite's write transactions take turns), so
    the version it is given stays the record's: a caller that named no version waits
    for a concurrent verb, then sees its outcome, instead of failing for a version it
    never named."""
    with kernel.transaction():
        action = find_action(kernel, type_name, name)
        require(actor, action.permission)
        record = get(kernel, type_name, record_id, actor=actor, for_update=True)
        if version is not None and record.version != version:
            raise StaleVersion(f"{type_name} {record_id} is at version {record.version}, "
                               f"not {version}; reload it and try again")
        data: dict[str, Any] = {}
        if action.schema is not None:
            try:
                data = action.schema().load(body or {})
            except ma.ValidationError as exc:
                raise ValidationError(flatten_messages(exc.messages)) from None
        elif body:
            raise ValidationError({key: [f"the {name} action takes no {key!r}"]
                                   for key in body})
        return action.handler(kernel, record.id, actor=actor, version=record.version,
                              **data)
