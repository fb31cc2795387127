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

__all__ = ["validate_opportunity_close", "opportunity_moved", "validate_opportunity_delete",
           "price_quote_lines"]


@hookspec
def validate_opportunity_close(kernel: Accord, opportunity: Opportunity, stage: Stage,
                               data: dict[str, Any], actor: Actor) -> None:
    """Veto closing an opportunity as won or lost (a lost deal must name a competitor, say).

    Called: once per opportunity moved to a won or lost stage (the move action,
        ``accord_sales.services.move_opportunity``), inside the move's write
        transaction, after the move's own checks and before anything is written.
    Args: opportunity: the stored opportunity, still in its old stage.
        stage: the ``accord_sales.settings.Stage`` it moves to; ``stage.kind`` is
        ``won`` or ``lost``. data: the values of the move (``stage``, ``probability``,
        ``loss_reason``, ``win_reason``, and ``details``: a dict the caller may fill
        for other plugins, such as the competitors plugin's ``lost_to``).
    Returns: None. Raise accord.errors.ValidationError naming the field at fault to
        refuse; nothing is written, and the API answers 422 with the message.
    Order: every implementation runs; the first error aborts the move.
    Since: sales 1.0
    """


@hookspec
def opportunity_moved(kernel: Accord, opportunity: Opportunity, from_stage: str,
                      to_stage: Stage, data: dict[str, Any], actor: Actor) -> None:
    """Record what a plugin keeps about a stage change, in the move's own transaction.

    Called: once per move (``accord_sales.services.move_opportunity``), after the
        opportunity and its stage history are written, inside the move's transaction:
        rows a plugin writes here (the competitors plugin records who won the deal)
        commit or roll back with the move. (The ``sales.opportunity.stage_changed``
        signal, sent after the commit, is for notifying.)
    Args: opportunity: the opportunity as stored after the move. from_stage: the name
        of the stage it left. to_stage: the ``accord_sales.settings.Stage`` it is now
        in. data: as for ``validate_opportunity_close``.
    Returns: None. Raising aborts the move (nothing is written); prefer vetoing in
        ``validate_opportunity_close``.
    Order: every implementation runs.
    Since: sales 1.0
    """


@hookspec
def validate_opportunity_delete(kernel: Accord, opportunities: list[Opportunity],
                                actor: Actor) -> None:
    """Veto deleting opportunities that a plugin's own records still refer to.

    Called: for every delete of opportunities, inside the delete's transaction, after
        the plugin's own checks and before the rows go.
    Args: opportunities: the stored opportunities about to be deleted.
    Returns: None. Raise accord.errors.Conflict saying what refers to them (the API
        answers 409); nothing is deleted.
    Order: every implementation runs; the first error aborts the delete.
    Since: sales 1.1
    """


@hookspec
def price_quote_lines(kernel: Accord, quote: dict[str, Any],
                      lines: list[dict[str, Any]]) -> None:
    """Adjust the prices of a quote's lines before its totals are computed.

    Called: whenever a quote is written with lines (created, or its lines replaced),
        inside the write's transaction, once per quote, after each line's unit price
        has defaulted from its product's; and, outside any transaction, for the quote
        editor's live totals (``POST /sales/quotes/preview``), which write nothing: an
        implementation reads only.
    Args: quote: the quote's values as written (``currency``, ``organization_id``,
        ``opportunity_id``... only those given for an update). lines: the lines in
        order, each a dict with ``product_id`` (or None), ``description``,
        ``quantity``, ``unit_price``, ``discount_percent`` and ``tax_rate`` (Decimals).
    Returns: None; change ``unit_price``, ``discount_percent`` or ``tax_rate`` in
        place (a volume discount, a customer's price list). Amounts are in the quote's
        currency; the plugin rounds each line's net and tax half up to the currency's
        minor unit afterwards (JPY 1, EUR 0.01, BHD 0.001). Raise
        accord.errors.ValidationError naming ``lines.N.field`` to refuse.
    Order: every implementation runs, in plugin order; each sees the previous ones'
        changes.
    Since: sales 1.0
    """
