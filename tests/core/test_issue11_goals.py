"""Issue 11, item 31: measurable goals. A goal (a metric of any running plugin, a period,
a user, a team or the firm, a target) is set through the API and ``accord goals``; the
metrics API and ``accord report`` show its attainment and pace; a core job announces a
goal falling behind, once per fall. Refusals name the field and leave the data as it was."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import jsonschema
import peewee
import pytest

from accord import services, signals
from accord.hooks import hookimpl
from accord.jobs import run_job
from accord.metrics import Metric, MetricPoint, month_of, scoped
from accord.models import AuditEntry, Contact, Goal, GoalAlert
from accord.plugins import PluginManifest
from accord.services.goals import progress
from accord.services.plugins import disable
from accord.services.roles import add_role, grant
from accord.services.teams import add_member
from accord_sdk.pytest_plugin import CliRunner

SYSTEM = services.Actor.system("test")
CORE_METRICS = "core.active_customers, core.completeness, core.contact_frequency, core.new_customers, core.stale_records"


# A plugin that declares metrics and nothing about goals --------------------------------

def _contacts_by_city(kernel, mq):
    period = month_of(kernel, Contact.created_at, mq)
    query = (Contact.select(period.alias("period"), Contact.city, peewee.fn.COUNT(Contact.id))
             .where(Contact.created_at >= mq.start_at, Contact.created_at < mq.end_exclusive)
             .group_by(period, Contact.city))
    return [MetricPoint(p, Decimal(n), city or "-")
            for p, city, n in scoped(query, Contact, mq).tuples()]


def _share(kernel, mq):
    return [MetricPoint("total" if mq.by == "total" else mq.start.strftime("%Y-%m"),
                        Decimal("30.00"))]


def _average(kernel, mq):
    return [MetricPoint("total" if mq.by == "total" else mq.start.strftime("%Y-%m"),
                        Decimal("800.00"))]


class AcmeKpis:
    MANIFEST = PluginManifest(name="acme_kpis", version="1.0.0")

    @hookimpl
    def register_metrics(self):
        return [Metric("acme_kpis.contacts_by_city", "Contacts created, per city", "count",
                       _contacts_by_city, group_by="city"),
                Metric("acme_kpis.share", "A share that stays at 30 %", "percent", _share),
                Metric("acme_kpis.average_order", "An average amount", "currency", _average,
                       adds_up=False)]


# Helpers ---------------------------------------------------------------------------

def customer(kernel, name, since, owner=None, team=None):
    return services.create(kernel, "organization", {
        "name": name, "relationship": "customer", "customer_since": since,
        "owner_id": owner, "team_id": team}, actor=SYSTEM)


def user(kernel, email, role="sales"):
    return services.create(kernel, "user", {"email": email, "name": email.split("@")[0],
                                            "role": role}, actor=SYSTEM)


def goal(kernel, **data):
    return services.create(kernel, "goal", {"metric": "core.new_customers",
                                            "period": "2026-Q1", "target": 10, **data},
                           actor=SYSTEM)


def stored(kernel):
    """Every goal as stored, and how many audit entries there are."""
    with kernel.bound():
        goals = [(g.id, g.metric, g.period, g.scope, g.owner_id, g.team_id,
                  Decimal(g.target).normalize(), g.direction, g.version)
                 for g in Goal.select().order_by(Goal.id)]
        return goals, AuditEntry.select().count()


def ids(response):
    assert response.status_code == 200, response.get_json()
    return sorted(item["id"] if "id" in item else item["goal"]["id"]
                  for item in response.get_json()["items"])


@pytest.fixture
def maria(kernel):
    return user(kernel, "maria@example.com")


@pytest.fixture
def q1(kernel, maria):
    """Four customers of Maria's in 2026's first quarter (one in April), one of someone
    else's, and Maria's goal of ten new customers that quarter."""
    for name, day in (("A", "2026-01-10"), ("B", "2026-01-20"), ("C", "2026-02-05"),
                      ("D", "2026-02-10"), ("E", "2026-04-02")):
        customer(kernel, name, day, owner=maria.id)
    customer(kernel, "Other", "2026-03-01")
    return goal(kernel, scope="user", owner_id=maria.id)


# The API ---------------------------------------------------------------------------

def test_item_31_a_goal_is_set_read_changed_and_deleted_through_the_api(kernel, api_client,
                                                                         actor):
    north = services.create(kernel, "team", {"name": "North"}, actor=actor)
    rep = user(kernel, "rep@example.com")
    add_member(kernel, north.id, rep.id, actor=actor)
    created = api_client.post("/api/v1/goals", json={
        "metric": "core.new_customers", "period": "2026-q2", "scope": "user",
        "owner_id": rep.id, "target": 12})
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert created.headers["Location"] == f"/api/v1/goals/{body['id']}"
    assert {k: v for k, v in body.items() if k not in ("created_at", "updated_at")} == {
        "id": body["id"], "version": 1, "metric": "core.new_customers", "group_value": None,
        "period": "2026-Q2", "period_start": "2026-04-01", "period_end": "2026-06-30",
        "scope": "user", "owner_id": rep.id, "team_id": None, "target": "12",
        "direction": "at_least"}
    # The owner's only team is not given to a user goal: its scope is the user alone.
    assert stored(kernel)[0] == [(body["id"], "core.new_customers", "2026-Q2", "user", rep.id,
                                  None, Decimal(12), "at_least", 1)]
    assert api_client.get("/api/v1/goals?scope=user").get_json()["items"] == [body]

    changed = api_client.patch(f"/api/v1/goals/{body['id']}", headers={"If-Match": '"1"'},
                               json={"target": "15.5", "period": "2026-04-01/2026-05-15"})
    assert changed.status_code == 422
    assert changed.get_json()["errors"] == {
        "target": ["core.new_customers counts: give a whole number, not 15.5"]}
    changed = api_client.patch(f"/api/v1/goals/{body['id']}", headers={"If-Match": '"1"'},
                               json={"target": "15", "period": "2026-04-01/2026-05-15"})
    assert changed.status_code == 200, changed.get_json()
    assert (changed.get_json()["period_end"], changed.get_json()["target"],
            changed.headers["ETag"]) == ("2026-05-15", "15", '"2"')
    history = api_client.get(f"/api/v1/goals/{body['id']}/history").get_json()["items"]
    assert [e["action"] for e in history] == ["created", "updated"]
    assert history[1]["changes"]["period"] == ["2026-Q2", "2026-04-01/2026-05-15"]
    assert history[1]["changes"]["period_end"] == ["2026-06-30", "2026-05-15"]

    url = f"/api/v1/goals/{body['id']}"
    moved = api_client.patch(url, json={"scope": "team", "team_id": north.id})
    assert (moved.status_code, moved.get_json()["errors"]) == (422, {
        "owner_id": ["a team goal is for no single user: owner_id must be null"]})
    moved = api_client.patch(url, json={"scope": "team", "team_id": north.id,
                                        "owner_id": None})
    assert moved.status_code == 200, moved.get_json()
    assert stored(kernel)[0][0][3:6] == ("team", None, north.id)

    assert api_client.delete(url).status_code == 204
    assert stored(kernel)[0] == []


BAD_GOALS = [
    ({"metric": "core.nope"}, "metric",
     f"unknown metric 'core.nope'; the metrics are: {CORE_METRICS}"),
    ({"target": 2.5}, "target", "core.new_customers counts: give a whole number, not 2.5"),
    ({"target": 0}, "target", "Give a target above 0."),
    ({"target": -3}, "target", "Give a target above 0."),
    ({"target": "1e3"}, "target",
     "Not a plain number: give the target as digits, such as 50000 or 12.5."),
    ({"target": "NaN"}, "target",
     "Not a plain number: give the target as digits, such as 50000 or 12.5."),
    ({"target": True}, "target",
     "Not a plain number: give the target as digits, such as 50000 or 12.5."),
    ({"target": 10 ** 12}, "target", "At most 11 digits before the point."),
    ({"target": "10.00001"}, "target", "At most 4 decimal places."),
    ({"period": "2026-13"}, "period", "2026-13 names no month; months run from 01 to 12"),
    ({"period": "2026-Q5"}, "period",
     "'2026-Q5' is not a period; give a year (2026), a quarter (2026-Q2), a month (2026-05) "
     "or two days joined by a slash (2026-05-10/2026-06-09)"),
    ({"period": "2026-Q1" * 10}, "period",
     "that is not a period; give a year (2026), a quarter (2026-Q2), a month (2026-05) or "
     "two days joined by a slash (2026-05-10/2026-06-09)"),
    ({"period": "2026-06-30/2026-01-01"}, "period", "2026-06-30 is after 2026-01-01"),
    ({"period": "2026-02-30/2026-03-31"}, "period", "2026-02-30 is not a date"),
    ({"period": "1800"}, "period", "a period lies between 1900-01-01 and 9000-12-31"),
    ({"period": "2000-01-01/2030-12-31"}, "period",
     "the period spans 372 months; a goal spans at most 240"),
    ({"period": None}, "period", "Field may not be null."),
    ({"scope": "region"}, "scope", "Must be one of: user, team, firm."),
    ({"direction": "up"}, "direction", "Must be one of: at_least, at_most."),
    ({"group_value": "Berlin"}, "group_value",
     "core.new_customers is not broken down; leave group_value out"),
    ({"scope": "firm", "owner_id": 1}, "owner_id",
     "a firm goal is for the whole firm: owner_id must be null"),
    ({"scope": "team"}, "team_id", "name the team a team goal is for"),
    ({"scope": "team", "team_id": 1, "owner_id": 1}, "owner_id",
     "a team goal is for no single user: owner_id must be null"),
    ({"scope": "user", "team_id": 1}, "team_id",
     "a user goal is for no team: team_id must be null"),
    ({"scope": "user", "owner_id": 999}, "owner_id", "there is no user 999"),
    ({"scope": "team", "team_id": 999}, "team_id", "there is no team 999"),
    ({"colour": "red"}, "colour", None),  # the schema's own message for any record
]


@pytest.mark.parametrize(("change", "field", "message"), BAD_GOALS,
                         ids=[f"{f}:{(m or '')[:30]}" for _, f, m in BAD_GOALS])
def test_item_31_a_bad_goal_is_refused_naming_the_field_and_nothing_changes(
        kernel, api_client, actor, change, field, message):
    services.create(kernel, "team", {"name": "North"}, actor=actor)
    kept = goal(kernel, scope="firm", period="2025")
    before = stored(kernel)
    body = {"metric": "core.new_customers", "period": "2026-Q1", "scope": "firm",
            "target": 10, **change}
    refused = api_client.post("/api/v1/goals", json=body)
    assert refused.status_code == 422, refused.get_json()
    assert refused.get_json()["errors"][field] == [message] or message is None
    patched = api_client.patch(f"/api/v1/goals/{kept.id}", json=change)
    assert patched.status_code == 422, patched.get_json()
    assert stored(kernel) == before


def test_item_31_one_goal_per_metric_period_and_scope(kernel, api_client, maria):
    first = goal(kernel, scope="user", owner_id=maria.id)
    before = stored(kernel)
    twin = api_client.post("/api/v1/goals", json={
        "metric": "core.new_customers", "period": "2026-01-01/2026-03-31", "scope": "user",
        "owner_id": maria.id, "target": 20})
    assert twin.status_code == 422
    assert twin.get_json()["errors"] == {"_schema": [
        f"goal {first.id} already sets core.new_customers for user {maria.id} over 2026-Q1; "
        "change that one"]}
    assert stored(kernel) == before
    # Another period, or the firm, is another goal.
    assert api_client.post("/api/v1/goals", json={
        "metric": "core.new_customers", "period": "2026-Q2", "scope": "user",
        "owner_id": maria.id, "target": 20}).status_code == 201
    assert api_client.post("/api/v1/goals", json={
        "metric": "core.new_customers", "period": "2026-Q1", "scope": "firm",
        "target": 20}).status_code == 201


def test_item_31_a_user_or_team_a_goal_names_cannot_be_deleted(kernel, api_client, maria):
    north = services.create(kernel, "team", {"name": "North"}, actor=SYSTEM)
    mine = goal(kernel, scope="user", owner_id=maria.id)
    goal(kernel, scope="team", team_id=north.id)
    before = stored(kernel)
    refused = api_client.delete(f"/api/v1/users/{maria.id}")
    assert refused.status_code == 409
    assert refused.get_json()["detail"] == (f"user {maria.id} is named by 1 goal; give it "
                                            "another user or delete it first")
    assert api_client.delete(f"/api/v1/teams/{north.id}").status_code == 409
    assert stored(kernel) == before
    services.delete(kernel, "goal", mine.id, actor=SYSTEM)
    assert api_client.delete(f"/api/v1/users/{maria.id}").status_code == 204


# Attainment and pace -----------------------------------------------------------------

def test_item_31_attainment_and_pace_on_fixed_days(kernel, maria, q1):
    def on(day, target=None, **changes):
        record = q1
        if target is not None or changes:
            record = services.update(kernel, "goal", q1.id,
                                     {**({"target": target} if target else {}), **changes},
                                     actor=SYSTEM)
        (p,) = progress(kernel, [record], today=dt.date.fromisoformat(day))
        return (p.actual, p.pace.elapsed, p.pace.expected, p.pace.attainment, p.state)

    # Q1 has 90 days; by 15 February 45 have passed: half of 10 is expected, 4 is 40 %.
    assert on("2026-02-15") == (4, Decimal("50.00"), Decimal("5.00"), Decimal("40.00"),
                                "behind")
    assert on("2026-01-15") == (4, Decimal("15.56"), Decimal("1.56"), Decimal("40.00"),
                                "on_track")
    assert on("2026-01-01") == (4, Decimal("0.00"), Decimal("0.00"), Decimal("40.00"),
                                "on_track")
    assert on("2025-12-31")[4] == "not_started"
    assert on("2026-04-01") == (4, Decimal("100.00"), Decimal("10.00"), Decimal("40.00"),
                                "missed")
    assert on("2026-04-01", target=4)[3:] == (Decimal("100.00"), "met")
    # At most 6 by mid-quarter means at most 3 so far: 4 is over the pace.
    assert on("2026-02-15", target=6, direction="at_most") == (
        4, Decimal("50.00"), Decimal("3.00"), Decimal("66.67"), "behind")
    assert on("2026-02-15", target=8)[2:] == (Decimal("4.00"), Decimal("50.00"), "on_track")
    assert on("2026-04-01", target=3)[4] == "missed"

    # The firm's goal counts everyone's customers.
    firm = goal(kernel, scope="firm", target=10)
    (p,) = progress(kernel, [firm], today=dt.date(2026, 2, 15))
    assert (p.actual, p.pace.attainment) == (5, Decimal("50.00"))


@pytest.mark.plugins(AcmeKpis())
def test_item_31_any_plugins_metric_has_goals_without_the_plugin_doing_anything(
        kernel, api_client, actor):
    for last, city in (("Ng", "Berlin"), ("Li", "Berlin"), ("Ko", "Paris")):
        services.create(kernel, "contact", {"last_name": last, "city": city}, actor=actor)
    today = dt.date.today()
    year = str(today.year)
    ungrouped = api_client.post("/api/v1/goals", json={
        "metric": "acme_kpis.contacts_by_city", "period": year, "scope": "firm", "target": 4})
    assert ungrouped.status_code == 422
    assert ungrouped.get_json()["errors"] == {"group_value": [
        "acme_kpis.contacts_by_city is broken down by city: name the city the goal is for"]}
    berlin = api_client.post("/api/v1/goals", json={
        "metric": "acme_kpis.contacts_by_city", "group_value": "Berlin", "period": year,
        "scope": "firm", "target": 4})
    assert berlin.status_code == 201, berlin.get_json()
    share = api_client.post("/api/v1/goals", json={
        "metric": "acme_kpis.share", "period": year, "scope": "firm", "target": "40"})
    cents = api_client.post("/api/v1/goals", json={
        "metric": "acme_kpis.average_order", "period": year, "scope": "firm",
        "target": "1000.005"})
    assert cents.get_json()["errors"] == {"target": [
        "acme_kpis.average_order is an amount: at most 2 decimal places, not 1000.005"]}
    average = api_client.post("/api/v1/goals", json={
        "metric": "acme_kpis.average_order", "period": year, "scope": "firm",
        "target": "1000", "direction": "at_most"})

    listed = api_client.get("/api/v1/metrics/goals").get_json()
    assert listed["as_of"] == today.isoformat()
    found = {item["goal"]["id"]: item for item in listed["items"]}
    days = (dt.date(today.year, 12, 31) - dt.date(today.year, 1, 1)).days + 1
    elapsed = (Decimal((today - dt.date(today.year, 1, 1)).days) / days * 100).quantize(
        Decimal("0.01"))
    counted = found[berlin.get_json()["id"]]
    assert {k: counted[k] for k in ("unit", "actual", "attainment", "elapsed")} == {
        "unit": "count", "actual": "2", "attainment": "50.00", "elapsed": str(elapsed)}
    # A level (a rate, an average) is held against the whole target, whatever the day.
    level = found[share.get_json()["id"]]
    assert {k: level[k] for k in ("unit", "actual", "expected", "attainment", "pace")} == {
        "unit": "percent", "actual": "30.00", "expected": "40.00", "attainment": "75.00",
        "pace": "behind"}
    under = found[average.get_json()["id"]]
    assert (under["actual"], under["expected"], under["pace"]) == ("800.00", "1000.00",
                                                                   "on_track")


# The signal, once per fall behind --------------------------------------------------------

def test_item_31_a_goal_falling_behind_is_announced_once(kernel, api_client, maria, q1):
    received = []

    def receiver(sender, **kwargs):
        received.append(kwargs)

    signals.goal_behind.connect(receiver)
    try:
        first = run_job(kernel, "core.goal_pace", dt.date(2026, 2, 15))
        assert (first.status, first.summary) == (
            "ok", "1 running goal checked: 1 fell behind, 0 back on pace")
        assert received == [{
            "goal_id": q1.id, "metric": "core.new_customers", "scope": "user",
            "owner_id": maria.id, "team_id": None, "day": dt.date(2026, 2, 15),
            "actual": Decimal(4), "expected": Decimal("5.00"), "target": Decimal(10)}]
        # Again the same day, the next day, and on every read: nothing more.
        assert run_job(kernel, "core.goal_pace", dt.date(2026, 2, 15)).summary == (
            "1 running goal checked: 0 fell behind, 0 back on pace")
        assert run_job(kernel, "core.goal_pace", dt.date(2026, 2, 16)).summary == (
            "1 running goal checked: 0 fell behind, 0 back on pace")
        assert api_client.get("/api/v1/metrics/goals").status_code == 200
        assert CliRunner(kernel)("goals", "list").exit_code == 0
        assert len(received) == 1
        with kernel.bound():
            assert [(a.goal_id, a.behind_since) for a in GoalAlert.select()] == [
                (q1.id, dt.date(2026, 2, 15))]

        customer(kernel, "F", "2026-02-18", owner=maria.id)
        customer(kernel, "G", "2026-02-19", owner=maria.id)
        assert run_job(kernel, "core.goal_pace", dt.date(2026, 2, 20)).summary == (
            "1 running goal checked: 0 fell behind, 1 back on pace")
        with kernel.bound():
            assert GoalAlert.select().count() == 0
        # Behind again a month later (8.67 expected, 6 reached): announced again.
        assert run_job(kernel, "core.goal_pace", dt.date(2026, 3, 20)).summary == (
            "1 running goal checked: 1 fell behind, 0 back on pace")
        assert [(r["day"], r["actual"], r["expected"]) for r in received] == [
            (dt.date(2026, 2, 15), 4, Decimal("5.00")),
            (dt.date(2026, 3, 20), 6, Decimal("8.67"))]
        # Once the quarter is over the job forgets it, and says nothing.
        assert run_job(kernel, "core.goal_pace", dt.date(2026, 4, 2)).summary == (
            "0 running goals checked: 0 fell behind, 0 back on pace")
        with kernel.bound():
            assert GoalAlert.select().count() == 0
        assert len(received) == 2
    finally:
        signals.goal_behind.disconnect(receiver)


# Record rules ------------------------------------------------------------------------

@pytest.fixture
def firm(kernel, make_api_client):
    """Teams North and South; a manager of North, a rep in each, an admin; a goal for
    each rep, each team and the firm."""
    grant(kernel, "sales", ["core.metrics.read"], actor=SYSTEM)
    north = services.create(kernel, "team", {"name": "North"}, actor=SYSTEM)
    south = services.create(kernel, "team", {"name": "South"}, actor=SYSTEM)
    manager = make_api_client("manager", teams=["North"])
    rep1 = make_api_client("sales", teams=["North"])
    rep2 = make_api_client("sales", teams=["South"])
    goals = {
        "rep1": goal(kernel, scope="user", owner_id=rep1.user.id).id,
        "rep2": goal(kernel, scope="user", owner_id=rep2.user.id).id,
        "north": goal(kernel, scope="team", team_id=north.id).id,
        "south": goal(kernel, scope="team", team_id=south.id).id,
        "firm": goal(kernel, scope="firm").id,
    }
    return {"manager": manager, "rep1": rep1, "rep2": rep2, "admin": make_api_client("admin"),
            "goals": goals, "north": north, "south": south}


def test_item_31_each_reader_sees_the_goals_their_rule_reaches(kernel, firm):
    g = firm["goals"]
    for who, expected in (("rep1", ["rep1"]), ("rep2", ["rep2"]),
                          ("manager", ["rep1", "north"]),
                          ("admin", ["rep1", "rep2", "north", "south", "firm"])):
        client = firm[who]
        wanted = sorted(g[name] for name in expected)
        assert ids(client.get("/api/v1/goals")) == wanted, who
        assert ids(client.get("/api/v1/metrics/goals")) == wanted, who
    hidden = firm["rep1"].get(f"/api/v1/goals/{g['rep2']}")
    assert hidden.status_code == 404
    assert hidden.get_json()["detail"] == f"goal {g['rep2']} does not exist"
    assert ids(firm["manager"].get("/api/v1/metrics/goals?scope=team")) == [g["north"]]


def test_item_31_goals_are_set_only_where_the_rule_reaches(kernel, firm, make_api_client):
    g, north, south = firm["goals"], firm["north"], firm["south"]
    manager, rep1, rep2 = firm["manager"], firm["rep1"], firm["rep2"]
    before = stored(kernel)
    base = {"metric": "core.new_customers", "period": "2026-Q3", "target": 5}
    refusals = [
        (rep1, {**base, "scope": "user", "owner_id": rep1.user.id}, 403,
         f"{rep1.user.email} (sales) lacks the permission core.goal.write"),
        (manager, {**base, "scope": "user", "owner_id": rep2.user.id}, 403,
         f"{manager.user.email} may only give goal records to members of their teams "
         "(rule: team)"),
        (manager, {**base, "scope": "team", "team_id": south.id}, 403,
         f"{manager.user.email} may only put goal records in their own teams (rule: team)"),
        (manager, {**base, "scope": "firm"}, 403,
         f"{manager.user.email} may not set firm goals: their rule for goals is team, and "
         "a firm goal needs all"),
    ]
    for client, body, status, detail in refusals:
        refused = client.post("/api/v1/goals", json=body)
        assert (refused.status_code, refused.get_json()["detail"]) == (status, detail)
    hidden = manager.patch(f"/api/v1/goals/{g['firm']}", json={"target": 1})
    assert hidden.status_code == 404
    moved = manager.patch(f"/api/v1/goals/{g['rep1']}", json={"owner_id": rep2.user.id})
    assert moved.status_code == 403
    assert stored(kernel) == before

    # A coach whose rule is own sets their own goals only.
    add_role(kernel, "coach", grants=["core.goal.*", "core.metrics.read", "core.user.read",
                                      "core.team.read"], rules={"*": "own"}, actor=SYSTEM)
    coach = make_api_client("coach", teams=["North"])
    before = stored(kernel)
    team_goal = coach.post("/api/v1/goals", json={**base, "scope": "team",
                                                  "team_id": north.id})
    assert (team_goal.status_code, team_goal.get_json()["detail"]) == (
        403, f"{coach.user.email} may only set goals for themselves (rule: own)")
    assert stored(kernel) == before

    mine = coach.post("/api/v1/goals", json={**base, "scope": "user"})
    assert mine.status_code == 201, mine.get_json()
    assert mine.get_json()["owner_id"] == coach.user.id  # a user goal is the creator's
    ok = manager.post("/api/v1/goals", json={**base, "scope": "team", "team_id": north.id})
    assert ok.status_code == 201, ok.get_json()
    assert ids(manager.get("/api/v1/goals")) == sorted(
        [g["rep1"], g["north"], ok.get_json()["id"], mine.get_json()["id"]])


def test_item_31_progress_needs_the_metrics_permission(kernel, firm, make_api_client):
    reader = make_api_client("read-only")
    assert ids(reader.get("/api/v1/goals")) == sorted(firm["goals"].values())
    refused = reader.get("/api/v1/metrics/goals")
    assert refused.status_code == 403
    assert refused.get_json()["detail"] == (f"{reader.user.email} (read-only) lacks the "
                                            "permission core.metrics.read")
    bad = firm["admin"].get("/api/v1/metrics/goals?scope=region&from=2026-13-01&x=1")
    assert bad.status_code == 400
    assert bad.get_json()["errors"] == {"x": [
        "unknown parameter; use metric, scope, owner_id, team_id, from, to, limit or cursor"]}
    bad = firm["admin"].get("/api/v1/metrics/goals?scope=region&from=2026-13-01")
    assert bad.get_json()["errors"] == {
        "scope": ["'region' is not a scope; use user, team, firm"],
        "from": ["not a date: '2026-13-01'; give YYYY-MM-DD"]}


def test_item_31_progress_pages_and_conforms_to_the_document(kernel, firm):
    admin = firm["admin"]
    first = admin.get("/api/v1/metrics/goals?limit=2").get_json()
    assert [i["goal"]["id"] for i in first["items"]] == sorted(firm["goals"].values())[:-3:-1]
    rest = admin.get(f"/api/v1/metrics/goals?limit=5&cursor={first['next_cursor']}").get_json()
    assert len(rest["items"]) == 3 and rest["next_cursor"] is None
    doc = admin.client.get("/api/v1/openapi.json").get_json()
    schema = doc["paths"]["/api/v1/metrics/goals"]["get"]["responses"]["200"]["content"][
        "application/json"]["schema"]
    jsonschema.Draft202012Validator({**schema, "components": doc["components"]}).validate(first)
    mine = admin.get(f"/api/v1/metrics/goals?owner_id={firm['rep1'].user.id}").get_json()
    assert [(i["goal"]["id"], i["actual"], i["attainment"], i["unit"])
            for i in mine["items"]] == [(firm["goals"]["rep1"], "0", "0.00", "count")]


@pytest.mark.plugins(AcmeKpis())
def test_item_31_a_goal_of_a_plugin_that_stops_is_kept_and_says_why(kernel, api_client):
    made = api_client.post("/api/v1/goals", json={
        "metric": "acme_kpis.share", "period": "2026", "scope": "firm", "target": 40})
    assert made.status_code == 201
    disable(kernel, "acme_kpis", actor=SYSTEM)
    (item,) = api_client.get("/api/v1/metrics/goals").get_json()["items"]
    assert (item["pace"], item["actual"], item["problem"]) == (
        "unknown", None, "acme_kpis.share is not available: no running plugin declares it")
    kept = api_client.patch(f"/api/v1/goals/{made.get_json()['id']}", json={"target": 50})
    assert kept.status_code == 200
    again = api_client.post("/api/v1/goals", json={
        "metric": "acme_kpis.share", "period": "2025", "scope": "firm", "target": 40})
    assert again.status_code == 422
    assert again.get_json()["errors"] == {"metric": [
        f"unknown metric 'acme_kpis.share'; the metrics are: {CORE_METRICS}"]}


# The CLI -----------------------------------------------------------------------------

def test_item_31_accord_goals_set_and_list(kernel, maria):
    cli = CliRunner(kernel)
    services.create(kernel, "team", {"name": "North"}, actor=SYSTEM)
    for name, day in (("A", "2020-01-10"), ("B", "2020-02-20"), ("C", "2020-03-03")):
        customer(kernel, name, day, owner=maria.id)
    created = cli("goals", "set", "core.new_customers", "10", "--period", "2020-Q1",
                  "--user", "maria@example.com")
    assert (created.exit_code, created.output) == (0, (
        "created goal 1: core.new_customers at least 10 for maria@example.com, 2020-Q1 "
        "(2020-01-01 to 2020-03-31)\n"))
    again = cli("goals", "set", "core.new_customers", "3", "--period", "2020-Q1",
                "--user", str(maria.id))
    assert again.output == ("set goal 1: core.new_customers at least 3 for "
                            "maria@example.com, 2020-Q1 (2020-01-01 to 2020-03-31)\n")
    team = cli("goals", "set", "core.new_customers", "2", "--from", "2020-01-01", "--to",
               "2020-06-30", "--team", "North", "--at-most")
    assert team.output.startswith("created goal 2: core.new_customers at most 2 for team "
                                  "North, 2020-01-01/2020-06-30 ")
    assert cli("goals", "set", "core.new_customers", "5", "--period", "2020", "--firm"
               ).exit_code == 0
    assert stored(kernel)[0] == [
        (1, "core.new_customers", "2020-Q1", "user", maria.id, None, Decimal(3), "at_least", 2),
        (2, "core.new_customers", "2020-01-01/2020-06-30", "team", None, 1, Decimal(2),
         "at_most", 1),
        (3, "core.new_customers", "2020", "firm", None, None, Decimal(5), "at_least", 1)]

    listed = cli("goals", "list")
    assert listed.exit_code == 0, listed.output
    rows = [re.split(r"\s{2,}", line) for line in listed.output.splitlines()]
    assert rows[0] == ["ID", "METRIC", "PERIOD", "FOR", "TARGET", "ACTUAL", "ATTAINMENT",
                       "ELAPSED", "PACE"]
    assert rows[2:] == [
        ["1", "core.new_customers", "2020-Q1", "maria@example.com", "3", "3", "100.00%",
         "100.00%", "met"],
        ["2", "core.new_customers", "2020-01-01/2020-06-30", "team North", "at most 2", "0",
         "0.00%", "100.00%", "met"],
        ["3", "core.new_customers", "2020", "firm", "5", "3", "60.00%", "100.00%", "missed"]]
    assert [r[0] for r in [re.split(r"\s{2,}", li) for li in
                           cli("goals", "list", "--user", "maria@example.com")
                           .output.splitlines()][2:]] == ["1"]

    report = cli("report", "core.new_customers", "--from", "2020-01-01", "--to",
                 "2020-03-31", "--by", "total", "--owner", "maria@example.com")
    assert report.exit_code == 0, report.output
    lines = report.output.splitlines()
    at = lines.index(f"Goals of core.new_customers on {dt.date.today()}:")
    assert lines[at - 2].split() == ["total", "3"]
    assert [re.split(r"\s{2,}", li) for li in lines[at + 3:]] == [
        ["1", "core.new_customers", "2020-Q1", "maria@example.com", "3", "3", "100.00%",
         "100.00%", "met"]]
    # No goal on a metric, nothing more than the metric.
    assert "Goals of" not in cli("report", "core.active_customers").output


def test_item_31_accord_goals_refuses_bad_input_and_changes_nothing(kernel, maria):
    cli = CliRunner(kernel)
    assert cli("goals", "set", "core.new_customers", "10", "--period", "2020-Q1",
               "--firm").exit_code == 0
    before = stored(kernel)
    cases = [
        (("core.nope", "10", "--period", "2020-Q1", "--firm"), 1,
         f"Error: invalid input:\n  metric: unknown metric 'core.nope'; the metrics are: "
         f"{CORE_METRICS}\n"),
        (("core.new_customers", "ten", "--period", "2020-Q1", "--firm"), 1,
         "Error: invalid input:\n  target: Not a plain number: give the target as digits, "
         "such as 50000 or 12.5.\n"),
        (("core.new_customers", "2.5", "--period", "2020-Q1", "--firm"), 1,
         "Error: invalid input:\n  target: core.new_customers counts: give a whole number, "
         "not 2.5\n"),
        (("core.new_customers", "10", "--period", "2020-Q5", "--firm"), 1,
         "Error: invalid input:\n  period: '2020-Q5' is not a period; give a year (2026), a "
         "quarter (2026-Q2), a month (2026-05) or two days joined by a slash "
         "(2026-05-10/2026-06-09)\n"),
        (("core.new_customers", "10", "--period", "2020-Q1", "--user", "nobody@example.com"), 1,
         "Error: no user 'nobody@example.com' (give an id or an email)\n"),
        (("core.new_customers", "10", "--period", "2020-Q1"), 2,
         "Error: give one of --user USER, --team TEAM or --firm\n"),
        (("core.new_customers", "10", "--period", "2020-Q1", "--from", "2020-01-01",
          "--firm"), 2, "Error: give --period, or --from and --to, not both\n"),
        (("core.new_customers", "10", "--from", "2020-01-01", "--firm"), 2,
         "Error: give --period (2026-Q2…), or --from and --to\n"),
    ]
    for args, code, tail in cases:
        result = cli("goals", "set", *args)
        assert result.exit_code == code, (args, result.output)
        assert result.output.endswith(tail), (args, result.output)
    assert cli("goals", "remove", "99").output == "Error: goal 99 does not exist\n"
    assert stored(kernel) == before
    removed = cli("goals", "remove", "1")
    assert removed.output == "removed goal 1\n"
    assert stored(kernel)[0] == []
    assert cli("goals", "list").output == "no goals; set one with 'accord goals set'\n"


# Storage -----------------------------------------------------------------------------

def test_item_31_migration_0007_goes_down_and_up(kernel, maria, q1):
    with kernel.bound():
        reverted = kernel.migrations.downgrade("core", 6)
    assert "0007_create_goals" in reverted
    tables = set(kernel.database.get_tables())
    assert not {"accord_goal", "accord_goal_alert"} & tables
    with kernel.bound():
        assert "0007_create_goals" in kernel.migrations.upgrade("core")
    assert {"accord_goal", "accord_goal_alert"} <= set(kernel.database.get_tables())
    assert CliRunner(kernel)("db", "check").output.strip() == "the tables match the models"
    again = goal(kernel, scope="firm")
    assert again.id > q1.id  # ids are never given twice
