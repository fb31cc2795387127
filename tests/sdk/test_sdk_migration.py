"""``accord plugin migration``: the next migration of a plugin, written from its models'
difference with what its migrations build, proved, and applied on each engine."""

from __future__ import annotations

import shutil
import sys
import textwrap
from pathlib import Path

import peewee
import pytest
from accord import services
from accord.services.plugins import disable

NAME = "mig_dental"

MANIFEST = f'''from accord.plugins import PluginManifest

MANIFEST = PluginManifest(name="{NAME}", version="1.0.0", description="Dental charts")
'''

HOOKS = '''from accord.hooks import hookimpl

from . import models


@hookimpl
def register_models():
    return [getattr(models, name) for name in models.MODELS]
'''

#: The chart table as 0001 creates it; 0002 adds its colour.
CREATE_CHARTS = f'''"""Create the chart table."""
from peewee import *

from accord.database import JSONField
from accord.models.base import UTCDateTimeField


def up(migrator, db):
    class Chart(Model):
        created_at = UTCDateTimeField(index=True)
        updated_at = UTCDateTimeField()
        version = IntegerField(default=1)
        custom = JSONField(default=dict)
        title = CharField(max_length=200)

        class Meta:
            database = db
            table_name = "{NAME}_chart"

    db.create_tables([Chart])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("{NAME}_chart"))
'''

ADD_COLOUR = f'''"""Add a colour to charts."""
from peewee import *


def up(migrator, db):
    migrator.migrate(migrator.add_column("{NAME}_chart", "colour",
                                         CharField(max_length=20, null=True)))


def down(migrator, db):
    migrator.migrate(migrator.drop_column("{NAME}_chart", "colour"))
'''

#: The models as the two migrations leave them; each test appends its change.
CHART = f'''import peewee

from accord.models import BaseRecord, Contact

MODELS = ["Chart"]


class Chart(BaseRecord):
    title = peewee.CharField(max_length=200{{title}})
    colour = peewee.CharField(max_length=20, null=True)
{{chart}}
    class Meta:
        table_name = "{NAME}_chart"
'''

TOOTH = f'''

MODELS.append("Tooth")


class Tooth(BaseRecord):
    patient = peewee.ForeignKeyField(Contact, backref="+", on_delete="CASCADE")
    chart = peewee.ForeignKeyField(Chart, backref="+", null=True, on_delete="SET NULL")
    number = peewee.IntegerField()

    class Meta:
        table_name = "{NAME}_tooth"
        indexes = ((("patient", "number"), True),)
'''


def write_plugin(root: Path, *, chart: str = "", title: str = "", more: str = "") -> Path:
    """The plugin in ``root/plugins``, its models changed by ``chart`` (lines of the
    Chart class), ``title`` (arguments of its title) and ``more`` (more source)."""
    package = root / "plugins" / NAME
    (package / "migrations").mkdir(parents=True)
    (package / "__init__.py").write_text(MANIFEST)
    (package / "hooks.py").write_text(HOOKS)
    (package / "models.py").write_text(
        CHART.format(chart=textwrap.indent(chart, "    "), title=title) + more)
    (package / "migrations" / "0001_create_charts.py").write_text(CREATE_CHARTS)
    (package / "migrations" / "0002_add_colour.py").write_text(ADD_COLOUR)
    return package / "migrations"


@pytest.fixture(autouse=True)
def _forget_the_plugins(modules_restored):
    """The copies these tests import are forgotten, so no other test finds them; a
    module imported before (the real acme_notes of the docs' tests) is put back."""
    with modules_restored(NAME, "acme_notes"):
        yield


@pytest.fixture
def generate(cli_runner, tmp_path):
    """``accord plugin migration mig_dental MESSAGE ...`` with the plugins folder set."""
    cli_runner.env["ACCORD_PLUGINS_DIR"] = str(tmp_path / "plugins")

    def run(message: str, *args: str):
        return cli_runner("plugin", "migration", NAME, message, *args)

    return run


def files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob("*.py"))


def models_of(kernel):
    return [m for _, m in kernel.plugins.collect("register_models", only=[NAME])]


def drift(kernel) -> str:
    with kernel.bound():
        return str(kernel.migrations.drift(models_of(kernel)))


