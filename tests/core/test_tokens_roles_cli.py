"""``accord tokens``, ``accord roles`` and ``accord users password|deactivate``: what
they print, what they store, and that a refusal writes nothing."""

from __future__ import annotations

import hashlib
import re

from accord import services
from accord.models import ApiToken, AuditEntry, Role, RolePermission, RoleRule, User
from accord.services.passwords import check_password
from accord.services.tokens import actor_for_token


def add_user(kernel, actor, email, role="sales"):
    return services.create(kernel, "user", {"email": email, "name": email.split("@")[0],
                                            "role": role}, actor=actor)


def rows(output):
    """The data rows of a printed table."""
    return [re.split(r"\s{2,}", line.strip()) for line in output.splitlines()[2:] if line.strip()]


def snapshot(kernel):
    with kernel.bound():
        return (sorted(Role.select(Role.name, Role.description).tuples()),
                sorted(RolePermission.select(RolePermission.role, RolePermission.permission)
                       .tuples()),
                sorted(RoleRule.select(RoleRule.role, RoleRule.record_type, RoleRule.scope)
                       .tuples()),
                AuditEntry.select().count())


def grants_of(kernel, role):
    with kernel.bound():
        return sorted(p.permission for p in
                      RolePermission.select().where(RolePermission.role == role))


# accord tokens ---------------------------------------------------------------------

def test_tokens_create_prints_it_once_and_stores_only_its_hash(cli, kernel, actor):
    ann = add_user(kernel, actor, "ann@example.com")
    result = cli("tokens", "create", "ann@example.com", "--name", "laptop")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    token = lines[1]
    assert lines[0] == "token 1 (laptop) for ann@example.com:"
    assert token.startswith("acc_") and len(token) > 40
    assert lines[2] == "Copy it now: it will not be shown again (only its hash is stored)."
    with kernel.bound():
        row = ApiToken.get()
        stored = [str(v) for v in ApiToken.select().tuples().get()]
    assert (row.user_id, row.name, row.prefix) == (ann.id, "laptop", token[:10])
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in stored
    listed = cli("tokens", "list").output
    assert token not in listed
    assert rows(listed)[0][:4] == ["1", "ann@example.com", "laptop", f"{token[:10]}…"]
    assert rows(listed)[0][5:] == ["-", "-"]  # never used, not revoked
    # The default name, and a user given by id.
    assert "(cli) for ann@example.com" in cli("tokens", "create", str(ann.id)).output


def test_tokens_list_shows_last_use_and_revoke_stops_the_token(cli, kernel, actor):
    add_user(kernel, actor, "ann@example.com")
    token = cli("tokens", "create", "ann@example.com").output.splitlines()[1]
    assert actor_for_token(kernel, token).label == "ann@example.com"
    with kernel.bound():
        assert ApiToken.get().last_used_at is not None
    assert rows(cli("tokens", "list").output)[0][5] != "-"
    result = cli("tokens", "revoke", "1")
    assert (result.exit_code, result.output) == (0, "revoked token 1 (cli)\n")
    assert actor_for_token(kernel, token) is None
    with kernel.bound():
        assert ApiToken.get().revoked_at is not None
        assert AuditEntry.select().where(AuditEntry.action == "token_revoked").count() == 1
    assert rows(cli("tokens", "list").output)[0][6] != "-"


def test_tokens_refusals(cli, kernel, actor):
    add_user(kernel, actor, "ann@example.com")
    assert cli("tokens", "list").output == "no tokens (create one with 'accord tokens create " \
                                           "USER')\n"
    unknown = cli("tokens", "create", "bob@example.com")
    assert (unknown.exit_code, unknown.output) == (
        1, "Error: no user 'bob@example.com' (give an id or an email)\n")
    blank = cli("tokens", "create", "ann@example.com", "--name", " ")
    assert blank.exit_code == 1
    assert blank.output == "Error: invalid input:\n  name: a token name is 1 to 100 characters\n"
    assert cli("tokens", "revoke", "7").output == "Error: no token 7\n"
    assert cli("tokens", "revoke", "seven").output == (
        "Error: no token 'seven' (give the ID 'accord tokens list' shows)\n")
    cli("users", "add", "root@example.com", "--name", "Root", "--role", "admin")
    cli("users", "deactivate", "ann@example.com")
    gone = cli("tokens", "create", "ann@example.com")
    assert (gone.exit_code, gone.output) == (
        1, "Error: invalid input:\n  user: ann@example.com is deactivated\n")
    with kernel.bound():
        assert not ApiToken.select().exists()


