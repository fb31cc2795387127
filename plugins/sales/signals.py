"""Signals the sales plugin sends after commit, with ``sender=kernel``.

Connect receivers from a ``kernel_started`` hook implementation (not at import), so
disabling the receiving plugin silences them. A receiver's exception is logged and
never reaches the caller; work that must not be lost belongs in the outbox.
"""

from __future__ import annotations

from blinker import Namespace

__all__ = ["signals", "opportunity_stage_changed"]

signals = Namespace()

#: An opportunity moved to another stage (closing it as won or lost included).
#: kwargs: opportunity_id (int), pipeline, from_stage, to_stage (str), kind (the new
#: stage's: open, won or lost), at (aware UTC datetime), actor.
opportunity_stage_changed = signals.signal("sales.opportunity.stage_changed")