def test_an_added_column_is_the_next_migration_and_fills_the_rows(
        tmp_path, generate, make_kernel):
    folder = write_plugin(tmp_path, chart="notes = peewee.TextField(null=True)\n"
                                          "visits = peewee.IntegerField(default=0)\n")
    kernel = make_kernel(plugins_dir=str(tmp_path / "plugins"), enable=[NAME])
    chart = peewee.Table(f"{NAME}_chart")
    with kernel.bound():
        chart.bind(kernel.database).insert(
            created_at="2026-01-02 03:04:05", updated_at="2026-01-02 03:04:05",
            version=1, custom="{}", title="Molar").execute()

    result = generate("Add notes and visits")

    assert (result.exit_code, result.output) == (0, (
        f"wrote plugins/{NAME}/migrations/0003_add_notes_and_visits.py:\n"
        f"  add column {NAME}_chart.notes\n"
        f"  add column {NAME}_chart.visits\n"))
    assert (folder / "0003_add_notes_and_visits.py").read_text() == f'''"""Add notes and visits.

Written by `accord plugin migration` from the models' difference with
migrations 0001-0002:
- add column {NAME}_chart.notes
- add column {NAME}_chart.visits

Frozen copies of the tables, with stand-ins for the tables they reference;
never import the live models here.
"""
from peewee import *


def up(migrator, db):
    migrator.migrate(
        migrator.add_column('{NAME}_chart', 'notes', TextField(null=True)),
        migrator.add_column('{NAME}_chart', 'visits', IntegerField(default=0)))


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column('{NAME}_chart', 'notes'),
        migrator.drop_column('{NAME}_chart', 'visits'))
'''
    assert drift(kernel) == f"add column {NAME}_chart.notes\nadd column {NAME}_chart.visits"
    with kernel.bound():
        assert kernel.migrations.upgrade(NAME) == ["0003_add_notes_and_visits"]
        rows = list(chart.bind(kernel.database)
                    .select(chart.c.title, chart.c.notes, chart.c.visits).tuples())
    assert rows == [("Molar", None, 0)]
    assert drift(kernel) == ""


def test_an_added_table_points_at_contacts_through_a_stand_in(
        tmp_path, generate, make_kernel, actor):
    folder = write_plugin(tmp_path, more=TOOTH)

    shown = generate("add teeth", "--dry-run")

    assert shown.exit_code == 0, shown.output
    assert files(folder) == ["0001_create_charts.py", "0002_add_colour.py"]  # dry: nothing
    assert shown.output == f'''"""Add teeth.

Written by `accord plugin migration` from the models' difference with
migrations 0001-0002:
- create table {NAME}_tooth

Frozen copies of the tables, with stand-ins for the tables they reference;
never import the live models here.
"""
from peewee import *

from accord.database import JSONField
from accord.models.base import UTCDateTimeField


def up(migrator, db):
    class Chart(Model):
        class Meta:
            database = db
            table_name = '{NAME}_chart'

    class Contact(Model):
        class Meta:
            database = db
            table_name = 'accord_contact'

    class Tooth(Model):
        created_at = UTCDateTimeField(index=True)
        updated_at = UTCDateTimeField()
        version = IntegerField(default=1)
        custom = JSONField(default=dict)
        patient = ForeignKeyField(Contact, on_delete='CASCADE')
        chart = ForeignKeyField(Chart, null=True, on_delete='SET NULL')
        number = IntegerField()

        class Meta:
            database = db
            table_name = '{NAME}_tooth'
            indexes = ((('patient', 'number'), True),)

    db.create_tables([Tooth])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('{NAME}_tooth'))
'''
    assert generate("add teeth").exit_code == 0
    assert files(folder)[-1] == "0003_add_teeth.py"

    kernel = make_kernel(plugins_dir=str(tmp_path / "plugins"), enable=[NAME])
    assert drift(kernel) == ""
    with kernel.bound():
        keys = kernel.database.get_foreign_keys(f"{NAME}_tooth")
        assert sorted((k.column, k.dest_table, k.dest_column) for k in keys) == [
            ("chart_id", f"{NAME}_chart", "id"), ("patient_id", "accord_contact", "id")]
    patient = services.create(kernel, "contact", {"last_name": "Molar"}, actor=actor)
    tooth = peewee.Table(f"{NAME}_tooth")
    row = {"created_at": "2026-01-02 03:04:05", "updated_at": "2026-01-02 03:04:05",
           "version": 1, "custom": "{}", "patient_id": patient.id, "number": 11}
    with kernel.bound():
        tooth.bind(kernel.database).insert(**row).execute()
        # the unique (patient, number) index
        with pytest.raises(peewee.IntegrityError), kernel.database.atomic():
            tooth.bind(kernel.database).insert(**row).execute()
        # the foreign key to accord_contact
        with pytest.raises(peewee.IntegrityError), kernel.database.atomic():
            tooth.bind(kernel.database).insert(
                **{**row, "patient_id": patient.id + 100, "number": 12}).execute()


