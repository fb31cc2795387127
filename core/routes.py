"""API routes a plugin adds besides the generic record routes (``register_api_routes``):
reports and other read models such as a forecast or a stage history.

A route is declared, not written as a Flask view: the core mounts it under
``/api/v1``, authenticates the caller, checks the permission, loads the query
parameters (GET) or JSON body (other methods) with the route's marshmallow schema,
calls the handler, dumps its result with the response schema, and documents all of it
in the OpenAPI document. A plugin that is not running answers 404 naming it. This
module imports nothing of Flask, so a plugin's hooks module stays cheap to import.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable

__all__ = ["ApiRoute", "route_problem", "METHODS"]

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
_SEGMENT = re.compile(r"^(?:[a-z0-9_-]+|<int:[a-z_][a-z0-9_]*>|<[a-z_][a-z0-9_]*>)$")


@dataclass(frozen=True)
class ApiRoute:
    """``handler(kernel, **path_args, actor=actor, **args)`` answering
    ``METHOD /api/v1<path>``.

    ``path`` starts with the plugin's name (``/acme_dental/week``,
    ``/acme_dental/appointments/<int:id>/reminders``); path parameters use Flask's converters
    (``<int:id>``, ``<name>``) and reach the handler by name. ``args`` is a marshmallow
    schema class loading the query string (GET) or the JSON body; an unknown or bad
    parameter is a 400 naming it. ``response`` is a schema class dumping the result
    (``many=True`` for a list is the schema's own business: pass a class whose
    instances are made with it, or wrap the list in an object). The caller needs
    ``permission``; the handler applies record rules to what it reads.
    """

    path: str
    handler: Callable[..., Any]
    permission: str
    summary: str
    method: str = "GET"
    args: type[Any] | None = None
    response: type[Any] | None = None
    status: int = 200
    description: str = ""

    @property
    def plugin(self) -> str:
        return self.path.split("/")[1]

    @property
    def operation_id(self) -> str:
        words = [part.strip("<>").split(":")[-1] for part in self.path.split("/") if part]
        return "_".join([self.method.lower(), *words]).replace("-", "_")

    @property
    def openapi_path(self) -> str:
        """The path as the OpenAPI document writes it: ``/acme_dental/appointments/{id}``."""
        return re.sub(r"<(?:[a-z]+:)?([a-z_][a-z0-9_]*)>", r"{\1}", self.path)


def route_problem(route: object, plugin: str, permissions: set[str] | None) -> str | None:
    """Why a plugin's route cannot be mounted, or None. ``permissions``: those the
    route's may be (None: not checked)."""
    if not isinstance(route, ApiRoute):
        return f"{route!r} is not an accord.routes.ApiRoute"
    where = f"route {route.method} {route.path}"
    parts = route.path.split("/")
    if parts[0] != "" or len(parts) < 3 or parts[1] != plugin:
        return f"{where}: the path must start with /{plugin}/"
    bad = [part for part in parts[2:] if not _SEGMENT.match(part)]
    if bad:
        return (f"{where}: {', '.join(repr(b) for b in bad)} is not a path segment "
                "(lower-case words, <name> or <int:name>)")
    if route.method not in METHODS:
        return f"{where}: the method must be one of {', '.join(METHODS)}"
    if permissions is not None and route.permission not in permissions:
        return (f"{where}: the permission {route.permission} is declared by neither the "
                "plugin, the core nor a plugin it requires")
    if not callable(route.handler):
        return f"{where}: the handler is not callable"
    return None
