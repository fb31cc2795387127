"""The administration pages under ``/admin``: plugins, users and teams, roles, custom
fields and the audit trail.

Each view parses the form, calls the same service as the API (``core/api/admin.py``)
and draws the page again. The services check the ``admin.*`` permissions, so a user
without one gets the 403 page naming it; a refused form draws its page again with the
service's message beside the field (HTTP 4xx) and nothing changed. A form that
succeeded redirects back to its page (post/redirect/get) with a line saying what was
done.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Blueprint, g, render_template

from ...services.audit import AUDIT
from ...services.authz import require
from ...services.fields import FIELDS
from ...services.plugins import PLUGINS
from ...services.roles import USERS
from . import anonymize, audit, duplicates, fields, imports, people, plugins, roles, webhooks

if TYPE_CHECKING:
    from ...kernel import Accord

__all__ = ["register", "SECTIONS"]

#: The sections of the administration, each with its page and the permission it needs.
SECTIONS = (("Plugins", "/admin/plugins", PLUGINS),
            ("Users", "/admin/users", USERS),
            ("Teams", "/admin/teams", USERS),
            ("Roles", "/admin/roles", USERS),
            ("Custom fields", "/admin/fields", FIELDS),
            ("Audit log", "/admin/audit", AUDIT),
            ("Webhooks", "/admin/webhooks", "admin.webhooks"),
            ("Import", "/admin/import", "admin.import"),
            ("Duplicates", "/admin/duplicates", "admin.merge"),
            ("Erase personal data", "/admin/anonymize", "admin.anonymize"))


def register(bp: Blueprint, kernel: Accord) -> None:
    @bp.app_context_processor
    def admin_sections() -> dict[str, Any]:
        return {"admin_sections": _allowed}

    @bp.get("/admin")
    def admin_home() -> str:
        allowed = _allowed()
        if not allowed:
            require(g.actor, PLUGINS)  # the 403 page names the permission of the entry
        return render_template("admin/index.html", sections=allowed)

    plugins.register(bp, kernel)
    people.register(bp, kernel)
    roles.register(bp, kernel)
    fields.register(bp, kernel)
    audit.register(bp, kernel)
    webhooks.register(bp, kernel)
    imports.register(bp, kernel)
    duplicates.register(bp, kernel)
    anonymize.register(bp, kernel)


def _allowed() -> list[tuple[str, str, str]]:
    """The sections the user may open."""
    actor = g.get("actor")
    if actor is None:
        return []
    return [s for s in SECTIONS if actor.can(s[2])]

