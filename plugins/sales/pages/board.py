"""The pipeline board, ``/sales/board``: one column per stage of a pipeline, a card per
opportunity the reader may read, and moving a card runs the opportunity's ``move``
action.

- ``GET /sales/board?pipeline=NAME`` draws the board (the default pipeline without
  one). Open stages hold every open opportunity; won and lost stages the deals closed
  in the last ``CLOSED_DAYS`` days. Each column's header gives its count and its total
  in the base currency (converted on each deal's expected close date, today without
  one; what has no rate is named apart).
- ``POST /sales/board/<id>/move`` (``stage``, ``version``, ``reason``) runs
  ``run_action(..., "move", ...)`` as the record page does. A form gets the board back
  (its message in the alert on a refusal); the board's script asks for JSON
  (``Accept: application/json``) and gets the message and the new column headers.

The stage history panel of an opportunity's record page (``panels``) is here
too: it shows what the board's moves leave behind.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from flask import (Blueprint, Response, current_app, flash, g, jsonify, redirect,
                   render_template, request, url_for)

from accord import services
from accord.errors import AccordError, NotFound, PermissionDenied, ValidationError
from accord.metrics import round_money
from accord.money import Money
from accord.pages import Panel, sentence, shown, when
from accord.query import find
from accord.rates import Converted, Totals
from accord.services.actions import run_action
from accord.services.authz import permission_for
from accord.services.plugins import PLUGINS

from ..api import stage_history
from ..rules import OPPORTUNITY
from ..settings import Pipeline, Stage, pipelines

if TYPE_CHECKING:
    from accord.kernel import Accord
    from accord.services.actors import Actor

__all__ = ["blueprint", "board_of", "Board", "Column", "Card", "panels",
           "CLOSED_DAYS", "MOST_CARDS"]

#: Won and lost columns show the deals closed in these last days.
CLOSED_DAYS = 30
#: The most cards one board draws per kind (open, recently closed); the list page has all.
MOST_CARDS = 500


@dataclass(frozen=True)
class Card:
    """An opportunity as its card shows it."""

    id: int
    name: str
    version: int
    stage: str
    amount: Money
    organization: str | None
    owner: str

    @property
    def url(self) -> str:
        return f"/records/{OPPORTUNITY}/{self.id}"


@dataclass
class Column:
    stage: Stage
    base: str
    cards: list[Card] = field(default_factory=list)
    total: Converted = field(default_factory=Converted)

    @property
    def count_text(self) -> str:
        count = len(self.cards)
        return f"{count} {'opportunity' if count == 1 else 'opportunities'}"

    @property
    def total_text(self) -> str:
        """``12,500.00 EUR``, and the amounts without an exchange rate apart."""
        text = shown(Money(round_money(self.total.amount, self.base), self.base))
        for money in self.total.left_out():
            text += f" + {shown(money)} (no rate)"
        return text


@dataclass
class Board:
    pipeline: Pipeline
    #: Every pipeline's name, for the choice of board.
    names: list[str]
    columns: list[Column]
    base: str
    #: Some cards were left out (more than MOST_CARDS).
    cut: bool = False

    def headers(self) -> list[dict[str, Any]]:
        """Each column's stage, count and total as the page shows them."""
        return [{"stage": c.stage.name, "count": len(c.cards), "count_text": c.count_text,
                 "total_text": c.total_text} for c in self.columns]


def board_of(kernel: Accord, actor: Actor, name: str | None = None) -> Board:
    """The board of pipeline ``name`` (the default pipeline without one) as ``actor``
    may see it: the opportunities its read permission and record rule reach (two
    queries), their organizations it may read (one), their owners' names (one)."""
    known = pipelines(kernel)
    chosen = name or kernel.settings("sales")["default_pipeline"]
    pipeline = known.get(chosen)
    if pipeline is None:
        raise NotFound(f"no pipeline {chosen!r} (pipelines: {', '.join(known)})")
    since = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=CLOSED_DAYS)
    sort = ("name", "id")
    deals = find(kernel, OPPORTUNITY, {"pipeline": pipeline.name, "closed_at__isnull": True},
                 sort=sort, limit=MOST_CARDS + 1, actor=actor)
    closed = find(kernel, OPPORTUNITY, {"pipeline": pipeline.name, "closed_at__gte": since},
                  sort=sort, limit=MOST_CARDS + 1, actor=actor)
    cut = len(deals) > MOST_CARDS or len(closed) > MOST_CARDS
    deals = deals[:MOST_CARDS] + closed[:MOST_CARDS]
    organizations = _titles(kernel, actor, "organization",
                            [d.organization_id for d in deals if d.organization_id])
    owners = _owners(kernel, actor, [d.owner_id for d in deals if d.owner_id])
    totals = Totals(kernel)
    base = totals.base
    columns = {s.name: Column(s, base) for s in pipeline.stages}
    today = dt.datetime.now(dt.timezone.utc).date()
    for deal in deals:
        column = columns.get(deal.stage)
        if column is None:  # a stage the settings no longer name
            column = columns[deal.stage] = Column(
                Stage(pipeline.name, deal.stage, deal.probability, "unknown", len(columns)),
                base)
        amount = Money(Decimal(deal.amount), deal.amount_currency)
        column.cards.append(Card(
            deal.id, deal.name, deal.version, deal.stage, amount,
            organizations.get(deal.organization_id) if deal.organization_id else None,
            owners.get(deal.owner_id, "") if deal.owner_id else ""))
        totals.add(deal.stage, amount.amount, amount.currency,
                   deal.expected_close_date or today)
    for stage, converted in totals.result().items():
        columns[stage].total = converted
    return Board(pipeline, list(known), list(columns.values()), base, cut)


