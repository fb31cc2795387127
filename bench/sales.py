"""The sales plugin's read side on many opportunities, against the same reports written
as one raw SQL query each, run with the DB-API cursor in the same run.

The opportunities (200,000; 20,000 with ``--quick``) are inserted raw, spread over the
two default pipelines and their stages, 40 owners in 8 teams, four channels, three
currencies, two years of creation dates, expected close dates from six months back to a
year ahead and probabilities around their stages'. Then, each timed as the median of a
few runs, the calls taking turns with their baselines:

- ``pipeline_totals(kernel)`` (``accord sales pipeline``): count and exact sum per
  pipeline, stage and currency;
- ``forecast(kernel, months=6, products=False)``: the months of the forecast without
  the product demand (which reads quotes and orders, not opportunities); the baseline
  is one ``UNION ALL`` query giving the open and won figures per month and currency;
- ``sales.pipeline_value`` and ``sales.win_rate`` through ``accord.metrics.compute``,
  by month over two years.

Each baseline's result is checked against Accord's before timing. The ratio printed is
raw time / Accord time (1.0: no overhead). SQLite uses a new file; PostgreSQL the
database ``accord_bench`` (or ACCORD_BENCH_DATABASE_URL), reset first, as bench/api.py.
"""

from __future__ import annotations

import datetime as dt
import gc
import random
import statistics
import time
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Callable

from .api import Engine, engines

__all__ = ["Measurement", "run", "engines", "OPPORTUNITIES", "QUICK_OPPORTUNITIES"]

OPPORTUNITIES = 200_000
QUICK_OPPORTUNITIES = 20_000
OWNERS = 40
TEAMS = 8
RAW_CHUNK = 500
#: Stages and how often they occur, per pipeline (the default settings').
SPREAD = {
    "new_business": (("Prospecting", 18), ("Qualification", 14), ("Proposal", 11),
                     ("Negotiation", 7), ("Won", 27), ("Lost", 23)),
    "renewals": (("Upcoming", 20), ("Negotiation", 12), ("Renewed", 52), ("Churned", 16)),
}
CLOSED = {"new_business": ("Won", "Lost"), "renewals": ("Renewed", "Churned")}
WON = {"new_business": "Won", "renewals": "Renewed"}


@dataclass
class Measurement:
    engine: str
    report: str
    raw_ms: float
    accord_ms: float

    @property
    def ratio(self) -> float:
        return self.raw_ms / self.accord_ms


# Data ---------------------------------------------------------------------------

def _kernel(url: str) -> Any:
    import accord_sales.hooks
    from accord.config import Config
    from accord.kernel import Accord
    from accord.services import Actor
    from accord.services.plugins import enable

    kernel = Accord(Config(database_url=url, discover_plugins=False),
                    plugins=[accord_sales.hooks]).start(upgrade=True)
    enable(kernel, "sales", actor=Actor.system("bench"))
    return kernel


