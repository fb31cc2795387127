"""The dashboard (``/dashboard``): a KPI card for each metric the reader may compute,
with its goals, then the running plugins' widgets (``dashboard_widgets``).

Every figure comes from ``accord.metrics.report`` (the reader's record rules applied)
over the range and the owner/team filter of the query string, so a bookmarked page
shows the same filters again. Bar charts are drawn on the server as inline SVG, with
their figures in a table beside them for whoever cannot see the bars.

On a big firm's data a metric can take seconds: the page waits for its cards at most
``CARDS_WAIT`` seconds; a card not ready by then says it is being computed while the
computing goes on, and the key figures reload themselves until it is there. A card
that took ``SLOW_CARD`` seconds or more is kept for ``CARD_KEEP`` seconds, per reader
(their permissions, rules and teams) and filters, and shown with the time it was
computed; ``?refresh=1`` computes the reader's cards again. Cards quicker than that are
computed on every visit, so a small firm's figures are always the latest.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import math
import threading
import time
import weakref
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Sequence

from flask import Blueprint, Response, g, render_template, request, url_for

from ..errors import AccordError, PermissionDenied, ValidationError
from ..metrics import (Metric, MetricPoint, MetricQuery, catalog, default_range,
                       metric_query, months_between, report)
from ..models import Team, User
from ..rates import base_currency
from ..services.goals import GoalFilters, Progress, list_goals, scope_labels
from .entries import Widget
from .format import shown

if TYPE_CHECKING:
    from ..kernel import Accord
    from ..services.actors import Actor

__all__ = ["register", "Chart", "bar_chart", "Kpi", "WidgetBox", "plugin_widgets",
           "format_value", "forget_cards"]

logger = logging.getLogger(__name__)

#: Groups a broken-down metric's card lists (the largest first, or the smallest for a
#: metric whose ``smallest_first`` says so).
GROUPS_SHOWN = 5
#: Goals a card lists (the latest periods first).
GOALS_SHOWN = 3
_PACE_WORDS = {"not_started": "not started", "on_track": "on track", "behind": "behind",
               "met": "met", "missed": "missed", "unknown": "unknown"}
_NARROWEST = {"own": 0, "team": 1, "all": 2}
#: Cards computed at the same time. A metric mostly waits on its queries, during which
#: both engines' drivers let other threads run, so the page of fifty metrics takes a
#: fraction of the sum of their times (at scale 0.1 on SQLite: 4.6 s one by one).
CARD_THREADS = 4
#: Seconds the page waits for its cards (see the module's docstring), after drawing
#: the widgets: on a million contacts the widgets took 0.7 s, the cards' wait and the
#: drawing of the page beside the cards still computing 1.8 s, within the page's 3 s.
CARDS_WAIT = 1.5
#: Seconds of computing from which a card is kept, and seconds it is kept.
SLOW_CARD = 1.0
CARD_KEEP = 300.0


# Charts -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    series: int
    text: str


@dataclass(frozen=True)
class Chart:
    """A bar chart laid out in SVG units (``width`` × ``height``), with its figures as
    table rows (label, one text per series)."""

    title: str
    labels: tuple[str, ...]
    series: tuple[str, ...]
    bars: tuple[Bar, ...]
    ticks: tuple[tuple[float, str], ...]
    baseline: float
    rows: tuple[tuple[str, tuple[str, ...]], ...]
    width: int = 320
    height: int = 150
    #: What the labels are (the heading of their column in the figures' table).
    axis: str = ""

    @property
    def empty(self) -> bool:
        """Whether every bar is zero (or missing): nothing to draw."""
        return not any(bar.height for bar in self.bars)

    @property
    def summary(self) -> str:
        """What a screen reader says of the picture; the table holds the figures."""
        names = " and ".join(self.series)
        return (f"{self.title}: bar chart of {names} over {len(self.labels)} "
                f"{'bar' if len(self.labels) == 1 else 'bars'}; the figures are in the "
                "table below it")


def bar_chart(title: str, labels: Sequence[str],
              series: Sequence[tuple[str, Sequence[Any]]],
              shown: Any = None, axis: str = "") -> Chart:
    """Lay out grouped bars: one group per label, one bar per series; ``shown`` turns a
    value into its text (default ``format_value``)."""
    show = shown or format_value
    width, height, top, bottom = 320, 150, 6, 22
    values = [float(v or 0) for _, vs in series for v in vs]
    high, low = max([0.0, *values]), min([0.0, *values])
    if high == low:  # nothing but zeros: the axis at the bottom
        high = 1.0
    span = (high - low) or 1.0
    plot = height - top - bottom

    def y_of(value: float) -> float:
        return top + (high - value) / span * plot

    count = max(len(labels), 1)
    # Room for the first and last label under their bars; a few bars stay slim, centred.
    group = min((width - 2 * 16) / count, 72.0)
    side = (width - group * count) / 2
    gap = group * 0.2
    each = (group - gap) / max(len(series), 1)
    bars = []
    for i in range(len(labels)):
        for s, (_, vs) in enumerate(series):
            value = float(vs[i] or 0)
            y0, y1 = y_of(max(value, 0.0)), y_of(min(value, 0.0))
            tall = max(y1 - y0, 1.0 if value else 0.0)
            bars.append(Bar(round(side + i * group + gap / 2 + s * each, 2), round(y0, 2),
                            round(max(each - 1, 1), 2), round(tall, 2), s, show(vs[i])))
    step = math.ceil(len(labels) / 6) if labels else 1
    room = max(int(group * step / 6), 3)  # characters that fit under a group (10px text)
    ticks = tuple((round(side + i * group + group / 2, 2), _short(labels[i], room))
                  for i in range(0, len(labels), step))
    rows = tuple((label, tuple(show(vs[i]) for _, vs in series))
                 for i, label in enumerate(labels))
    return Chart(title, tuple(labels), tuple(name for name, _ in series), tuple(bars), ticks,
                 round(y_of(0.0), 2), rows, width, height, axis)


def _short(text: str, room: int) -> str:
    return text if len(text) <= room else text[:max(room - 1, 1)] + "…"


# Values -----------------------------------------------------------------------------

def format_value(value: Any, *, unit: str | None = None, currency: str | None = None) -> str:
    """A figure as a page shows it: money with its currency, a percentage with %, a
    count whole, other units after the number; nothing for None."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    if currency is not None or unit == "currency":
        return f"{number:,.2f} {currency or ''}".strip()
    if number == number.to_integral_value():
        text = f"{int(number):,}"
    else:
        text = f"{number.quantize(Decimal('0.01')).normalize():,f}"
    if unit == "percent":
        return f"{text} %"
    if unit in (None, "count", "ratio"):
        return text
    return f"{text} {unit}"


