"""The shell of the pages in a real browser: navigation from the core and the running
plugins, the 403 and 404 pages, the global search under record rules, "My tasks
today", phone width, accessibility (axe-core) and screenshots."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from accord import services
from accord.services import Actor
from accord.services.plugins import disable, enable

from browsing import (DESKTOP, PHONE, log_in, nav_labels, no_horizontal_scroll, screenshot,
                      serious_violations)

SYSTEM = Actor.system("test")
EVERYTHING = ["Home", "Dashboard", "Organizations", "Contacts", "Board", "Opportunities",
              "Leads", "Forecast", "Competitors"]


def _deal(kernel, name, owner, organization=None):
    data = {"name": name, "owner_id": owner.id,
            "amount": {"amount": "12500.00", "currency": "EUR"}}
    if organization is not None:
        data["organization_id"] = organization.id
    return services.create(kernel, "sales.opportunity", data, actor=SYSTEM)


def test_navigation_follows_the_plugins_enabled_in_another_process(page, make_user,
                                                                    make_kernel, web_kernel):
    make_user("manager", email="priya@example.com")
    log_in(page, "priya@example.com")
    assert nav_labels(page) == EVERYTHING
    expect(page.get_by_role("link", name="Home")).to_have_attribute("aria-current", "page")
    # An admin elsewhere (another process, its own kernel on the same database).
    admin = make_kernel(plugins=["sales", "competitors"])
    disable(admin, "sales", actor=SYSTEM, cascade=True)
    page.reload()
    assert nav_labels(page) == ["Home", "Dashboard", "Organizations", "Contacts"]
    page.goto("/search?type=sales.opportunity")  # a page of the disabled plugin: a 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Not found")
    expect(page.locator("main")).to_contain_text(
        "Record type 'sales.opportunity' is not available: the sales plugin is disabled.")
    enable(admin, "competitors", actor=SYSTEM, with_deps=True)
    page.goto("/")
    assert nav_labels(page) == EVERYTHING


def test_entries_need_their_permission_and_a_page_names_the_one_missing(page, make_user):
    make_user("service", email="sam@example.com")
    log_in(page, "sam@example.com")
    # No sales grant; the dashboard, since agents read their team's metrics.
    assert nav_labels(page) == ["Home", "Dashboard", "Organizations", "Contacts"]
    page.goto("/search?type=sales.opportunity")
    expect(page.get_by_role("heading", level=1)).to_have_text("You may not see this")
    expect(page.locator("main")).to_contain_text(
        "sam@example.com (service) lacks the permission sales.opportunity.read.")
    screenshot(page, "forbidden-desktop")
    page.goto("/no/such/page")
    expect(page.get_by_role("heading", level=1)).to_have_text("Not found")
    expect(page.locator("main")).to_contain_text("There is no page at /no/such/page.")
    assert nav_labels(page) == ["Home", "Dashboard", "Organizations",
                                "Contacts"]  # still logged in


def test_search_finds_contacts_and_deals_within_the_record_rules(new_context, make_user,
                                                                  web_kernel):
    rep = make_user("sales", email="maria@example.com", name="Maria Lopez")
    other = make_user("sales", email="tom@example.com", name="Tom Becker")
    make_user("admin", email="ada@example.com")
    org = services.create(web_kernel, "organization", {"name": "Northwind Traders"},
                          actor=SYSTEM)
    services.create(web_kernel, "contact", {"first_name": "Hanna", "last_name": "Northwind",
                                            "email": "hanna@northwind.example",
                                            "organization_id": org.id}, actor=SYSTEM)
    _deal(web_kernel, "Northwind renewal", rep, org)
    _deal(web_kernel, "Northwind expansion", other, org)

    admin = new_context().new_page()
    log_in(admin, "ada@example.com")
    admin.get_by_label("Search everything").fill("northwind")
    admin.get_by_label("Search everything").press("Enter")
    results = admin.locator("#results")
    expect(results.get_by_role("heading", level=2)).to_have_text(
        ["Organizations", "Contacts", "Opportunities"])
    expect(results).to_contain_text("Hanna Northwind")
    expect(results).to_contain_text("hanna@northwind.example")
    expect(results).to_contain_text("Northwind renewal")
    expect(results).to_contain_text("Northwind expansion")
    expect(results).to_contain_text("12,500.00 EUR")

    maria = new_context().new_page()
    log_in(maria, "maria@example.com")
    maria.goto("/search?q=northwind")
    found = maria.locator("#results")
    expect(found).to_contain_text("Northwind renewal")
    expect(found).to_contain_text("Hanna Northwind")  # contacts: her rule reaches all
    expect(found).not_to_contain_text("Northwind expansion")  # Tom's deal: rule "own"
    # Searching one type lists her own deals; typing searches them as she types.
    maria.goto("/search?type=sales.opportunity")
    expect(maria.get_by_role("heading", level=1)).to_have_text("Opportunities")
    expect(maria.locator("#results .result-title")).to_have_text(["Northwind renewal"])
    maria.get_by_label("Search opportunities").fill("expansion")
    expect(maria.locator("#results")).to_contain_text(
        "No opportunities match “expansion”.")
    expect(maria).to_have_url(re.compile(r"type=sales.opportunity&q=expansion$"))
    maria.get_by_label("Search opportunities").fill("")
    maria.get_by_label("Search opportunities").press("Enter")
    expect(maria.locator("#results .result-title")).to_have_text(["Northwind renewal"])
    maria.set_viewport_size(PHONE)
    screenshot(maria, "opportunities-phone")


def test_my_tasks_today_lists_what_is_due_and_not_done(page, make_user, web_kernel):
    me = make_user("sales", email="maria@example.com", name="Maria Lopez")
    other = make_user("sales", email="tom@example.com")
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)

    def task(subject, owner, due, done=None):
        data = {"kind": "task", "subject": subject, "owner_id": owner.id,
                "due_at": due.isoformat()}
        if done:
            data["done_at"] = done.isoformat()
        services.create(web_kernel, "activity", data, actor=SYSTEM)
    task("Send the Kestrel quote", me, now - dt.timedelta(days=2))
    task("Call Hanna back", me, now.replace(hour=23, minute=0, second=0))
    task("Plan next week", me, now + dt.timedelta(days=2))
    task("Already sent", me, now - dt.timedelta(days=1), done=now)
    task("Tom's call", other, now - dt.timedelta(hours=1))
    log_in(page, "maria@example.com")
    tasks = page.locator(".tasks .task-subject")
    expect(tasks).to_have_text(["Send the Kestrel quote", "Call Hanna back"])
    expect(page.locator(".tasks .task").first).to_contain_text("overdue")
    expect(page.locator(".tasks .task").nth(1)).not_to_contain_text("overdue")


def test_a_task_changed_meanwhile_is_not_marked_done(page, make_user, web_kernel):
    from accord.models import Activity

    me = make_user("sales", email="maria@example.com")
    task = services.create(web_kernel, "activity", {
        "kind": "call", "subject": "Call Jonas Weber", "owner_id": me.id,
        "due_at": "2020-03-01T10:00:00+00:00"}, actor=SYSTEM)
    log_in(page, "maria@example.com")
    services.update(web_kernel, "activity", task.id, {"subject": "Call Jonas Weber (CFO)"},
                    actor=SYSTEM)  # someone else, meanwhile
    page.get_by_role("button", name="Mark “Call Jonas Weber” done").click()
    expect(page.locator("#page-alerts")).to_have_text(
        f"Changed meanwhile. Activity {task.id} is at version 2, not 1; reload it and try "
        "again.")
    expect(page.locator(f"#task-{task.id}")).to_contain_text("Call Jonas Weber")  # kept
    with web_kernel.bound():
        assert Activity.get_by_id(task.id).done_at is None


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_pages_fit_the_screen_and_pass_axe(new_context, make_user, web_kernel, viewport):
    me = make_user("admin", email="ada@example.com", name="Ada Admin")
    services.create(web_kernel, "activity", {
        "kind": "call", "subject": "Call Lena Gruber about the reseller price list",
        "owner_id": me.id, "due_at": "2020-03-01T10:00:00+00:00"}, actor=SYSTEM)
    services.create(web_kernel, "contact", {"first_name": "Lena", "last_name": "Gruber",
                                            "email": "lena.gruber@orbit-office.example"},
                    actor=SYSTEM)
    width = "phone" if viewport is PHONE else "desktop"
    page = new_context(viewport=viewport).new_page()
    page.goto("/login")
    assert no_horizontal_scroll(page), "the login page scrolls sideways"
    assert serious_violations(page) == []
    screenshot(page, f"login-{width}")
    log_in(page, "ada@example.com")
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Ada Admin")
    assert no_horizontal_scroll(page), "the home page scrolls sideways"
    assert serious_violations(page) == []
    screenshot(page, f"home-{width}")
    page.goto("/search?q=gruber")
    expect(page.locator("#results")).to_contain_text("Lena Gruber")
    assert no_horizontal_scroll(page), "the search page scrolls sideways"
    assert serious_violations(page) == []
    screenshot(page, f"search-{width}")


def test_the_keyboard_alone_logs_in_and_skips_to_the_content(page, make_user, web_kernel):
    me = make_user("admin", email="ada@example.com")
    services.create(web_kernel, "activity", {
        "kind": "task", "subject": "Renew the support contract", "owner_id": me.id,
        "due_at": "2020-03-01T10:00:00+00:00"}, actor=SYSTEM)
    page.goto("/login")
    expect(page.get_by_label("Email")).to_be_focused()  # the form is ready to type into
    page.keyboard.type("ada@example.com")
    page.keyboard.press("Tab")
    page.keyboard.type("correct horse battery")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Hello")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Enter")
    # The skip link moves the focus to the content (a loaded machine may take a moment).
    expect(page.locator("#main")).to_be_focused()
    page.keyboard.press("Tab")  # past the bar: the first control of the content
    done = page.get_by_role("button", name="Mark “Renew the support contract” done")
    expect(done).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator(".task-done")).to_contain_text("Renew the support contract")
