"""Hooks the sales plugin declares for other plugins.

A plugin implementing them declares ``requires={"sales": ">=1,<2"}`` in its manifest,
so it loads after sales has added these specifications (an implementation of a hook
nobody declared is a load error). The competitors plugin is the first user:
it vetoes closing a deal that names no competitor.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from accord.hooks import hookspec

if TYPE_CHECKING:
    from accord.kernel import Accord
    from accord.services.actors import Actor

    from .models import Opportunity
    from .settings import Stage

__all__ = ["validate_opportunity_close"]


@hookspec
def validate_opportunity_close(kernel: Accord, opportunity: Opportunity, stage: Stage,
                               data: dict[str, Any], actor: Actor) -> None:
    """Veto closing an opportunity as won or lost (a lost deal must name a competitor, say).

    Called: once per opportunity moved to a won or lost stage (the move action,
        ``accord_sales.services.move_opportunity``), inside the move's write
        transaction, after the move's own checks and before anything is written.
    Args: opportunity: the stored opportunity, still in its old stage.
        stage: the ``accord_sales.settings.Stage`` it moves to; ``stage.kind`` is
        ``won`` or ``lost``. data: the values the move writes (``stage``,
        ``probability``, ``loss_reason``).
    Returns: None. Raise accord.errors.ValidationError naming the field at fault to
        refuse; nothing is written, and the API answers 422 with the message.
    Order: every implementation runs; the first error aborts the move.
    Since: sales 1.0
    """