def _left_out(points: Sequence[MetricPoint]) -> list[str]:
    """What the points leave out for want of an exchange rate, per currency."""
    sums: dict[str, Decimal] = {}
    for point in points:
        for money in point.unconverted:
            sums[money.currency] = sums.get(money.currency, Decimal(0)) + money.amount
    return [f"{amount:,.2f} {code}" for code, amount in sorted(sums.items()) if amount]


# KPI cards --------------------------------------------------------------------------

@dataclass(frozen=True)
class GoalLine:
    who: str
    period: str
    target: str
    actual: str
    attainment: str
    pace: str
    problem: str | None = None


@dataclass
class Kpi:
    """One metric's card: its figure over the range (or its largest groups), a bar
    chart by month, what could not be converted, and its goals."""

    name: str
    plugin: str
    description: str
    figure: str = ""
    #: The unit of the figure, when it is words (``days``).
    unit: str = ""
    groups: list[tuple[str, str]] = field(default_factory=list)
    more_groups: int = 0
    chart: Chart | None = None
    left_out: list[str] = field(default_factory=list)
    goals: list[GoalLine] = field(default_factory=list)
    more_goals: int = 0
    problem: str | None = None
    #: Still being computed when the page was answered.
    pending: bool = False
    #: When its figures were computed, and how many seconds that took.
    computed_at: dt.datetime | None = None
    seconds: float = 0.0

    @property
    def kept(self) -> bool:
        """Whether its figures are from an earlier visit (they took long to compute)."""
        return self.seconds >= SLOW_CARD

    @property
    def label(self) -> str:
        """The metric's name in words: ``acme_dental.chair_use`` is "Chair use"."""
        words = self.name.split(".", 1)[-1].replace("_", " ")
        return words[:1].upper() + words[1:]


