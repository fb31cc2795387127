"""Every admin service checks its own permission: called straight from Python by an
actor without it, each refuses, names the permission, and leaves the database as it
was. The API and the CLI add no check of their own, so these are the only guards."""

from __future__ import annotations

from types import SimpleNamespace

import marshmallow as ma
import pytest

from accord import services
from accord.errors import PermissionDenied
from accord.metrics import catalog, metric_query, report
from accord.plugins import PluginManifest
from accord.services import SYSTEM, Actor
from accord.services import fields as field_services
from accord.services import plugins as plugin_services
from accord.services import roles as role_services
from accord.services.assignment import assign, transfer
from accord.services.audit import audit_entries, record_history
from accord.services.passwords import check_password, set_password
from accord.services.setup import initialise
from accord.services.tags import tag, tags_of, untag
from accord.services.teams import add_member, remove_member
from accord.services.tokens import create_token, list_tokens, revoke_token


class Knobs(ma.Schema):
    colour = ma.fields.String(load_default="blue")


class Tuned:
    MANIFEST = PluginManifest(name="tuned", version="1.0", settings_schema=Knobs)


class Spare:
    MANIFEST = PluginManifest(name="spare", version="1.0")


@pytest.fixture
def world(make_kernel, tmp_path):
    """A kernel with a plugin enabled and one not, a custom field, a role, two users
    (ann, whose restricted actor is refused; bob, with a token), a team and a tagged
    organization of bob's."""
    kernel = make_kernel(plugins=[Tuned(), Spare()], enable=["tuned"])
    field_services.add_field(kernel, "contact", "x_tier", "text", actor=SYSTEM)
    role_services.add_role(kernel, "auditor", grants=["admin.audit"], actor=SYSTEM)
    ann = services.create(kernel, "user", {"email": "ann@example.com", "name": "Ann",
                                           "role": "sales"}, actor=SYSTEM)
    bob = services.create(kernel, "user", {"email": "bob@example.com", "name": "Bob",
                                           "role": "sales"}, actor=SYSTEM)
    team = services.create(kernel, "team", {"name": "north"}, actor=SYSTEM)
    add_member(kernel, "north", bob.id, actor=SYSTEM)
    set_password(kernel, bob, "correct horse battery", actor=SYSTEM)
    token, _ = create_token(kernel, bob, name="laptop", actor=SYSTEM)
    org = services.create(kernel, "organization", {"name": "Northwind", "owner_id": bob.id},
                          actor=SYSTEM)
    tag(kernel, "organization", org.id, ["vip"], actor=SYSTEM)
    # What the brief's restricted actors hold: read everything of the core, nothing else.
    reader = Actor(ann.id, ann.email, role="sales", grants=("core.*.read",))
    nobody = Actor(ann.id, ann.email, role="sales", grants=())
    return SimpleNamespace(kernel=kernel, ann=ann, bob=bob, team=team, token=token, org=org,
                           reader=reader, nobody=nobody, export=tmp_path / "tuned.json")


def snapshot(kernel):
    """Every row of every table: the whole database, to compare before and after."""
    with kernel.bound():
        out = {}
        for table in sorted(kernel.database.get_tables()):
            rows = kernel.database.execute_sql(f'SELECT * FROM "{table}"').fetchall()
            out[table] = sorted(map(repr, rows))
        return out


