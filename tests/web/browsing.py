"""What the browser tests share besides fixtures: constants and page helpers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
#: Chromium as root in a sandbox without a network: no sandbox, no GPU, and none of the
#: background connections the closed network would refuse.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
#: Screenshots to look at: git-ignored, kept after the run.
SHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
PASSWORD = "correct horse battery"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def log_in(page: Any, email: str, password: str = PASSWORD) -> None:
    """Fill and send the login form (going to it first unless it is shown)."""
    if "/login" not in page.url:
        page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def nav_labels(page: Any) -> list[str]:
    return page.locator("nav[aria-label=Main] a").all_inner_texts()


def no_horizontal_scroll(page: Any) -> bool:
    return bool(page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"))


def serious_violations(page: Any) -> list[str]:
    """axe-core's serious and critical accessibility violations on the page, as
    ``rule: target`` lines (axe injected from tests/web/vendor)."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document)")
    return [f"{v['id']} ({v['impact']}): {node['target']} {v['help']}"
            for v in result["violations"] if v["impact"] in ("serious", "critical")
            for node in v["nodes"]]


def screenshot(page: Any, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