def opportunity_rows(count: int, owners: list[tuple[int, int]], today: dt.date,
                     seed: int = 7) -> list[tuple[Any, ...]]:
    """``count`` opportunities as value tuples in the order of ``_COLUMNS``."""
    from accord_sales.settings import DEFAULT_PIPELINES

    rng = random.Random(seed)
    probability = {(p, s["name"]): s["probability"] for p, stages in DEFAULT_PIPELINES.items()
                   for s in stages}
    now = dt.datetime.combine(today, dt.time(12), tzinfo=dt.timezone.utc)
    channels = ("telesales", "field", "e-commerce", "partner", None)
    rows = []
    for i in range(count):
        pipeline = "new_business" if rng.random() < 0.8 else "renewals"
        names, weights = zip(*SPREAD[pipeline])
        stage = rng.choices(names, weights)[0]
        chance = probability[(pipeline, stage)]
        closed = stage in CLOSED[pipeline]
        if not closed and rng.random() < 0.3:  # overridden by the salesperson
            chance = rng.randrange(5, 100, 5)
        created = now - dt.timedelta(days=rng.uniform(0, 730), seconds=rng.randrange(86_400))
        closed_at = None
        if closed:
            closed_at = min(now, created + dt.timedelta(days=rng.uniform(3, 200)))
            expected = (closed_at + dt.timedelta(days=rng.randint(-20, 20))).date()
        elif rng.random() < 0.04:
            expected = None
        else:
            expected = today + dt.timedelta(days=rng.randint(-180, 365))
        owner, team = owners[i % len(owners)] if rng.random() > 0.03 else (None, None)
        currency = rng.choices(("EUR", "USD", "GBP"), (92, 6, 2))[0]
        amount = Decimal(min(2_000_000, round(rng.lognormvariate(8.5, 1.1), 2))).quantize(
            Decimal("0.01"))
        rows.append((f"Deal {i}", amount, currency, expected, pipeline, stage, chance,
                     rng.choice(channels), created, created, owner, team, closed_at,
                     rng.choice((25, 50, 75)) if closed else None))
    return rows


_COLUMNS = ("name", "amount", "amount_currency", "expected_close_date", "pipeline", "stage",
            "probability", "channel", "created_at", "updated_at", "owner", "team",
            "closed_at", "close_probability")


def populate(kernel: Any, count: int, today: dt.date) -> None:
    """Teams and users through the services, opportunities by raw insert_many."""
    from accord import services
    from accord.services import Actor
    from accord_sales.models import Opportunity

    actor = Actor.system("bench")
    teams = [services.create(kernel, "team", {"name": f"Team {t}"}, actor=actor).id
             for t in range(TEAMS)]
    owners = [(services.create(kernel, "user", {"email": f"seller{u}@example.com",
                                                "name": f"Seller {u}", "role": "sales"},
                               actor=actor).id, teams[u % TEAMS]) for u in range(OWNERS)]
    rows = opportunity_rows(count, owners, today)
    fields = [Opportunity._meta.combined[c] for c in _COLUMNS]
    with kernel.bound(), kernel.database.atomic():
        for at in range(0, len(rows), RAW_CHUNK):
            Opportunity.insert_many(rows[at:at + RAW_CHUNK], fields=fields).execute()
    with kernel.bound():
        kernel.database.execute_sql("ANALYZE")


# Raw baselines ---------------------------------------------------------------------

def _sql(kernel: Any) -> dict[str, str]:
    """The four reports as one SQL query each, for the kernel's engine."""
    from accord.database import is_postgres

    pg = is_postgres(kernel.database)
    money = "amount" if pg else "CAST(ROUND(amount * 10000) AS INTEGER)"

    def month(column: str) -> str:
        return f"to_char({column}, 'YYYY-MM')" if pg else f"strftime('%Y-%m', {column})"

    def stages(table: dict[str, Any]) -> str:
        return " OR ".join(
            f"(pipeline = '{p}' AND stage IN ({', '.join(repr(s) for s in names)}))"
            for p, names in ((p, v if isinstance(v, tuple) else (v,)) for p, v in table.items()))

    closed, won = stages(CLOSED), stages(WON)
    mark = "%s" if pg else "?"
    return {
        "pipeline": f"SELECT pipeline, stage, amount_currency, COUNT(id), SUM({money}) "
                    "FROM sales_opportunity GROUP BY pipeline, stage, amount_currency",
        "forecast": (
            f"SELECT bucket, currency, SUM(n), SUM(w), SUM(c), SUM(b), SUM(won) FROM ("
            f" SELECT CASE WHEN expected_close_date IS NULL THEN 'undated'"
            f" WHEN expected_close_date < {mark} THEN {mark}"
            f" ELSE {month('expected_close_date')} END AS bucket, amount_currency AS currency,"
            f" 1 AS n, {money} * probability AS w,"
            f" CASE WHEN probability >= {mark} THEN {money} ELSE 0 END AS c, {money} AS b,"
            f" 0 AS won FROM sales_opportunity WHERE NOT ({closed})"
            f" AND (expected_close_date IS NULL OR expected_close_date < {mark})"
            f" UNION ALL SELECT {month('closed_at')}, amount_currency, 0, 0, 0, 0, {money}"
            f" FROM sales_opportunity WHERE ({won}) AND closed_at >= {mark}"
            f" AND closed_at < {mark}) AS t GROUP BY bucket, currency"),
        "pipeline_value": (
            f"SELECT {month('expected_close_date')}, pipeline, stage, SUM({money})"
            f" FROM sales_opportunity WHERE NOT ({closed}) AND amount_currency = {mark}"
            f" AND expected_close_date >= {mark} AND expected_close_date <= {mark}"
            f" GROUP BY 1, 2, 3"),
        "win_rate": (
            f"SELECT {month('closed_at')}, SUM(CASE WHEN {won} THEN 1 ELSE 0 END), COUNT(id)"
            f" FROM sales_opportunity WHERE ({closed}) AND closed_at >= {mark}"
            f" AND closed_at < {mark} GROUP BY 1"),
    }


