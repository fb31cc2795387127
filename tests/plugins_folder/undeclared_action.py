"""A plugin with an action whose permission nobody declares."""

from accord.hooks import hookimpl
from accord.plugins import PluginManifest
from accord.records import Permission, RecordAction

MANIFEST = PluginManifest(name="undeclared_action", version="1.0")


def _same(kernel, record_id, *, actor, version):
    return {"id": record_id}


@hookimpl
def register_permissions():
    return [Permission("undeclared_action.contact.pin", "Pin contacts")]


@hookimpl
def register_actions():
    return [RecordAction("contact", "pin", "undeclared_action.contact.pin", _same),
            # declared by the core: fine
            RecordAction("contact", "touch", "core.contact.write", _same),
            # declared by nobody: the plugin is refused
            RecordAction("contact", "close", "undeclared_action.contact.close", _same)]
