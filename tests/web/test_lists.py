"""The list pages in a real browser: filters (a custom field's too), sort by a column's
header, cursor paging, column choice, the CSV export, bulk assignment, the record
rules, a bad filter's message, phone width, axe-core and screenshots."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from accord import services
from accord.services import Actor
from accord.services.fields import add_field

from browsing import DESKTOP, PHONE, log_in, no_horizontal_scroll, screenshot, serious_violations

SYSTEM = Actor.system("test")
ROWS = "table.records tbody tr"


def _column(page, label):
    return page.locator(f'table.records tbody td[data-label="{label}"]')


def _contacts(kernel, count):
    add_field(kernel, "contact", "x_tier", "text", label="Tier", actor=SYSTEM)
    for n in range(1, count + 1):
        services.create(kernel, "contact", {
            "first_name": f"Person{n:02d}", "last_name": f"Zeta{n:02d}",
            "email": f"p{n:02d}@example.com", "x_tier": "gold" if n % 3 == 0 else "silver"},
            actor=SYSTEM)


def _deal(kernel, name, owner, amount="12500.00"):
    org = services.create(kernel, "organization", {"name": f"{name.split()[0]} GmbH"},
                          actor=SYSTEM)
    return services.create(kernel, "sales.opportunity", {
        "name": name, "owner_id": owner.id, "organization_id": org.id,
        "amount": {"amount": amount, "currency": "EUR"}}, actor=SYSTEM)


def _csv(download):
    return list(csv.reader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))


def test_list_contacts_filter_by_a_custom_field_sort_and_page(page, make_user, web_kernel):
    make_user("admin", email="ada@example.com")
    _contacts(web_kernel, 30)
    log_in(page, "ada@example.com")
    page.get_by_role("link", name="Contacts").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Contacts")
    expect(page.get_by_role("link", name="Contacts")).to_have_attribute("aria-current", "page")
    expect(page.locator(ROWS)).to_have_count(25)
    expect(_column(page, "Last name").first).to_have_text("Zeta01")
    page.get_by_role("link", name="Next page").click()
    expect(page.locator(ROWS)).to_have_count(5)
    expect(_column(page, "Last name")).to_have_text([f"Zeta{n}" for n in range(26, 31)])
    expect(page).to_have_url(re.compile(r"/records/contact\?cursor="))

    # A filter on the custom field, from the form: field, operator, value.
    page.get_by_label("Field", exact=True).select_option(label="Tier")
    page.get_by_label("Operator", exact=True).select_option(label="is")
    page.get_by_label("Value", exact=True).fill("gold")
    page.get_by_role("button", name="Add filter").click()
    expect(page).to_have_url(re.compile(r"/records/contact\?x_tier=gold$"))
    expect(page.locator(ROWS)).to_have_count(10)
    expect(page.get_by_role("list", name="Filters applied")).to_contain_text("x_tier = gold")

    # Sort by the header, with the keyboard: ascending, then descending.
    header = page.get_by_role("link", name="Last name")
    header.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("columnheader", name="Last name ▲")).to_have_attribute(
        "aria-sort", "ascending")
    expect(_column(page, "Last name").first).to_have_text("Zeta03")
    page.get_by_role("link", name="Last name ▲").click()
    expect(_column(page, "Last name").first).to_have_text("Zeta30")
    expect(page).to_have_url(re.compile(r"x_tier=gold&sort=-last_name$"))
    # The search box keeps the filter and the sort.
    page.get_by_label("Search contacts").fill("Person1")
    page.get_by_label("Search contacts").press("Enter")
    expect(_column(page, "Last name")).to_have_text(["Zeta18", "Zeta15", "Zeta12"])
    # Removing the filter.
    page.get_by_role("link", name="Remove the filter x_tier").click()
    expect(_column(page, "Last name")).to_have_count(10)  # Person10 … Person19
    expect(_column(page, "Last name").first).to_have_text("Zeta19")


def test_choose_columns_and_export_the_filtered_csv(page, make_user, web_kernel):
    make_user("admin", email="ada@example.com")
    _contacts(web_kernel, 6)
    services.create(web_kernel, "contact", {"first_name": "=cmd|' /C calc'!A0",
                                            "last_name": "Zeta99", "x_tier": "gold"},
                    actor=SYSTEM)
    log_in(page, "ada@example.com")
    page.goto("/records/contact?x_tier=gold&sort=last_name")
    expect(page.get_by_role("columnheader")).to_have_text(
        ["Choose", "First name", "Last name ▲", "Email", "Phone", "Organization", "Owner"])
    page.get_by_text("Columns", exact=True).click()
    columns = page.get_by_role("group", name="Columns shown")
    for label in ("Email", "Phone", "Organization", "Owner"):
        columns.get_by_label(label, exact=True).uncheck()
    columns.get_by_label("Tier", exact=True).check()
    page.get_by_role("button", name="Show these columns").click()
    expect(page.get_by_role("columnheader")).to_have_text(
        ["Choose", "First name", "Last name ▲", "Tier"])
    expect(page).to_have_url(re.compile(r"fields=first_name&fields=last_name&fields=x_tier"))
    expect(_column(page, "Last name")).to_have_text(["Zeta03", "Zeta06", "Zeta99"])
    expect(_column(page, "First name").last).to_have_text("=cmd|' /C calc'!A0")  # as text
    with page.expect_download() as info:
        page.get_by_role("link", name="Export CSV").click()
    assert info.value.suggested_filename == "contact.csv"
    assert _csv(info.value)[0] == ["id", "first_name", "last_name", "x_tier"]
    assert [row[1:] for row in _csv(info.value)[1:]] == [
        ["Person03", "Zeta03", "gold"], ["Person06", "Zeta06", "gold"],
        ["'=cmd|' /C calc'!A0", "Zeta99", "gold"]]


def test_bulk_assign_two_records_and_see_the_new_owner(page, make_user, web_kernel):
    make_user("admin", email="priya@example.com", name="Priya Shah")
    maria = make_user("sales", email="maria@example.com", name="Maria Lopez")
    make_user("sales", email="tom@example.com", name="Tom Becker")
    for name in ("Alpha deal", "Beta deal", "Gamma deal"):
        _deal(web_kernel, name, maria)
    log_in(page, "priya@example.com")
    page.get_by_role("link", name="Opportunities").click()
    expect(_column(page, "Owner")).to_have_text(["Maria Lopez"] * 3)
    page.get_by_label("Choose Alpha deal").check()
    page.get_by_label("Choose Gamma deal").check()
    page.get_by_label("Assign the ticked ones to").select_option(
        label="Tom Becker (tom@example.com)")
    page.get_by_role("button", name="Assign", exact=True).click()
    expect(page.locator(".flash-info")).to_have_text(
        "Assigned 2 opportunity records to Tom Becker.")
    expect(_column(page, "Name")).to_have_text(["Alpha deal", "Beta deal", "Gamma deal"])
    expect(_column(page, "Owner")).to_have_text(["Tom Becker", "Maria Lopez", "Tom Becker"])


def test_a_sales_user_sees_only_their_own_opportunities_in_the_list_and_the_csv(
        page, make_user, web_kernel):
    maria = make_user("sales", email="maria@example.com", name="Maria Lopez")
    tom = make_user("sales", email="tom@example.com", name="Tom Becker")
    _deal(web_kernel, "Kestrel renewal", maria)
    _deal(web_kernel, "Orbit expansion", tom)
    _deal(web_kernel, "Lumen pilot", maria, amount="900.00")
    log_in(page, "maria@example.com")
    page.get_by_role("link", name="Opportunities").click()
    expect(_column(page, "Name")).to_have_text(["Kestrel renewal", "Lumen pilot"])
    expect(page.locator("main")).not_to_contain_text("Orbit expansion")
    with page.expect_download() as info:
        page.get_by_role("link", name="Export CSV").click()
    rows = _csv(info.value)
    assert [row[1] for row in rows[1:]] == ["Kestrel renewal", "Lumen pilot"]
    assert "Orbit expansion" not in Path(info.value.path()).read_text()


def test_a_bad_filter_value_shows_the_message_above_the_list(page, make_user, web_kernel):
    make_user("admin", email="ada@example.com")
    _deal(web_kernel, "Kestrel renewal", make_user("sales"))
    log_in(page, "ada@example.com")
    page.goto("/records/sales.opportunity")
    page.get_by_label("Field", exact=True).select_option(label="Probability")
    page.get_by_label("Operator", exact=True).select_option(label="≥ (at least)")
    page.get_by_label("Value", exact=True).fill("lots")
    page.get_by_role("button", name="Add filter").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("The list's parameters were refused:")
    expect(alert).to_contain_text("probability__gte: ")
    expect(page.locator("table.records")).to_have_count(0)
    expect(page.get_by_role("link", name="Remove the filter probability__gte")).to_be_visible()
    page.get_by_role("link", name="Remove the filter probability__gte").click()
    expect(_column(page, "Name")).to_have_text(["Kestrel renewal"])


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_lists_fit_the_screen_and_pass_axe(new_context, make_user, web_kernel, viewport):
    me = make_user("admin", email="ada@example.com", name="Ada Admin")
    org = services.create(web_kernel, "organization", {"name": "Orbit Office Supplies GmbH"},
                          actor=SYSTEM)
    for first, last in (("Lena", "Gruber"), ("Jonas", "Weber"), ("Hanna", "Northwind")):
        services.create(web_kernel, "contact", {
            "first_name": first, "last_name": last, "organization_id": org.id,
            "email": f"{first.lower()}.{last.lower()}@orbit-office.example",
            "phone": "+49 30 1234 5678", "owner_id": me.id}, actor=SYSTEM)
    for name in ("Orbit reseller price list 2027", "Kestrel renewal", "Lumen pilot"):
        _deal(web_kernel, name, me)
    width = "phone" if viewport is PHONE else "desktop"
    page = new_context(viewport=viewport).new_page()
    log_in(page, "ada@example.com")
    for path, shot in (("/records/contact", "contacts"),
                       ("/records/sales.opportunity", "opportunities-list")):
        page.goto(path)
        expect(page.locator(ROWS)).to_have_count(3)
        assert no_horizontal_scroll(page), f"{path} scrolls sideways"
        assert serious_violations(page) == []
        screenshot(page, f"{shot}-{width}")