def _raw(kernel: Any, sql: str, params: tuple[Any, ...]) -> Callable[[], list[Any]]:
    def call() -> list[Any]:
        with kernel.bound():
            cursor = kernel.database.connection().cursor()
            try:
                cursor.execute(sql, params)
                return list(cursor.fetchall())
            finally:
                cursor.close()
    return call


def _at(kernel: Any, moment: dt.datetime) -> Any:
    """A datetime as the engine's driver takes it for the stored (naive UTC) column."""
    from accord.database import is_postgres

    naive = moment.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return naive if is_postgres(kernel.database) else naive.isoformat(" ")


def _median_ms(accord: Callable[[], Any], raw: Callable[[], Any],
               repeats: int) -> tuple[float, float]:
    """Median milliseconds of each, after a warm-up call, the two taking turns."""
    accord()
    raw()
    spent: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeats):
        for call, times in ((raw, spent[0]), (accord, spent[1])):
            gc.collect()
            start = time.perf_counter()
            call()
            times.append(time.perf_counter() - start)
    return statistics.median(spent[0]) * 1000, statistics.median(spent[1]) * 1000


# Checks: each baseline computes what Accord does --------------------------------------

def _money(kernel: Any, value: Any) -> Decimal:
    from accord.database import is_postgres

    return Decimal(value or 0) if is_postgres(kernel.database) else Decimal(value or 0) / 10_000


def _check(name: str, accord: Any, raw: Any) -> None:
    if accord != raw:
        raise RuntimeError(f"{name}: the raw baseline and Accord disagree:\n{accord}\n{raw}")


def _check_pipeline(kernel: Any, totals: list[Any], rows: list[Any]) -> None:
    counts: dict[tuple[str, str], int] = {}
    amounts: dict[tuple[str, str, str], Decimal] = {}
    for pipeline, stage, currency, count, amount in rows:
        counts[(pipeline, stage)] = counts.get((pipeline, stage), 0) + count
        amounts[(pipeline, stage, currency)] = _money(kernel, amount)
    _check("pipeline", ({(t.name, s.name): s.count for t in totals for s in t.stages
                         if s.count},
                        {(t.name, s.name, c): a for t in totals for s in t.stages
                         for c, a in s.amounts.items()}), (counts, amounts))


def _check_forecast(kernel: Any, result: Any, rows: list[Any]) -> None:
    from accord.money import round_amount

    raw: dict[tuple[str, str], tuple[Decimal, Decimal]] = {}
    for bucket, currency, _, _, _, best, won in rows:
        if bucket in result.months or bucket == "undated":
            raw[(bucket, currency)] = (round_amount(_money(kernel, best), currency),
                                       round_amount(_money(kernel, won), currency))
    mine = {(r.month, c): (r.best_case.get(c, Decimal(0)), r.won.get(c, Decimal(0)))
            for r in [*result.rows, *result.undated] for c in {*r.best_case, *r.won}}
    _check("forecast", mine, raw)