def kpis(kernel: Accord, actor: Actor, query: MetricQuery, today: dt.date, *,
         refresh: bool = False) -> list[Kpi]:
    """A card per metric of the running plugins that ``actor`` may compute (one whose
    record types they may not read is left out), core first, then by plugin and name.
    A card not computed within ``CARDS_WAIT`` seconds comes back ``pending``; a kept
    card is shown again (``refresh``: computed anew). The goals are read while the
    cards compute."""
    deadline = time.monotonic() + CARDS_WAIT
    metrics = catalog(kernel, actor=actor)
    base = base_currency(kernel)
    ordered = sorted(metrics.items(), key=lambda i: (i[1][0] != "core", i[1][0], i[0]))
    # This visit's threads: another reader's slow cards never hold this one's up. What
    # is not done when the wait ends goes on after the answer, then the threads end.
    pool = ThreadPoolExecutor(CARD_THREADS, thread_name_prefix="accord-dashboard")
    _drop_expired(kernel)
    futures = [_card(kernel, (actor, query, base, name), refresh, pool,
                     lambda name=name, plugin=plugin, metric=metric: _computed(
                         kernel, actor, query, base, Kpi(name, plugin, metric.description),
                         metric))
               for name, (plugin, metric) in ordered]
    try:
        goals = _goals(kernel, actor, query, today)
        wait(futures, timeout=max(deadline - time.monotonic(), 0.0))
    finally:
        pool.shutdown(wait=False)
    cards = []
    for (name, (plugin, metric)), future in zip(ordered, futures):
        if not future.done():
            card: Kpi | None = Kpi(name, plugin, metric.description, pending=True)
        else:
            card = future.result()
            if card is None:
                continue  # the reader may not read what the metric counts: no card
            card = dataclasses.replace(card)  # this visit's copy, with this visit's goals
        assert card is not None
        mine = goals.get(name, [])
        card.goals, card.more_goals = mine[:GOALS_SHOWN], max(len(mine) - GOALS_SHOWN, 0)
        cards.append(card)
    return cards


def _computed(kernel: Accord, actor: Actor, query: MetricQuery, base: str, card: Kpi,
              metric: Metric) -> Kpi | None:
    started = time.monotonic()
    try:
        with kernel.bound():
            _fill(kernel, actor, card, metric, query, base)
    except PermissionDenied:
        return None
    except AccordError as exc:
        card.problem = exc.message
    finally:
        kernel.release_connection()  # this thread's, back to the pool
    card.seconds = time.monotonic() - started
    card.computed_at = dt.datetime.now(dt.timezone.utc)
    return card


_lock = threading.Lock()
#: Per kernel, the cards being computed or kept: (actor, query, base currency, metric
#: name) -> its computing.
_cards: weakref.WeakKeyDictionary[Any, dict[tuple[Any, ...], Future[Kpi | None]]] = \
    weakref.WeakKeyDictionary()


