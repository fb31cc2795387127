"""One ``test_hook_<name>`` per hookspec, each showing the hook does what its docstring
says, with small plugins declared here; a meta-test fails when a hookspec has none."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import click
import marshmallow as ma
import peewee
import pytest
from marshmallow import fields

from accord import services
from accord.demo import load_demo
from accord.errors import NotFound, PluginError, ValidationError
from accord.hooks import hookimpl
from accord.metrics import Metric, MetricPoint, month_of
from accord.models import Contact, Organization, OutboxMessage, OwnedRecord, PluginState
from accord.plugins import PluginManifest
from accord.records import OutboxItem, Permission, RecordType, TimelineItem
from accord.schemas import OwnedRecordSchema
from accord.services.plugins import disable, enable, purge_plan, set_settings
from accord_sdk.pytest_plugin import CliRunner

UTC = dt.timezone.utc


def manifest(name, **extra):
    return PluginManifest(name=name, version="1.0", **extra)


class Memo(OwnedRecord):
    body = peewee.CharField(max_length=200)

    class Meta:
        table_name = "memos_memo"


class MemoLog(OwnedRecord):
    """A table that is not a record type (a history)."""

    line = peewee.CharField(max_length=200)

    class Meta:
        table_name = "memos_log"


class MemoSchema(OwnedRecordSchema):
    body = fields.String(required=True)


MEMO = RecordType("memos.memo", Memo, MemoSchema, "memos", "Memo", title_fields=("body",))


class Memos:
    MANIFEST = manifest("memos")

    @hookimpl
    def register_record_types(self):
        return [MEMO]

    @hookimpl
    def register_models(self):
        return [MemoLog]


# Lifecycle ------------------------------------------------------------------------

class Starter:
    MANIFEST = manifest("starter")

    def __init__(self):
        self.kernels = []

    @hookimpl
    def kernel_started(self, kernel):
        self.kernels.append(kernel)
        kernel.stash["starter"] = "ready"


def test_hook_kernel_started(make_kernel, actor):
    idle = Starter()
    make_kernel(plugins=[idle])
    assert idle.kernels == []  # found but not enabled: not running

    first = Starter()
    k1 = make_kernel(plugins=[first], enable=["starter"])  # enabled after start
    assert first.kernels == [k1] and k1.stash["starter"] == "ready"
    second = Starter()
    k2 = make_kernel(plugins=[second])  # starts with the plugin enabled
    assert second.kernels == [k2] and k2.stash["starter"] == "ready"

    disable(k1, "starter", actor=actor)
    enable(k1, "starter", actor=actor)
    k2.sync()
    assert (first.kernels, second.kernels) == ([k1], [k2])  # once per kernel


class Watcher:
    def __init__(self, name):
        self.MANIFEST = manifest(name)
        self.names = []

    @hookimpl
    def plugin_enabled(self, kernel, name):
        assert name in kernel.plugins.active
        self.names.append(name)


def test_hook_plugin_enabled(make_kernel, actor):
    watcher, other, third = Watcher("watcher"), Watcher("other"), Watcher("third")
    k = make_kernel(plugins=[watcher, other, third], enable=["watcher"])
    assert watcher.names == ["watcher"]  # its own enabling
    enable(k, "other", actor=actor)
    # Only the plugin enabled is told; no implementation filters on its own name.
    assert watcher.names == ["watcher"] and other.names == ["other"]
    disable(k, "watcher", actor=actor)
    enable(k, "watcher", actor=actor)
    enable(k, "third", actor=actor)
    assert (watcher.names, other.names, third.names) == (
        ["watcher", "watcher"], ["other"], ["third"])


class CurrencySettings(ma.Schema):
    currency = fields.String(load_default="EUR")


class Guard:
    MANIFEST = manifest("guard", settings_schema=CurrencySettings)

    def __init__(self):
        self.seen = []

    @hookimpl
    def validate_settings(self, plugin, settings, previous):
        self.seen.append((plugin, settings, previous))
        if settings["currency"] == "XXX":  # asked about its own settings only
            raise ValidationError({"currency": ["XXX is not a currency"]})


class Bystander:
    MANIFEST = manifest("bystander", settings_schema=CurrencySettings)

    @hookimpl
    def validate_settings(self, plugin, settings):
        raise AssertionError(f"asked about {plugin}'s settings")


def test_hook_validate_settings(make_kernel, actor):
    guard = Guard()
    k = make_kernel(plugins=[guard, Bystander()], enable=["guard", "bystander"])
    assert set_settings(k, "guard", {"currency": "USD"}, actor=actor) == {"currency": "USD"}
    assert guard.seen == [("guard", {"currency": "USD"}, {"currency": "EUR"})]
    with pytest.raises(ValidationError) as exc:
        set_settings(k, "guard", {"currency": "XXX"}, actor=actor)
    assert exc.value.messages == {"currency": ["XXX is not a currency"]}
    with k.bound():
        assert PluginState.get_by_id("guard").settings == {"currency": "USD"}
    assert k.settings("guard") == {"currency": "USD"}


# Records --------------------------------------------------------------------------

def test_hook_register_record_types(make_kernel, actor):
    class Copycat:
        MANIFEST = manifest("copycat")

        @hookimpl
        def register_record_types(self):
            return [MEMO]

    k = make_kernel(plugins=[Memos(), Copycat()], enable=["memos"])
    with k.bound():
        k.database.create_tables([Memo])
    assert "memos.memo" in k.records
    memo = services.create(k, "memos.memo", {"body": "Remember the milk"}, actor=actor)
    assert services.dump(k, "memos.memo", memo)["body"] == "Remember the milk"
    with pytest.raises(PluginError) as exc:
        enable(k, "copycat", actor=actor)
    assert str(exc.value) == ("cannot enable copycat: record type memos.memo is already "
                              "declared by memos")
    disable(k, "memos", actor=actor)
    with pytest.raises(NotFound):
        services.create(k, "memos.memo", {"body": "Gone"}, actor=actor)


def test_hook_register_models(make_kernel, actor):
    k = make_kernel(plugins=[Memos()], enable=["memos"])
    with k.bound():
        k.database.create_tables([Memo])
    check = CliRunner(k)("db", "check")
    assert check.exit_code == 1 and "memos_log" in check.output  # compared with the tables
    with k.bound():
        k.database.create_tables([MemoLog])
        now = dt.datetime.now(UTC)
        MemoLog.insert_many([{"line": "a", "created_at": now, "updated_at": now},
                             {"line": "b", "created_at": now, "updated_at": now}]).execute()
    assert CliRunner(k)("db", "check").exit_code == 0
    services.create(k, "memos.memo", {"body": "x"}, actor=actor)
    disable(k, "memos", actor=actor)
    assert purge_plan(k, "memos").tables == {"memos_memo": 1, "memos_log": 2}


# Writes ---------------------------------------------------------------------------

class Rules:
    """Defaults, a veto, a computed field, a delete veto and outbox messages."""

    MANIFEST = manifest("rules")

    def __init__(self):
        self.batches = []

    @hookimpl
    def record_defaults(self, record_type, rows):
        if record_type.name == "contact":
            self.batches.append(len(rows))
            for row in rows:
                row.setdefault("title", "Customer contact")

    @hookimpl
    def validate_records(self, record_type, rows, existing):
        for index, row in enumerate(rows):
            if record_type.name == "contact" and row.get("last_name") == "Spam":
                raise ValidationError({"last_name": ["no spam"]},
                                      row=index if len(rows) > 1 else None)

    @hookimpl
    def compute_fields(self, record_type, rows, existing):
        if record_type.name == "organization":
            for row, current in zip(rows, existing):
                country = row.get("country", current.country if current else None)
                row["region"] = {"DE": "Europe", "US": "Americas"}.get(country)

    @hookimpl
    def validate_delete(self, record_type, records):
        if any(getattr(r, "name", None) == "Keep" for r in records):
            raise ValidationError({"_schema": ["this organization is kept"]})

    @hookimpl
    def outbox_items(self, record_type, action, records):
        if record_type.name == "contact":
            return [OutboxItem(f"crm.contact.{action}", {"ids": [r["id"] for r in records]})]
        return None


@pytest.fixture
def rules(make_kernel):
    plugin = Rules()
    return plugin, make_kernel(plugins=[plugin], enable=["rules"])


def test_hook_record_defaults(rules, actor):
    plugin, k = rules
    assert services.create(k, "contact", {"last_name": "Ng"}, actor=actor).title == (
        "Customer contact")
    assert services.create(k, "contact", {"last_name": "Li", "title": "CFO"},
                           actor=actor).title == "CFO"
    services.bulk_create(k, "contact", [{"last_name": f"N{i}"} for i in range(3)], actor=actor)
    assert plugin.batches == [1, 1, 3]  # once per batch, never per row


def test_hook_validate_records(rules, actor):
    _, k = rules
    with pytest.raises(ValidationError) as exc:
        services.create(k, "contact", {"last_name": "Spam"}, actor=actor)
    assert str(exc.value) == "last_name: no spam"
    with pytest.raises(ValidationError) as exc:
        services.bulk_create(k, "contact", [{"last_name": "Ok"}, {"last_name": "Spam"}],
                             actor=actor)
    assert exc.value.flat() == {"rows[1].last_name": ["no spam"]}
    ok = services.create(k, "contact", {"last_name": "Ok"}, actor=actor)
    with pytest.raises(ValidationError):
        services.update(k, "contact", ok.id, {"last_name": "Spam"}, actor=actor)
    with k.bound():
        assert [c.last_name for c in Contact.select()] == ["Ok"]


def test_hook_compute_fields(rules, actor):
    _, k = rules
    org = services.create(k, "organization", {"name": "Acme", "country": "DE"}, actor=actor)
    assert org.region == "Europe"
    moved = services.update(k, "organization", org.id, {"country": "US"}, actor=actor)
    assert moved.region == "Americas"
    renamed = services.update(k, "organization", org.id, {"name": "Acme Inc"}, actor=actor)
    assert (renamed.name, renamed.region) == ("Acme Inc", "Americas")


def test_hook_validate_delete(rules, actor):
    _, k = rules
    kept = services.create(k, "organization", {"name": "Keep"}, actor=actor)
    other = services.create(k, "organization", {"name": "Other"}, actor=actor)
    with pytest.raises(ValidationError, match="this organization is kept"):
        services.delete(k, "organization", kept.id, actor=actor)
    services.delete(k, "organization", other.id, actor=actor)
    with k.bound():
        assert [o.name for o in Organization.select()] == ["Keep"]


def test_hook_outbox_items(rules, actor):
    _, k = rules

    def outbox():
        with k.bound():
            return [(m.topic, m.payload) for m in OutboxMessage.select().order_by(OutboxMessage.id)]

    contact = services.create(k, "contact", {"last_name": "Ng"}, actor=actor)
    assert outbox() == [("crm.contact.created", {"ids": [contact.id]})]
    with pytest.raises(ValidationError):
        services.create(k, "contact", {"last_name": "Spam"}, actor=actor)
    services.create(k, "organization", {"name": "Not a contact"}, actor=actor)
    assert len(outbox()) == 1  # nothing from the vetoed write nor from other types
    services.update(k, "contact", contact.id, {"first_name": "Al"}, actor=actor)
    services.delete(k, "contact", contact.id, actor=actor)
    assert [t for t, _ in outbox()] == ["crm.contact.created", "crm.contact.updated",
                                        "crm.contact.deleted"]


# Contributions --------------------------------------------------------------------

def _contacts_created(kernel, query):
    start = dt.datetime.combine(query.start, dt.time(), UTC)
    end = dt.datetime.combine(query.end + dt.timedelta(days=1), dt.time(), UTC)
    bucket = month_of(kernel, Contact.created_at, query)
    rows = (Contact.select(bucket, peewee.fn.COUNT(Contact.id))
            .where(Contact.created_at >= start, Contact.created_at < end).group_by(bucket))
    return [MetricPoint(period, Decimal(n)) for period, n in rows.tuples()]


@click.command()
def hello():
    """Say hello."""
    click.echo("hello from greeter")


class Greeter:
    MANIFEST = manifest("greeter")

    def __init__(self):
        self.asked = []

    @hookimpl
    def register_commands(self):
        return [hello]

    @hookimpl
    def register_permissions(self):
        return [Permission("greeter.greeting.send", "Send greetings")]

    @hookimpl
    def register_metrics(self):
        return [Metric("greeter.contacts_created", "Contacts created", "count",
                       _contacts_created)]

    @hookimpl
    def timeline_items(self, record_type, record_ids):
        self.asked.append((record_type, list(record_ids)))
        return [TimelineItem(record_type, rid, dt.datetime(2020, 1, 1, tzinfo=UTC),
                             "greeter.greeting", "Sent a card") for rid in record_ids]

    @hookimpl
    def load_demo_data(self, kernel, actor):
        with kernel.bound():
            first = Organization.select().order_by(Organization.id).first()
        services.create(kernel, "contact", {"last_name": "Greeted",
                                            "organization_id": first.id}, actor=actor)


@pytest.fixture
def greeter(make_kernel):
    plugin = Greeter()
    return plugin, make_kernel(plugins=[plugin], enable=["greeter"])


def test_hook_register_commands(greeter, actor):
    _, k = greeter
    cli = CliRunner(k)
    result = cli("greeter", "hello")
    assert (result.exit_code, result.output) == (0, "hello from greeter\n")
    disable(k, "greeter", actor=actor)
    off = cli("greeter", "hello")
    assert off.exit_code == 1
    assert "the greeter plugin is disabled; 'accord plugins enable greeter' first" in off.output


def test_hook_register_permissions(greeter, actor):
    _, k = greeter
    assert k.permissions["greeter.greeting.send"] == (
        "greeter", Permission("greeter.greeting.send", "Send greetings"))
    assert k.permissions["core.contact.write"][0] == "core"
    disable(k, "greeter", actor=actor)
    assert "greeter.greeting.send" not in k.permissions


def test_hook_register_metrics(greeter, actor):
    _, k = greeter
    services.bulk_create(k, "contact", [{"last_name": "A"}, {"last_name": "B"}], actor=actor)
    cli = CliRunner(k)
    listed = cli("report").output
    assert re.search(r"greeter\.contacts_created\s+greeter\s+count\s+Contacts created", listed)
    total = cli("report", "greeter.contacts_created", "--by", "total")
    assert total.exit_code == 0, total.output
    assert total.output.splitlines()[-1].split() == ["total", "2"]
    disable(k, "greeter", actor=actor)
    gone = cli("report", "greeter.contacts_created")
    assert gone.exit_code == 1 and "unknown metric 'greeter.contacts_created'" in gone.output


def test_hook_timeline_items(greeter, actor):
    plugin, k = greeter
    org = services.create(k, "organization", {"name": "Acme"}, actor=actor)
    services.create(k, "activity", {"kind": "call", "subject": "Intro call",
                                    "organization_id": org.id}, actor=actor)
    items = services.timeline(k, "organization", org.id)
    assert [(i.kind, i.title) for i in items] == [("activity.call", "Intro call"),
                                                  ("greeter.greeting", "Sent a card")]
    assert plugin.asked == [("organization", [org.id])]  # once per read
    disable(k, "greeter", actor=actor)
    assert [i.kind for i in services.timeline(k, "organization", org.id)] == ["activity.call"]


def test_hook_load_demo_data(greeter):
    _, k = greeter
    counts = load_demo(k)
    assert counts["contacts"] == 11  # the core's ten, then the plugin's, built on them
    with k.bound():
        greeted = Contact.get(Contact.last_name == "Greeted")
        assert greeted.organization.name == "Northwind Traders"
    assert load_demo(k) == {}  # only on a database without records


# Every hook has its test ------------------------------------------------------------

def test_every_hookspec_has_a_test():
    """Hook tests may live in any test module, named ``test_hook_<name>``."""
    from accord.kernel import Accord

    kernel = Accord()  # the specs are added by the constructor, without any I/O
    tests_root = Path(__file__).resolve().parents[1]
    source = "\n".join(p.read_text(encoding="utf-8") for p in tests_root.rglob("test_*.py"))
    tested = set(re.findall(r"^def test_hook_(\w+)\(", source, flags=re.MULTILINE))
    specs = set(kernel.plugins.hook_names())
    assert {"kernel_started", "validate_records", "load_demo_data"} <= specs
    assert sorted(specs - tested) == []
