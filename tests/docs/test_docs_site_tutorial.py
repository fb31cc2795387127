"""docs/tutorial.md, followed step by step in an empty folder, as a reader would.

Every block headed with a file name is written as that file; every ``$`` line of a
``console`` block runs, in page order, in a shell in that folder, and must print the
lines shown under it (``…`` stands for any text) and exit 0.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TUTORIAL = ROOT / "docs" / "tutorial.md"
# A fence with its options: ```python linenums="1" title="plugins/acme_visits/models.py"
# (the files of the reader's folder, not of the repository, so not the bare title="…"
# that tests/docs/test_doc_examples.py holds to the repository's files).
BLOCK = re.compile(r'^```(\w+)((?: \w+="[^"]*")*)\n(.*?)^```$', re.MULTILINE | re.DOTALL)
TITLE = re.compile(r' title="([^"]+)"')


def steps(text: str) -> list[tuple[str, str, str]]:
    """("file", path, content) and ("run", command, expected output), in page order."""
    out: list[tuple[str, str, str]] = []
    for lang, options, body in BLOCK.findall(text):
        title = TITLE.search(options)
        if title:
            out.append(("file", title[1], body))
        elif lang == "console":
            for chunk in re.split(r"^\$ ", body, flags=re.MULTILINE)[1:]:
                command, _, expected = chunk.partition("\n")
                out.append(("run", command, expected))
    return out


def matches(expected: str, actual: str) -> bool:
    """Line by line, whole lines; ``…`` in an expected line stands for any text."""
    want = expected.rstrip("\n").splitlines()
    got = [line.rstrip() for line in actual.rstrip("\n").splitlines()]
    if len(want) != len(got):
        return False
    return all(re.fullmatch(".*".join(map(re.escape, w.rstrip().split("…"))), g)
               for w, g in zip(want, got))


def test_the_reader_of_the_tutorial_gets_what_it_shows(tmp_path: Path) -> None:
    started = time.monotonic()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ACCORD_", "PYTEST_"))}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    done = []
    for kind, what, content in steps(TUTORIAL.read_text(encoding="utf-8")):
        if kind == "file":
            path = tmp_path / what
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content, encoding="utf-8")
            done.append(what)
            continue
        result = subprocess.run(["bash", "-c", what], cwd=tmp_path, env=env, text=True,
                                capture_output=True, timeout=120, check=False)
        output = result.stdout + result.stderr
        assert result.returncode == 0, f"after {done}: $ {what} exited {result.returncode}:\n" \
                                       f"{output}"
        assert matches(content, output), f"$ {what} printed:\n{output}\nthe page shows:\n" \
                                         f"{content}"
        done.append(what)
    # Every step of the page ran: the files of the plugin, its tests and every command.
    assert done[:3] == ["accord.toml", "mkdir plugins", "accord init"]
    assert "plugins/acme_visits/migrations/0001_create_visits.py" in done
    assert "python -m pytest -q tests" in done
    assert len([d for d in done if " " in d]) == 11
    print(f"tutorial followed in {time.monotonic() - started:.1f} s")


def test_expected_output_matching() -> None:
    assert matches("enabled x\n", "enabled x\n")
    assert not matches("enabled x\n", "enabled y\n")
    assert not matches("a\n", "a\nb\n")
    assert matches("3 passed in …\n", "3 passed in 0.41s\n")
    assert matches("NAME  SOURCE…\n…\n", "NAME  SOURCE   REQUIRES\n-----  ------\n")
