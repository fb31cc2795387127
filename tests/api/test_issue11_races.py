"""Issue 11, races: a request without If-Match never fails for a version it did not
name (the service reads and writes under a row lock), and plugin toggles and writes
stay consistent under concurrency (a write commits before a toggle or is refused with
a message saying the plugin is off; stored states never contradict each other).

Threads, each with its own web client (and, where it matters, its own kernel: a
separate worker process), on either engine, like tests/api/test_concurrency.py.
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from decimal import Decimal
from typing import Any, Callable

import accord_competitors.hooks
import accord_sales.hooks
import pytest
from accord import services
from accord.errors import PluginError, ValidationError
from accord.hooks import hookimpl
from accord.plugins import PluginManifest
from accord.models import AuditEntry, PluginState, User
from accord.services import Actor
from accord.services.plugins import disable, enable
from accord.services.tokens import create_token
from accord.web import create_app
from accord_competitors.models import Competitor, Involvement, Outcome
from accord_sales.models import Invoice, Lead, Opportunity, Payment, StageChange
from accord_sales.services.invoices import issue_invoice

SYSTEM = Actor.system("test")
THREADS = 8
PLUGINS = [accord_sales.hooks, accord_competitors.hooks]


def _token(kernel: Any) -> dict[str, str]:
    user = services.create(kernel, "user", {"email": "racer@example.com", "name": "Racer",
                                            "role": "admin"}, actor=SYSTEM)
    with kernel.bound():
        _, token = create_token(kernel, User.get_by_id(user.id), name="race", actor=SYSTEM)
    return {"Authorization": f"Bearer {token}"}


def run_together(apps: list[Any], headers: dict[str, str],
                 work: Callable[..., Any]) -> list[Any]:
    """Run ``work(call, index)`` in one thread per app (each with its own web client),
    released at the same moment; returns what each returned."""
    barrier = threading.Barrier(len(apps))
    results: list[Any] = [None] * len(apps)
    errors: list[BaseException] = []

    def thread(index: int) -> None:
        client = apps[index].test_client()

        def call(method: str, path: str, **kwargs: Any) -> Any:
            merged = {**headers, **kwargs.pop("headers", {})}
            return client.open(path, method=method, headers=merged, **kwargs)

        try:
            barrier.wait(timeout=30)
            results[index] = work(call, index)
        except BaseException as exc:  # reported in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=thread, args=(i,)) for i in range(len(apps))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread hangs"
    if errors:
        raise errors[0]
    return results


def _answer(response: Any) -> tuple[int, str]:
    """The status and what a client is told: the problem's detail, or for a 422 each
    field's messages (``field: message``)."""
    if response.status_code < 400:
        return response.status_code, ""
    body = response.get_json(silent=True) or {}
    errors = body.get("errors")
    if errors:
        return response.status_code, "; ".join(f"{field}: {' '.join(messages)}"
                                                for field, messages in errors.items())
    return response.status_code, body.get("detail", response.get_data(as_text=True))


def _audit(kernel: Any, record_type: str, record_id: int) -> list[Any]:
    with kernel.bound():
        return list(AuditEntry.select().where(AuditEntry.record_type == record_type,
                                              AuditEntry.record_id == record_id)
                    .order_by(AuditEntry.id))


# A request without If-Match ---------------------------------------------------------

def test_races_patches_without_if_match_all_succeed_and_none_is_lost(kernel, helpers):
    org = services.create(kernel, "organization", {"name": "Contended"}, actor=SYSTEM)
    headers = _token(kernel)
    app = create_app(kernel, TESTING=True)

    def patch(call: Any, index: int) -> tuple[int, str, str]:
        response = call("PATCH", f"/api/v1/organizations/{org.id}",
                        json={"city": f"City {index}"})
        return (*_answer(response), response.headers.get("ETag", ""))

    results = run_together([app] * THREADS, headers, patch)
    assert [(status, detail) for status, detail, _ in results] == [(200, "")] * THREADS
    # Each wrote on top of the one before (the answer shows the record as it is after
    # the write: a later writer's version, perhaps, never an older one).
    assert all(int(etag.strip('"')) >= 2 for _, _, etag in results)
    row = helpers.stored(kernel, "organization", org.id)
    assert row.version == THREADS + 1
    updates = [e for e in _audit(kernel, "organization", org.id) if e.action == "updated"]
    assert len(updates) == THREADS
    assert {e.changes["city"][1] for e in updates} == {f"City {i}" for i in range(THREADS)}
    assert row.city == updates[-1].changes["city"][1]