def test_an_added_foreign_key_column_names_a_stand_in(tmp_path, generate, make_kernel):
    folder = write_plugin(tmp_path, chart='patient = peewee.ForeignKeyField('
                                          'Contact, backref="+", null=True, '
                                          'on_delete="SET NULL")\n')

    assert generate("link charts to patients").exit_code == 0

    source = (folder / "0003_link_charts_to_patients.py").read_text()
    assert source.split("\n\ndef up")[1] == f'''(migrator, db):
    class Contact(Model):
        class Meta:
            database = db
            table_name = 'accord_contact'

    migrator.migrate(
        migrator.add_column('{NAME}_chart', 'patient_id', ForeignKeyField(Contact, \
field=Contact.id, null=True, on_delete='SET NULL')))


def down(migrator, db):
    migrator.migrate(
        migrator.drop_index('{NAME}_chart', '{NAME}_chart_patient_id'),
        migrator.drop_column('{NAME}_chart', 'patient_id'))
'''
    kernel = make_kernel(plugins_dir=str(tmp_path / "plugins"), enable=[NAME])
    assert drift(kernel) == ""
    with kernel.bound():
        keys = kernel.database.get_foreign_keys(f"{NAME}_chart")
    assert [(k.column, k.dest_table) for k in keys] == [("patient_id", "accord_contact")]


def test_an_added_index_is_created_and_dropped(tmp_path, generate, make_kernel):
    folder = write_plugin(tmp_path, title=", index=True")

    assert generate("index chart titles").exit_code == 0

    source = (folder / "0003_index_chart_titles.py").read_text()
    assert source.split("\n\ndef up")[1] == f'''(migrator, db):
    migrator.migrate(migrator.add_index('{NAME}_chart', ('title',), False))


def down(migrator, db):
    migrator.migrate(migrator.drop_index('{NAME}_chart', '{NAME}_chart_title'))
'''
    kernel = make_kernel(plugins_dir=str(tmp_path / "plugins"), enable=[NAME])
    with kernel.bound():
        indexes = {i.name: (i.columns, i.unique)
                   for i in kernel.database.get_indexes(f"{NAME}_chart")}
    assert indexes[f"{NAME}_chart_title"] == (["title"], False)
    assert drift(kernel) == ""


def test_up_down_up_leaves_the_drift_check_clean(tmp_path, generate, make_kernel, actor):
    folder = write_plugin(tmp_path, title=", index=True", more=TOOTH,
                          chart="visits = peewee.IntegerField(default=0)\n")
    assert generate("teeth and visits").exit_code == 0
    kernel = make_kernel(plugins_dir=str(tmp_path / "plugins"), enable=[NAME])
    assert drift(kernel) == ""
    disable(kernel, NAME, actor=actor)
    with kernel.bound():
        assert kernel.migrations.downgrade(NAME, 2) == ["0003_teeth_and_visits"]
        assert f"{NAME}_tooth" not in kernel.database.get_tables()
    assert drift(kernel) == "\n".join([
        f"create table {NAME}_tooth", f"add column {NAME}_chart.visits",
        f"add index {NAME}_chart (title)"])
    with kernel.bound():
        assert kernel.migrations.upgrade(NAME) == ["0003_teeth_and_visits"]
    assert drift(kernel) == ""
    assert files(folder) == ["0001_create_charts.py", "0002_add_colour.py",
                             "0003_teeth_and_visits.py"]