# accord roles ----------------------------------------------------------------------

def test_roles_list_shows_built_in_roles_with_users_grants_and_rules(cli, kernel, actor):
    add_user(kernel, actor, "ann@example.com")
    listed = {r[0]: r for r in rows(cli("roles", "list").output)}
    assert set(listed) == {"admin", "manager", "sales", "service", "marketing", "read-only"}
    assert listed["admin"] == ["admin", "yes", "0", "*", "* all", "-"]
    assert listed["sales"][1:3] == ["yes", "1"]
    assert listed["read-only"][3:] == ["*.read", "* all", "-"]


def test_roles_add_grant_revoke_rules_delete(cli, kernel):
    added = cli("roles", "add", "auditor", "--description", "Reads the trail",
                "--grant", "core.*.read", "--grant", "admin.audit")
    assert added.exit_code == 0, added.output
    assert added.output == ("auditor: grants admin.audit, core.*.read; rules none "
                            "(all records)\n")
    with kernel.bound():
        assert Role.get_by_id("auditor").description == "Reads the trail"
    assert grants_of(kernel, "auditor") == ["admin.audit", "core.*.read"]

    granted = cli("roles", "grant", "auditor", "core.contact.write", "core.activity.*")
    assert granted.exit_code == 0, granted.output
    assert grants_of(kernel, "auditor") == ["admin.audit", "core.*.read", "core.activity.*",
                                            "core.contact.write"]
    revoked = cli("roles", "revoke", "auditor", "admin.audit")
    assert revoked.exit_code == 0, revoked.output
    assert grants_of(kernel, "auditor") == ["core.*.read", "core.activity.*",
                                            "core.contact.write"]

    assert cli("roles", "rules", "auditor", "contact", "own").output == (
        "auditor: grants core.*.read, core.activity.*, core.contact.write; rules contact own\n")
    cli("roles", "rules", "auditor", "*", "team")
    cli("roles", "rules", "auditor", "contact", "all")
    with kernel.bound():
        assert dict(RoleRule.select(RoleRule.record_type, RoleRule.scope)
                    .where(RoleRule.role == "auditor").tuples()) == {"contact": "all", "*": "team"}
        actions = [e.action for e in AuditEntry.select().where(AuditEntry.record_type == "role")
                   .order_by(AuditEntry.id)]
    assert actions == ["created", "granted", "revoked", "rule_set", "rule_set", "rule_set"]

    deleted = cli("roles", "delete", "auditor")
    assert (deleted.exit_code, deleted.output) == (0, "deleted role auditor\n")
    with kernel.bound():
        assert Role.get_or_none(Role.name == "auditor") is None
        assert not RoleRule.select().where(RoleRule.role == "auditor").exists()
    assert grants_of(kernel, "auditor") == []


def test_roles_refusals_print_a_message_and_write_nothing(cli, kernel, actor):
    cli("roles", "add", "auditor", "--grant", "admin.audit")
    add_user(kernel, actor, "ann@example.com", role="auditor")
    before = snapshot(kernel)
    no_match = "'sales.*' matches no permission the core or an enabled plugin declares"
    cases = [
        (("roles", "add", "clerk", "--grant", "sales.*"),
         f"invalid input:\n  grants: {no_match}"),
        (("roles", "add", "Clerk"),
         "invalid input:\n  name: 'Clerk': a role name is a lowercase letter, then up to 63 "
         "lowercase letters, digits, '-' or '_'"),
        (("roles", "add", "sales"), "invalid input:\n  name: a role 'sales' already exists"),
        (("roles", "grant", "auditor", "core.contact.read", "sales.*"),
         f"invalid input:\n  grants: {no_match}"),
        (("roles", "grant", "boss", "core.contact.read"), None),
        (("roles", "grant", "admin", "core.contact.read"),
         "the admin role always holds every permission ('*') and reaches all records; its "
         "grants and rules cannot be changed"),
        (("roles", "revoke", "auditor", "core.*"),
         "invalid input:\n  grants: auditor does not hold 'core.*' (it holds admin.audit)"),
        (("roles", "rules", "auditor", "contact", "mine"),
         "invalid input:\n  scope: 'mine' is not a scope; use own, team, all"),
        (("roles", "rules", "auditor", "boat", "own"), None),
        (("roles", "rules", "auditor", "sales.*", "own"), None),
        (("roles", "delete", "sales"), "sales is a built-in role; it cannot be deleted"),
        (("roles", "delete", "auditor"),
         "auditor is the role of 1 user (ann@example.com); give them another role first"),
        (("roles", "delete", "boss"), None),
    ]
    for args, message in cases:
        result = cli(*args)
        assert result.exit_code == 1, (args, result.output)
        if message is not None:
            assert result.output == f"Error: {message}\n", args
        assert snapshot(kernel) == before, args
    assert "record_type: unknown record type 'boat' (known: " in cli(
        "roles", "rules", "auditor", "boat", "own").output
    assert "record_type: 'sales.*' matches no record type (known: " in cli(
        "roles", "rules", "auditor", "sales.*", "own").output
    assert cli("roles", "delete", "boss").output.startswith(
        "Error: no role 'boss' (roles: admin, auditor, manager")