def _card(kernel: Accord, key: tuple[Any, ...], refresh: bool, pool: ThreadPoolExecutor,
          compute: Any) -> Future[Kpi | None]:
    """The card's computing under way or kept (unless ``refresh``), else a new one on
    ``pool``."""
    with _lock:
        cards = _cards.setdefault(kernel, {})
        known = cards.get(key)
        if known is not None and (not known.done() or not refresh and _kept(known)):
            return known
        future: Future[Kpi | None] = pool.submit(compute)
        cards[key] = future

    def forget_if_quick(done: Future[Kpi | None]) -> None:
        if not _kept(done):
            with _lock:
                if cards.get(key) is done:
                    del cards[key]

    future.add_done_callback(forget_if_quick)
    return future


def _drop_expired(kernel: Accord) -> None:
    """Drop the kernel's kept cards whose time is up (once a visit)."""
    with _lock:
        cards = _cards.get(kernel, {})
        for stale in [k for k, f in cards.items() if f.done() and not _kept(f)]:
            del cards[stale]


def forget_cards(kernel: Accord) -> None:
    """Drop the kernel's kept cards (those being computed finish, unkept)."""
    with _lock:
        _cards.pop(kernel, None)


def _kept(future: Future[Kpi | None]) -> bool:
    """Whether a finished card is one to show again: it took long, not long ago."""
    if future.exception() is not None:
        return False
    card = future.result()
    return (card is not None and card.kept and card.computed_at is not None
            and (dt.datetime.now(dt.timezone.utc) - card.computed_at).total_seconds()
            < CARD_KEEP)


def _fill(kernel: Accord, actor: Actor, card: Kpi, metric: Metric, query: MetricQuery,
          base: str) -> None:
    currency = base if metric.unit == "currency" else None

    def show(value: Any) -> str:
        return format_value(value, unit=metric.unit, currency=currency)

    _, total = report(kernel, card.name, dataclasses.replace(query, by="total"), actor=actor)
    card.left_out = _left_out(total)
    if metric.group_by:
        sign = 1 if metric.smallest_first else -1
        ranked = sorted(total, key=lambda p: (sign * p.value, p.group or ""))
        card.groups = [(p.group or "", show(p.value)) for p in ranked[:GROUPS_SHOWN]]
        card.more_groups = max(len(ranked) - GROUPS_SHOWN, 0)
        return
    value = total[0].value if total else Decimal(0)
    if metric.unit in ("currency", "percent", "count", "ratio"):
        card.figure = show(value)
    else:  # a long unit reads under the number
        card.figure, card.unit = format_value(value), metric.unit
    _, months = report(kernel, card.name, dataclasses.replace(query, by="month"), actor=actor)
    # The chart's figures say their unit in the column's heading, once.
    unit = metric.unit if metric.unit in ("currency", "percent") else None
    heading = {"currency": base, "percent": "%"}.get(metric.unit, metric.unit)
    if not any(p.value for p in months):
        return  # a chart of zeros says nothing the figure does not
    card.chart = bar_chart(card.name, [p.period for p in months],
                           [(f"Value ({heading})", [p.value for p in months])],
                           lambda v: format_value(v, unit=unit, currency=currency),
                           axis="Month")


def _goals(kernel: Accord, actor: Actor, query: MetricQuery,
           today: dt.date) -> dict[str, list[GoalLine]]:
    """The goals the reader may see whose period overlaps the range (of the owner or
    team filtered on), by metric, the latest period first."""
    if not actor.can("core.goal.read"):
        return {}
    filters = GoalFilters(owner_id=query.owner_id, team_id=query.team_id,
                          start=query.start, end=query.end)
    found = list_goals(kernel, actor=actor, filters=filters, today=today)
    labels = scope_labels(kernel, [p.goal for p in found])
    out: dict[str, list[GoalLine]] = {}
    for progress in reversed(found):
        out.setdefault(progress.goal.metric, []).append(
            _goal_line(kernel, progress, labels.get(progress.goal.id, "")))
    return out


