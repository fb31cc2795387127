"""The marketing pages, mounted by the core under ``/marketing`` (``register_pages``).
Each part adds its views to the blueprint (``add_pages(bp)``)."""

from __future__ import annotations

from flask import Blueprint

__all__ = ["blueprint"]


def blueprint() -> Blueprint:
    """A new blueprint of the pages (one per app: Flask keeps state on blueprints)."""
    from .hooks import PARTS

    bp = Blueprint("marketing", __name__, template_folder="templates")
    for part in PARTS:
        add = getattr(part, "add_pages", None)
        if add is not None:
            add(bp)
    return bp