def test_races_a_delete_racing_patches_without_if_match_wins_cleanly(kernel, helpers):
    org = services.create(kernel, "organization", {"name": "Doomed"}, actor=SYSTEM)
    headers = _token(kernel)
    app = create_app(kernel, TESTING=True)
    path = f"/api/v1/organizations/{org.id}"

    def write(call: Any, index: int) -> tuple[int, str]:
        if index == 0:
            return _answer(call("DELETE", path))
        return _answer(call("PATCH", path, json={"city": f"City {index}"}))

    results = run_together([app] * THREADS, headers, write)
    assert results[0] == (204, "")
    for status, detail in results[1:]:
        assert (status, detail) in ((200, ""), (404, f"organization {org.id} does not exist"))
    assert helpers.stored(kernel, "organization", org.id) is None
    actions = [e.action for e in _audit(kernel, "organization", org.id)]
    assert actions[0] == "created" and actions[-1] == "deleted"
    # Each 200 was written (a PATCH written just before the delete may be answered 404:
    # its record is gone by the time it is read back).
    assert actions.count("updated") >= sum(status == 200 for status, _ in results[1:])


def _issued_invoice(kernel: Any) -> Any:
    org = services.create(kernel, "organization", {"name": "Payer Ltd"}, actor=SYSTEM)
    invoice = services.create(kernel, "sales.invoice", {
        "organization_id": org.id,
        "lines": [{"description": "Consulting day", "quantity": "2", "unit_price": "100.00"}]},
        actor=SYSTEM)
    return issue_invoice(kernel, invoice.id, actor=SYSTEM)


def test_races_actions_without_if_match_all_succeed(make_kernel):
    kernel = make_kernel(plugins=PLUGINS, enable=["sales"])
    invoice = _issued_invoice(kernel)
    headers = _token(kernel)
    app = create_app(kernel, TESTING=True)

    def pay(call: Any, index: int) -> tuple[int, str]:
        return _answer(call("POST", f"/api/v1/sales/invoices/{invoice.id}/pay",
                            json={"amount": "10.00"}))

    results = run_together([app] * THREADS, headers, pay)
    assert results == [(200, "")] * THREADS
    with kernel.bound():
        stored = Invoice.get_by_id(invoice.id)
        payments = Payment.select().where(Payment.invoice == invoice.id).count()
    assert (stored.amount_paid, stored.status, payments) == (
        Decimal("80.00"), "partially_paid", THREADS)
    assert stored.version == invoice.version + THREADS
    paid = [e.changes["amount_paid"][1] for e in _audit(kernel, "sales.invoice", invoice.id)
            if e.action == "updated" and "amount_paid" in e.changes]
    assert sorted(map(Decimal, paid)) == [Decimal(10 * i) for i in range(1, THREADS + 1)]


def test_races_a_verb_done_once_refuses_the_others_for_what_happened_not_a_version(
        make_kernel):
    kernel = make_kernel(plugins=PLUGINS, enable=["sales"])
    lead = services.create(kernel, "sales.lead", {"name": "Ada Ng", "company": "Ng Ltd"},
                           actor=SYSTEM)
    headers = _token(kernel)
    apps = [create_app(make_kernel(plugins=PLUGINS), TESTING=True) for _ in range(THREADS)]

    def convert(call: Any, index: int) -> tuple[int, str]:
        return _answer(call("POST", f"/api/v1/sales/leads/{lead.id}/convert", json={}))

    results = run_together(apps, headers, convert)
    assert sorted(status for status, _ in results) == [200] + [422] * (THREADS - 1)
    with kernel.bound():
        stored = Lead.get_by_id(lead.id)
    assert stored.converted_at is not None and stored.version == 2
    refusal = (f"status: lead {lead.id} was already converted on "
               f"{stored.converted_at:%Y-%m-%d}; a lead is converted once")
    assert {detail for status, detail in results if status == 422} == {refusal}
    organization = kernel.records.get("organization").model
    with kernel.bound():
        assert organization.select().where(organization.name == "Ng Ltd").count() == 1


def test_races_a_stale_if_match_on_an_action_is_still_refused(make_kernel):
    kernel = make_kernel(plugins=PLUGINS, enable=["sales"])
    invoice = _issued_invoice(kernel)
    headers = _token(kernel)
    app = create_app(kernel, TESTING=True)
    etag = f'"{invoice.version}"'

    def pay(call: Any, index: int) -> tuple[int, str]:
        return _answer(call("POST", f"/api/v1/sales/invoices/{invoice.id}/pay",
                            json={"amount": "10.00"}, headers={"If-Match": etag}))

    results = run_together([app] * THREADS, headers, pay)
    assert sorted(status for status, _ in results) == [200] + [412] * (THREADS - 1)
    stale = (f"sales.invoice {invoice.id} is at version {invoice.version + 1}, not "
             f"{invoice.version}; reload it and try again")
    assert {detail for status, detail in results if status == 412} == {stale}
    with kernel.bound():
        stored = Invoice.get_by_id(invoice.id)
        payments = Payment.select().where(Payment.invoice == invoice.id).count()
    assert (stored.amount_paid, payments, stored.version) == (Decimal("10.00"), 1,
                                                              invoice.version + 1)


