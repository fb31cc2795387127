"""``accord plugin new``, end to end as a plugin author goes: write the package, install
it with pip into a fresh virtual environment, ``accord init`` a site with it, enable the
plugin, find the tables matching the models, and run the package's own tests.

Each step is a real subprocess. The throwaway venv sees the project's packages (a
``.pth`` file adds the project venv's site-packages, editable installs included), so
the install puts only the new plugin into it. The test uses no kernel fixture: it runs
once, not once per engine; the generated tests run on SQLite, and on PostgreSQL too
when ACCORD_TEST_DATABASE_URL is set, through the accord_sdk fixtures they use.
"""

import os
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import pytest

from accord_sdk.databases import worker_database

#: The running interpreter's site-packages: the project venv's.
PROJECT_SITE = sysconfig.get_paths()["purelib"]
ACCORD = "import sys; from accord.cli import main; sys.exit(main())"


def _build_isolation() -> list[str]:
    """pip's flag: build with the setuptools at hand when it can make wheels itself (or
    `wheel` is there), else in pip's isolated build environment."""
    import setuptools
    from packaging.version import Version

    try:
        import wheel  # noqa: F401
    except ImportError:
        if Version(setuptools.__version__) < Version("70.1"):
            return []
    return ["--no-build-isolation"]


class Steps:
    """Runs commands, keeping each one's time; a failing step fails with its output."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.times: dict[str, float] = {}

    def __call__(self, label: str, args: list[str], cwd: Path, timeout: int = 120) -> str:
        started = time.monotonic()
        run = subprocess.run(args, cwd=cwd, env=self.env, capture_output=True, text=True,
                             timeout=timeout)
        self.times[label] = round(time.monotonic() - started, 1)
        assert run.returncode == 0, f"{label} failed:\n{run.stdout}\n{run.stderr}"
        return run.stdout


@pytest.fixture
def venv(tmp_path: Path) -> Path:
    """A virtual environment without pip of its own that sees the project's packages."""
    folder = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True,
                   timeout=60)
    python = folder / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; "
                           "print(sysconfig.get_paths()['purelib'])"], check=True,
                          capture_output=True, text=True, timeout=30).stdout.strip()
    # addsitedir, not a bare path: the project's own .pth files (its editable install)
    # are read too.
    Path(site, "_accord_project.pth").write_text(
        f"import site; site.addsitedir({PROJECT_SITE!r})\n", encoding="utf-8")
    return python


def test_a_new_plugin_installs_enables_and_passes_its_own_tests(tmp_path, venv):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ACCORD_", "PYTEST_"))}
    if os.environ.get("ACCORD_TEST_DATABASE_URL"):
        # A database of its own on the same server (<name>_scaffold), which no pytest
        # worker of this run empties under the generated tests' feet.
        env["ACCORD_TEST_DATABASE_URL"] = worker_database(
            os.environ["ACCORD_TEST_DATABASE_URL"], "scaffold")
    step = Steps(env)
    python = str(venv)
    accord = [python, "-c", ACCORD]
    started = time.monotonic()

    assert step("new", [*accord, "plugin", "new", "dental_clinic"], tmp_path) == (
        "wrote accord-dental-clinic in dental_clinic (14 files)\n"
        "next: pip install -e dental_clinic, then 'accord plugins enable dental_clinic'; "
        "its tests: cd dental_clinic && pytest\n")
    project = tmp_path / "dental_clinic"
    step("pip install", [python, "-m", "pip", "install", "-q", "--no-deps",
                         *_build_isolation(), "-e", str(project)], tmp_path)
    assert not list(Path(PROJECT_SITE).glob("*dental_clinic*"))  # the project venv is clean

    site = tmp_path / "site"
    site.mkdir()
    init = step("init", [*accord, "init"], site)
    assert "installed, not enabled: dental_clinic ('accord plugins enable NAME' turns one on)" \
        in init.splitlines()
    assert step("enable", [*accord, "plugins", "enable", "dental_clinic"], site) == (
        "enabled dental_clinic\n")
    assert step("db check", [*accord, "db", "check"], site) == "the tables match the models\n"
    assert step("command", [*accord, "dental_clinic", "open"], site) == "No open items.\n"
    # The conformance kit passes the package as generated (SQLite, --fast).
    checked = step("plugin check", [*accord, "plugin", "check", "dental_clinic", "--fast"],
                   site)
    assert checked.splitlines()[-1] == "dental_clinic passes the conformance kit", checked
    assert "FAILED" not in checked and "warning" not in checked, checked

    # The one-file local plugin, dropped into the site's plugins folder.
    step("new --minimal", [*accord, "plugin", "new", "clinic_tweaks", "--minimal", "--dir",
                           "plugins"], site)
    step.env = {**env, "ACCORD_PLUGINS_DIR": str(site / "plugins")}
    assert step("enable minimal", [*accord, "plugins", "enable", "clinic_tweaks"], site) == (
        "enabled clinic_tweaks\n")
    assert step("minimal command", [*accord, "clinic_tweaks", "recent"], site) == ""
    step.env = env

    tests = step("pytest", [python, "-m", "pytest", "-p", "no:cacheprovider", "-n", "0", "-q"],
                 project, timeout=300)
    engines = 2 if env.get("ACCORD_TEST_DATABASE_URL") else 1
    assert f"{9 * engines} passed" in tests.splitlines()[-1], tests
    # About 20 s on an idle machine (half of it the generated tests); shown with -s.
    print(f"scaffold end to end: {time.monotonic() - started:.1f} s; steps: {step.times}")
