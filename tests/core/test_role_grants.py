"""Grants plugins give the built-in roles (``register_role_grants``): a third-party
plugin's records reach the built-in ``sales`` role as the shipped plugins' do, an
admin's revoke outlives restarts, disabling the plugin withdraws its grants, and
migration 0005 moves the databases 0002 seeded without losing an admin's changes."""

from __future__ import annotations

import logging

import peewee
import pytest
from marshmallow import fields

from accord import services
from accord.hooks import hookimpl
from accord.models import OwnedRecord, RolePermission
from accord.plugins import PluginManifest
from accord.records import Permission, RecordType, RoleGrant
from accord.rolegrants import RoleGrants
from accord.schemas import OwnedRecordSchema
from accord.services import roles
from accord.services.authz import actor_for
from accord.services.plugins import disable, enable
from accord_sdk.assertions import problem
from accord_sdk.pytest_plugin import CliRunner

MIGRATION = "0005_move_plugin_grants_to_plugins"
SYSTEM = services.Actor.system("test")


class Gadget(OwnedRecord):
    name = peewee.CharField(max_length=100)

    class Meta:
        table_name = "acme_gadget"


class GadgetSchema(OwnedRecordSchema):
    name = fields.String(required=True)


GADGET = RecordType("acme.gadget", Gadget, GadgetSchema, "gadgets", "Gadget")


class Acme:
    """A third-party plugin: gadgets, their permissions, and what the sales role gets."""

    MANIFEST = PluginManifest(name="acme", version="1.0")

    @hookimpl
    def register_record_types(self):
        return [GADGET]

    @hookimpl
    def register_permissions(self):
        return [Permission("acme.gadget.read", "Read gadgets"),
                Permission("acme.gadget.write", "Create and change gadgets")]

    @hookimpl
    def register_role_grants(self):
        return [RoleGrant("sales", ("acme.*",), rules=(("acme.gadget", "all"),))]


ACME = Acme()


@pytest.fixture
def acme(kernel):
    """The test kernel with acme enabled, its table, and a gadget an admin owns."""
    with kernel.bound():
        kernel.database.create_tables([Gadget])
    services.create(kernel, "acme.gadget", {"name": "Sprocket"}, actor=SYSTEM)
    return kernel


def gadget_names(client):
    response = client.get("/api/v1/acme/gadgets")
    assert response.status_code == 200, response.get_json()
    return [item["name"] for item in response.get_json()["items"]]


def stored(kernel, role):
    """The rows of a role: (permission, withheld)."""
    with kernel.bound():
        return sorted((p.permission, p.withheld) for p in
                      RolePermission.select().where(RolePermission.role == role))


@pytest.mark.plugins(ACME)
def test_hook_register_role_grants(acme, make_api_client, actor):
    seller = make_api_client("sales")
    # The contributed rule 'all' reaches the admin's gadget (sales' own '*' rule is 'own').
    assert gadget_names(seller) == ["Sprocket"]
    role = roles.get_role(acme, "sales", actor=SYSTEM)
    assert "acme.*" in role.grants and ("acme.*", "acme") in role.contributed
    assert dict(role.rules)["acme.gadget"] == "all"
    assert role.contributed_rules == (("acme.gadget", "acme"),)
    assert acme.role_grants["sales"] == RoleGrants("sales", {"acme.*": "acme"},
                                                   {"acme.gadget": ("all", "acme")})
    shown = make_api_client("admin").get("/api/v1/roles/sales").get_json()
    assert shown["contributed"] == {"grants": {"acme.*": "acme"},
                                    "rules": {"acme.gadget": "acme"}}
    assert "acme.*" in shown["grants"] and shown["withheld"] == []
    # Nothing is stored: the grant lives as long as the plugin runs.
    assert ("acme.*", False) not in stored(acme, "sales")

    disable(acme, "acme", actor=actor)
    problem(seller.get("/api/v1/acme/gadgets"), 404)  # the plugin is off
    assert not actor_for(acme, seller.user).can("acme.gadget.read")
    assert "acme.*" not in roles.get_role(acme, "sales", actor=SYSTEM).grants
    assert "sales" not in acme.role_grants
    enable(acme, "acme", actor=actor)
    assert gadget_names(seller) == ["Sprocket"]


