"""The documentation site holds together: every page is in mkdocs.yml's nav, every
relative link and anchor resolves, and the pages that list code facts list them all."""

from __future__ import annotations

import re
import tomllib
import unicodedata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
PAGES = sorted(str(p.relative_to(DOCS)) for p in DOCS.rglob("*.md"))
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^ *```.*?^ *```", re.MULTILINE | re.DOTALL)


def _slug(heading: str) -> str:
    """The anchor Python-Markdown's toc gives a heading (its default slugify)."""
    text = heading.replace("`", "").replace("**", "")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = re.sub(r"[^\w\s-]", "", text).strip().lower()
    return re.sub(r"[-\s]+", "-", text)


def _anchors(page: str) -> set[str]:
    text = FENCE.sub("", (DOCS / page).read_text(encoding="utf-8"))
    return {_slug(m) for m in re.findall(r"^#{1,6} (.+)$", text, re.MULTILINE)}


def test_nav_lists_every_page_and_only_existing_pages():
    text = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    listed = re.findall(r":\s*([\w./-]+\.md)\s*$", text, re.MULTILINE)
    assert sorted(listed) == PAGES


@pytest.mark.parametrize("page", PAGES)
def test_links_resolve(page):
    text = FENCE.sub("", (DOCS / page).read_text(encoding="utf-8"))
    broken = []
    for target in LINK.findall(text):
        if re.match(r"[a-z]+:", target):
            continue
        path, _, anchor = target.partition("#")
        linked = str((DOCS / page).parent.joinpath(path).resolve().relative_to(DOCS.resolve())) \
            if path else page
        if linked not in PAGES:
            broken.append(target)
        elif anchor and anchor not in _anchors(linked):
            broken.append(target)
    assert not broken, f"{page}: broken links {broken}"


def test_anchor_slugs_follow_markdown():
    assert _slug("`kernel_started`") == "kernel_started"
    assert _slug("Where Accord differs from DESIGN.md") == "where-accord-differs-from-designmd"
    assert _slug("accord report") == "accord-report"


def test_configuration_page_lists_every_key_and_variable():
    from accord.config import ENV_KEYS, _ConfigSchema

    text = (DOCS / "configuration.md").read_text(encoding="utf-8")
    missing = [k for k in _ConfigSchema().fields if f"`{k}`" not in text]
    missing += [v for v in [*ENV_KEYS, "ACCORD_CONFIG"] if f"`{v}" not in text]
    assert not missing


def test_configuration_example_loads(tmp_path):
    from accord.config import load_config

    text = (DOCS / "configuration.md").read_text(encoding="utf-8")
    example = re.search(r"```toml\n(.*?)```", text, re.DOTALL)[1]
    (tmp_path / "accord.toml").write_text(example, encoding="utf-8")
    config = load_config(tmp_path / "accord.toml", environ={})
    assert config.database_url.startswith("postgresql://")
    assert config.fields["contact"]["x_tier"]["choices"] == ["gold", "silver", "bronze"]
    assert tomllib.loads(example)["plugins"]["discover"] is False


def test_custom_fields_page_lists_every_kind_and_operator():
    from accord.config import FIELD_KINDS
    from accord.query import OPERATORS

    text = (DOCS / "custom-fields.md").read_text(encoding="utf-8")
    missing = [k for k in FIELD_KINDS if f"| `{k}` |" not in text]
    missing += [op for op in OPERATORS if f"__{op}" not in text]
    assert not missing


def test_metrics_page_lists_the_core_metrics():
    from accord.metrics import CORE_METRICS

    text = (DOCS / "metrics.md").read_text(encoding="utf-8")
    assert [m.name for m in CORE_METRICS if f"`{m.name}`" not in text] == []
