"""The plugins' own API routes (``register_api_routes``), mounted under ``/api/v1``.

Every loaded plugin's routes are added when the app is built, whatever the plugin's
state; a request to a route of a plugin that is not running answers 404 naming the
plugin and what would make it run, so a toggle needs no restart.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import marshmallow as ma
from flask import Blueprint, Response, jsonify, request

from ..errors import flatten_messages
from ..routes import ApiRoute, route_problem
from ..services.authz import require
from .auth import current_actor
from .bodies import json_object
from .problems import ApiError

if TYPE_CHECKING:
    from ..kernel import Accord

__all__ = ["register", "plugin_routes"]

logger = logging.getLogger(__name__)


def plugin_routes(kernel: Accord, only: list[str] | None = None) -> list[ApiRoute]:
    """The routes of the loaded plugins (or of ``only``), the first of each method and
    path kept."""
    names = only if only is not None else [
        name for name, plugin in kernel.plugins.plugins.items()
        if plugin.module is not None and not plugin.failed]
    routes: dict[tuple[str, str], ApiRoute] = {}
    for plugin, route in kernel.plugins.collect("register_api_routes", only=names):
        # Permissions were checked when the plugin loaded (a disabled plugin's are not
        # in kernel.permissions now).
        problem = route_problem(route, plugin, None)
        if problem:
            logger.error("API route of %s left out: %s", plugin, problem)
            continue
        key = (route.method, route.path)
        if key in routes:
            logger.error("API route %s %s of %s left out: another plugin declared it first",
                         route.method, route.path, plugin)
            continue
        routes[key] = route
    return list(routes.values())


def register(bp: Blueprint, kernel: Accord) -> None:
    try:
        routes = plugin_routes(kernel)
    except Exception:  # plugin code, checked at load: the app is built without them
        logger.exception("the plugins' API routes are left out: register_api_routes failed")
        return
    for route in routes:
        bp.add_url_rule(route.path, endpoint=f"route_{route.operation_id}",
                        view_func=_view(kernel, route), methods=[route.method])


def _view(kernel: Accord, route: ApiRoute) -> Any:
    def view(**path_args: Any) -> Response:
        stopped = kernel.plugins.stopped(route.plugin)
        if stopped is not None:
            raise ApiError(404, f"{stopped}; {stopped.api_fix()}")
        actor = current_actor()
        require(actor, route.permission)
        args = _arguments(route)
        result = route.handler(kernel, **path_args, actor=actor, **args)
        body = route.response().dump(result) if route.response is not None else result
        response = jsonify(body)
        response.status_code = route.status
        return response
    return view


def _arguments(route: ApiRoute) -> dict[str, Any]:
    if route.args is None:
        if request.args or request.get_data(cache=True):
            raise ApiError(400, f"{route.method} {route.path} takes no parameters")
        return {}
    if route.method == "GET":
        source: Any = {key: values[0] if len(values) == 1 else values
                       for key, values in request.args.lists()}
        where = "parameters"
    else:
        source = json_object()
        where = "body"
    try:
        loaded: dict[str, Any] = route.args().load(source)
    except ma.ValidationError as exc:
        errors = flatten_messages(exc.messages, unknown="unknown parameter")
        raise ApiError(400, f"bad {where}; see errors", errors=errors) from None
    return loaded
