"""``accord plugin new``: the names it refuses, the targets it will not overwrite, what
it writes, and the one-file local plugin (``--minimal``) loading from a plugins folder."""

import ast
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from accord import services
from accord_sdk.pytest_plugin import CliRunner as AccordRunner
from accord_sdk.scaffold import TEMPLATES

PACKAGE_FILES = [
    "README.md",
    "accord_dental_clinic/__init__.py",
    "accord_dental_clinic/cli.py",
    "accord_dental_clinic/hooks.py",
    "accord_dental_clinic/migrations/0001_initial.py",
    "accord_dental_clinic/models.py",
    "accord_dental_clinic/pages.py",
    "accord_dental_clinic/schemas.py",
    "accord_dental_clinic/services.py",
    "accord_dental_clinic/settings.py",
    "accord_dental_clinic/templates/dental_clinic/index.html",
    "pyproject.toml",
    "tests/conftest.py",
    "tests/test_dental_clinic.py",
]


def new(*args):
    # Through the root command, as a user runs it: invoking the command object on its
    # own made click keep a help option of its own, and `accord plugin new --help`
    # then read differently for the rest of the process (tests/docs/cli_reference.py).
    from accord.cli import cli

    return CliRunner().invoke(cli, ["plugin", "new", *args], catch_exceptions=False)


def files_under(folder):
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def test_new_writes_an_installable_package(tmp_path):
    result = new("dental_clinic")  # the test runs in tmp_path
    assert (result.exit_code, result.output) == (0, (
        "wrote accord-dental-clinic in dental_clinic (14 files)\n"
        "next: pip install -e dental_clinic, then 'accord plugins enable dental_clinic'; "
        "its tests: cd dental_clinic && pytest\n"))
    project = tmp_path / "dental_clinic"
    assert files_under(project) == PACKAGE_FILES
    pyproject = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["name"] == "accord-dental-clinic"
    assert pyproject["project"]["dependencies"] == ["accord-crm>=0.1"]
    assert pyproject["project"]["entry-points"] == {
        "accord.plugins": {"dental_clinic": "accord_dental_clinic.hooks"}}
    for path in project.rglob("*.py"):  # every module is Python, with no placeholder left
        text = path.read_text(encoding="utf-8")
        ast.parse(text, filename=str(path))
        assert "$" not in text, path
    init = (project / "accord_dental_clinic/__init__.py").read_text(encoding="utf-8")
    assert 'name="dental_clinic",\n    version="0.1.0",' in init
    assert 'core_api=">=1,<2",\n    settings_schema=Settings,' in init
    page = (project / "accord_dental_clinic/templates/dental_clinic/index.html")
    assert "<h1>Dental clinic</h1>" in page.read_text(encoding="utf-8")


def test_dir_names_the_target(tmp_path):
    result = new("fleet", "--dir", "work/fleet-plugin")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("wrote accord-fleet in work/fleet-plugin (14 files)\n")
    assert "fleet_item" in (tmp_path / "work/fleet-plugin/accord_fleet/models.py").read_text(
        encoding="utf-8")


@pytest.mark.parametrize(("name", "message"), [
    ("Dental", "invalid plugin name 'Dental': use 2 to 50 lowercase letters, digits and '_', "
               "starting with a letter (e.g. dental_clinic)"),
    ("dental-clinic", "invalid plugin name 'dental-clinic': use 2 to 50 lowercase letters, "
                      "digits and '_', starting with a letter (e.g. dental_clinic)"),
    ("2teeth", "invalid plugin name '2teeth': use 2 to 50 lowercase letters, digits and '_', "
               "starting with a letter (e.g. dental_clinic)"),
    ("class", "invalid plugin name 'class': use 2 to 50 lowercase letters, digits and '_', "
              "starting with a letter (e.g. dental_clinic)"),
    ("sales", "invalid plugin name 'sales': it is a plugin shipped with Accord"),
    ("marketing", "invalid plugin name 'marketing': it is a plugin shipped with Accord"),
    ("core", "invalid plugin name 'core': it is the kernel's name"),
    ("admin", "invalid plugin name 'admin': it is a path of Accord's own pages"),
    ("db", "invalid plugin name 'db': it is a command of Accord's own (accord db)"),
    ("sdk", "invalid plugin name 'sdk': a package accord_sdk is installed already"),
])
def test_a_bad_name_is_refused(tmp_path, name, message):
    result = new(name)
    assert (result.exit_code, result.output) == (1, f"Error: {message}\n")
    assert list(tmp_path.iterdir()) == []


def test_an_existing_target_is_kept(tmp_path):
    (tmp_path / "dental_clinic").mkdir()
    (tmp_path / "dental_clinic" / "notes.txt").write_text("mine", encoding="utf-8")
    result = new("dental_clinic")
    assert (result.exit_code, result.output) == (
        1, "Error: dental_clinic exists and is not empty; choose another --dir\n")
    assert files_under(tmp_path / "dental_clinic") == ["notes.txt"]
    (tmp_path / "a-file").write_text("", encoding="utf-8")
    result = new("dental_clinic", "--dir", "a-file")
    assert (result.exit_code, result.output) == (1, "Error: a-file exists and is not a folder\n")
    (tmp_path / "empty").mkdir()  # an empty folder is fine
    assert new("dental_clinic", "--dir", "empty").exit_code == 0


def test_minimal_writes_one_file_and_keeps_an_existing_one(tmp_path):
    result = new("clinic_tweaks", "--minimal", "--dir", "plugins")
    assert (result.exit_code, result.output) == (0, (
        "wrote plugins/clinic_tweaks.py\n"
        "next: put it in the plugins folder accord.toml names ([plugins] dir), then "
        "'accord plugins enable clinic_tweaks' and 'accord clinic_tweaks recent'\n"))
    assert files_under(tmp_path) == ["plugins/clinic_tweaks.py"]
    again = new("clinic_tweaks", "--minimal", "--dir", "plugins")
    assert (again.exit_code, again.output) == (
        1, "Error: plugins/clinic_tweaks.py exists already; remove it or choose another --dir\n")


def test_the_minimal_plugin_loads_and_enables_from_a_plugins_folder(tmp_path, make_kernel,
                                                                     actor):
    assert new("clinic_tweaks", "--minimal", "--dir", "plugins").exit_code == 0
    kernel = make_kernel(plugins_dir=str(tmp_path / "plugins"), enable=["clinic_tweaks"])
    plugin = kernel.plugins.get("clinic_tweaks")
    assert (plugin.failed, plugin.source, plugin.stored_state) == (
        False, f"local {tmp_path / 'plugins' / 'clinic_tweaks.py'}", "enabled")
    for first, last in [("Ana", "Molar"), (None, "Incisor"), ("Ben", "Canine")]:
        services.create(kernel, "contact", {"first_name": first, "last_name": last},
                        actor=actor)
    run = AccordRunner(kernel)("clinic_tweaks", "recent", "--limit", "2")
    assert (run.exit_code, run.output) == (0, "3  Ben Canine\n2  Incisor\n")


def test_the_templates_are_package_data():
    """pyproject.toml ships every template file with accord_sdk."""
    root = Path(__file__).resolve().parents[2]
    pyproject = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    [pattern] = pyproject["tool"]["setuptools"]["package-data"]["accord_sdk"]
    shipped = set((root / "sdk").glob(pattern))
    assert shipped == {p for p in TEMPLATES.rglob("*") if p.is_file()
                       and "__pycache__" not in p.parts}
    assert len(shipped) == 15
