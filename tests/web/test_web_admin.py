"""The admin pages in a real browser: a plugin toggled by an admin changes another
logged-in user's navigation on their next page, no restart; the refusals shown beside
their field; phone width, accessibility (axe-core) and screenshots."""

from __future__ import annotations

from playwright.sync_api import expect

from accord.models import Team, User
from accord.services import Actor
from accord.services.fields import list_fields
from accord.services.roles import get_role
from accord.services.teams import team_members

from browsing import (PHONE, log_in, nav_labels, no_horizontal_scroll, screenshot,
                      serious_violations)


def test_an_admin_disables_sales_and_another_users_navigation_loses_it(new_context,
                                                                     make_user, web_kernel):
    make_user("admin", email="ada@example.com")
    make_user("sales", email="sam@example.com")
    admin = new_context().new_page()
    log_in(admin, "ada@example.com")
    sam = new_context().new_page()
    log_in(sam, "sam@example.com")
    assert "Opportunities" in nav_labels(sam)
    assert "Admin" not in nav_labels(sam)

    admin.get_by_role("link", name="Admin").click()
    admin.get_by_role("link", name="Plugins").click()
    expect(admin.get_by_role("heading", level=1)).to_have_text("Plugins")
    admin.get_by_role("button", name="Disable sales").click()
    expect(admin.locator("#problem-sales")).to_have_text(
        "Cannot disable sales: competitors requires it; disable it first.")
    assert "sales" in web_kernel.plugins.active  # refused: nothing changed
    admin.get_by_role("button", name="Disable it with the plugins that require it").click()
    expect(admin.locator(".flash")).to_contain_text("Disabled competitors, sales")
    expect(admin.locator("#plugin-sales + .pluginstate .tag").first).to_have_text("disabled")

    sam.reload()  # the next page: no restart
    assert "Opportunities" not in nav_labels(sam)
    assert "Competitors" not in nav_labels(sam)
    sam.goto("/records/sales.opportunity")
    expect(sam.get_by_role("heading", level=1)).to_have_text("Not found")
    expect(sam.locator("main")).to_contain_text("the sales plugin is disabled")
    sam.goto("/sales/board")  # a page of the plugin itself
    expect(sam.get_by_role("heading", level=1)).to_have_text("Not found")
    expect(sam.locator("main")).to_contain_text(
        "The pages of sales are not available: the sales plugin is disabled.")

    admin.get_by_role("button", name="Enable competitors").click()
    expect(admin.locator("#problem-competitors")).to_contain_text(
        "Cannot enable competitors: it requires sales")
    admin.get_by_role("button", name="Enable it with what it requires").click()
    expect(admin.locator(".flash")).to_contain_text("Enabled sales, competitors")
    sam.goto("/")
    assert {"Opportunities", "Competitors"} <= set(nav_labels(sam))
    sam.goto("/records/sales.opportunity")
    expect(sam.get_by_role("heading", level=1)).to_have_text("Opportunities")


def test_a_sales_user_gets_the_403_page_naming_the_permission(page, make_user):
    make_user("sales", email="sam@example.com")
    log_in(page, "sam@example.com")
    page.goto("/admin/plugins")
    expect(page.get_by_role("heading", level=1)).to_have_text("You may not see this")
    expect(page.locator("main")).to_contain_text(
        "sam@example.com (sales) lacks the permission admin.plugins.")


def test_the_plugins_page_at_desktop_and_phone_width(new_context, make_user):
    make_user("admin", email="ada@example.com")
    phone = new_context(viewport=PHONE).new_page()
    log_in(phone, "ada@example.com")
    phone.goto("/admin/plugins")
    phone.get_by_role("button", name="Disable sales").click()  # refused: the message
    expect(phone.locator("#problem-sales")).to_have_text(
        "Cannot disable sales: competitors requires it; disable it first.")
    assert no_horizontal_scroll(phone)
    assert serious_violations(phone) == []
    screenshot(phone, "admin-plugins-phone")

    page = new_context().new_page()
    log_in(page, "ada@example.com")
    page.goto("/admin/plugins")
    page.get_by_role("button", name="Disable competitors").click()
    expect(page.locator(".flash")).to_contain_text("Disabled competitors")
    expect(page.get_by_text("Not running: the competitors plugin is disabled.")).to_be_visible()
    assert serious_violations(page) == []
    screenshot(page, "admin-plugins-desktop")

    phone.goto("/admin/plugins")
    phone.get_by_role("link", name="Purge competitors…").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Purge competitors")
    phone.get_by_label("Type competitors to confirm").fill("sales")
    phone.get_by_role("button", name="Export and purge competitors").click()
    expect(phone.locator("#confirm-err")).to_have_text(
        "Type competitors to confirm that its tables are dropped.")
    assert no_horizontal_scroll(phone)
    assert serious_violations(phone) == []
    screenshot(phone, "admin-purge-phone")


