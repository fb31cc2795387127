"""A user's tasks: the activities they own that are due by the end of a day and not
done (the home page's "My tasks today"), and marking one done."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from ..models import utcnow
from .crud import update
from .lists import list_page

if TYPE_CHECKING:
    from ..kernel import Accord
    from ..models import BaseRecord
    from .actors import Actor

__all__ = ["due_tasks", "complete_task", "MAX_TASKS"]

#: The most tasks one page lists.
MAX_TASKS = 50


def due_tasks(kernel: Accord, *, actor: Actor, day: dt.date) -> dict[str, Any]:
    """The actor's own activities due before the end of ``day`` (UTC) and not done,
    oldest due first, with their organization and contact embedded: a list page
    (``{"items": [...], "next_cursor": ...}``) as ``list_page`` shapes it."""
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=dt.timezone.utc)
    filters = {"owner": actor.user_id, "done_at__isnull": True,
               "due_at__lt": end.isoformat()}
    return list_page(kernel, "activity", actor=actor, filters=filters, sort=["due_at"],
                     limit=MAX_TASKS, expand="organization,contact")


def complete_task(kernel: Accord, activity_id: int, *, actor: Actor,
                  version: int | None = None) -> BaseRecord:
    """Mark an activity done now (a stale ``version`` is refused, as any update)."""
    return update(kernel, "activity", activity_id, {"done_at": utcnow().isoformat()},
                  actor=actor, version=version)