def _titles(kernel: Accord, actor: Actor, type_name: str, ids: list[int]) -> dict[int, str]:
    """The names of the records of these ids that ``actor`` may read (none without the
    read permission: a card then names no organization)."""
    record_type = kernel.records.get(type_name)
    if not ids or not actor.can(permission_for(record_type, "read")):
        return {}
    unique = sorted(set(ids))
    out: dict[int, str] = {}
    for start in range(0, len(unique), 500):
        for record in find(kernel, type_name, {"id__in": unique[start:start + 500]},
                           actor=actor):
            out[record.id] = str(record.name)
    return out


def _owners(kernel: Accord, actor: Actor, ids: list[int]) -> dict[int, str]:
    """Owners' names as the reader may read users; otherwise "You" for the reader's own
    cards (the others name no owner)."""
    out = {}
    if ids and actor.can(permission_for(kernel.records.get("user"), "read")):
        unique = sorted(set(ids))
        for start in range(0, len(unique), 500):
            for user in find(kernel, "user", {"id__in": unique[start:start + 500]},
                             actor=actor):
                out[user.id] = str(user.name or user.email)
    if actor.user_id is not None:
        out.setdefault(actor.user_id, "You")
    return out


# The views --------------------------------------------------------------------------

def blueprint() -> Blueprint:
    """A new blueprint of the board (one per app: Flask keeps state on blueprints), with
    the board's script as its static file."""
    bp = Blueprint("board", __name__, template_folder="../templates",
                   static_folder="../static", static_url_path="/static")
    bp.add_url_rule("/board", "index", index)
    bp.add_url_rule("/board/<int:opportunity_id>/move", "move", move, methods=["POST"])
    return bp


def _page(board: Board, *, problem: str | None = None, status: int = 200) -> Response:
    may_move = g.actor.can(f"{OPPORTUNITY}.move")
    body = render_template("sales/board.html", board=board, problem=problem,
                           may_move=may_move, may_edit_stages=g.actor.can(PLUGINS),
                           closed_days=CLOSED_DAYS, most=MOST_CARDS)
    return Response(body, status=status)


def index() -> Response:
    kernel = current_app.extensions["accord"]
    return _page(board_of(kernel, g.actor, request.args.get("pipeline") or None))


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def _body(kernel: Accord, deal: Any, stage: str, reason: str) -> dict[str, Any]:
    """The move action's body: the reason goes where the target stage takes one."""
    body: dict[str, Any] = {"stage": stage}
    pipeline = pipelines(kernel).get(deal.pipeline)
    target = pipeline.stage(stage) if pipeline is not None else None
    if reason and target is not None and target.kind == "lost":
        body["loss_reason"] = reason
    elif reason and target is not None and target.kind == "won":
        body["win_reason"] = reason
    return body


def _problem(exc: AccordError) -> str:
    """A refusal as one line: its messages, each a sentence."""
    if isinstance(exc, ValidationError):
        messages = [m for problems in exc.flat().values() for m in problems]
        return " ".join(sentence(m) for m in messages) or sentence(exc.message)
    return sentence(exc.message)


def move(opportunity_id: int) -> Any:
    kernel = current_app.extensions["accord"]
    form = request.form
    stage = form.get("stage", "").strip()
    reason = form.get("reason", "").strip()
    version = form.get("version", type=int)
    try:
        deal: Any = services.get(kernel, OPPORTUNITY, opportunity_id, actor=g.actor)
    except NotFound as exc:
        if not _wants_json():
            raise
        return jsonify({"ok": False, "message": _problem(exc)}), exc.status
    try:
        if not stage:
            raise ValidationError({"stage": ["choose the stage to move it to"]})
        run_action(kernel, OPPORTUNITY, deal.id, "move", _body(kernel, deal, stage, reason),
                   actor=g.actor, version=version)
    except (NotFound, PermissionDenied) as exc:
        if not _wants_json():
            raise
        return jsonify({"ok": False, "message": _problem(exc)}), exc.status
    except AccordError as exc:
        message = f"“{deal.name}” stays in {deal.stage}: {_problem(exc)}"
        if _wants_json():
            return jsonify({"ok": False, "message": message}), exc.status
        return _page(board_of(kernel, g.actor, deal.pipeline), problem=message,
                     status=exc.status)
    moved: Any = services.get(kernel, OPPORTUNITY, deal.id, actor=g.actor)
    message = f"Moved “{moved.name}” from {deal.stage} to {moved.stage}."
    if _wants_json():
        board = board_of(kernel, g.actor, moved.pipeline)
        return jsonify({"ok": True, "message": message, "version": moved.version,
                        "stage": moved.stage, "columns": board.headers()})
    flash(message, "info")
    return redirect(url_for(".index", pipeline=moved.pipeline) + f"#card-{moved.id}")


# The stage history panel -----------------------------------------------------------

def panels(kernel: Accord, actor: Actor, record_type: str,
           record: dict[str, Any]) -> list[Panel]:
    """The "Stage history" panel of an opportunity's page: its moves, newest first."""
    if record_type != OPPORTUNITY:
        return []
    history = stage_history(kernel, record["id"], actor=actor)
    deal = history["opportunity"]
    rows = tuple((m.to_stage, m.from_stage, when(m.at), m.by)
                 for m in reversed(history["moves"]))
    return [Panel("Stage history", columns=("Stage", "From", "When", "By"), rows=rows,
                  empty=f"Not moved yet: in {deal.stage} since it was created "
                        f"({when(deal.created_at)}).", order=20)]
