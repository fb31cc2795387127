"""Scale data (``accord demo --scale N``): a large, seeded, believable data set written
through the services' bulk paths, to measure Accord on the volumes of a big customer.

At ``N=1`` the core writes 200,000 organizations and 1,000,000 contacts (with the users,
teams and products they need); each running plugin adds its share through the
``load_scale_data`` hook (``ScaleRun.count`` scales its figures the same way). The same
seed on the same day gives the same data: every choice comes from ``ScaleRun.rng``,
every date is counted back from ``ScaleRun.today``.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import math
import random
import time
import traceback
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Sequence

from . import services
from .errors import Conflict, PluginError, ValidationError
from .plugins.manager import CORE
from .services.actors import Actor

if TYPE_CHECKING:
    from .kernel import Accord

__all__ = ["ScaleRun", "load_scale", "core_scale", "check_scale", "MAX_SCALE", "SEED",
           "CORE_FIGURES", "BATCH"]

logger = logging.getLogger(__name__)

#: The seed of every run (``--seed`` changes it).
SEED = 17
#: The largest scale accepted: 10 is ten million contacts, already hours of writing.
MAX_SCALE = 10.0
#: Rows per bulk call: one multi-row INSERT (and its audit rows) per batch.
BATCH = 1000
#: The core's figures at scale 1; every count is at least 1 (users at least 5).
CORE_FIGURES = {"users": 200, "teams": 20, "products": 500, "organizations": 200_000,
                "contacts": 1_000_000}

#: A progress bar: ``bar(label, total)`` gives an object with ``update(n)`` and
#: ``close()`` (tqdm's, or a silent one in tests).
ProgressFactory = Callable[[str, int], Any]


class _Silent:
    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


def silent(label: str, total: int) -> Any:
    """No progress bar (tests, Python callers)."""
    return _Silent()


@dataclass
class ScaleRun:
    """One run of ``accord demo --scale``: what a plugin's ``load_scale_data`` gets.

    ``count(figure)`` scales a figure given for scale 1; ``rng(part)`` is a random
    generator seeded by the run's seed and the part's name (so a plugin's data does not
    change when another plugin's does); ``write``/``update`` call the services' bulk
    create and update in batches of ``BATCH`` with a progress bar; ``today`` is the day
    every date counts back from; ``counts`` collects what was written, by label."""

    kernel: Accord
    actor: Actor
    scale: float
    seed: int = SEED
    progress: ProgressFactory = silent
    today: dt.date = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc).date())
    counts: dict[str, int] = field(default_factory=dict)
    #: Seconds each labelled step took (its progress bar open to closed).
    seconds: dict[str, float] = field(default_factory=dict)

    def count(self, figure: int, *, least: int = 1) -> int:
        """``figure`` (its value at scale 1) at this run's scale, at least ``least``."""
        return max(least, round(figure * self.scale))

    def rng(self, part: str) -> random.Random:
        return random.Random(f"{self.seed}:{part}")

    @property
    def now(self) -> dt.datetime:
        """The start of ``today`` in UTC: the latest time any generated record names."""
        return dt.datetime.combine(self.today, dt.time(), tzinfo=dt.timezone.utc)

    def day_back(self, rng: random.Random, days: int = 3 * 365) -> dt.date:
        """A day of the last ``days`` (three years), more of them recent: a business grows."""
        return self.today - dt.timedelta(days=int(days * (1 - math.sqrt(rng.random()))))

    def bar(self, label: str, total: int) -> Any:
        """A progress bar for a step (``update(n)``, ``close()``), timed into ``seconds``."""
        return _Timed(self, label, self.progress(label, total))

    def write(self, type_name: str, rows: Iterable[dict[str, Any]], total: int, label: str,
              *, verb: str | None = None) -> list[int]:
        """Create ``total`` rows of ``type_name`` through ``services.bulk_create`` in
        batches; the ids in order."""
        ids: list[int] = []
        bar = self.bar(label, total)
        try:
            for batch in _batches(rows, BATCH):
                ids.extend(services.bulk_create(self.kernel, type_name, batch,
                                                actor=self.actor, verb=verb))
                bar.update(len(batch))
        finally:
            bar.close()
        self.counts[label] = self.counts.get(label, 0) + len(ids)
        return ids

    def update(self, type_name: str, items: Sequence[tuple[int, dict[str, Any]]], label: str,
               *, verb: str | None = None) -> None:
        """Change records through ``services.bulk_update`` (``verb``: the plugin action
        whose fields they are) in batches, with a progress bar."""
        bar = self.bar(label, len(items))
        try:
            for batch in _batches(items, BATCH):
                services.bulk_update(self.kernel, type_name,
                                     [(rid, data, None) for rid, data in batch],
                                     actor=self.actor, verb=verb)
                bar.update(len(batch))
        finally:
            bar.close()


class _Timed:
    def __init__(self, run: ScaleRun, label: str, bar: Any) -> None:
        self.run, self.label, self.bar = run, label, bar
        self.started = time.perf_counter()

    def update(self, n: int = 1) -> None:
        self.bar.update(n)

    def close(self) -> None:
        self.bar.close()
        took = time.perf_counter() - self.started
        self.run.seconds[self.label] = self.run.seconds.get(self.label, 0.0) + took


def _batches(rows: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(rows)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def check_scale(value: float) -> float:
    """The scale asked for, or a ValidationError naming what is wrong with it."""
    if not math.isfinite(value) or value <= 0:
        raise ValidationError({"scale": [f"{value:g} is not a scale; give a number above 0 "
                                         "(0.01 is 10,000 contacts, 1 is a million)"]})
    if value > MAX_SCALE:
        raise ValidationError({"scale": [f"{value:g} is too large; the largest scale is "
                                         f"{MAX_SCALE:g} ({int(MAX_SCALE * 1_000_000):,} "
                                         "contacts)"]})
    return value


def load_scale(kernel: Accord, scale: float, *, seed: int = SEED,
               progress: ProgressFactory = silent, echo: Callable[[str], None] = logger.info,
               today: dt.date | None = None) -> ScaleRun:
    """Fill an empty database with scale data: the core's, then each running plugin's
    ``load_scale_data``; an installed plugin that is not running is skipped with a line
    through ``echo``. Returns the run: ``counts`` written and ``seconds`` taken, by label.

    All of it is one transaction: a failure (a plugin's, named) keeps nothing. A database
    that already holds organizations is refused (scale data is meant for measuring, and
    only an empty database gives the same data for the same seed)."""
    from .models import Organization

    check_scale(scale)
    kernel.sync()
    with kernel.bound():
        if Organization.select().exists():
            raise Conflict("the database already holds records; accord demo --scale fills "
                           "an empty database only (create a new one, or point "
                           "ACCORD_DATABASE_URL at one)")
    run = ScaleRun(kernel, Actor.system("scale"), scale, seed, progress)
    if today is not None:
        run.today = today
    with kernel.transaction():
        for name in kernel.plugins.implementations("load_scale_data"):
            if name in kernel.plugins.active:
                _plugin_scale(kernel, name, run)
        for name in sorted(kernel.plugins.plugins):
            if name != CORE and name not in kernel.plugins.active:
                echo(f"{name}: skipped, the plugin is not enabled")
    started = time.perf_counter()
    with kernel.bound():
        # Statistics for the planner, as after any bulk load: PostgreSQL's autovacuum
        # would get there in its own time, and the first queries would be planned for
        # empty tables (a metric that takes 0.1 s then took seconds).
        kernel.database.execute_sql("ANALYZE")  # type: ignore[union-attr]
    run.seconds["statistics (ANALYZE)"] = time.perf_counter() - started
    return run


def _plugin_scale(kernel: Accord, name: str, run: ScaleRun) -> None:
    try:
        kernel.plugins.call_one(name, "load_scale_data", kernel=kernel, actor=run.actor,
                                run=run)
    except Exception as exc:  # a plugin's code: name it, keep nothing
        logger.debug("scale data of %s failed:\n%s", name, traceback.format_exc().rstrip())
        whose = "the core's scale data" if name == CORE else f"the scale data of {name}"
        reason = ("; ".join(f"{f}: {' '.join(m)}" for f, m in exc.flat().items())
                  if isinstance(exc, ValidationError) else f"{type(exc).__name__}: {exc}")
        raise PluginError(f"{whose} failed ({reason}); nothing was kept", plugin=name,
                          hook="load_scale_data") from None


# The core's part -------------------------------------------------------------------

FIRST = ("Anna", "Ben", "Carla", "David", "Elif", "Farid", "Greta", "Hugo", "Ines", "Jan",
         "Katja", "Luca", "Mira", "Nils", "Olga", "Paul", "Rosa", "Sven", "Tara", "Umar",
         "Vera", "Wim", "Yara", "Zoe")
LAST = ("Schmidt", "Martin", "Rossi", "Garcia", "Jansen", "Novak", "Berg", "Dubois",
        "Keller", "Costa", "Nowak", "Lindqvist", "Fischer", "Moreau", "Bianchi", "Silva",
        "Horvat", "Meyer", "Laurent", "Romano", "Vos", "Kowalski", "Andersen", "Petit")
TITLES = ("CEO", "CFO", "Buyer", "Purchasing lead", "Office manager", "IT lead",
          "Head of operations", "Sales manager", "Assistant", "Engineer", None, None)
INDUSTRIES = ("Wholesale", "Healthcare", "Transport", "Food & beverage", "Retail",
              "Manufacturing", "Software", "Construction", "Education", "Finance")
PLACES = (("Hamburg", "DE"), ("Berlin", "DE"), ("Munich", "DE"), ("Stuttgart", "DE"),
          ("Lyon", "FR"), ("Paris", "FR"), ("Milan", "IT"), ("Rome", "IT"),
          ("Madrid", "ES"), ("Barcelona", "ES"), ("Rotterdam", "NL"), ("Vienna", "AT"),
          ("Bergen", "NO"), ("Warsaw", "PL"), ("Lisbon", "PT"), ("Zurich", "CH"))
#: Relationships and their weights: most organizations are prospects or customers.
RELATIONSHIPS = (("prospect", 50), ("customer", 40), ("partner", 4), ("reseller", 4),
                 ("supplier", 2))
CATEGORIES = (("Licences", "29.00", "4.00"), ("Services", "950.00", "520.00"),
              ("Support", "2400.00", "800.00"), ("Hardware", "349.00", "210.00"))
#: Users by role: their share of the users (at least one each), and whether they own
#: customers (managers and salespeople do; they make up the teams).
ROLES = {"admin": (0.02, False), "manager": (0.08, True), "sales": (0.55, True),
         "service": (0.35, False)}


def core_scale(kernel: Accord, run: ScaleRun) -> None:
    """Users, teams, products, organizations (a few big customers, many small) and their
    contacts (in proportion to the organization's size)."""
    users = _users(run)
    teams = _teams(run, users)
    owners = [uid for role, ids in users.items() if ROLES[role][1] for uid in ids]
    team_of = {uid: teams[i % len(teams)] for i, uid in enumerate(owners)}
    rng = run.rng("core.products")
    total = run.count(CORE_FIGURES["products"], least=20)
    run.write("product", ({
        "sku": f"SKU-{n:06d}", "name": f"{category} item {n}", "category": category,
        "unit_price": {"amount": str(_price(rng, price)), "currency": "EUR"},
        "cost_price": {"amount": str(_price(rng, cost)), "currency": "EUR"}}
        for n in range(1, total + 1)
        for category, price, cost in (CATEGORIES[n % len(CATEGORIES)],)), total, "products")
    sizes = _organizations(run, owners, team_of)
    _contacts(run, sizes, owners)


def _price(rng: random.Random, base: str) -> Decimal:
    return (Decimal(base) * Decimal(rng.randint(60, 160)) / 100).quantize(Decimal("0.01"))


def _users(run: ScaleRun) -> dict[str, list[int]]:
    total = run.count(CORE_FIGURES["users"], least=len(ROLES) + 1)
    rows: list[dict[str, Any]] = []
    for role, (share, _) in ROLES.items():
        for n in range(max(1, round(total * share))):
            rows.append({"email": f"{role}{n + 1}@scale.example", "role": role,
                         "name": f"{FIRST[n % len(FIRST)]} {LAST[(n * 7) % len(LAST)]} "
                                 f"({role} {n + 1})"})
    ids = run.write("user", rows, len(rows), "users")
    found: dict[str, list[int]] = {role: [] for role in ROLES}
    for row, uid in zip(rows, ids):
        found[row["role"]].append(uid)
    return found


def _teams(run: ScaleRun, users: dict[str, list[int]]) -> list[int]:
    managers = users["manager"]
    sales = [uid for role, ids in users.items() if ROLES[role][1] and role != "manager"
             for uid in ids]
    total = min(run.count(CORE_FIGURES["teams"]), len(managers), len(sales))
    rows = [{"name": f"Sales team {n + 1}", "manager_id": managers[n],
             "members": [managers[n], *sales[n::total]]} for n in range(total)]
    return run.write("team", rows, total, "teams")


def _organizations(run: ScaleRun, owners: list[int], team_of: dict[int, int]) -> list[int]:
    """Writes the organizations; their sizes (head count), in id order."""
    rng = run.rng("core.organizations")
    total = run.count(CORE_FIGURES["organizations"])
    # Pareto head counts: a few big customers, many small firms.
    sizes = [min(50_000, int(5 * rng.paretovariate(1.2))) for _ in range(total)]
    kinds = [r for r, _ in RELATIONSHIPS]
    weights = [w for _, w in RELATIONSHIPS]

    def rows() -> Iterator[dict[str, Any]]:
        for n, size in enumerate(sizes):
            city, country = PLACES[rng.randrange(len(PLACES))]
            relationship = rng.choices(kinds, weights)[0]
            owner = owners[rng.randrange(len(owners))]
            word = LAST[n % len(LAST)]
            yield {"name": f"{word} {INDUSTRIES[n % len(INDUSTRIES)]} {n + 1}",
                   "relationship": relationship, "industry": INDUSTRIES[rng.randrange(10)],
                   "size": size, "city": city, "country": country, "owner_id": owner,
                   "team_id": team_of[owner],
                   "website": f"https://www.{word.lower()}{n + 1}.example",
                   "customer_since": (run.day_back(rng).isoformat()
                                      if relationship == "customer" else None)}

    run.write("organization", rows(), total, "organizations")
    return sizes


def _contacts(run: ScaleRun, sizes: list[int], owners: list[int]) -> None:
    """Contacts spread over the organizations by head count (the first organization's
    id is the lowest: organizations are written first into an empty database)."""
    from .models import Organization

    rng = run.rng("core.contacts")
    total = run.count(CORE_FIGURES["contacts"])
    with run.kernel.bound():
        org_ids = [o.id for o in Organization.select(Organization.id).order_by(Organization.id)]
    weights = list(itertools.accumulate(math.sqrt(s) for s in sizes))
    picks = rng.choices(range(len(org_ids)), cum_weights=weights, k=total)

    def rows() -> Iterator[dict[str, Any]]:
        for n, org in enumerate(picks):
            first, last = FIRST[rng.randrange(len(FIRST))], LAST[rng.randrange(len(LAST))]
            city, country = PLACES[rng.randrange(len(PLACES))]
            yield {"first_name": first, "last_name": last,
                   "title": TITLES[rng.randrange(len(TITLES))],
                   "email": f"{first.lower()}.{last.lower()}.{n + 1}@scale.example",
                   "organization_id": org_ids[org], "city": city, "country": country,
                   "owner_id": owners[rng.randrange(len(owners))],
                   "email_opt_out": rng.random() < 0.05}

    run.write("contact", rows(), total, "contacts")