# Plugin toggles against each other -----------------------------------------------------

REQUIRES_SALES = ("cannot enable competitors: it requires sales (>=1,<2), not enabled; "
                  "enable it first")


def test_races_an_enable_checks_requirements_again_under_the_lock(make_kernel, monkeypatch):
    main = make_kernel(plugins=PLUGINS, enable=["sales"])
    mine, other = make_kernel(plugins=PLUGINS), make_kernel(plugins=PLUGINS)
    migrate = mine.migrations.upgrade

    def migrate_while_sales_goes(owner: str) -> list[str]:
        done = migrate(owner)
        disable(other, "sales", actor=SYSTEM)  # another admin, between check and change
        return done

    monkeypatch.setattr(mine.migrations, "upgrade", migrate_while_sales_goes)
    with pytest.raises(PluginError) as caught:
        enable(mine, "competitors", actor=SYSTEM)
    assert str(caught.value) == REQUIRES_SALES
    assert _states(main) == {"sales": "disabled"}
    assert mine.plugins.active == {"core"}
    assert [e.changes["state"] for e in _audit(main, "plugin", 0)] == [
        ["discovered", "enabled"], ["enabled", "disabled"]]


def test_races_a_cascading_disable_sees_a_dependent_enabled_meanwhile(make_kernel, monkeypatch):
    main = make_kernel(plugins=PLUGINS, enable=["sales"])
    mine, other = make_kernel(plugins=PLUGINS), make_kernel(plugins=PLUGINS)
    dependents = mine.plugins.dependents
    told: dict[str, Any] = {}

    def enable_competitors() -> None:
        try:
            told["enabled"] = enable(other, "competitors", actor=SYSTEM)
        except PluginError as exc:
            told["refused"] = str(exc)

    def dependents_while_competitors_comes(name: str, **options: Any) -> list[str]:
        if "thread" not in told:  # another admin enables competitors now, and gets
            told["thread"] = threading.Thread(target=enable_competitors)  # a second
            told["thread"].start()
            told["thread"].join(timeout=1)
        return dependents(name, **options)

    monkeypatch.setattr(mine.plugins, "dependents", dependents_while_competitors_comes)
    assert disable(mine, "sales", actor=SYSTEM, cascade=True) == ["sales"]
    told["thread"].join(timeout=60)
    # The enable waited for the disable, then saw sales off.
    assert {k: v for k, v in told.items() if k != "thread"} == {"refused": REQUIRES_SALES}
    assert _states(main) == {"sales": "disabled"}


class FailsWhenEnabled:
    """A plugin whose plugin_enabled hook refuses."""

    MANIFEST = PluginManifest(name="fussy", version="1.0")

    @hookimpl
    def plugin_enabled(self, kernel: Any) -> None:
        raise ValidationError({"settings": ["fussy cannot start: no licence key"]})


def test_races_an_enable_whose_plugin_enabled_fails_leaves_the_states_as_they_were(
        make_kernel):
    kernel = make_kernel(plugins=[FailsWhenEnabled()])
    with pytest.raises(ValidationError) as caught:
        enable(kernel, "fussy", actor=SYSTEM)
    assert caught.value.messages == {"settings": ["fussy cannot start: no licence key"]}
    assert _states(kernel) == {}
    assert kernel.plugins.get("fussy").state == "discovered"
    assert kernel.plugins.active == {"core"}
    assert _audit(kernel, "plugin", 0) == []


# Plugin toggles beside writers -------------------------------------------------------

