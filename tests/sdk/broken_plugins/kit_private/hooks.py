"""Hook implementations of kit_private."""

from accord.cli.db import check
from accord.hooks import hookimpl
from accord.models.base import utcnow
from accord.records import Permission, RecordAction
from accord.services.authz import _actor_sql

__all__ = ["check", "utcnow", "_actor_sql"]


def star(kernel, record_id, *, actor, version):
    return {"id": record_id}


@hookimpl
def register_permissions():
    return [Permission("kit_private.contact.star", "Star contacts")]


@hookimpl
def register_actions():
    return [RecordAction("contact", "star", "kit_private.contact.star", star)]