def _goal_line(kernel: Accord, progress: Progress, who: str) -> GoalLine:
    goal = progress.goal
    currency = base_currency(kernel) if progress.unit == "currency" else None

    def show(value: Any) -> str:
        return format_value(value, unit=progress.unit, currency=currency)

    if goal.group_value:
        who = f"{who}, {goal.group_value}"
    verb = "at most" if goal.direction == "at_most" else "at least"
    target = f"{verb} {show(Decimal(goal.target))}"
    if progress.pace is None:
        return GoalLine(who, goal.period, target, "", "", "unknown", progress.problem)
    return GoalLine(who, goal.period, target, show(progress.actual),
                    format_value(progress.pace.attainment, unit="percent"),
                    _PACE_WORDS.get(progress.pace.pace, progress.pace.pace))


# Plugins' widgets -------------------------------------------------------------------

@dataclass(frozen=True)
class WidgetBox:
    """A plugin's widget as the page draws it, or the box saying why it could not."""

    plugin: str
    title: str
    widget: Widget | None = None
    chart: Chart | None = None
    problem: str | None = None
    order: int = 100
    #: The widget's value and table cells as text.
    figure: str = ""
    rows: tuple[tuple[str, ...], ...] = ()


def plugin_widgets(kernel: Accord, actor: Actor, query: MetricQuery) -> list[WidgetBox]:
    """The running plugins' widgets, by order then title. A hook that raises, or gives
    something else than a Widget, is logged and becomes a box saying so (an
    AccordError's message shown); the other widgets are drawn."""
    boxes: list[WidgetBox] = []
    for plugin in sorted(kernel.plugins.active):
        try:
            given = kernel.plugins.collect("dashboard_widgets", only=[plugin], kernel=kernel,
                                           actor=actor, query=query)
        except AccordError as exc:
            logger.warning("dashboard_widgets of %s refused: %s", plugin, exc.message)
            boxes.append(WidgetBox(plugin, f"Widgets of {plugin}",
                                   problem=f"They could not be drawn: {exc.message}"))
            continue
        except Exception:  # plugin code drawing a page: the page is drawn without it
            logger.exception("dashboard_widgets of %s failed", plugin)
            boxes.append(WidgetBox(plugin, f"Widgets of {plugin}", problem=(
                "They could not be drawn: an error occurred, and it was logged.")))
            continue
        for _, item in given:
            if not isinstance(item, Widget):
                logger.warning("dashboard widget %r of %s ignored: not an "
                               "accord.pages.Widget", item, plugin)
                boxes.append(WidgetBox(plugin, f"A widget of {plugin}", problem=(
                    "It could not be drawn: it is not an accord.pages.Widget.")))
                continue
            boxes.append(_box(plugin, item))
    boxes.sort(key=lambda b: (b.order, b.title))
    return boxes


def _box(plugin: str, widget: Widget) -> WidgetBox:
    def show(value: Any) -> str:
        if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
            return format_value(value, currency=widget.currency)
        return shown(value)

    chart = None
    if widget.kind == "bars":
        chart = bar_chart(widget.title, widget.labels,
                          [(s.name, s.values) for s in widget.series], show)
    return WidgetBox(plugin, widget.title, widget, chart, order=widget.order,
                     figure=show(widget.value),
                     rows=tuple(tuple(show(cell) for cell in row) for row in widget.rows))


# Filters ----------------------------------------------------------------------------

@dataclass
class Filters:
    """The dashboard's query string, as given (for the form) and as read."""

    start: str = ""
    end: str = ""
    owner: str = ""
    team: str = ""
    problems: dict[str, list[str]] = field(default_factory=dict)
    owners: list[tuple[int, str]] = field(default_factory=list)
    teams: list[tuple[int, str]] = field(default_factory=list)


