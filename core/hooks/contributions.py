"""Hooks through which plugins contribute commands, permissions, role grants, metrics, jobs,
timeline items, exchange rates, actions, API routes and customer facts."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from . import hookspec

if TYPE_CHECKING:
    import click

    from accord.jobs import Job
    from accord.facts import CustomerFact
    from accord.kernel import Accord
    from accord.metrics import Metric
    from accord.rates import Rate
    from accord.records import Permission, RecordAction, RoleGrant, TimelineItem
    from accord.routes import ApiRoute
    from accord.scale import ScaleRun
    from accord.services.actors import Actor


@hookspec
def register_commands() -> list[click.Command]:
    """Add commands to the ``accord`` CLI under the plugin's name.

    Called: when ``accord <plugin> …`` is run; only for enabled plugins.
    Returns: a list of click commands (or groups), shown as ``accord <plugin> <command>``.
    Order: every implementation runs; each plugin's commands go under its own name.
    Since: 0.1
    """


@hookspec
def register_permissions() -> list[Permission]:
    """Declare the permissions a plugin's records and actions need.

    Called: when the kernel starts and whenever the enabled plugins change.
    Returns: a list of Permission, named ``<plugin>.<object>.<action>``
        (``acme_dental.appointment.write``); the core declares ``core.…`` and ``admin.…``.
    Order: every implementation runs; for a name declared twice the first declaration
        (in call order) wins and the other is logged as ignored.
    Since: 0.1
    """


@hookspec
def register_role_grants() -> list[RoleGrant]:
    """Give the built-in roles (``manager``, ``sales``…) the plugin's own permissions.

    Called: when the kernel starts and whenever the enabled plugins change; only for
        enabled plugins, so disabling one withdraws exactly its grants.
    Returns: a list of RoleGrant(role, grants, rules): patterns over the plugin's own
        permissions (``acme_dental.*``) and record rules for its own record types
        (``("acme_dental.appointment", "team")``). A grant for a role that is not
        built-in (or for ``admin``, which holds everything), a pattern that matches none
        of the plugin's permissions or also matches another's, and a rule outside its
        record types are logged and ignored.
    Order: every implementation runs; the role holds the union. A grant an admin
        revokes stays revoked, and a rule the role stores for the same pattern wins.
    Since: 0.2
    """


@hookspec
def register_metrics() -> list[Metric]:
    """Declare KPIs: name, description, unit and a set-based query over a date range.

    Called: when ``accord report`` or the metrics API (``GET /api/v1/metrics``) lists
        or computes metrics; only for enabled plugins.
    Returns: a list of Metric, named ``<plugin>.<metric>`` (``core.new_customers``).
    Order: every implementation runs; for a name declared twice the first declaration
        (in call order) wins and the other is logged as ignored.
    Since: 0.1
    """


@hookspec
def register_customer_facts() -> list[CustomerFact]:
    """Declare facts about customers that other plugins may filter and rank by.

    Called: when a plugin asks for the facts about organizations or contacts
        (``accord.facts.customer_facts``: a segment's rules, value tiers); only for
        enabled plugins.
    Returns: a list of ``accord.facts.CustomerFact``, named ``<plugin>.<fact>``, each
        with a ``query(kernel, since)`` selecting ``customer`` and ``value`` (``since``:
        a date the fact's events count from, or None for all time; see accord.facts).
        The query reads the declaring plugin's own tables: that is how another plugin
        uses them without reading them.
    Order: every implementation runs; for a name declared twice the first declaration
        (in call order) wins.
    Since: 0.3
    """


@hookspec
def provide_exchange_rates(kernel: Accord, base: str, currencies: list[str],
                           day: dt.date) -> list[Rate]:
    """Give exchange rates, so money metrics can convert amounts into the base currency.

    Called: when ``accord rates fetch`` or ``POST /api/v1/rates/fetch`` runs (or a job
        of the plugin's own calls ``accord.services.rates.fetch_rates``); only for
        enabled plugins; outside any transaction, so a provider (a central bank's feed,
        a treasury system) may take its time; never while a metric is computed.
    Args: base: the base currency (the ``base_currency`` setting), such as ``EUR``.
        currencies: the ISO 4217 codes to give rates for, never the base currency.
        day: the day the rates are asked for.
    Returns: a list of ``accord.rates.Rate(currency, quote, rate, day)``, usually one per
        currency asked: ``Rate("USD", "EUR", Decimal("0.92"), day)`` says 1 USD is worth
        0.92 EUR from that day on (a rate the other way round, ``EUR USD 1.08``, serves
        too). The core stores them, replacing a stored rate of the same pair and day,
        with the plugin's name as their source; an empty list for none.
    Order: every implementation runs; for the same pair and day the first (in call
        order) wins. A provider that raises, or returns anything but valid Rates (ISO
        4217 codes, a positive rate, a date in the calendar), fails the whole fetch with
        an error naming it, and nothing is stored.
    Since: 0.2
    """


@hookspec
def register_jobs() -> list[Job]:
    """Declare periodic jobs: a name, a cron schedule and an idempotent day's work.

    Called: when ``accord worker`` starts (for every installed plugin; at each firing
        the worker skips the jobs of plugins that are not running), and when
        ``accord jobs`` lists or runs jobs (only for enabled plugins).
    Returns: a list of Job, named ``<plugin>.<job>`` (``acme_dental.reminders``), with
        a five-field cron ``schedule`` and a ``run(kernel, today)`` that returns a
        one-line summary and may run twice for one day without harm.
    Order: every implementation runs; for a name declared twice the first declaration
        (in call order) wins and the other is logged as ignored.
    Since: 0.1
    """


@hookspec
def timeline_items(kernel: Accord, record_type: str, record_ids: list[int]) -> list[TimelineItem]:
    """Contribute entries to the timeline of records (an organization, a contact).

    Called: when a timeline is read (``accord.services.timeline(...)``); once per request for
        all the ids asked, never once per record; outside any transaction.
    Returns: a list of TimelineItem for those records; None or [] for none.
    Order: every implementation runs; the kernel merges them newest first.
    Since: 0.1
    """


@hookspec
def load_demo_data(kernel: Accord, actor: Actor) -> None:
    """Add believable demo records to a new database (``accord init --demo``, ``make run``).

    Called: once, when a new database is created with demo data; inside one
        transaction with every other plugin's demo data; write through
        ``accord.services`` like any other change. An exception names the plugin
        (``PluginError``) and rolls back every plugin's demo data.
    Returns: None.
    Order: every implementation runs; the core's runs first (tryfirst), so plugins
        can build on its organizations, contacts, users and products.
    Since: 0.1
    Changed: 0.2: one transaction for all plugins; a failure keeps no demo data.
    """


@hookspec
def load_scale_data(kernel: Accord, actor: Actor, run: ScaleRun) -> None:
    """Add a plugin's share of the scale data set (``accord demo --scale N``).

    Called: once, on an empty database, after the core's part (users, teams, products,
        organizations, contacts); inside one transaction with every other plugin's
        part; only for enabled plugins (the others are skipped with a line saying so).
    Args: run: an ``accord.scale.ScaleRun``: ``run.count(figure)`` scales a figure
        given for scale 1, ``run.rng(part)`` is a seeded random generator (same seed,
        same day: same data), ``run.write(type, rows, total, label)`` creates through
        ``services.bulk_create`` in batches with a progress bar, ``run.update`` updates
        through ``services.bulk_update`` with a verb, ``run.today`` is the day every
        date counts back from.
    Returns: None. An exception names the plugin (``PluginError``) and keeps nothing.
    Order: every implementation runs; the core's runs first (tryfirst), so plugins
        build on its users, organizations, contacts and products.
    Since: 0.2
    """


@hookspec
def register_actions() -> list[RecordAction]:
    """Declare verbs on records beyond create, update and delete (convert a lead).

    Called: when the API resolves ``POST /api/v1/<resource>/<id>/<action>`` and when
        the OpenAPI document is built; only for enabled plugins.
    Returns: a list of RecordAction (record type, name, permission, handler, schema).
    Order: every implementation runs; for the same record type and name the first
        declaration (in call order) wins.
    Since: 0.1
    """


@hookspec
def register_api_routes() -> list[ApiRoute]:
    """Add API endpoints besides the record routes, for reports and read models.

    Called: once, when the app is built, for every plugin that loaded (enabled or not),
        so enabling a plugin later serves its routes without a restart; and when the
        OpenAPI document is built, for the running plugins. A route of a plugin that is
        not running answers 404 naming the plugin and what would make it run. When a
        plugin loads, each route is checked (an ``accord.routes.ApiRoute``, its path
        under ``/<plugin>/``, its permission declared by the plugin, the core or a
        plugin it requires), or the plugin fails to load with the reason.
    Returns: a list of ``accord.routes.ApiRoute(path, handler, permission, summary,
        method, args, response)``: a forecast or a stage history, what the plugin's
        pages and other clients need and the record routes do not give. The core authenticates, checks ``permission``, loads
        the query string (GET) or JSON body with ``args`` (an unknown or bad parameter
        is a 400 naming it), calls ``handler(kernel, **path_args, actor=actor,
        **args)``, and dumps the result with ``response``. The handler applies the
        actor's record rules to what it reads; an ``AccordError`` it raises is the
        problem document of its status.
    Order: every implementation runs; a route whose method and path another route
        already has is logged and left out (the first wins). A route's static path
        wins over the generic record routes (``/acme_dental/week`` over
        ``/<plugin>/<resource>``).
    Since: 0.3
    """