def test_an_index_gone_from_the_models_is_dropped_and_restored_by_down(
        tmp_path, generate, make_kernel, actor):
    folder = write_plugin(tmp_path)
    (folder / "0003_index_colours.py").write_text(
        "from peewee import *\n\n\ndef up(migrator, db):\n"
        f"    migrator.migrate(migrator.add_index('{NAME}_chart', ('colour',), False))\n\n\n"
        "def down(migrator, db):\n"
        f"    migrator.migrate(migrator.drop_index('{NAME}_chart', '{NAME}_chart_colour'))\n")

    assert generate("unindex colours").exit_code == 0

    source = (folder / "0004_unindex_colours.py").read_text()
    assert source.split("\n\ndef up")[1] == f'''(migrator, db):
    migrator.migrate(migrator.drop_index('{NAME}_chart', '{NAME}_chart_colour'))


def down(migrator, db):
    migrator.migrate(migrator.add_index('{NAME}_chart', ('colour',), False))
'''
    kernel = make_kernel(plugins_dir=str(tmp_path / "plugins"), enable=[NAME])
    assert drift(kernel) == ""
    disable(kernel, NAME, actor=actor)
    with kernel.bound():
        assert kernel.migrations.downgrade(NAME, 3) == ["0004_unindex_colours"]
        names = [i.name for i in kernel.database.get_indexes(f"{NAME}_chart")]
    assert f"{NAME}_chart_colour" in names


def test_the_first_migration_creates_the_folder_and_the_tables(tmp_path, generate,
                                                               make_kernel):
    folder = write_plugin(tmp_path)
    shutil.rmtree(folder)

    result = generate("create charts")

    assert (result.exit_code, result.output) == (0, (
        f"wrote plugins/{NAME}/migrations/0001_create_charts.py:\n"
        f"  create table {NAME}_chart\n"))
    assert "difference with\nan empty database:" in (folder / "0001_create_charts.py").read_text()
    kernel = make_kernel(plugins_dir=str(tmp_path / "plugins"), enable=[NAME])
    assert drift(kernel) == ""


@pytest.mark.sqlite_only
def test_the_shipped_plugins_models_match_their_migrations(cli_runner):
    cli_runner.env["ACCORD_DISCOVER_PLUGINS"] = "true"
    for name in ("competitors", "sales", "service", "marketing"):
        result = cli_runner("plugin", "migration", name, "anything", "--dry-run")
        assert (name, result.exit_code, result.output) == (
            name, 1, "Error: no change: the models match the migrations\n")


@pytest.mark.sqlite_only  # the command works on a scratch SQLite database of its own
def test_a_rename_is_refused_and_nothing_written(tmp_path, generate):
    folder = write_plugin(tmp_path, chart="shade = peewee.CharField(max_length=20, "
                                          "null=True)\n")
    models = folder.parent / "models.py"
    models.write_text(models.read_text().replace(
        "    colour = peewee.CharField(max_length=20, null=True)\n", ""))

    result = generate("rename colour")

    assert (result.exit_code, result.output) == (1, (
        f"Error: {NAME}: cannot write this migration:\n"
        f"column colour of {NAME}_chart was removed and shade added: a rename? write this "
        "migration by hand (migrator.rename_column keeps the data)\n"))
    assert files(folder) == ["0001_create_charts.py", "0002_add_colour.py"]


@pytest.mark.sqlite_only
def test_a_new_not_null_column_without_default_is_refused(tmp_path, generate):
    folder = write_plugin(tmp_path, chart="age = peewee.IntegerField()\n")

    result = generate("add age")

    assert (result.exit_code, result.output) == (1, (
        f"Error: {NAME}: cannot write this migration:\n"
        f"column age of {NAME}_chart is new and NOT NULL without a default: the rows "
        f"already in {NAME}_chart need a value; give it a default or null=True, or write "
        "this migration by hand\n"))
    assert files(folder) == ["0001_create_charts.py", "0002_add_colour.py"]


@pytest.mark.sqlite_only
def test_a_type_change_and_a_dropped_table_are_refused(tmp_path, generate):
    folder = write_plugin(tmp_path)
    (folder / "0003_create_xrays.py").write_text(CREATE_CHARTS.replace(
        f"{NAME}_chart", f"{NAME}_xray").replace("Create the chart", "Create the x-ray"))
    models = folder.parent / "models.py"
    models.write_text(models.read_text().replace(
        "colour = peewee.CharField(max_length=20, null=True)",
        "colour = peewee.IntegerField(null=True)"))

    result = generate("change")

    assert (result.exit_code, result.output) == (1, (
        f"Error: {NAME}: cannot write this migration:\n"
        f"table {NAME}_xray is gone from the models: dropping it would lose its data; "
        "write this migration by hand\n"
        f"column colour of {NAME}_chart changes type from VARCHAR(20) to INTEGER: "
        "converting its rows needs a data step; write this migration by hand\n"))