@pytest.mark.plugins(ACME)
def test_a_grant_of_a_plugin_another_process_toggles_holds_from_the_next_request(
        acme, make_kernel, make_api_client, actor):
    # The token's lookup reads the kernel's counters in its own statement: the kernel is
    # synced before the actor is built, so the plugin's grant comes and goes with it.
    seller = make_api_client("sales")
    other = make_kernel([ACME])
    disable(other, "acme", actor=actor)
    assert "acme" in problem(seller.get("/api/v1/acme/gadgets"), 404)["detail"]
    enable(other, "acme", actor=actor)
    assert gadget_names(seller) == ["Sprocket"]
    roles.revoke(other, "sales", ["acme.*"], actor=SYSTEM)
    assert "acme.gadget.read" in problem(seller.get("/api/v1/acme/gadgets"), 403)["detail"]


@pytest.mark.plugins(ACME)
def test_a_revoked_plugin_grant_stays_revoked_across_a_restart(acme, make_kernel,
                                                               make_api_client):
    seller = make_api_client("sales")
    revoked = CliRunner(acme)("roles", "revoke", "sales", "acme.*")
    assert revoked.exit_code == 0, revoked.output
    assert "acme.* (revoked)" in revoked.output
    body = problem(seller.get("/api/v1/acme/gadgets"), 403)
    assert "acme.gadget.read" in body["detail"]
    assert ("acme.*", True) in stored(acme, "sales")

    acme.close()
    again = make_kernel(plugins=[ACME])
    assert again.plugins.get("acme").stored_state == "enabled"
    role = roles.get_role(again, "sales", actor=SYSTEM)
    assert "acme.*" not in role.grants and role.withheld == ("acme.*",)
    seller = make_api_client("sales", kernel=again)
    problem(seller.get("/api/v1/acme/gadgets"), 403)
    listed = CliRunner(again)("roles", "list")
    assert "acme.* (revoked)" in listed.output

    granted = CliRunner(again)("roles", "grant", "sales", "acme.*")
    assert granted.exit_code == 0, granted.output
    assert "from plugins: acme.* (acme)" in granted.output
    assert [p for p, _ in stored(again, "sales") if p.startswith("acme")] == []
    assert gadget_names(seller) == ["Sprocket"]


@pytest.mark.plugins(ACME)
def test_replacing_a_roles_grants_withholds_the_plugin_grants_left_out(acme, actor):
    current = [g for g in roles.get_role(acme, "sales", actor=SYSTEM).grants if g != "acme.*"]
    role = roles.update_role(acme, "sales", actor=actor, grants=current)
    assert "acme.*" not in role.grants and role.withheld == ("acme.*",)
    role = roles.update_role(acme, "sales", actor=actor, grants=[*current, "acme.*"])
    assert "acme.*" in role.grants and role.withheld == ()
    assert [p for p, _ in stored(acme, "sales") if p.startswith("acme")] == []


@pytest.mark.plugins(ACME)
def test_a_stored_rule_wins_over_the_plugins(acme, make_api_client, actor):
    seller = make_api_client("sales")
    services.create(acme, "acme.gadget", {"name": "Mine", "owner_id": seller.user.id},
                    actor=actor)
    assert sorted(gadget_names(seller)) == ["Mine", "Sprocket"]
    role = roles.set_rule(acme, "sales", "acme.gadget", "own", actor=actor)
    assert dict(role.rules)["acme.gadget"] == "own" and role.contributed_rules == ()
    assert gadget_names(seller) == ["Mine"]


@pytest.mark.plugins(ACME)
def test_the_actor_of_a_request_still_costs_one_query(acme, make_api_client,
                                                      count_queries):
    seller = make_api_client("sales")
    CliRunner(acme)("roles", "revoke", "sales", "core.contact.write")
    with count_queries() as counter:
        held = actor_for(acme, seller.user)
    assert counter.count == 1
    assert held.can("acme.gadget.write") and not held.can("core.contact.write")
    assert held.scope("acme.gadget") == "all"


class Rogue:
    """Grants a plugin may not give: to unknown roles, to admin, beyond its own."""

    MANIFEST = PluginManifest(name="rogue", version="1.0")

    @hookimpl
    def register_record_types(self):
        return [RecordType("rogue.gadget", Gadget, GadgetSchema, "gadgets", "Gadget")]

    @hookimpl
    def register_permissions(self):
        return [Permission("rogue.thing.read", "Read things")]

    @hookimpl
    def register_role_grants(self):
        return [RoleGrant("boss", ("rogue.*",)),
                RoleGrant("admin", ("rogue.*",)),
                RoleGrant("sales", ("rogue.*", "core.*", "*", "rogue.nothing.*"),
                          rules=(("rogue.gadget", "team"), ("contact", "all"),
                                 ("rogue.*", "everything")))]


