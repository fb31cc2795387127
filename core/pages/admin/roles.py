"""``/admin/roles``: every role with its grants (permission patterns) and record rules,
through ``accord.services.roles``: adding a role, changing one (its description, all
its grants, all its own rules), deleting one no user holds.

Grants are typed one per line; rules one per line as ``record type: scope`` (``own``,
``team`` or ``all``; a type may be a pattern such as ``acme_dental.*``). Grants and rules
that plugins give a built-in role are shown with the plugin's name: removing such a
grant withholds it, and a plugin's rule is overridden by a rule of the same pattern.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, g, render_template, request

from ...errors import AccordError, NotFound, PermissionDenied, ValidationError
from ...models import SCOPES
from ...services import roles as service
from .common import done, messages_of

if TYPE_CHECKING:
    from ...kernel import Accord

__all__ = ["register", "parse_rules", "rules_text"]

_URL = "/admin/roles"
_REFUSALS = (NotFound, PermissionDenied)


def parse_rules(text: str) -> dict[str, str]:
    """``acme_dental.*: own`` lines as {pattern: scope}; a line of another shape is refused
    naming ``rules`` (the service checks the patterns and scopes)."""
    rules: dict[str, str] = {}
    bad = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        pattern, sep, scope = line.rpartition(":")
        if not sep or not pattern.strip() or not scope.strip():
            bad.append(f"line {number} ({line.strip()!r}) is not 'record type: scope' "
                       f"(scopes: {', '.join(SCOPES)})")
            continue
        rules[pattern.strip()] = scope.strip()
    if bad:
        raise ValidationError({"rules": bad})
    return rules


def rules_text(rules: Any) -> str:
    return "\n".join(f"{pattern}: {scope}" for pattern, scope in rules)


def _grants(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def register(bp: Blueprint, kernel: Accord) -> None:
    @bp.get(_URL)
    def admin_roles() -> Any:
        return _page(kernel)

    @bp.post(_URL)
    def admin_role_add() -> Any:
        form = {k: request.form.get(k, "") for k in ("name", "description", "grants", "rules")}
        try:
            role = service.add_role(kernel, form["name"].strip(), actor=g.actor,
                                    description=form["description"].strip(),
                                    grants=_grants(form["grants"]),
                                    rules=parse_rules(form["rules"]))
        except _REFUSALS:
            raise
        except AccordError as exc:
            return _page(kernel, new=form, errors=messages_of(exc), status=exc.status)
        return done(f"Added the role {role.name}.", _URL)

    @bp.post(f"{_URL}/<name>")
    def admin_role_update(name: str) -> Any:
        form = {k: request.form.get(k, "") for k in ("description", "grants", "rules")}
        try:
            changes: dict[str, Any] = {"description": form["description"].strip()}
            if name != service.ADMIN:
                changes["grants"] = _grants(form["grants"])
                changes["rules"] = parse_rules(form["rules"])
            service.update_role(kernel, name, actor=g.actor, **changes)
        except _REFUSALS:
            raise
        except AccordError as exc:
            return _page(kernel, editing=(name, form, messages_of(exc)), status=exc.status)
        return done(f"Saved the role {name}.", _URL)

    @bp.post(f"{_URL}/<name>/delete")
    def admin_role_delete(name: str) -> Any:
        try:
            service.delete_role(kernel, name, actor=g.actor)
        except _REFUSALS:
            raise
        except AccordError as exc:
            return _page(kernel, editing=(name, None, messages_of(exc)), status=exc.status)
        return done(f"Deleted the role {name}.", _URL)


def _page(kernel: Accord, *, new: dict[str, str] | None = None,
          errors: dict[str, list[str]] | None = None,
          editing: tuple[str, dict[str, str] | None, dict[str, list[str]]] | None = None,
          status: int = 200) -> Response:
    roles = service.list_roles(kernel, actor=g.actor)
    shown = []
    for role in roles:
        contributed = dict(role.contributed_rules)
        form = {"description": role.description, "grants": "\n".join(role.grants),
                "rules": rules_text((t, s) for t, s in role.rules if t not in contributed)}
        role_errors: dict[str, list[str]] = {}
        if editing is not None and editing[0] == role.name:
            form = editing[1] or form
            role_errors = editing[2]
        shown.append((role, form, role_errors))
    body = render_template("admin/roles.html", roles=shown, new=new or {}, errors=errors or {},
                           scopes=SCOPES, admin_role=service.ADMIN)
    return Response(body, status=status)