@pytest.mark.sqlite_only
def test_no_change_is_said_and_nothing_written(tmp_path, generate):
    folder = write_plugin(tmp_path)

    result = generate("nothing")

    assert (result.exit_code, result.output) == (
        1, "Error: no change: the models match the migrations\n")
    assert files(folder) == ["0001_create_charts.py", "0002_add_colour.py"]


@pytest.mark.sqlite_only
def test_the_next_number_follows_the_highest_and_its_width(tmp_path, generate):
    folder = write_plugin(tmp_path, chart="visits = peewee.IntegerField(default=0)\n")
    (folder / "0002_add_colour.py").rename(folder / "0009_add_colour.py")

    assert generate("Add visits!").exit_code == 0

    assert files(folder) == ["0001_create_charts.py", "0009_add_colour.py",
                             "0010_add_visits.py"]


def test_a_column_made_not_null_gets_its_default_in_the_null_rows(
        tmp_path, generate, make_kernel):
    folder = write_plugin(tmp_path)
    models = folder.parent / "models.py"
    models.write_text(models.read_text().replace(
        "colour = peewee.CharField(max_length=20, null=True)",
        "colour = peewee.CharField(max_length=20, default='white')"))
    kernel = make_kernel(plugins_dir=str(tmp_path / "plugins"), enable=[NAME])
    chart = peewee.Table(f"{NAME}_chart")
    with kernel.bound():
        chart.bind(kernel.database).insert(
            created_at="2026-01-02 03:04:05", updated_at="2026-01-02 03:04:05",
            version=1, custom="{}", title="Molar").execute()

    assert generate("colour always").exit_code == 0

    source = (folder / "0003_colour_always.py").read_text()
    assert source.split("\n\ndef up")[1] == f'''(migrator, db):
    class Fill1(Model):
        colour = CharField(null=True)

        class Meta:
            database = db
            table_name = '{NAME}_chart'

    Fill1.update({{Fill1.colour: 'white'}}).where(Fill1.colour.is_null()).execute()

    migrator.migrate(migrator.add_not_null('{NAME}_chart', 'colour'))


def down(migrator, db):
    migrator.migrate(migrator.drop_not_null('{NAME}_chart', 'colour'))
'''
    with kernel.bound():
        assert kernel.migrations.upgrade(NAME) == ["0003_colour_always"]
        assert list(chart.bind(kernel.database).select(chart.c.colour).tuples()) == [
            ("white",)]
        assert {c.name: c.null for c in kernel.database.get_columns(f"{NAME}_chart")}[
            "colour"] is False


@pytest.mark.sqlite_only
def test_module_loads_a_plugin_that_is_neither_installed_nor_in_the_folder(
        tmp_path, cli_runner, monkeypatch):
    folder = write_plugin(tmp_path, chart="visits = peewee.IntegerField(default=0)\n")
    monkeypatch.syspath_prepend(str(tmp_path / "plugins"))

    unknown = cli_runner("plugin", "migration", NAME, "add visits")
    result = cli_runner("plugin", "migration", NAME, "add visits", "--module", NAME)

    assert (unknown.exit_code, unknown.output) == (1, (
        f"Error: no plugin named {NAME}: install it, put it in the plugins folder, or "
        "name its module with --module\n"))
    assert result.exit_code == 0, result.output
    assert files(folder)[-1] == "0003_add_visits.py"


@pytest.mark.sqlite_only
def test_the_guide_s_example_on_a_copy_of_acme_notes(tmp_path, cli_runner):
    guide = Path(__file__).resolve().parents[2] / "tests" / "plugins_folder" / "acme_notes"
    copy = tmp_path / "plugins" / "acme_notes"
    shutil.copytree(guide, copy, ignore=shutil.ignore_patterns("__pycache__"))
    models = copy / "models.py"
    models.write_text(models.read_text().replace(
        "    priority = peewee.IntegerField(default=3)\n",
        "    priority = peewee.IntegerField(default=3)\n"
        "    due_on = peewee.DateField(null=True)\n"))
    cli_runner.env["ACCORD_PLUGINS_DIR"] = str(tmp_path / "plugins")

    result = cli_runner("plugin", "migration", "acme_notes", "add due date")

    assert (result.exit_code, result.output) == (0, (
        "wrote plugins/acme_notes/migrations/0003_add_due_date.py:\n"
        "  add column acme_notes_note.due_on\n"))