# (what, the permission named, the call) — ``w`` is the world above.
CASES = [
    ("plugins.list_plugins", "admin.plugins",
     lambda w: plugin_services.list_plugins(w.kernel, actor=w.reader)),
    ("plugins.plugin_info", "admin.plugins",
     lambda w: plugin_services.plugin_info(w.kernel, "tuned", actor=w.reader)),
    ("plugins.plugin_settings", "admin.plugins",
     lambda w: plugin_services.plugin_settings(w.kernel, "tuned", actor=w.reader)),
    ("plugins.enable", "admin.plugins",
     lambda w: plugin_services.enable(w.kernel, "spare", actor=w.reader)),
    ("plugins.disable", "admin.plugins",
     lambda w: plugin_services.disable(w.kernel, "tuned", actor=w.reader)),
    ("plugins.set_settings", "admin.plugins",
     lambda w: plugin_services.set_settings(w.kernel, "tuned", {"colour": "red"},
                                            actor=w.reader)),
    ("plugins.purge_plan", "admin.plugins",
     lambda w: plugin_services.purge_plan(w.kernel, "tuned", actor=w.reader)),
    ("plugins.purge", "admin.plugins",
     lambda w: plugin_services.purge(w.kernel, "tuned", export_to=w.export, actor=w.reader)),
    ("setup.initialise", "admin.plugins", lambda w: initialise(w.kernel, actor=w.reader)),
    ("fields.list_fields", "admin.fields",
     lambda w: field_services.list_fields(w.kernel, actor=w.reader)),
    ("fields.add_field", "admin.fields",
     lambda w: field_services.add_field(w.kernel, "contact", "x_level", "integer",
                                        actor=w.reader)),
    ("fields.remove_field", "admin.fields",
     lambda w: field_services.remove_field(w.kernel, "contact", "x_tier", actor=w.reader)),
    ("roles.list_roles", "admin.users",
     lambda w: role_services.list_roles(w.kernel, actor=w.reader)),
    ("roles.get_role", "admin.users",
     lambda w: role_services.get_role(w.kernel, "auditor", actor=w.reader)),
    ("roles.add_role", "admin.users",
     lambda w: role_services.add_role(w.kernel, "boss", grants=["*"], actor=w.reader)),
    ("roles.update_role", "admin.users",
     lambda w: role_services.update_role(w.kernel, "auditor", description="x",
                                         actor=w.reader)),
    ("roles.grant", "admin.users",
     lambda w: role_services.grant(w.kernel, "sales", ["admin.users"], actor=w.reader)),
    ("roles.revoke", "admin.users",
     lambda w: role_services.revoke(w.kernel, "auditor", ["admin.audit"], actor=w.reader)),
    ("roles.set_rule", "admin.users",
     lambda w: role_services.set_rule(w.kernel, "sales", "contact", "all", actor=w.reader)),
    ("roles.delete_role", "admin.users",
     lambda w: role_services.delete_role(w.kernel, "auditor", actor=w.reader)),
    ("tokens.create_token for another user", "admin.users",
     lambda w: create_token(w.kernel, w.bob, name="mine now", actor=w.reader)),
    ("tokens.list_tokens of another user", "admin.users",
     lambda w: list_tokens(w.kernel, user_id=w.bob.id, actor=w.reader)),
    ("tokens.revoke_token of another user", "admin.users",
     lambda w: revoke_token(w.kernel, w.token.id, actor=w.reader)),
    ("teams.add_member", "admin.users",
     lambda w: add_member(w.kernel, "north", w.ann.id, actor=w.reader)),
    ("teams.remove_member", "admin.users",
     lambda w: remove_member(w.kernel, "north", w.bob.id, actor=w.reader)),
    ("passwords.set_password of another user", "admin.users",
     lambda w: set_password(w.kernel, w.bob, "a new long password", actor=w.reader)),
    ("assignment.transfer", "admin.users",
     lambda w: transfer(w.kernel, from_user=w.bob.id, to_user=w.ann.id, actor=w.reader)),
    ("assignment.assign", "core.organization.write",
     lambda w: assign(w.kernel, "organization", w.org.id, user=w.ann.id, actor=w.reader)),
    ("tags.tag", "core.organization.write",
     lambda w: tag(w.kernel, "organization", w.org.id, ["mine"], actor=w.reader)),
    ("tags.untag", "core.organization.write",
     lambda w: untag(w.kernel, "organization", w.org.id, ["vip"], actor=w.reader)),
    ("tags.tags_of", "core.organization.read",
     lambda w: tags_of(w.kernel, "organization", w.org.id, actor=w.nobody)),
    ("audit.audit_entries", "admin.audit",
     lambda w: audit_entries(w.kernel, actor=w.reader)),
    ("audit.record_history", "core.organization.read",
     lambda w: record_history(w.kernel, "organization", w.org.id, actor=w.nobody)),
    ("metrics.catalog", "core.metrics.read", lambda w: catalog(w.kernel, actor=w.reader)),
    ("metrics.report", "core.metrics.read",
     lambda w: report(w.kernel, "core.new_customers", metric_query(), actor=w.reader)),
]


@pytest.mark.parametrize("permission, call", [pytest.param(p, c, id=name)
                                              for name, p, c in CASES])
def test_a_service_refuses_an_actor_without_its_permission(world, permission, call):
    before = snapshot(world.kernel)
    with pytest.raises(PermissionDenied) as exc:
        call(world)
    assert str(exc.value) == (f"ann@example.com (sales) lacks the permission {permission}")
    assert snapshot(world.kernel) == before
    assert not world.export.exists()


def test_the_system_actor_passes_every_check(world):
    """The CLI's actor: the same calls, unrestricted, go through."""
    assert [p.name for p in plugin_services.list_plugins(world.kernel, actor=SYSTEM)] == [
        "spare", "tuned"]
    assert plugin_services.set_settings(world.kernel, "tuned", {"colour": "red"},
                                        actor=SYSTEM) == {"colour": "red"}
    assert role_services.get_role(world.kernel, "auditor", actor=SYSTEM).grants == (
        "admin.audit",)
    assert [t.id for t in list_tokens(world.kernel, actor=SYSTEM).items] == [world.token.id]
    assert audit_entries(world.kernel, actor=SYSTEM, action="settings").items[0].changes[
        "plugin"] == ["tuned", "tuned"]


def test_a_user_manages_their_own_tokens_and_password_without_admin_users(world):
    me = world.reader
    row, _ = create_token(world.kernel, world.ann, name="phone", actor=me)
    assert row.user.email == "ann@example.com"
    # Without admin.users the list is one's own, whatever else is stored.
    assert [t.id for t in list_tokens(world.kernel, actor=me).items] == [row.id]
    assert revoke_token(world.kernel, row.id, actor=me).revoked_at is not None
    set_password(world.kernel, world.ann, "my own long password", actor=me)
    assert check_password(world.kernel, "ann@example.com", "my own long password") is not None
    page = audit_entries(world.kernel, actor=SYSTEM, actor_id=world.ann.id)
    assert [e.action for e in page.items] == ["password_set", "token_revoked",
                                              "token_created"]


def test_audit_reading_masks_personal_data_for_who_may_not_read_it(world):
    services.create(world.kernel, "contact", {"last_name": "Ng", "email": "ng@example.com"},
                    actor=SYSTEM)
    auditor = Actor(world.ann.id, world.ann.email, role="auditor", grants=("admin.audit",))
    # The audit shows only the types its reader may read.
    assert audit_entries(world.kernel, actor=auditor, record_type="contact").items == []
    auditor = Actor(world.ann.id, world.ann.email, role="auditor",
                    grants=("admin.audit", "core.contact.read"))
    (entry,) = audit_entries(world.kernel, actor=auditor, record_type="contact",
                             action="created").items
    assert entry.changes["email"] is None and entry.changes["last_name"] == [None, "Ng"]
    (entry,) = audit_entries(world.kernel, actor=SYSTEM, record_type="contact",
                             action="created").items
    assert entry.changes["email"] == [None, "ng@example.com"]

