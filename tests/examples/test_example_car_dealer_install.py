"""The example third-party plugin (examples/car_dealer) installed as a separate package:
``pip install -e`` into a throwaway environment that sees Accord's packages, ``accord
init``, enable it beside the service plugin it requires, ``accord db check``, the
conformance kit, and its own tests run with that environment's Python. All in
subprocesses, as a firm installing it would; run once, on SQLite (the example's own
suite runs on PostgreSQL too when ``ACCORD_TEST_DATABASE_URL`` is set).

The example's tests are not collected by Accord's own run (``testpaths = ["tests"]``);
they run here, from a copy of the example, so the source tree gets no build files.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "car_dealer"
ACCORD = "import sys; from accord.cli import main; sys.exit(main())"


def _can_build_offline() -> bool:
    """Whether setuptools here builds an editable wheel without fetching anything (it
    needs bdist_wheel: the wheel package, or setuptools 70.1 and later)."""
    return (importlib.util.find_spec("wheel") is not None
            or importlib.util.find_spec("setuptools.command.bdist_wheel") is not None)


def _run(args: list[str], cwd: Path, env: dict[str, str], timeout: float = 120) -> str:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)
    assert done.returncode == 0, (f"{' '.join(args[-4:])} exited {done.returncode}\n"
                                  f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done.stdout


@pytest.fixture
def venv(tmp_path: Path) -> tuple[Path, Path]:
    """A throwaway environment seeing Accord's packages, with a copy of the example
    installed in it (editable, like a plugin author's checkout). Returns its Python and
    the copy."""
    env_dir = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env_dir)], check=True)
    python = env_dir / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; "
                           "print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    # addsitedir also runs the .pth files there: Accord's own editable install is one.
    Path(site, "accord_project.pth").write_text(
        f"import site; site.addsitedir({sysconfig.get_paths()['purelib']!r})\n",
        encoding="utf-8")
    copy = tmp_path / "car_dealer"
    shutil.copytree(EXAMPLE, copy, ignore=shutil.ignore_patterns(
        "*.egg-info", "__pycache__", ".pytest_cache", "build"))
    isolation = [] if not _can_build_offline() else ["--no-build-isolation"]
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q",
          "--no-deps", *isolation, "-e", str(copy)], tmp_path, _env())
    return python, copy


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("ACCORD_") and not k.startswith("PYTEST_")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def test_the_example_installs_enables_and_passes_its_tests(venv, tmp_path):
    started = time.monotonic()
    python, copy = venv
    env = _env()
    site = tmp_path / "site"
    site.mkdir()

    def accord(*args: str) -> str:
        return _run([str(python), "-c", ACCORD, *args], site, env)

    assert "installed, not enabled: car_dealer" in accord("init")
    assert accord("plugins", "enable", "service") == "service is already enabled\n"
    assert accord("plugins", "enable", "car_dealer") == "enabled car_dealer\n"
    listed = accord("plugins", "list")
    assert [line.split()[:3] for line in listed.splitlines()
            if line.startswith("car_dealer")] == [["car_dealer", "0.1.0", "enabled"]]
    assert "entry point accord_car_dealer.hooks (accord-car-dealer)" in listed
    assert accord("db", "check") == "the tables match the models\n"
    info = accord("plugins", "info", "car_dealer")
    assert "car_dealer.vehicle" in info and "0001_create_vehicles" in info

    # A new firm with it enabled from the start gets its demo data and its metric.
    demo = tmp_path / "demo"
    demo.mkdir()
    (demo / "accord.toml").write_text(
        '[database]\nurl = "sqlite:///accord.db"\n[plugins]\n'
        'enabled = ["service", "car_dealer"]\n', encoding="utf-8")
    loaded = _run([str(python), "-c", ACCORD, "init", "--demo"], demo, env)
    assert "car_dealer.vehicles 5" in loaded, loaded
    report = _run([str(python), "-c", ACCORD, "report", "car_dealer.stock_value"], demo, env)
    assert report.splitlines()[-1].split()[1] == "91750.00", report  # the 4 not sold

    # The conformance kit, on SQLite (--fast): every check of a shipped plugin.
    checked = accord("plugin", "check", "car_dealer", "--fast")
    assert checked.splitlines()[-1] == "car_dealer passes the conformance kit", checked

    # Its own tests, with the installed package: no conftest of Accord's helps them.
    own = _run([str(python), "-m", "pytest", "-n", "0", "-p", "no:cacheprovider", "-q",
                "tests"], copy, env)
    assert " passed" in own.splitlines()[-1] and "failed" not in own, own
    assert time.monotonic() - started < 120