def _reach(kernel: Accord, actor: Actor) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """The users and teams the reader may filter on: those the narrowest of their
    record rules reaches (so no metric refuses the filter)."""
    scopes = [scope for _, scope in actor.rules] if actor.restricted else []
    scope = min(scopes or ["all"], key=lambda s: _NARROWEST.get(s, 2))
    with kernel.bound():
        users = User.select(User.id, User.name, User.email).order_by(User.name, User.id)
        teams = Team.select(Team.id, Team.name).order_by(Team.name, Team.id)
        if scope == "own":
            users = users.where(User.id == actor.user_id)
        elif scope == "team":
            users = users.where(User.id.in_(sorted(actor.teammate_ids)))
        if scope != "all":
            teams = teams.where(Team.id.in_(sorted(actor.team_ids)))
        return ([(u.id, f"{u.name} ({u.email})") for u in users],
                [(t.id, t.name) for t in teams])


def _chosen(raw: str, known: list[tuple[int, str]], what: str,
            problems: dict[str, list[str]], key: str) -> int | None:
    if not raw:
        return None
    try:
        number = int(raw)
    except ValueError:
        problems[key] = [f"choose a {what} from the list, not {raw[:40]!r}"]
        return None
    if number not in {i for i, _ in known}:
        # The metrics' own words for a filter outside the reader's rule.
        problems[key] = [f"there is no {what} {number} whose records you may read"]
        return None
    return number


def _day(raw: str, key: str, problems: dict[str, list[str]]) -> dt.date | None:
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        problems[key] = [f"give a date as YYYY-MM-DD, not {raw[:40]!r}"]
        return None


def read_filters(kernel: Accord, actor: Actor,
                 today: dt.date) -> tuple[Filters, MetricQuery]:
    """The filters of the query string and the metric query they make; what is wrong
    is in ``problems`` by field (start, end, owner, team) and left at its default."""
    args = request.args
    found = Filters(args.get("start", "").strip(), args.get("end", "").strip(),
                    args.get("owner", "").strip(), args.get("team", "").strip())
    found.owners, found.teams = _reach(kernel, actor)
    problems = found.problems
    start, end = _day(found.start, "start", problems), _day(found.end, "end", problems)
    owner = _chosen(found.owner, found.owners, "user", problems, "owner")
    team = _chosen(found.team, found.teams, "team", problems, "team")
    try:
        query = metric_query(start=start, end=end, by="month", owner_id=owner, team_id=team,
                             today=today)
    except ValidationError as exc:
        for key, messages in exc.flat().items():
            problems.setdefault({"from": "start", "to": "end"}.get(key, "start"),
                                []).extend(messages)
        first, last = default_range(today)
        query = MetricQuery(first, last, by="month", owner_id=owner, team_id=team)
    if not found.start:
        found.start = query.start.isoformat()
    if not found.end:
        found.end = query.end.isoformat()
    reader = actor if actor.restricted else None
    return found, dataclasses.replace(query, reader=reader)


def register(bp: Blueprint, kernel: Accord) -> None:
    @bp.get("/dashboard")
    def dashboard() -> Response:
        today = dt.datetime.now(dt.timezone.utc).date()
        actor = g.actor
        catalog(kernel, actor=actor)  # core.metrics.read, or the 403 page naming it
        filters, query = read_filters(kernel, actor, today)
        # The widgets first: drawn beside the cards' threads, which hold Python's lock
        # much of the time, they took four times as long on a million contacts.
        boxes = plugin_widgets(kernel, actor, query)
        cards = kpis(kernel, actor, query, today, refresh=request.args.get("refresh") == "1")
        filters_args: dict[str, Any] = {k: v for k, v in request.args.items()
                                        if k != "refresh"}
        body = render_template("dashboard.html", filters=filters, query=query, cards=cards,
                               boxes=boxes, base=base_currency(kernel),
                               keep_minutes=round(CARD_KEEP / 60),
                               again=url_for("pages.dashboard", **filters_args, refresh="1"),
                               reload=url_for("pages.dashboard", **filters_args),
                               months=len(months_between(query.start, query.end)))
        return Response(body, status=400 if filters.problems else 200)
