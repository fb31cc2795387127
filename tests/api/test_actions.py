"""Record actions a plugin declares: ``POST /api/v1/<resource>/<id>/<action>``."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from accord import services
from accord.hooks import hookimpl
from accord.plugins import PluginManifest
from accord.records import RecordAction
from accord.services import Actor
from accord.services.plugins import disable

SYSTEM = Actor.system("test")


class OptOutSchema(ma.Schema):
    calls = fields.Boolean(load_default=False)
    reason = fields.String(validate=validate.Length(max=200))


def opt_out(kernel: Any, contact_id: int, *, actor: Actor, version: int | None,
            calls: bool, reason: str | None = None) -> Any:
    """The handler takes the loaded body as keyword arguments."""
    return services.update(kernel, "contact", contact_id,
                           {"email_opt_out": True, "call_opt_out": calls},
                           actor=actor, version=version)


def card(kernel: Any, contact_id: int, *, actor: Actor, version: int | None) -> dict[str, Any]:
    contact: Any = services.get(kernel, "contact", contact_id, actor=actor)
    return {"card": f"{contact.first_name} {contact.last_name}".strip()}


class OptOuts:
    """Two verbs on contacts: one changes the record, one answers with a dict."""

    MANIFEST = PluginManifest(name="optouts", version="1.0")

    @hookimpl
    def register_actions(self):
        return [RecordAction("contact", "opt_out", "core.contact.write", opt_out,
                             description="Stop all mailings", schema=OptOutSchema),
                RecordAction("contact", "card", "core.contact.read", card)]


def test_hook_register_actions(make_kernel, make_api_client, helpers):
    kernel = make_kernel(plugins=[OptOuts()], enable=["optouts"])
    client = make_api_client(kernel=kernel, email="eve@example.com")
    contact = services.create(kernel, "contact", {"first_name": "Ada", "last_name": "Ng"},
                              actor=SYSTEM)
    path = f"/api/v1/contacts/{contact.id}"

    done = client.post(f"{path}/opt_out", json={"calls": True, "reason": "asked"},
                       headers={"If-Match": '"1"'})
    assert done.status_code == 200, done.get_json()
    assert done.headers["ETag"] == '"2"'
    assert (done.get_json()["email_opt_out"], done.get_json()["call_opt_out"]) == (True, True)
    row = helpers.stored(kernel, "contact", contact.id)
    assert (row.email_opt_out, row.call_opt_out, row.version) == (True, True, 2)
    last = helpers.audit(kernel, "contact", contact.id)[-1]
    assert (last.action, last.actor_label) == ("updated", "eve@example.com")

    assert client.post(f"{path}/card").get_json() == {"card": "Ada Ng"}

    # The action's schema, permission, version and the record's existence all hold.
    problem = helpers.problem(client.post(f"{path}/opt_out", json={"calls": "often", "colour": 1}),
                              422)
    assert set(problem["errors"]) == {"calls", "colour"}
    helpers.problem(client.post(f"{path}/opt_out", json={}, headers={"If-Match": '"1"'}), 412)
    helpers.problem(client.post("/api/v1/contacts/4711/opt_out", json={}), 404)
    reader = make_api_client("read-only", kernel=kernel)
    assert "core.contact.write" in helpers.problem(reader.post(f"{path}/opt_out", json={}),
                                                   403)["detail"]
    assert reader.post(f"{path}/card").status_code == 200
    assert helpers.stored(kernel, "contact", contact.id).version == 2

    # Actions belong to the record type they name only.
    org = services.create(kernel, "organization", {"name": "Acme"}, actor=SYSTEM)
    helpers.problem(client.post(f"/api/v1/organizations/{org.id}/opt_out", json={}), 404)

    # A disabled plugin's actions are gone at once.
    disable(kernel, "optouts", actor=SYSTEM)
    assert "opt_out" in helpers.problem(client.post(f"{path}/opt_out", json={}), 404)["detail"]
