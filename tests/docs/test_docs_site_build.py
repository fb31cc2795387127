"""The documentation site's build (mkdocs.yml, `make docs`) and the pages that state
facts the code holds: the public API, the core API version."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"


def _small_site(tmp_path: Path, page: str) -> tuple[Path, Path]:
    """A two-page site with the real site's settings (theme, extensions, strictness,
    link validation): the changelog page as the repository has it, and ``page``."""
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    docs = tmp_path / "docs"
    docs.mkdir(parents=True)
    shutil.copy(DOCS / "changelog.md", docs / "changelog.md")
    (docs / "page.md").write_text(page, encoding="utf-8")
    config.update(docs_dir=str(docs), site_dir=str(tmp_path / "site"),
                  nav=[{"Page": "page.md"}, {"Changelog": "changelog.md"}])
    path = tmp_path / "mkdocs.yml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path, tmp_path / "site"


def _build(config: Path) -> subprocess.CompletedProcess[str]:
    # From the repository's root, as `make docs` runs: the changelog is included from there.
    return subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f",
                           str(config)], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, check=False, env={"NO_MKDOCS_2_WARNING": "1", "PATH": ""})


def test_a_broken_anchor_fails_the_build_and_the_changelog_has_one_source(tmp_path):
    config, site = _small_site(tmp_path, "# Page\n\nSee [the log](changelog.md#no-such-part).\n")
    broken = _build(config)
    assert broken.returncode == 1
    output = broken.stdout + broken.stderr
    assert ("WARNING -  Doc file 'page.md' contains a link 'changelog.md#no-such-part', but the "
            "doc 'changelog.md' does not contain an anchor '#no-such-part'.") in output
    assert "Aborted with 1 warnings in strict mode!" in output

    config, site = _small_site(tmp_path / "fixed", "# Page\n\nSee [the log](changelog.md).\n")
    built = _build(config)
    assert built.returncode == 0, built.stderr
    html = (site / "changelog" / "index.html").read_text(encoding="utf-8")
    # CHANGELOG.md itself, included when the site is built: its first entry is there.
    first = re.search(r"^- \*\*(\w+)\.\*\*", (ROOT / "CHANGELOG.md").read_text(), re.MULTILINE)
    assert f"<strong>{first[1]}.</strong>" in html
    assert "--8&lt;--" not in html and "--8<--" not in html


def test_make_test_builds_the_site_before_the_suite():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = re.search(r"^test:.*\n((?:\t.*\n)+)", makefile, re.MULTILINE)[1].splitlines()
    assert [line.strip() for line in recipe] == [
        "$(BIN)/mypy", "$(MKDOCS)", "$(BIN)/python -m pytest $(PYTEST_ARGS)"]
    assert "MKDOCS := NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet" in makefile
    assert "site/" in (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()


def test_the_compatibility_page_lists_the_public_api_and_the_core_api_version():
    from accord.plugins.manifest import CORE_API_VERSION
    from accord.public import PUBLIC_MODULES

    text = (DOCS / "compatibility.md").read_text(encoding="utf-8")
    listed = text.split("## The public API", 1)[1].split("Everything else is **private**")[0]
    named = set(re.findall(r"`(accord(?:\.\w+)*)`", listed))
    assert named == set(PUBLIC_MODULES)
    assert f"(now `{CORE_API_VERSION}`)" in text