# accord users password / deactivate --------------------------------------------------

def test_users_password_asks_twice_hidden_and_stores_a_hash(cli, kernel, actor):
    add_user(kernel, actor, "ann@example.com")
    result = cli("users", "password", "ann@example.com",
                 input="correct horse\ncorrect horse\n")
    assert result.exit_code == 0, result.output
    assert "correct horse" not in result.output  # hidden input is not echoed
    assert "Repeat for confirmation" in result.output
    assert result.output.endswith("password set for ann@example.com\n")
    with kernel.bound():
        stored = User.get(User.email == "ann@example.com").password_hash
    assert stored.startswith("$argon2") and "correct horse" not in stored
    assert check_password(kernel, "ann@example.com", "correct horse").email == "ann@example.com"
    assert check_password(kernel, "ann@example.com", "wrong horse") is None


def test_users_password_refusals_store_nothing(cli, kernel, actor):
    add_user(kernel, actor, "ann@example.com")
    short = cli("users", "password", "ann@example.com", input="short\nshort\n")
    assert short.exit_code == 1
    assert short.output.endswith("Error: invalid input:\n  password: use at least 10 "
                                 "characters\n")
    mismatch = cli("users", "password", "ann@example.com",
                   input="correct horse\ncorrect house\n")
    assert mismatch.exit_code == 1
    assert "Error: The two entered values do not match." in mismatch.output
    unknown = cli("users", "password", "bob@example.com", input="correct horse\n" * 2)
    assert (unknown.exit_code, unknown.output) == (
        1, "Error: no user 'bob@example.com' (give an id or an email)\n")
    with kernel.bound():
        assert User.get(User.email == "ann@example.com").password_hash is None
        assert not AuditEntry.select().where(AuditEntry.action == "password_set").exists()


def test_users_deactivate_refuses_the_last_active_admin(cli, kernel, actor):
    root = add_user(kernel, actor, "root@example.com", role="admin")
    add_user(kernel, actor, "ann@example.com")
    token = cli("tokens", "create", "ann@example.com").output.splitlines()[1]
    result = cli("users", "deactivate", "ann@example.com")
    assert (result.exit_code, result.output) == (
        0, "deactivated ann@example.com; their tokens no longer work\n")
    assert actor_for_token(kernel, token) is None
    with kernel.bound():
        assert User.get(User.email == "ann@example.com").active is False
        entry = AuditEntry.select().where(AuditEntry.record_type == "user").order_by(
            AuditEntry.id.desc()).get()
    assert (entry.action, entry.changes) == ("updated", {"active": [True, False]})
    assert cli("users", "deactivate", "ann@example.com").output == (
        "ann@example.com is already deactivated\n")

    last = cli("users", "deactivate", "root@example.com")
    assert (last.exit_code, last.output) == (
        1, "Error: invalid input:\n  active: root@example.com is the last active admin; make "
           "another user admin first\n")
    with kernel.bound():
        assert User.get_by_id(root.id).active is True
    add_user(kernel, actor, "second@example.com", role="admin")
    assert cli("users", "deactivate", "root@example.com").exit_code == 0
    with kernel.bound():
        assert User.get_by_id(root.id).active is False
    assert cli("users", "deactivate", "nobody@example.com").output == (
        "Error: no user 'nobody@example.com' (give an id or an email)\n")
