"""Signals: the core announcing what already happened, after commit.

One blinker namespace, like Flask's ``signals.py``. Every signal is sent with
``sender=kernel`` by the service layer through ``send()``, which logs and swallows
a receiver's exception so a receiver can never break the caller or the outcome.
"""

from __future__ import annotations

import logging
from typing import Any

from blinker import NamedSignal, Namespace

__all__ = [
    "signals", "send", "record_created", "record_updated", "record_deleted",
    "plugin_enabled", "plugin_disabled", "plugin_purged", "records_transferred",
    "goal_behind",
]

logger = logging.getLogger(__name__)

signals = Namespace()

#: Records were created. kwargs: record_type (str), ids (list[int]), actor.
record_created = signals.signal("record-created")
#: Records were updated. kwargs: record_type, ids, changes (list of {field: [before, after]}), actor.
record_updated = signals.signal("record-updated")
#: Records were deleted. kwargs: record_type, ids, actor.
record_deleted = signals.signal("record-deleted")
#: A user's records were moved to another owner. kwargs: from_user, to_user, counts, actor.
records_transferred = signals.signal("records-transferred")
#: A plugin was enabled / disabled / purged. kwargs: name.
plugin_enabled = signals.signal("plugin-enabled")
plugin_disabled = signals.signal("plugin-disabled")
plugin_purged = signals.signal("plugin-purged")
#: A goal fell behind its pace (found by the core job ``core.goal_pace``; sent once per
#: fall, again only after it was back on pace). kwargs: goal_id, metric, scope,
#: owner_id, team_id, day (the job's date), actual, expected, target (Decimals).
goal_behind = signals.signal("goal-behind")


def send(signal: NamedSignal, sender: Any, **kwargs: Any) -> None:
    """Send ``signal`` to each receiver in turn; a receiver's error is logged only."""
    if not signal.receivers:
        return
    for receiver in signal.receivers_for(sender):
        try:
            receiver(sender, **kwargs)
        except Exception:  # signal-receiver boundary: never break the caller
            logger.exception("receiver %r of signal %r failed", receiver, signal.name)