#: The writers and the togglers run side by side at least MIN_SECONDS, until every
#: kind of write got through at least once, at most MAX_SECONDS (a busy machine). The
#: togglers stop after TOGGLE_SECONDS and both plugins are enabled again, so that on a
#: slow machine, where a plugin may have been off at every try, each kind still gets
#: its turn.
MIN_SECONDS, TOGGLE_SECONDS, MAX_SECONDS = 3.0, 6.0, 20.0
#: The kinds of write the writers make.
KINDS = {"deal", "link", "win", "rival", "contact"}
#: A toggler's pause after switching a plugin off, and after switching it on.
SHORT, LONG = 0.02, 0.3
#: What a write may be told when its plugin is off (whether the toggle came before the
#: request or while it was being prepared): a 404 saying so.
OFF = (r"^(record type '(sales|competitors)\.\w+' is not available: )?"
       r"the (sales|competitors) plugin is (disabled|enabled but cannot run: it requires "
       r"sales \(>=1,<2\), which is disabled)(, so its resources are not served; an admin "
       r"can enable (sales|competitors): POST /api/v1/plugins/(sales|competitors)/enable)?$")
#: What a toggle may refuse, as another toggle changed the states first.
TOGGLE_REFUSALS = (r"^(sales|competitors) is not enabled|^cannot enable competitors: it "
                   r"requires sales")


class Race:
    """When the writers and togglers stop, and which kinds of write got through."""

    def __init__(self) -> None:
        self.start = time.monotonic()
        self.through: set[str] = set()
        self.stopped = threading.Event()

    def on(self) -> bool:
        elapsed = time.monotonic() - self.start
        if elapsed > MAX_SECONDS or elapsed > MIN_SECONDS and self.through >= KINDS:
            self.stopped.set()
        return not self.stopped.is_set()

    def toggling(self) -> bool:
        return self.on() and time.monotonic() - self.start < TOGGLE_SECONDS


def _writes(race: Race, call: Any, index: int, org_id: int,
            rival_id: int) -> Counter[tuple[str, int, str]]:
    """Create and close deals with a competitor in them, competitors and contacts,
    while the race is on; count (what, status, message) of every answer."""
    told: Counter[tuple[str, int, str]] = Counter()
    deal = None
    n = 0
    while race.on():
        n += 1
        step = n % 5
        if step in (1, 4) and deal is None:
            continue  # the deal was not created (sales was off): nothing to link or win
        if step == 0:
            what, response = "deal", call("POST", "/api/v1/sales/opportunities", json={
                "name": f"Deal {index}-{n}", "organization_id": org_id})
            deal = response.get_json()["id"] if response.status_code == 201 else None
        elif step == 1:
            what, response = "link", call("POST", "/api/v1/competitors/involvements", json={
                "opportunity_id": deal, "competitor_id": rival_id})
        elif step == 2:
            what, response = "rival", call("POST", "/api/v1/competitors/competitors",
                                           json={"name": f"Rival {index}-{n}"})
        elif step == 3:
            what, response = "contact", call("POST", "/api/v1/contacts", json={
                "last_name": f"Racer {index}-{n}", "email": f"racer{index}-{n}@example.com"})
        else:
            what, response = "win", call("POST", f"/api/v1/sales/opportunities/{deal}/move",
                                         json={"stage": "Won", "win_reason": "price"})
        status, detail = _answer(response)
        told[(what, status, detail)] += 1
        if status in (200, 201):
            race.through.add(what)
    return told


def _toggles(race: Race, flips: list[tuple[Callable[[], Any], float]],
             refused: list[str]) -> int:
    """Run the flips in turn, each followed by its pause, while the race is on; a clean
    refusal (another toggle came first) is noted, anything else fails the test. Returns
    the flips done."""
    done = 0
    while race.toggling():
        for flip, pause in flips:
            try:
                flip()
                done += 1
            except PluginError as exc:
                refused.append(str(exc))
                pause = SHORT
            # Writes wait while a toggle runs: leave them room (more while all is on).
            race.stopped.wait(pause)
    return done


def _states(kernel: Any) -> dict[str, str]:
    with kernel.bound():
        return {row.name: row.state for row in PluginState.select()}


def _contradictions(states: dict[str, str]) -> list[str]:
    """Plugins stored as enabled whose requirement is not."""
    return [f"competitors is {states.get('competitors')} while sales is {states.get('sales')}"
            ] if states.get("competitors") == "enabled" and states.get("sales") != "enabled" \
        else []