def test_grants_beyond_the_plugins_own_are_logged_and_ignored(make_kernel, caplog):
    with caplog.at_level(logging.WARNING, logger="accord.rolegrants"):
        k = make_kernel(plugins=[Rogue()], enable=["rogue"])
    assert k.role_grants == {"sales": RoleGrants("sales", {"rogue.*": "rogue"},
                                                 {"rogue.gadget": ("team", "rogue")})}
    messages = caplog.text
    assert "role grants of rogue for role 'boss' ignored" in messages
    assert "role grants of rogue for role 'admin' ignored" in messages
    assert "grant 'core.*' of rogue to role sales ignored" in messages
    assert "grant '*' of rogue to role sales ignored" in messages
    assert "grant 'rogue.nothing.*' of rogue to role sales ignored" in messages
    assert "rule 'contact' of rogue for role sales ignored" in messages
    assert "rule 'rogue.*' of rogue for role sales ignored: 'everything' is not a scope" in (
        messages)
    assert "core.*" not in roles.get_role(k, "sales", actor=SYSTEM).contributed


# Migration 0005 ---------------------------------------------------------------------

#: What 0002 seeded for plugins (frozen history).
SEEDED = {("manager", "sales.*"), ("manager", "service.*"), ("manager", "marketing.*"),
          ("manager", "competitors.*"), ("sales", "sales.*"), ("sales", "competitors.*"),
          ("service", "service.*"), ("marketing", "marketing.*")}


def rows(kernel):
    """Every stored grant row as (role, permission)."""
    with kernel.bound():
        cursor = kernel.database.execute_sql(
            "SELECT role, permission FROM accord_role_permission")
        return set(cursor.fetchall())


def test_a_fresh_database_stores_no_grant_for_a_plugin(kernel):
    assert not {p for _, p in rows(kernel)} & {p for _, p in SEEDED}
    with kernel.bound():
        assert not RolePermission.select().where(RolePermission.withheld == True).exists()  # noqa: E712


def test_migration_0005_keeps_the_admins_changes_up_and_down(make_kernel, actor):
    k = make_kernel(plugins=["sales"], enable=["sales"])
    with k.bound():
        assert k.migrations.downgrade("core", 4)[-1] == MIGRATION  # later ones first
    assert SEEDED <= rows(k)
    assert "withheld" not in [c.name for c in k.database.get_columns("accord_role_permission")]
    # The admin's changes at 0004: sales loses sales.*, gains custom.*.
    k.database.execute_sql("DELETE FROM accord_role_permission "
                           "WHERE role = 'sales' AND permission = 'sales.*'")
    k.database.execute_sql("INSERT INTO accord_role_permission (role, permission) "
                           "VALUES ('sales', 'custom.*')")

    with k.bound():
        assert k.migrations.upgrade("core")[0] == MIGRATION
    assert stored(k, "sales") == sorted([
        *((p, False) for p in ("core.*.read", "core.organization.write", "core.contact.write",
                               "core.activity.write", "core.activity.delete",
                               "core.personal_data.read", "custom.*",
                               "core.metrics.read")),  # given by 0008
        ("sales.*", True)])
    sales = roles.get_role(k, "sales", actor=SYSTEM)
    assert "sales.*" not in sales.grants and "custom.*" in sales.grants
    assert sales.withheld == ("sales.*",)
    manager = roles.get_role(k, "manager", actor=SYSTEM)
    assert ("sales.*", "sales") in manager.contributed
    assert "service.*" not in manager.grants  # no service plugin yet
    seller = services.create(k, "user", {"email": "sam@example.com", "name": "Sam",
                                         "role": "sales"}, actor=actor)
    assert not actor_for(k, seller).can("sales.opportunity.read")
    assert actor_for(k, seller).can("custom.thing")

    with k.bound():
        assert k.migrations.downgrade("core", 4)[-1] == MIGRATION  # later ones first
    assert ("sales", "sales.*") not in rows(k)
    assert ("sales", "custom.*") in rows(k)
    assert SEEDED - {("sales", "sales.*")} <= rows(k)
    with k.bound():
        assert k.migrations.upgrade("core")[0] == MIGRATION
