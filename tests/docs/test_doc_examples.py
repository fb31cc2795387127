"""Code the docs quote is the code in the repository: every fenced block with a
``title="path"`` equals that file, so examples are the tested, running files."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
QUOTE = re.compile(r'^(?P<indent> *)```\w* title="(?P<path>[^"]+)"\n(?P<body>.*?)\n(?P=indent)```$',
                   re.MULTILINE | re.DOTALL)


def quotes() -> list[tuple[str, str, str]]:
    """(page, path, quoted text) of every titled code block of the docs."""
    found = []
    for page in sorted(DOCS.rglob("*.md")):
        for match in QUOTE.finditer(page.read_text(encoding="utf-8")):
            found.append((str(page.relative_to(ROOT)), match["path"], match["body"]))
    return found


QUOTES = quotes()


@pytest.mark.parametrize(("page", "path", "body"), QUOTES,
                         ids=[f"{page}:{path}" for page, path, _ in QUOTES])
def test_quoted_code_matches_the_file(page, path, body):
    source = ROOT / path
    assert source.is_file(), f"{page} quotes {path}, which does not exist"
    assert body == source.read_text(encoding="utf-8").rstrip("\n"), (
        f"{page} quotes an old version of {path}: paste the file again")


def test_the_plugin_guide_quotes_every_file_of_acme_notes():
    plugin = ROOT / "tests" / "plugins_folder" / "acme_notes"
    files = {str(p.relative_to(ROOT)) for p in plugin.rglob("*.py")}
    quoted = {path for page, path, _ in QUOTES if page == "docs/plugins.md"}
    assert files and files <= quoted, f"not in docs/plugins.md: {sorted(files - quoted)}"


def test_every_example_test_is_quoted_in_the_docs():
    examples = {str(p.relative_to(ROOT)) for p in (ROOT / "tests" / "docs").glob("test_*_example.py")}
    quoted = {path for _, path, _ in QUOTES}
    assert len(examples) >= 3 and examples <= quoted, sorted(examples - quoted)