# Runs ----------------------------------------------------------------------------------

def measure(engine: Engine, count: int, repeats: int,
            report: Callable[[Measurement], None]) -> list[Measurement]:
    from accord.metrics import MetricQuery, compute
    from accord_sales.forecast import forecast
    from accord_sales.reports import pipeline_totals

    today = dt.datetime.now(dt.timezone.utc).date()
    first = today.replace(day=1)
    index = first.year * 12 + first.month - 1 + 6
    end = dt.date(index // 12, index % 12 + 1, 1)
    gen = engine.fresh()
    url = next(gen)
    out = []
    try:
        kernel = _kernel(url)
        try:
            populate(kernel, count, today)
            sql = _sql(kernel)
            span = MetricQuery(dt.date(today.year - 1, today.month, 1),
                               dt.date(today.year + 1, today.month, 1) - dt.timedelta(days=1))
            start_at = dt.datetime(first.year, first.month, 1, tzinfo=dt.timezone.utc)
            end_at = dt.datetime(end.year, end.month, 1, tzinfo=dt.timezone.utc)
            cases: list[tuple[str, Callable[[], Any], Callable[[], list[Any]]]] = [
                ("pipeline report", lambda: pipeline_totals(kernel),
                 _raw(kernel, sql["pipeline"], ())),
                ("forecast, 6 months", lambda: forecast(kernel, months=6, products=False),
                 _raw(kernel, sql["forecast"], (first, f"{first:%Y-%m}", 75, end,
                                                _at(kernel, start_at), _at(kernel, end_at)))),
                ("sales.pipeline_value", lambda: compute(kernel, "sales.pipeline_value", span),
                 _raw(kernel, sql["pipeline_value"], ("EUR", span.start, span.end))),
                ("sales.win_rate", lambda: compute(kernel, "sales.win_rate", span),
                 _raw(kernel, sql["win_rate"], (_at(kernel, span.start_at),
                                                _at(kernel, span.end_exclusive)))),
            ]
            _check_pipeline(kernel, cases[0][1](), cases[0][2]())
            _check_forecast(kernel, cases[1][1](), cases[1][2]())
            _check_metrics(kernel, cases[2][1](), cases[2][2](), cases[3][1](), cases[3][2]())
            for name, accord, raw in cases:
                raw_ms, accord_ms = _median_ms(accord, raw, repeats)
                m = Measurement(engine.name, name, raw_ms, accord_ms)
                report(m)
                out.append(m)
        finally:
            kernel.close()
    finally:
        gen.close()
    return out


def _check_metrics(kernel: Any, value_points: list[Any], value_rows: list[Any],
                   rate_points: list[Any], rate_rows: list[Any]) -> None:
    from accord.money import round_amount

    mine = {(p.group, p.period): p.value for p in value_points if p.value}
    raw = {(f"{pipeline}/{stage}", period): round_amount(_money(kernel, amount), "EUR")
           for period, pipeline, stage, amount in value_rows}
    _check("sales.pipeline_value", mine, {k: v for k, v in raw.items() if v})
    rates = {p.period: p.value for p in rate_points if p.value}
    counted = {period: (Decimal(won) * 100 / count).quantize(Decimal("0.01"), ROUND_HALF_UP)
               for period, won, count in rate_rows if won}
    _check("sales.win_rate", rates, counted)


def run(engine_list: list[Engine], count: int, repeats: int,
        report: Callable[[Measurement], None]) -> list[Measurement]:
    out = []
    for engine in engine_list:
        out.extend(measure(engine, count, repeats, report))
    return out
