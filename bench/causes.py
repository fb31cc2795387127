"""What bench/RESULTS.md says beside the figures: how to read them, and the known cause
of each gap (found by profiling: ``python -m bench --profile``, cProfile, statement
counts). Keyed ``"<benchmark>/<engine>"`` or ``"<benchmark>"``; a gap without an entry
reads "Cause not profiled yet."
"""

from __future__ import annotations

__all__ = ["CAUSES", "READINGS"]

READINGS = [
    "Ratios: `accord/raw speed` is Accord's throughput over the raw baseline's (raw "
    "time / Accord time; 1.0 = no overhead, higher is better). `accord/raw time` and "
    "`deep/first time` are time over time (lower is better). `dispatch/create %` is "
    "pluggy's dispatch as a share of one create. Targets name the issue that set them.",
    "Cold start: the issue asks `accord --help` against `python -c \"import flask, peewee, "
    "marshmallow, pluggy, click\"` with a target of ≤ 0.5×. Read literally, and as issues "
    "3 and 4 state it (\"`accord --help` imports nothing heavy\"), the ratio is accord's "
    "wall time over the bare imports' wall time, and it must be at most 0.5: the command "
    "line's help starts in at most half the time the stack's imports alone take, because "
    "it imports none of them. (The other reading, \"at most 2× the bare imports\", would "
    "allow accord --help to import the whole stack and more; it is met a fortiori.) Both "
    "figures include the interpreter's own start, printed in the detail.",
    "Hook dispatch: the targeted figure is pluggy's dispatch alone (hook caller against a "
    "plain loop over the same implementations), per create, over the time of one create. "
    "The hooks' whole cost (callers replaced by no-ops, the core's own defaults, "
    "validation and outbox implementations taken out too) is printed in the detail; it is "
    "a difference of two timings and within the noise of a shared machine. None of the "
    "four shipped plugins implements a global write hook (record types carry their own "
    "rules), so a create calls four hooks, each answered by the core alone.",
    "Peak RSS: no target (report only); the raw column is the bare Flask + peewee app "
    "serving the same contact list, the detail adds an interpreter importing flask and "
    "peewee only. Measured with the Flask test client in a new interpreter, not gunicorn.",
    "The machine is shared: other sessions ran tests and builds during the run (see the "
    "load average above), so absolute figures are low and noisy; the ratios compare two "
    "sides measured alternately in the same run and are the figures to read. A --quick "
    "run uses a tenth of the data volumes; a full run (`make bench`) takes much longer.",
    "Issue 10 recorded \"no worse than today's\" figures of its time (bulk create ≥ 0.5×, "
    "sales reports ≥ 0.9×); the table keeps the targets of the issues that set them "
    "(bulk: issue 3, sales: issue 5).",
]

