"""Issue 11, items 23, 24, 27, 28 and 29: messages that say the real state and what to do
in the face's own terms; what `accord init` enables; teams made whole; changing one
pipeline; docs that agree with behaviour. Each refusal is asserted with its message and
with the data left as it was."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import accord_sales.hooks
import pytest

from accord import services
from accord.errors import NotFound
from accord.hooks import hookimpl
from accord.jobs import Job, run_job
from accord.models import AuditEntry, PluginState, Team, TeamMember, User
from accord.plugins import PluginManifest
from accord.services import Actor
from accord.services.counters import bump
from accord_sdk.assertions import problem
from accord_sdk.pytest_plugin import CliRunner

SYSTEM = Actor.system("test")
ROOT = Path(__file__).resolve().parents[2]


def _members(kernel, team_id):
    with kernel.bound():
        return sorted(m.user_id for m in TeamMember.select().where(TeamMember.team == team_id))


def _teams(kernel):
    with kernel.bound():
        return ([t.__data__ for t in Team.select().order_by(Team.id)],
                sorted((m.team_id, m.user_id) for m in TeamMember.select()))


def _user(kernel, email, role="sales"):
    return services.create(kernel, "user", {"email": email, "name": email.split("@")[0],
                                            "role": role}, actor=SYSTEM)


# Item 27: teams ----------------------------------------------------------------------

def test_item_27_team_members_are_shown_and_changed_over_the_api(kernel, api_client):
    ann, bob = _user(kernel, "ann@example.com"), _user(kernel, "bob@example.com")
    made = api_client.post("/api/v1/teams", json={"name": "North", "manager_id": ann.id})
    assert made.status_code == 201, made.get_json()
    team = made.get_json()
    assert team["members"] == [ann.id]  # the manager is a member
    assert _members(kernel, team["id"]) == [ann.id]
    members = f"/api/v1/teams/{team['id']}/members"

    added = api_client.post(members, json={"user_id": bob.id})
    assert added.status_code == 200, added.get_json()
    assert added.get_json()["added"] is True
    assert [u["email"] for u in added.get_json()["items"]] == ["ann@example.com",
                                                               "bob@example.com"]
    again = api_client.post(members, json={"user_id": bob.id})
    assert again.get_json()["added"] is False
    read = api_client.get(f"/api/v1/teams/{team['id']}").get_json()
    assert read["members"] == [ann.id, bob.id] and read["version"] == 2
    assert [u["id"] for u in api_client.get(members).get_json()["items"]] == [ann.id, bob.id]
    history = api_client.get(f"/api/v1/teams/{team['id']}/history").get_json()["items"]
    assert history[-1]["action"] == "updated"
    assert history[-1]["changes"] == {"members": [[ann.id], [ann.id, bob.id]]}

    before = _teams(kernel)
    missing = api_client.post(members, json={"user_id": 999})
    assert problem(missing, 422)["errors"] == {"user_id": ["there is no user 999"]}
    manager_out = api_client.delete(f"{members}/{ann.id}")
    assert problem(manager_out, 409)["detail"] == (
        f"user {ann.id} manages the team North, so stays a member; give the team another "
        "manager first")
    without_manager = api_client.patch(f"/api/v1/teams/{team['id']}",
                                       json={"members": [bob.id]})
    assert problem(without_manager, 422)["errors"] == {"members": [
        f"user {ann.id} manages this team, so stays a member; give the team another "
        "manager first"]}
    assert _teams(kernel) == before

    assert api_client.delete(f"{members}/{bob.id}").status_code == 204
    assert _members(kernel, team["id"]) == [ann.id]
    gone = api_client.delete(f"{members}/{bob.id}")
    assert problem(gone, 404)["detail"] == (f"user {bob.id} is not a member of team "
                                            f"{team['id']}")

    # A new manager joins the team in the same write.
    moved = api_client.patch(f"/api/v1/teams/{team['id']}", json={"manager_id": bob.id})
    assert moved.get_json()["members"] == [ann.id, bob.id]


def test_item_27_changing_who_is_in_a_team_needs_admin_users(kernel, make_api_client):
    ann = _user(kernel, "ann@example.com")
    team = services.create(kernel, "team", {"name": "North"}, actor=SYSTEM)
    manager = make_api_client("manager")  # core.team.write, but not admin.users
    before = _teams(kernel)
    refusal = (f"{manager.user.email} (manager) lacks the permission admin.users, needed to "
               "change who is in a team (its manager is a member)")
    join = manager.post(f"/api/v1/teams/{team.id}/members", json={"user_id": manager.user.id})
    assert problem(join, 403)["detail"] == (f"{manager.user.email} (manager) lacks the "
                                            "permission admin.users")
    for change in ({"members": [manager.user.id]}, {"manager_id": manager.user.id},
                   {"members": [ann.id]}):
        response = manager.patch(f"/api/v1/teams/{team.id}", json=change)
        assert problem(response, 403)["detail"] == refusal, change
    created = manager.post("/api/v1/teams", json={"name": "Mine", "manager_id": manager.user.id})
    assert problem(created, 403)["detail"] == refusal
    assert _teams(kernel) == before
    renamed = manager.patch(f"/api/v1/teams/{team.id}", json={"name": "Nord"})
    assert renamed.status_code == 200 and renamed.get_json()["members"] == []


def test_item_27_the_cli_reactivates_users_changes_roles_and_members(kernel, cli):
    ann = _user(kernel, "ann@example.com")
    _user(kernel, "root@example.com", role="admin")
    assert cli("users", "deactivate", "ann@example.com").exit_code == 0
    result = cli("users", "reactivate", "ann@example.com")
    assert result.exit_code == 0, result.output
    assert result.output == "reactivated ann@example.com; their tokens work again\n"
    assert services.get(kernel, "user", ann.id).active is True
    assert cli("users", "reactivate", "ann@example.com").output == (
        "ann@example.com is already active\n")

    result = cli("users", "role", "ann@example.com", "manager")
    assert result.exit_code == 0 and result.output == "ann@example.com: role sales -> manager\n"
    assert services.get(kernel, "user", ann.id).role_id == "manager"
    unknown = cli("users", "role", "ann@example.com", "boss")
    assert unknown.exit_code == 1
    assert "role: no role 'boss' (roles: admin, manager, marketing, read-only, sales, " \
           "service)" in unknown.output
    last_admin = cli("users", "role", "root@example.com", "sales")
    assert last_admin.exit_code == 1 and "active admin" in last_admin.output
    with kernel.bound():
        assert {u.email: u.role_id for u in User.select()} == {
            "ann@example.com": "manager", "root@example.com": "admin"}

    assert cli("teams", "add", "North", "--manager", "root@example.com").exit_code == 0
    with kernel.bound():
        team = Team.get(Team.name == "North")
        root = User.get(User.email == "root@example.com")
    assert _members(kernel, team.id) == [root.id]
    assert cli("teams", "join", "North", "ann@example.com").exit_code == 0
    assert _members(kernel, team.id) == sorted([root.id, ann.id])
    refused = cli("teams", "leave", "North", "root@example.com")
    assert refused.exit_code == 1
    assert refused.output == (f"Error: user {root.id} manages the team North, so stays a "
                              "member; give the team another manager first\n")
    assert _members(kernel, team.id) == sorted([root.id, ann.id])
    left = cli("teams", "leave", "North", "ann@example.com")
    assert left.exit_code == 0 and left.output == "ann@example.com left North\n"
    assert _members(kernel, team.id) == [root.id]
    assert cli("teams", "leave", "North", "ann@example.com").output == (
        "ann@example.com is not a member of North\n")
    assert cli("teams", "manager", "North", "ann@example.com").output == (
        "ann@example.com manages North\n")
    assert _members(kernel, team.id) == sorted([root.id, ann.id])
    listed = cli("teams", "list").output
    assert re.search(r"North\s+ann@example.com\s+ann@example.com, root@example.com", listed)


@pytest.mark.plugins(accord_sales.hooks)
def test_item_27_a_record_created_through_the_api_gets_its_owners_only_team(
        kernel, make_api_client):
    north = services.create(kernel, "team", {"name": "north"}, actor=SYSTEM)
    services.create(kernel, "team", {"name": "south"}, actor=SYSTEM)
    rep = make_api_client("sales", teams=["north"])
    both = make_api_client("sales", teams=["north", "south"])
    made = rep.post("/api/v1/organizations", json={"name": "Acme"})
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["team_id"] == north.id
    assert services.get(kernel, "organization", made.get_json()["id"]).team_id == north.id
    lead = rep.post("/api/v1/sales/leads", json={"name": "Jo Lee", "company": "Lee Ltd"})
    assert lead.get_json()["team_id"] == north.id
    # In two teams: which one is not guessed; a team given (even none) is kept.
    assert both.post("/api/v1/organizations", json={"name": "B"}).get_json()["team_id"] is None
    assert rep.post("/api/v1/organizations",
                    json={"name": "C", "team_id": None}).get_json()["team_id"] is None

    # Conversion follows the same rule: a lead without a team, owned by the rep, gives
    # the rep's team to what it becomes.
    bare = services.create(kernel, "sales.lead", {"name": "Al Bo", "company": "Bo AG",
                                                  "owner_id": rep.user.id, "team_id": None},
                           actor=SYSTEM)
    converted = rep.post(f"/api/v1/sales/leads/{bare.id}/convert",
                         json={"create_opportunity": True, "opportunity": {"name": "Bo seats"}})
    assert converted.status_code == 200, converted.get_json()
    done = services.get(kernel, "sales.lead", bare.id)
    assert services.get(kernel, "contact", done.contact_id).team_id == north.id
    assert services.get(kernel, "sales.opportunity", done.opportunity_id).team_id == north.id


# Item 23: messages that say the real state and what to do, in the face's terms --------

class Tally:
    """A plugin with a job that requires acme_notes."""

    MANIFEST = PluginManifest(name="tally", version="1.0", requires={"acme_notes": ">=1,<2"})

    @hookimpl
    def register_jobs(self):
        return [Job("tally.count", "Counts", "0 6 * * *", lambda kernel, today: "0 counted")]


def _stored_states(kernel):
    with kernel.bound():
        return {row.name: row.state for row in PluginState.select()}


def _leave_stored_disabled(kernel, name):
    """What a race once left: a requirement disabled under an enabled plugin."""
    with kernel.transaction():
        PluginState.update(state="disabled").where(PluginState.name == name).execute()
        bump("plugin_state")
    kernel.sync()


@pytest.fixture
def notes(make_kernel, plugins_folder):
    return make_kernel(plugins=[Tally()], plugins_dir=plugins_folder,
                       enable=["acme_notes", "acme_extra", "tally"], allow_failed=True)


def test_item_23_an_enabled_plugin_that_cannot_run_says_why_and_what_to_do(
        notes, make_api_client):
    client = make_api_client("admin", kernel=notes)
    _leave_stored_disabled(notes, "acme_notes")
    before = _stored_states(notes)
    gone = client.get("/api/v1/acme_extra/anything")
    # acme_extra declares no resources; its state is what is said.
    assert problem(gone, 404)["detail"] == (
        "the acme_extra plugin is enabled but cannot run: it requires acme_notes (>=1,<2), "
        "which is disabled, so its resources are not served; an admin can enable "
        "acme_notes: POST /api/v1/plugins/acme_notes/enable")
    with pytest.raises(NotFound) as exc:
        run_job(notes, "tally.count")
    assert str(exc.value) == (
        "job 'tally.count' belongs to the tally plugin, which is enabled but cannot run: it "
        "requires acme_notes (>=1,<2), which is disabled; 'accord plugins enable acme_notes' "
        "first")
    result = CliRunner(notes)("acme_extra", "--help")
    assert result.exit_code == 1
    assert result.output == (
        "Error: the acme_extra plugin is enabled but cannot run: it requires acme_notes "
        "(>=1,<2), which is disabled; 'accord plugins enable acme_notes' first\n")
    assert _stored_states(notes) == before


def test_item_23_a_disabled_or_failed_plugin_is_named_with_its_remedy(
        make_kernel, plugins_folder, make_api_client):
    kernel = make_kernel(plugins_dir=plugins_folder, allow_failed=True)
    client = make_api_client("admin", kernel=kernel)
    cli = CliRunner(kernel)
    before = _stored_states(kernel)
    off = client.get("/api/v1/acme_notes/notes")
    assert problem(off, 404)["detail"] == (
        "the acme_notes plugin is not enabled, so its resources are not served; an admin "
        "can enable acme_notes: POST /api/v1/plugins/acme_notes/enable")
    failed_error = ("the broken_import plugin failed to load: cannot import: RuntimeError: "
                    "this plugin is broken on purpose")
    result = cli("broken_import", "--help")
    assert result.exit_code == 1 and result.output == (
        f"Error: {failed_error}; fix or reinstall broken_import ('accord plugins info "
        "broken_import' shows why it failed)\n")
    # Enabling is what fails: neither face says to enable it.
    enabled = cli("plugins", "enable", "broken_import")
    assert enabled.exit_code == 1 and enabled.output == (
        "Error: broken_import failed to load: cannot import: RuntimeError: this plugin is "
        "broken on purpose; fix or reinstall broken_import ('accord plugins info "
        "broken_import' shows why it failed)\n")
    refused = client.post("/api/v1/plugins/broken_import/enable")
    assert problem(refused, 409)["detail"] == (
        "broken_import failed to load: cannot import: RuntimeError: this plugin is broken on "
        "purpose; the server's administrator must fix or reinstall broken_import "
        "(GET /api/v1/plugins/broken_import shows why it failed)")

    # A requirement not enabled: the CLI names its option, the API its body field.
    needs = ("cannot enable acme_extra: it requires acme_notes (>=1,<2), not enabled; "
             "enable it first")
    result = cli("plugins", "enable", "acme_extra")
    assert result.exit_code == 1 and result.output == f"Error: {needs} or use --with-deps\n"
    answer = client.post("/api/v1/plugins/acme_extra/enable")
    assert problem(answer, 409)["detail"] == f'{needs} or send {{"with_deps": true}}'
    assert "--" not in answer.get_json()["detail"]
    assert _stored_states(kernel) == before

    assert client.post("/api/v1/plugins/acme_extra/enable",
                       json={"with_deps": True}).status_code == 200
    before = _stored_states(kernel)
    needed = "cannot disable acme_notes: acme_extra requires it; disable it first"
    result = cli("plugins", "disable", "acme_notes")
    assert result.exit_code == 1 and result.output == f"Error: {needed} or use --cascade\n"
    answer = client.post("/api/v1/plugins/acme_notes/disable")
    assert problem(answer, 409)["detail"] == f'{needed} or send {{"cascade": true}}'
    assert _stored_states(kernel) == before


def test_item_23_a_choice_field_without_choices_is_told_in_neutral_terms(api_client, cli):
    answer = api_client.post("/api/v1/custom_fields", json={
        "record_type": "contact", "name": "x_tier", "kind": "choice"})
    assert problem(answer, 422)["errors"] == {"choices": ["a choice field needs a list of "
                                                          "choices"]}
    assert api_client.get("/api/v1/custom_fields").get_json()["items"] == []


# Item 24: what `accord init` enables, and says ---------------------------------------

@pytest.fixture
def third_party(monkeypatch, plugins_folder):
    """acme_notes installed as if from another package, beside the bundled plugins."""
    from accord import kernel as kernel_module
    from accord.plugins import discovery

    real = discovery.from_entry_points

    def found():
        [notes] = [c for c in discovery.from_folder(plugins_folder) if c.name == "acme_notes"]
        notes.distribution = "acme-notes"
        return [*real(), notes]

    monkeypatch.setattr(discovery, "from_entry_points", found)
    monkeypatch.setattr(kernel_module, "from_entry_points", found)


def test_item_24_init_enables_the_bundled_plugins_and_says_so(cli_runner, database_url,
                                                               third_party, make_kernel):
    cli_runner.env.update(ACCORD_DATABASE_URL=database_url, ACCORD_DISCOVER_PLUGINS="true")
    result = cli_runner("init")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "enabled plugins: sales, competitors, marketing, service ('accord plugins " \
           "disable NAME' turns one off)" in lines
    assert "installed, not enabled: acme_notes ('accord plugins enable NAME' turns one " \
           "on)" in lines
    text = Path("accord.toml").read_text(encoding="utf-8")
    assert 'enabled = ["competitors", "marketing", "sales", "service"]\n' in text
    assert "# Installed from other packages, not enabled: acme_notes\n" in text
    assert _stored_states(make_kernel()) == {"sales": "enabled", "competitors": "enabled",
                                             "marketing": "enabled", "service": "enabled"}
    # What the docs say is what happened.
    docs = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    row = next(line for line in docs.splitlines() if line.startswith("| `[plugins] enabled`"))
    assert ("lists the plugins bundled with Accord (`competitors`, `marketing`, `sales`, "
            "`service`)" in row)
    assert "plugins installed from other packages are not enabled" in row
    again = cli_runner("init")
    assert "enabled plugins" not in again.output and "not enabled" not in again.output


# Item 28: one pipeline at a time -----------------------------------------------------

RENEWALS = [{"name": "Upcoming", "probability": 60}, {"name": "Review", "probability": 70},
            {"name": "Negotiation", "probability": 80},
            {"name": "Renewed", "probability": 100, "kind": "won"},
            {"name": "Churned", "probability": 0, "kind": "lost"}]


def _sales_settings(kernel):
    with kernel.bound():
        return PluginState.get(PluginState.name == "sales").settings


@pytest.mark.plugins(accord_sales.hooks)
def test_item_28_one_pipeline_changes_and_the_others_stay(kernel, api_client, cli):
    from accord_sales.settings import DEFAULT_PIPELINES

    changed = api_client.patch("/api/v1/plugins/sales/settings",
                               json={"pipelines": {"renewals": RENEWALS}})
    assert changed.status_code == 200, changed.get_json()
    pipelines = changed.get_json()["pipelines"]
    assert pipelines["new_business"] == DEFAULT_PIPELINES["new_business"]
    assert [s["name"] for s in pipelines["renewals"]] == [
        "Upcoming", "Review", "Negotiation", "Renewed", "Churned"]
    assert kernel.settings("sales")["pipelines"] == pipelines
    with kernel.bound():
        entry = AuditEntry.select().where(AuditEntry.action == "settings").order_by(
            AuditEntry.id.desc()).get()
    assert entry.actor_id == api_client.user.id

    # The CLI: KEY.PART=VALUE; null removes the part.
    partners = json.dumps([{"name": "Talk", "probability": 20},
                           {"name": "Signed", "probability": 100, "kind": "won"},
                           {"name": "Gone", "probability": 0, "kind": "lost"}])
    result = cli("plugins", "settings", "sales", f"pipelines.partners={partners}")
    assert result.exit_code == 0, result.output
    assert sorted(kernel.settings("sales")["pipelines"]) == ["new_business", "partners",
                                                             "renewals"]
    result = cli("plugins", "settings", "sales", "pipelines.partners=null")
    assert result.exit_code == 0, result.output
    assert sorted(kernel.settings("sales")["pipelines"]) == ["new_business", "renewals"]


@pytest.mark.plugins(accord_sales.hooks)
def test_item_28_a_changed_pipeline_is_checked_like_the_whole_set(kernel, api_client, cli):
    org = services.create(kernel, "organization", {"name": "Acme"}, actor=SYSTEM)
    for name in ("A", "B"):
        services.create(kernel, "sales.opportunity", {"name": name, "organization_id": org.id,
                                                      "pipeline": "renewals",
                                                      "stage": "Negotiation"}, actor=SYSTEM)
    before = _sales_settings(kernel)
    in_force = kernel.settings("sales")
    no_won = [s for s in RENEWALS if s.get("kind") != "won"]
    bad = api_client.patch("/api/v1/plugins/sales/settings",
                           json={"pipelines": {"renewals": no_won}})
    assert problem(bad, 422)["errors"] == {"settings": [
        "plugins.settings.sales.pipelines: renewals: needs exactly one won stage (found 0)"]}
    dropped = [s for s in RENEWALS if s["name"] != "Negotiation"]
    busy = api_client.patch("/api/v1/plugins/sales/settings",
                            json={"pipelines": {"renewals": dropped}})
    assert problem(busy, 422)["errors"] == {"pipelines": [
        "the stage 'Negotiation' of the renewals pipeline cannot go: 2 opportunities are in "
        "it; move them to another stage first"]}
    gone = api_client.patch("/api/v1/plugins/sales/settings",
                            json={"pipelines": {"renewals": None}})
    assert problem(gone, 422)["errors"] == {"pipelines": [
        "the pipeline 'renewals' cannot go: 2 opportunities are in it (Negotiation: 2)"]}
    unknown = api_client.patch("/api/v1/plugins/sales/settings", json={"colour": None})
    assert problem(unknown, 422)["errors"] == {"colour": ["sales has no setting 'colour'"]}
    result = cli("plugins", "settings", "sales", f"pipelines.renewals={json.dumps(dropped)}")
    assert result.exit_code == 1
    assert "the stage 'Negotiation' of the renewals pipeline cannot go: 2 opportunities" \
           in result.output
    mixed = cli("plugins", "settings", "sales", "currency=USD", "pipelines.renewals=null")
    assert mixed.exit_code == 2
    assert ("give whole settings (KEY=VALUE) or parts of settings (KEY.PART=VALUE), not "
            "both in one command") in mixed.output
    assert _sales_settings(kernel) == before and kernel.settings("sales") == in_force


# Item 29: docs that agree with behaviour ---------------------------------------------

def test_item_29_init_writes_a_fresh_secret_key_the_web_app_uses(cli_runner, database_url):
    from accord.config import load_config
    from accord.kernel import Accord
    from accord.web import create_app

    cli_runner.env["ACCORD_DATABASE_URL"] = database_url
    assert cli_runner("init").exit_code == 0
    key = re.search(r'^secret_key = "([A-Za-z0-9_-]{43})"$',
                    Path("accord.toml").read_text(encoding="utf-8"), re.MULTILINE)
    assert key is not None
    config = load_config("accord.toml", {"ACCORD_DATABASE_URL": database_url})
    assert config.secret_key == key.group(1)
    with Accord(config) as kernel:
        assert create_app(kernel).config["SECRET_KEY"] == key.group(1)
    Path("other").mkdir()
    os.chdir("other")
    assert cli_runner("init").exit_code == 0
    assert key.group(1) not in Path("accord.toml").read_text(encoding="utf-8")


def test_item_29_the_docs_promise_nothing_that_is_built_already():
    for page in ("custom-fields.md", "configuration.md"):
        text = (ROOT / "docs" / page).read_text(encoding="utf-8")
        assert "not built yet" not in text and "once the API enforces" not in text, page


def test_item_29_help_says_where_plugin_commands_are_listed(cli_runner):
    text = " ".join(cli_runner("--help").output.split())
    assert ("Plugin commands: An enabled plugin that adds commands has a group named after "
            "it: accord PLUGIN --help lists them. accord hooks list names those plugins (the "
            "register_commands hook).") in text
    assert "accord plugins list shows them" not in text


@pytest.mark.plugins(accord_sales.hooks)
def test_item_29_the_named_hook_lists_the_plugins_with_commands(cli):
    listed = cli("hooks", "list").output
    assert re.search(r"^register_commands\s+sales$", listed, re.MULTILINE)
    assert cli("sales", "--help").exit_code == 0


def test_item_29_a_single_read_honours_fields_and_expand(kernel, api_client):
    org = services.create(kernel, "organization", {"name": "Acme"}, actor=SYSTEM)
    contact = services.create(kernel, "contact", {"last_name": "Ng", "email": "ng@acme.example",
                                                  "organization_id": org.id}, actor=SYSTEM)
    path = f"/api/v1/contacts/{contact.id}"
    read = api_client.get(f"{path}?fields=last_name,email")
    assert read.status_code == 200 and read.headers["ETag"] == '"1"'
    assert read.get_json() == {"id": contact.id, "last_name": "Ng", "email": "ng@acme.example"}
    listed = api_client.get("/api/v1/contacts?fields=last_name,email").get_json()["items"]
    assert listed == [read.get_json()]
    expanded = api_client.get(f"{path}?fields=last_name&expand=organization").get_json()
    assert expanded["organization"]["name"] == "Acme" and set(expanded) == {
        "id", "last_name", "organization"}
    bad = api_client.get(f"{path}?fields=last_name,shoe_size")
    assert problem(bad, 400)["errors"] == {"fields": ["contact has no field 'shoe_size'"]}
    odd = api_client.get(f"{path}?feilds=last_name")
    assert problem(odd, 400)["errors"] == {"feilds": [
        "unknown parameter of a single read; use fields or expand"]}


def test_item_29_deleted_entries_name_the_owner_as_created_ones_do(kernel, api_client):
    made = api_client.post("/api/v1/contacts", json={"last_name": "Ng"}).get_json()
    assert api_client.delete(f"/api/v1/contacts/{made['id']}").status_code == 204
    entries = api_client.get(f"/api/v1/audit?record_type=contact&record_id={made['id']}")
    changes = {e["action"]: e["changes"] for e in entries.get_json()["items"]}
    assert changes["created"]["owner_id"] == [None, api_client.user.id]
    assert changes["deleted"]["owner_id"] == [api_client.user.id, None]
    assert "owner" not in changes["deleted"] and "owner" not in changes["created"]


def _readme_python() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    [block] = re.findall(r"^```python\n(.*?)^```$", readme, re.MULTILINE | re.DOTALL)
    return block


def test_item_29_the_readme_python_example_runs_outside_the_checkout(tmp_path, database_url,
                                                                      make_kernel):
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    (folder / "example.py").write_text(_readme_python(), encoding="utf-8")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("ACCORD_", "PYTHON"))} | {"ACCORD_DATABASE_URL": database_url}
    accord = Path(sys.executable).with_name("accord")
    init = subprocess.run([str(accord), "init"], cwd=folder, env=env, capture_output=True,
                          text=True, timeout=120)
    assert init.returncode == 0, init.stdout + init.stderr
    run = subprocess.run([sys.executable, "example.py"], cwd=folder, env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert ROOT not in Path(folder).parents
    from accord.models import Contact, Organization

    kernel = make_kernel()
    with kernel.bound():
        assert [o.name for o in Organization.select()] == ["Acme"]
        assert [(c.last_name, c.organization.name) for c in Contact.select()] == [("Ng", "Acme")]


def test_item_27_odd_input_to_the_member_endpoints_is_a_4xx_and_changes_nothing(
        kernel, api_client):
    team = services.create(kernel, "team", {"name": "North"}, actor=SYSTEM)
    members = f"/api/v1/teams/{team.id}/members"
    before = _teams(kernel)
    huge = 10**22
    for method, path, body in [
            ("POST", members, {"user_id": "7"}), ("POST", members, {}),
            ("POST", members, {"user_id": huge}), ("POST", members, {"user_id": 0}),
            ("POST", members, {"user_id": 1, "role": "x"}),
            ("GET", f"/api/v1/teams/{huge}/members", None),
            ("POST", f"/api/v1/teams/{huge}/members", {"user_id": 1}),
            ("DELETE", f"{members}/{huge}", None),
            ("GET", "/api/v1/teams/999/members", None),
            ("PATCH", f"/api/v1/teams/{team.id}", {"members": [huge]}),
            ("PATCH", f"/api/v1/teams/{team.id}", {"members": [999]}),
            ("PATCH", f"/api/v1/teams/{team.id}", {"members": "1"})]:
        answer = api_client.open(method, path, json=body)
        assert 400 <= answer.status_code < 500, (method, path, body, answer.get_json())
        assert answer.mimetype == "application/problem+json"
    assert _teams(kernel) == before
