"""Resolving ``/api/v1/<plural>`` and ``/api/v1/<plugin>/<plural>`` to record types.

Resolved per request, so a plugin toggled in any process shows or hides its
resources on the next request without a restart.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .problems import ApiError

if TYPE_CHECKING:
    from ..kernel import Accord
    from ..records import RecordType

__all__ = ["resolve", "path_of"]


def path_of(record_type: RecordType) -> str:
    """The resource path of a type under /api/v1 (``contacts``, ``acme_dental/appointments``)."""
    return record_type.path


def resolve(kernel: Accord, plugin: str | None, plural: str) -> RecordType:
    for record_type in kernel.records:
        if record_type.plural == plural and (
                record_type.plugin == (plugin or "core")):
            return record_type
    if plugin is not None and plugin in kernel.plugins.plugins:
        stopped = kernel.plugins.stopped(plugin)
        if stopped is not None:
            raise ApiError(404, f"{stopped}, so its resources are not served; "
                                f"{stopped.api_fix()}")
        raise ApiError(404, f"the {plugin} plugin has no resource {plural!r}")
    where = f"{plugin}/{plural}" if plugin else plural
    raise ApiError(404, f"no resource {where!r} (see /api/v1/openapi.json)")
