"""The admin pages without a browser: each section's permission (the 403 page naming
it), the plugin toggles with their dependency messages and the purge's confirmation,
users and teams, roles, custom fields and the audit log — every refusal shown beside
its field with nothing changed."""

from __future__ import annotations

import re
import time

import pytest
from itsdangerous import TimestampSigner

from accord import services
from accord.models import CustomField, Role, Team, User
from accord.services import Actor
from accord.services.backup import read_archive_rows
from accord.services.roles import add_role
from accord_sdk.pytest_plugin import PageClient

SYSTEM = Actor.system("test")


def _user(kernel, email, role):
    return services.create(kernel, "user", {"email": email, "name": email.split("@")[0].title(),
                                            "role": role}, actor=SYSTEM)


def _get(client, url):
    response = client.get(url)
    return response, response.get_data(as_text=True)


def _post(client, url, **data):
    response = client.post(url, data)
    return response, response.get_data(as_text=True)


def _flash(client, response):
    assert response.status_code == 302, response.get_data(as_text=True)
    return _get(client, response.headers["Location"])[1]


def _text(html):
    """The page's text, tags dropped and spaces squeezed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#39;", "'")


@pytest.fixture
def kernel(make_kernel):
    return make_kernel(plugins=["sales", "competitors"], enable=["sales", "competitors"])


@pytest.fixture
def admin(make_page_client):
    return make_page_client("admin", email="ada@example.com")


# Permissions ---------------------------------------------------------------------------

@pytest.mark.parametrize("url, permission", [
    ("/admin", "admin.plugins"), ("/admin/plugins", "admin.plugins"),
    ("/admin/plugins/sales/purge", "admin.plugins"), ("/admin/users", "admin.users"),
    ("/admin/teams", "admin.users"), ("/admin/roles", "admin.users"),
    ("/admin/fields", "admin.fields"), ("/admin/audit", "admin.audit")])
def test_a_sales_user_gets_the_403_page_naming_the_permission(make_page_client, url,
                                                               permission):
    sam = make_page_client("sales", email="sam@example.com")
    response, html = _get(sam, url)
    assert response.status_code == 403
    assert "You may not see this" in html
    assert f"sam@example.com (sales) lacks the permission {permission}." in _text(html)


def test_a_sales_user_cannot_post_either_and_nothing_changes(kernel, make_page_client):
    sam = make_page_client("sales", email="sam@example.com")
    response, html = _post(sam, "/admin/plugins/sales/disable")
    assert response.status_code == 403
    assert "lacks the permission admin.plugins" in html
    assert "sales" in kernel.plugins.active
    response, html = _post(sam, "/admin/users", email="eve@example.com", name="Eve",
                              role="admin")
    assert response.status_code == 403
    assert "lacks the permission admin.users" in html
    with kernel.bound():
        assert not User.select().where(User.email == "eve@example.com").exists()
    home = _get(sam, "/")[1]
    assert 'href="/admin"' not in home


def test_the_admin_entry_and_the_sections(admin):
    html = _get(admin, "/")[1]
    assert '<a href="/admin">Admin</a>' in html
    html = _get(admin, "/admin")[1]
    for label in ("Plugins", "Users", "Teams", "Roles", "Custom fields", "Audit log"):
        assert f">{label}</a>" in html


def test_a_form_without_the_csrf_token_is_refused(kernel, admin):
    response = admin.post("/admin/plugins/sales/disable", csrf=False)
    assert response.status_code == 400
    assert "sales" in kernel.plugins.active


# Plugins --------------------------------------------------------------------------------

def test_plugins_show_their_state_and_why_they_do_not_run(kernel, admin):
    response, html = _get(admin, "/admin/plugins")
    assert response.status_code == 200
    text = _text(html)
    assert "sales 0." in text or "sales" in text
    assert "Disable sales" in text and "Disable competitors" in text
    assert "Not running" not in text
    _post(admin, "/admin/plugins/competitors/disable")
    text = _text(_get(admin, "/admin/plugins")[1])
    assert "Not running: the competitors plugin is disabled." in text
    assert "Enable competitors" in text and "Purge competitors…" in text


def test_disabling_a_plugin_another_requires_shows_the_message(kernel, admin):
    response, html = _post(admin, "/admin/plugins/sales/disable")
    assert response.status_code == 409
    text = _text(html)
    assert ("Cannot disable sales: competitors requires it; disable it first." in text)
    assert "Disable it with the plugins that require it" in text
    assert {"sales", "competitors"} <= kernel.plugins.active  # unchanged
    response, html = _post(admin, "/admin/plugins/sales/disable", cascade="1")
    assert "Disabled competitors, sales (the data is kept)" in _text(_flash(admin, response))
    assert "sales" not in kernel.plugins.active
    nav = _get(admin, "/")[1]
    assert "Opportunities" not in nav
    response, html = _get(admin, "/records/sales.opportunity")
    assert response.status_code == 404
    assert "the sales plugin is disabled" in html
    # Enabling competitors alone is refused: it requires sales.
    response, html = _post(admin, "/admin/plugins/competitors/enable")
    assert response.status_code == 409
    assert "Cannot enable competitors: it requires sales" in _text(html)
    assert "Enable it with what it requires" in html
    response, html = _post(admin, "/admin/plugins/competitors/enable", with_deps="1")
    assert "Enabled sales, competitors" in _text(_flash(admin, response))
    assert {"sales", "competitors"} <= kernel.plugins.active
    assert "Opportunities" in _get(admin, "/")[1]


def test_purge_shows_the_dry_run_and_asks_for_the_name(kernel, admin, tmp_path):
    org = services.create(kernel, "organization", {"name": "Acme"}, actor=SYSTEM)
    services.create(kernel, "competitors.competitor", {"name": "Rival"}, actor=SYSTEM)
    assert org.id
    _post(admin, "/admin/plugins/competitors/disable")
    response, html = _get(admin, "/admin/plugins/competitors/purge")
    assert response.status_code == 200
    text = _text(html)
    assert "What purging would remove" in text
    assert re.search(r"competitors_competitor\s*</code></td><td>1<", html.replace("\n", ""))
    export = tmp_path / "competitors.json"
    response, html = _post(admin, "/admin/plugins/competitors/purge", export=str(export),
                                confirm="sales")
    assert response.status_code == 422
    assert "Type competitors to confirm that its tables are dropped." in _text(html)
    assert f'value="{export}"' in html  # what was typed is kept
    assert kernel.plugins.get("competitors").stored_state == "disabled"
    assert not export.exists()
    response, html = _post(admin, "/admin/plugins/competitors/purge", export=str(export),
                                confirm="competitors")
    assert "Purged competitors: 1 row" in _text(_flash(admin, response)) or \
        "Purged competitors:" in _text(_flash(admin, response))
    assert kernel.plugins.get("competitors").stored_state == "purged"
    dump = read_archive_rows(export, "competitors_competitor")
    assert [r["name"] for r in dump] == ["Rival"]
    # A file that exists already is refused beside the field.
    _post(admin, "/admin/plugins/sales/disable")
    response, html = _post(admin, "/admin/plugins/sales/purge", export=str(export),
                                confirm="sales")
    assert response.status_code == 422
    assert "already exists; choose a new file" in html
    assert kernel.plugins.get("sales").stored_state == "disabled"


# Users and teams ------------------------------------------------------------------------

def test_add_a_user_with_a_password_who_can_log_in(kernel, admin):
    response, html = _post(admin, "/admin/users", email="Lee@Example.com", name="Lee Park",
                                role="sales", password="a long password 1")
    assert "Added lee@example.com as sales with a password." in _text(_flash(admin, response))
    with kernel.bound():
        assert User.get(User.email == "lee@example.com").role_id == "sales"
    lee = admin.app.test_client()
    token = PageClient.token_of(lee.get("/login").get_data(as_text=True))
    logged_in = lee.post("/login", data={"email": "lee@example.com",
                                         "password": "a long password 1", "csrf_token": token})
    assert logged_in.status_code == 302, logged_in.get_data(as_text=True)
    html = _get(admin, "/admin/users")[1]
    assert "lee@example.com" in html and "Lee Park" in html


def test_a_duplicate_email_an_unknown_role_and_a_short_password_are_refused(kernel, admin):
    _user(kernel, "lee@example.com", "sales")
    with kernel.bound():
        before = User.select().count()
    response, html = _post(admin, "/admin/users", email="lee@example.com", name="Lee Again",
                                role="sales")
    assert response.status_code == 422
    assert re.search(r'id="new-email-err">[^<]*lee@example.com', html), html
    assert 'value="Lee Again"' in html  # the form keeps what was typed
    response, html = _post(admin, "/admin/users", email="new@example.com", name="New",
                                role="wizard")
    assert response.status_code == 422
    message = re.search(r'id="new-role-err">([^<]*)<', html)[1]
    assert "No role 'wizard' (roles: admin," in message.replace("&#39;", "'")
    response, html = _post(admin, "/admin/users", email="new@example.com", name="New",
                                role="sales", password="short")
    assert response.status_code == 422
    assert 'id="new-password-err"' in html
    with kernel.bound():
        assert User.select().count() == before


def test_change_a_role_and_deactivate_a_user(kernel, admin):
    lee = _user(kernel, "lee@example.com", "sales")
    response, _ = _post(admin, f"/admin/users/{lee.id}/role", role="manager")
    assert "lee@example.com now has the role manager (was sales)." in _text(
        _flash(admin, response))
    response, html = _post(admin, f"/admin/users/{lee.id}/role", role="wizard")
    assert response.status_code == 422
    assert re.search(rf'id="role-{lee.id}-err">[^<]*wizard', html.replace("&#39;", "'"))
    response, _ = _post(admin, f"/admin/users/{lee.id}/active", active="0")
    assert "lee@example.com is deactivated." in _text(_flash(admin, response))
    with kernel.bound():
        stored = User.get_by_id(lee.id)
    assert (stored.role_id, stored.active) == ("manager", False)
    with kernel.bound():
        ada = User.get(User.email == "ada@example.com")
    response, html = _post(admin, f"/admin/users/{ada.id}/active", active="0")
    assert response.status_code == 422
    assert "ada@example.com is the last active admin" in html
    with kernel.bound():
        assert User.get_by_id(ada.id).active
    response, html = _post(admin, f"/admin/users/{ada.id}/role", role="sales")
    assert response.status_code == 422
    assert re.search(rf'id="role-{ada.id}-err">ada@example.com is the last active admin', html)
    with kernel.bound():
        assert User.get_by_id(ada.id).role_id == "admin"


def test_teams_show_their_members_who_can_be_added_and_removed(kernel, admin):
    lee = _user(kernel, "lee@example.com", "sales")
    mia = _user(kernel, "mia@example.com", "manager")
    response, _ = _post(admin, "/admin/teams", name="North", manager_id=str(mia.id))
    assert "Added the team North." in _text(_flash(admin, response))
    with kernel.bound():
        north = Team.get(Team.name == "North")
    response, _ = _post(admin, f"/admin/teams/{north.id}/members", user_id=str(lee.id))
    text = _text(_flash(admin, response))
    assert "Added lee@example.com to the team." in text
    assert "Lee lee@example.com" in text and "Mia mia@example.com manager" in text
    response, html = _post(admin, f"/admin/teams/{north.id}/members/{mia.id}/remove")
    assert response.status_code == 409
    assert f"User {mia.id} manages the team North, so stays a member" in _text(html)
    response, _ = _post(admin, f"/admin/teams/{north.id}/members/{lee.id}/remove")
    assert "Took lee@example.com out of the team." in _text(_flash(admin, response))
    from accord.services.teams import team_members
    assert [u["email"] for u in team_members(kernel, north.id, actor=SYSTEM)] == [
        "mia@example.com"]
    response, html = _post(admin, "/admin/teams", name="", manager_id="")
    assert response.status_code == 422
    assert 'id="team-name-err"' in html


# Roles ----------------------------------------------------------------------------------

def test_roles_are_added_changed_and_deleted_through_the_service(kernel, admin):
    html = _get(admin, "/admin/roles")[1]
    assert "sales" in html and "The admin role holds every permission" in html
    response, _ = _post(admin, "/admin/roles", name="auditor", description="Reads the trail",
                             grants="admin.audit\ncore.*.read", rules="sales.*: own")
    assert "Added the role auditor." in _text(_flash(admin, response))
    response, _ = _post(admin, "/admin/roles/auditor", description="Reads",
                             grants="admin.audit", rules="contact: team\n")
    assert "Saved the role auditor." in _text(_flash(admin, response))
    from accord.services.roles import get_role
    role = get_role(kernel, "auditor", actor=SYSTEM)
    assert (role.description, role.grants, role.rules) == (
        "Reads", ("admin.audit",), (("contact", "team"),))
    response, html = _post(admin, "/admin/roles/auditor", description="Reads",
                                grants="admin.audit\nno.such.thing", rules="contact team")
    assert response.status_code == 422
    text = _text(html)
    assert "Line 1 ('contact team') is not 'record type: scope'" in text
    assert get_role(kernel, "auditor", actor=SYSTEM).rules == (("contact", "team"),)
    response, html = _post(admin, "/admin/roles/auditor", description="Reads",
                                grants="admin.audit\nno.such.thing", rules="contact: team")
    assert response.status_code == 422
    assert "'no.such.thing' matches no permission" in _text(html)
    assert "no.such.thing" in html  # the typed grants are kept
    response, html = _post(admin, "/admin/roles", name="Bad Name")
    assert response.status_code == 422
    assert re.search(r'id="new-role-name-err">[^<]*a role name is a lowercase letter',
                     html.replace("&#39;", "'"))
    _user(kernel, "aud@example.com", "auditor")
    response, html = _post(admin, "/admin/roles/auditor/delete")
    assert response.status_code == 409
    assert "Auditor is the role of 1 user (aud@example.com)" in _text(html)
    with kernel.bound():
        User.update(role="sales").where(User.email == "aud@example.com").execute()
    response, _ = _post(admin, "/admin/roles/auditor/delete")
    assert "Deleted the role auditor." in _text(_flash(admin, response))
    with kernel.bound():
        assert Role.get_or_none(Role.name == "auditor") is None


# Custom fields --------------------------------------------------------------------------

def test_custom_fields_are_added_and_removed(kernel, admin):
    response, _ = _post(admin, "/admin/fields", record_type="contact", name="x_tier",
                             kind="choice", label="Tier", choices="gold, silver",
                             indexed="1")
    text = _text(_flash(admin, response))
    assert "Added the field x_tier to contact" in text
    assert "x_tier Tier choice: gold, silver indexed" in text
    response, html = _post(admin, "/admin/fields", record_type="contact", name="x_tier",
                                kind="text")
    assert response.status_code == 422
    assert re.search(r'id="new-field-name-err">[^<]*Contact already has a field',
                     html.replace("&#39;", "'"))
    response, html = _post(admin, "/admin/fields", record_type="nothing", name="x_a",
                                kind="text")
    assert response.status_code == 422
    assert "Unknown record type 'nothing'" in html.replace("&#39;", "'")
    response, html = _get(admin, "/admin/fields?record_type=nothing")
    assert response.status_code == 400
    response, _ = _post(admin, "/admin/fields/contact/x_tier/remove")
    assert "Removed the field x_tier of contact" in _text(_flash(admin, response))
    with kernel.bound():
        assert not CustomField.select().exists()


# Audit ----------------------------------------------------------------------------------

def test_the_audit_log_filters_and_pages(kernel, admin, monkeypatch):
    from accord.pages.admin import audit

    monkeypatch.setattr(audit, "PAGE_SIZE", 2)
    orgs = [services.create(kernel, "organization", {"name": name}, actor=SYSTEM)
            for name in ("One", "Two", "Three")]
    response, html = _get(admin, "/admin/audit?record_type=organization&action=created")
    assert response.status_code == 200
    assert html.count("organization ") >= 2
    assert "name: — → Three" in html and "name: — → Two" in html
    assert "Three" in html and "One" not in _text(html).split("Changes", 1)[1]
    older = re.search(r'href="(/admin/audit\?[^"]+)" rel="next"', html)[1].replace("&amp;", "&")
    html = _get(admin, older)[1]
    assert "name: — → One" in html and "name: — → Two" not in html
    assert "Newest entries" in html
    response, html = _get(admin, "/admin/audit?record_id=abc&since=31-01-2026")
    assert response.status_code == 400
    assert re.search(r'id="a-id-err">[^<]*is not a whole number', html)
    assert re.search(r'id="a-since-err">[^<]*is not a date', html)
    html = _get(admin, "/admin/audit?since=2000-01-01&until=2000-01-02")[1]
    assert "No entries match." in html
    html = _get(admin, f"/admin/audit?record_type=organization&record_id={orgs[1].id}")[1]
    assert "name: — → Two" in html and "→ One" not in html and "→ Three" not in html
    with kernel.bound():
        ada = User.get(User.email == "ada@example.com")
    lee = services.create(kernel, "user", {"email": "lee@example.com", "name": "Lee",
                                           "role": "sales"},
                          actor=Actor(ada.id, "ada@example.com", "admin", grants=("*",)))
    html = _get(admin, f"/admin/audit?user={ada.id}")[1]
    assert f'href="/records/user/{lee.id}"' in html and "organization" not in _text(
        html).split("Changes", 1)[1]
    response, html = _get(admin, "/admin/audit?since=2026-02-02&until=2026-02-01")
    assert response.status_code == 400
    assert re.search(r'id="a-until-err">The last day comes before the first', html)


def test_the_audit_log_obeys_the_readers_record_rules(kernel, admin, make_page_client):
    add_role(kernel, "auditor", actor=SYSTEM, grants=["admin.audit", "sales.*", "core.*.read"],
             rules={"sales.opportunity": "own"})
    aud = _user(kernel, "aud@example.com", "auditor")
    other = _user(kernel, "bo@example.com", "sales")
    org = services.create(kernel, "organization", {"name": "Acme"}, actor=SYSTEM)
    for owner, name in ((aud, "Mine deal"), (other, "Theirs deal")):
        services.create(kernel, "sales.opportunity", {"name": name, "owner_id": owner.id,
                                                      "organization_id": org.id},
                        actor=SYSTEM)
    html = _get(make_page_client(user=aud), "/admin/audit?record_type=sales.opportunity")[1]
    assert "Mine deal" in html and "Theirs deal" not in html
    assert "Theirs deal" in _get(admin, "/admin/audit?record_type=sales.opportunity")[1]


def test_why_a_plugin_does_not_run_in_the_pages_words():
    from accord.pages.admin.plugins import why_stopped
    from accord.plugins.manager import Stopped

    assert why_stopped(None) is None
    assert why_stopped(Stopped("sales", "is disabled", "sales", "enable")) == \
        "the sales plugin is disabled"
    needs = "is enabled but cannot run: it requires sales (>=1,<2), which is disabled"
    assert why_stopped(Stopped("competitors", needs, "sales", "enable")) == \
        f"the competitors plugin {needs}; enable sales first"
    assert why_stopped(Stopped("sales", "failed to load: boom", "sales", "repair")) == \
        "the sales plugin failed to load: boom; fix or reinstall sales, then restart Accord"
    assert why_stopped(Stopped("competitors", "is enabled but cannot run: it requires sales "
                               "(>=2), which is at 1.0.0", "sales", "install", ">=2")) == (
        "the competitors plugin is enabled but cannot run: it requires sales (>=2), which "
        "is at 1.0.0; install sales >=2")


@pytest.mark.parametrize("method, url, data, status, message", [
    ("get", "/admin/plugins/nope/purge", {}, 404, "nope"),
    ("post", "/admin/plugins/nope/enable", {}, 404, "nope"),
    ("post", "/admin/roles/nope", {"description": "x"}, 404, "No role 'nope'"),
    ("post", "/admin/fields/contact/x_nope/remove", {}, 404, "x_nope"),
    ("post", "/admin/users/9999/role", {"role": "sales"}, 404, "9999"),
    ("post", "/admin/users/9999/active", {"active": "0"}, 404, "9999"),
    ("post", "/admin/teams/9999/members", {"user_id": "1"}, 404, "9999"),
    ("get", "/admin/audit?before=x", {}, 400, "'x' is not a whole number"),
])
def test_unknown_things_answer_a_page_naming_them(admin, method, url, data, status, message):
    response, html = (_get(admin, url) if method == "get" else _post(admin, url, **data))
    assert response.status_code == status, html
    assert message in html.replace("&#39;", "'")
    assert "Traceback" not in html


def test_every_form_of_the_admin_pages_carries_the_csrf_token(kernel, admin, monkeypatch):
    # A token holds the second it was signed: one clock for the whole test, so that the
    # session's token is the very one each form holds.
    now = int(time.time())
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: now)
    services.create(kernel, "team", {"name": "North"}, actor=SYSTEM)
    _post(admin, "/admin/fields", record_type="contact", name="x_tier", kind="text")
    _post(admin, "/admin/plugins/competitors/disable")
    posts = 0
    for url in ("/admin/plugins", "/admin/plugins/competitors/purge", "/admin/users",
                "/admin/teams", "/admin/roles", "/admin/fields", "/admin/audit"):
        response, html = _get(admin, url)
        assert response.status_code == 200, url
        for form in re.findall(r"<form\b.*?</form>", html, flags=re.S):
            if 'method="post"' in form:
                posts += 1
                assert f'name="csrf_token" value="{admin.csrf_token}"' in form, (url, form)
    assert posts > 20
