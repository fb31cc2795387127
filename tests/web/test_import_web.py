"""The import wizard in a real browser at phone width: upload, the mapping with the
guess preselected, the dry run's report naming each bad row; no sideways scrolling,
no serious axe-core violation, and a screenshot."""

from __future__ import annotations

from playwright.sync_api import expect

from browsing import PHONE, log_in, no_horizontal_scroll, screenshot, serious_violations


def test_import_wizard_at_phone_width(new_context, make_user, web_kernel, tmp_path):
    make_user("admin", email="ada@example.com")
    path = tmp_path / "people.csv"
    path.write_text("First Name,Surname,Email,Shoe size\nAda,Lovelace,ada@example.com,38\n"
                    "Bob,,bob@example,41\nAlan,Turing,alan@example.com,44\n")
    page = new_context(PHONE).new_page()
    log_in(page, "ada@example.com")
    page.goto("/admin/import")
    expect(page.get_by_role("heading", level=1)).to_have_text("Import records")
    page.get_by_label("Record type").select_option("contact")
    page.get_by_label("File (.csv or .xlsx)").set_input_files(str(path))
    page.get_by_role("button", name="Upload and map").click()
    expect(page.get_by_label("Column “First Name”")).to_have_value("first_name")
    page.get_by_label("Column “Surname”").select_option("last_name")
    page.get_by_role("button", name="3. Check every row (dry run)").click()
    expect(page.get_by_role("alert")).to_contain_text("1 of 3 rows are bad")
    expect(page.locator("table").last).to_contain_text("not a valid email address")
    assert no_horizontal_scroll(page)
    assert serious_violations(page) == []
    screenshot(page, "admin-import-phone")