CAUSES: dict[str, str] = {
    "scale": (
        "On the scale data (`accord demo --scale`, 0.01 with --quick, 0.1 in full; see "
        "docs/scale.md). A metric's budget is 5× its raw query or the raw query + 5 ms, "
        "whichever is larger; the table can show only the ratio, so at --quick sizes, where "
        "a raw query takes well under a millisecond, the fixed cost of a metric call "
        "(permission and record-rule check, building the query, about 1 ms) puts small "
        "totals over 5× while inside the 5 ms floor. At 0.1 every figure met its budget on "
        "both engines on 2026-12-07 (the dashboard page with every card computed 2.8 s on "
        "SQLite, 1.2 s on PostgreSQL). At N=1 on PostgreSQL (1,000,000 contacts, 2026-12-07) "
        "every metric met its budget: the fifteen with a raw query within 0.86× to 3.0× of "
        "it (the lifecycle distribution, the top 20%'s profit share, the retention and "
        "churn rates and the return rate by product now have one), the 36 others under "
        "their 1 s; the dashboard's first visit 2.3 s, a later one 2.1 s (docs/scale.md)."),
    "create_one/postgres": (
        "Met: 0.67 and 0.68 in two full runs of 2026-12-07 (10,000 creates, machine "
        "quiet), from 0.42–0.45 the same morning. A create inside a caller's transaction "
        "is one round trip where raw `Contact.create` is one too: the INSERT (RETURNING "
        "every column, so no read-back; a taken email refused inside it by ON CONFLICT DO "
        "NOTHING) carries its audit row in the same statement (a data-modifying WITH), "
        "and its SAVEPOINT and the previous create's RELEASE go in the same message "
        "(accord.database queues them for the next statement). Before, it was four: "
        "SAVEPOINT, INSERT, audit INSERT, RELEASE, about 0.6 ms of a 1.0 ms create in "
        "round trips. What is left is Python: validation (marshmallow), the hooks, "
        "building the statement and the audit changes."),
    "create_one/sqlite": (
        "Met: 0.60–0.62 in full runs of 2026-12-07 (10,000 creates, machine quiet). A "
        "create makes 4 calls into SQLite (SAVEPOINT, INSERT, audit INSERT, RELEASE), 6 "
        "before the record came back from its INSERT and the email probe moved into it; "
        "SQLite has no data-modifying WITH and a call costs no round trip, so the "
        "PostgreSQL merging does not apply. The Python around them weighs: marshmallow's "
        "load (validation) about a quarter of a create, the two INSERTs built by "
        "`bulk_sql.insert_rows` (JSON of the custom values and the audit changes "
        "included) about a third, the savepoint pair about a tenth, the four hooks about "
        "5 %."),
    "api/postgres": (
        "Met on a quiet machine: 0.77 in a full run (100,000 contacts) and 0.80 and 0.72 in "
        "two quick runs of 2026-12-07 (0.64 to 0.76 the day before, 0.41–0.45 before a "
        "page's products of interest were read with a statement rendered once per page "
        "size). A request now runs 3 statements where raw runs 2: one before the page "
        "(the token's user, the role's grants and record rules, the user's teams and the "
        "counters the kernel syncs from, one `WITH … UNION ALL` query, where three ran "
        "before), then the page and its products of interest, as raw; each is a loopback "
        "round trip on PostgreSQL (on SQLite they are in-process, and the target is met "
        "there by far). The page's columns are rendered as one text per alias, and values "
        "its field keeps as they are skip peewee's conversion. Of the rest: marshmallow's "
        "dump about a third of the request's Python, building the page's query (filters, "
        "record rule, keyset) a tenth. Raw writes the same SQL once per process and dumps "
        "tuples. Both sides pay the pool's check-out ping (`SELECT 1`)."),
    "sales": (
        "Around the line, and it moves between runs: `sales.pipeline_value` measured 0.32 "
        "to 0.68 on PostgreSQL and 0.51 to 0.62 on SQLite in four runs of 2026-12-07, the "
        "forecast 0.51 to 0.74. `sales.pipeline_value` converts "
        "every currency at the rate of each opportunity's expected close date, so it "
        "groups by month, pipeline, stage, currency AND day and sums the converted "
        "amounts in Python (`MoneySum`), where the raw query sums one currency per month; "
        "the forecast likewise converts per day."),
    "service": (
        "Borderline and noisy: in the quick runs of 2026-12-07 different metrics missed "
        "in each run (resolution_median, complaint_rate, backlog_by_age on SQLite; "
        "first_response_median, sla_attainment, complaint_rate, backlog_by_age on "
        "PostgreSQL), each met in another run; one run met all 18. Profiled on PostgreSQL (20,000 tickets, "
        "cProfile): for `service.backlog_by_age` 96 % of `compute` is the database "
        "executing the query, the Python around it (peewee building the SQL, "
        "`list_metrics`) about 1.5 ms; Accord's own SQL run through the raw cursor times "
        "the same as the hand-written query for `sla_attainment` and `backlog_by_age`. "
        "`service.complaint_rate` runs two queries (the complaints, then the metric "
        "`core.active_customers`) where the baseline joins them in one: about 15 % more."),
    "tiers": (
        "Borderline and noisy: on PostgreSQL 0.65, 0.74, 0.88 and 1.28 in four quick runs "
        "of 2026-12-07 (SQLite 0.83 to 1.53), on a machine shared with other work. "
        "`compute_tiers` also writes the counts per tier and the run's row, which the "
        "baseline does not, and reads the orders through the sales plugin's customer "
        "facts (one merged subquery when the facts allow it, else one subquery per "
        "fact) where the baseline groups the orders once."),
    "import": (
        "Borderline: 0.28 on SQLite in one quick run of 2026-12-07 and 0.45 in the next; "
        "the raw baseline's own rate moved by 3× between those runs (the machine was "
        "shared). The import validates and converts every row with the schema and writes "
        "an audit entry per record, on top of the baseline's insert."),
}