def test_races_toggles_beside_writers_keep_states_and_rows_consistent(make_kernel):
    main = make_kernel(plugins=PLUGINS, enable=["sales", "competitors"])
    headers = _token(main)
    org = services.create(main, "organization", {"name": "Customer Ltd"}, actor=SYSTEM)
    rival = services.create(main, "competitors.competitor", {"name": "Rival Inc"},
                            actor=SYSTEM)
    # Three workers with a kernel each, and a threaded worker (one kernel) serving three.
    apps = [create_app(make_kernel(plugins=PLUGINS), TESTING=True) for _ in range(3)]
    shared = create_app(make_kernel(plugins=PLUGINS), TESTING=True)
    apps += [shared] * 3
    cascading, flipping = make_kernel(plugins=PLUGINS), make_kernel(plugins=PLUGINS)
    watcher = make_kernel(plugins=PLUGINS)
    race = Race()
    refused: list[str] = []
    seen: list[str] = []
    flips: dict[str, int] = {}

    def watch() -> None:  # what any process reads, all along
        while not race.stopped.wait(0.005):
            seen.extend(_contradictions(_states(watcher)))

    def toggle_cascading() -> None:
        flips["cascading"] = _toggles(race, [
            (lambda: disable(cascading, "sales", actor=SYSTEM, cascade=True), SHORT),
            (lambda: enable(cascading, "competitors", actor=SYSTEM, with_deps=True), LONG)],
            refused)

    def toggle_competitors() -> None:
        flips["competitors"] = _toggles(race, [
            (lambda: disable(flipping, "competitors", actor=SYSTEM), SHORT),
            (lambda: enable(flipping, "competitors", actor=SYSTEM), LONG)], refused)

    togglers = [threading.Thread(target=toggle_cascading),
                threading.Thread(target=toggle_competitors)]

    def settle() -> None:  # the togglers are done: both plugins on again
        for t in togglers:
            t.join()
        if not race.stopped.is_set():
            enable(cascading, "competitors", actor=SYSTEM, with_deps=True)

    others = [threading.Thread(target=watch), *togglers, threading.Thread(target=settle)]
    for t in others:
        t.start()
    try:
        answers = run_together(apps, headers, lambda call, index: _writes(
            race, call, index, org.id, rival.id))
    finally:
        race.stopped.set()
        for t in others:
            t.join(timeout=60)
    assert not any(t.is_alive() for t in others), "a thread hangs"

    told: Counter[tuple[str, int, str]] = sum(answers, Counter())
    wrong = {key: count for key, count in told.items()
             if not (key[1] in (200, 201) or key[1] == 404 and re.match(OFF, key[2]))}
    assert wrong == {}
    # Every kind of write got through, and writes of both plugins were refused, as the
    # states moved.
    assert {key[0] for key in told if key[1] in (200, 201)} == KINDS, told
    assert {key[0] for key in told if key[1] == 404} >= {"deal", "rival"}, told
    assert [message for message in refused if not re.match(TOGGLE_REFUSALS, message)] == []
    assert min(flips.values()) > 0
    assert seen == []
    main.sync()
    assert _contradictions(_states(main)) == []

    # Every row of a plugin was written while it ran: walk the audit in order.
    running = {"sales": False, "competitors": False}
    late: list[str] = []
    with main.bound():
        entries = list(AuditEntry.select().order_by(AuditEntry.id))
    for entry in entries:
        if entry.record_type == "plugin" and entry.action in ("enabled", "disabled"):
            running[entry.changes["plugin"][1]] = entry.action == "enabled"
            continue
        owner = entry.record_type.split(".")[0]
        needs = {"sales": ["sales"], "competitors": ["sales", "competitors"]}.get(owner, [])
        if entry.action in ("created", "updated") and not all(running[p] for p in needs):
            late.append(f"{entry.action} {entry.record_type} {entry.record_id}")
    assert late == []

    # No row half-written: each record has its 'created' entry and each entry its
    # record; each won deal its stage change; each contested won deal its outcome when
    # competitors runs (it brings outcomes in step when enabled).
    created: dict[str, set[int]] = {}
    deleted: dict[str, set[int]] = {}
    for entry in entries:
        if entry.action == "created":
            created.setdefault(entry.record_type, set()).add(entry.record_id)
        elif entry.action == "deleted":
            deleted.setdefault(entry.record_type, set()).add(entry.record_id)
    with main.bound():
        deals = {o.id: o for o in Opportunity.select()}
        links = {i.id: i.opportunity_id for i in Involvement.select()}
        rivals = {c.id for c in Competitor.select()}
        moves = {(s.opportunity_id, s.to_stage) for s in StageChange.select()}
        outcomes = {o.opportunity_id: o.result for o in Outcome.select()}
    assert set(deals) == created["sales.opportunity"] - deleted.get("sales.opportunity", set())
    assert set(links) == (created["competitors.involvement"]
                          - deleted.get("competitors.involvement", set()))
    assert rivals == created["competitors.competitor"]
    won = {i for i, deal in deals.items() if deal.stage == "Won"}
    assert won and all((i, "Won") in moves for i in won)
    if _states(main).get("competitors") == "enabled":
        contested = won & set(links.values())
        assert {i: outcomes.get(i) for i in contested} == {i: "won" for i in contested}