def test_users_page_adds_a_user_and_shows_a_duplicate_email_beside_the_field(
        new_context, make_user, web_kernel):
    make_user("admin", email="ada@example.com")
    make_user("sales", email="sam@example.com")
    page = new_context().new_page()
    log_in(page, "ada@example.com")
    page.goto("/admin/users")
    page.get_by_label("Email", exact=True).fill("sam@example.com")
    page.get_by_label("Name", exact=True).fill("Sam Again")
    page.get_by_label("Role", exact=True).select_option("manager")
    page.get_by_role("button", name="Add the user").click()
    expect(page.locator("#new-email-err")).to_contain_text("sam@example.com")
    expect(page.get_by_label("Name", exact=True)).to_have_value("Sam Again")
    assert serious_violations(page) == []
    screenshot(page, "admin-users-refused-desktop")

    page.get_by_label("Email", exact=True).fill("lee@example.com")
    page.get_by_label("Password (optional").fill("a long password 1")
    page.get_by_role("button", name="Add the user").click()
    expect(page.locator(".flash")).to_have_text("Added lee@example.com as manager with a password.")
    with web_kernel.bound():
        assert User.get(User.email == "lee@example.com").role_id == "manager"
    row = page.locator("tr", has_text="lee@example.com")
    row.get_by_label("Role of lee@example.com").select_option("sales")
    row.get_by_role("button", name="Change the role of lee@example.com").click()
    expect(page.locator(".flash")).to_contain_text("now has the role sales (was manager)")
    assert serious_violations(page) == []
    screenshot(page, "admin-users-desktop")

    phone = new_context(viewport=PHONE).new_page()
    log_in(phone, "ada@example.com")
    for url in ("/admin/users", "/admin/teams", "/admin/roles", "/admin/fields",
                "/admin/audit"):
        phone.goto(url)
        assert no_horizontal_scroll(phone), url
        assert serious_violations(phone) == [], url
    screenshot(phone, "admin-audit-phone")


def test_teams_roles_and_fields_edited_in_the_pages(new_context, make_user, web_kernel):
    system = Actor.system("test")
    make_user("admin", email="ada@example.com")
    lee = make_user("sales", email="lee@example.com", name="Lee Park")
    mia = make_user("manager", email="mia@example.com", name="Mia Chen")
    phone = new_context(viewport=PHONE).new_page()
    log_in(phone, "ada@example.com")

    phone.goto("/admin/teams")
    phone.get_by_label("Name", exact=True).fill("North")
    phone.get_by_label("Manager").select_option(str(mia.id))
    phone.get_by_role("button", name="Add the team").click()
    expect(phone.locator(".flash")).to_have_text("Added the team North.")
    team = phone.locator("section.team", has_text="North")
    team.get_by_label("User to add to North").select_option(str(lee.id))
    team.get_by_role("button", name="Add to North").click()
    expect(phone.locator(".flash")).to_have_text("Added lee@example.com to the team.")
    team = phone.locator("section.team", has_text="North")
    team.get_by_role("button", name="Remove mia@example.com from North").click()
    expect(phone.locator("section.team .error")).to_contain_text(
        "manages the team North, so stays a member")
    assert no_horizontal_scroll(phone)
    screenshot(phone, "admin-teams-phone")
    with web_kernel.bound():
        team_id = Team.get(Team.name == "North").id
    assert sorted(u["email"] for u in team_members(web_kernel, team_id, actor=system)) == [
        "lee@example.com", "mia@example.com"]

    page = new_context().new_page()
    log_in(page, "ada@example.com")
    page.goto("/admin/roles")
    card = page.locator("section.role", has_text="service")
    card.get_by_label("Record rules").fill("contact: own\norganization: team")
    card.get_by_role("button", name="Save service").click()
    expect(page.locator(".flash")).to_have_text("Saved the role service.")
    assert dict(get_role(web_kernel, "service", actor=system).rules)["contact"] == "own"
    card = page.locator("section.role", has_text="service")
    card.get_by_label("Record rules").fill("contact: mine")
    card.get_by_role("button", name="Save service").click()
    expect(page.locator("#role-service-rules-err")).to_contain_text("'mine' is not a scope")
    assert dict(get_role(web_kernel, "service", actor=system).rules)["contact"] == "own"
    assert serious_violations(page) == []
    screenshot(page, "admin-roles-desktop")

    page.goto("/admin/fields")
    page.get_by_label("Record type", exact=True).last.select_option("contact")
    page.get_by_label("Name (starts with x_)").fill("x_tier")
    page.get_by_label("Kind", exact=True).select_option("choice")
    page.get_by_label("Choices").fill("gold, silver")
    page.get_by_role("button", name="Add the field").click()
    expect(page.locator(".flash")).to_contain_text("Added the field x_tier to contact")
    assert [f.name for f in list_fields(web_kernel, actor=system, record_type="contact")] == [
        "x_tier"]
    assert serious_violations(page) == []
    screenshot(page, "admin-fields-desktop")
