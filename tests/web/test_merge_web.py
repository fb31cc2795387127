"""The duplicates page and the merge form in a browser at phone width: a pair listed,
compared side by side, a value chosen with its radio, merged; screenshots kept."""

from __future__ import annotations

from playwright.sync_api import expect

from accord import services
from accord.services import Actor

from browsing import PHONE, log_in, no_horizontal_scroll, screenshot, serious_violations

SYSTEM = Actor.system("test")


def test_merging_two_contacts_at_phone_width(web_kernel, make_user, new_context):
    admin = make_user("admin")
    org = services.create(web_kernel, "organization", {"name": "Acme GmbH"}, actor=SYSTEM)
    winner = services.create(web_kernel, "contact", {
        "first_name": "Jane", "last_name": "Doe", "email": "jane.doe@gmail.com",
        "city": "Bonn", "organization_id": org.id}, actor=SYSTEM)
    loser = services.create(web_kernel, "contact", {
        "first_name": "Jane", "last_name": "Doe", "email": "janedoe+news@gmail.com",
        "city": "Berlin", "phone": "+49 30 1234567", "title": "CEO"}, actor=SYSTEM)
    page = new_context(viewport=PHONE).new_page()
    log_in(page, admin.email)
    page.goto("/admin/duplicates")
    expect(page.get_by_role("heading", name="Likely duplicates")).to_be_visible()
    expect(page.locator("table.duplicates tbody tr")).to_have_count(1)
    assert no_horizontal_scroll(page)
    assert serious_violations(page) == []
    screenshot(page, "merge-duplicates-phone")
    page.get_by_role("link", name=f"Compare and merge {winner.id} and {loser.id}").click()
    expect(page.get_by_role("heading", name="Merge two contacts")).to_be_visible()
    page.get_by_label("(take the loser's city)").check()
    assert no_horizontal_scroll(page)
    assert serious_violations(page) == []
    screenshot(page, "merge-form-phone")
    page.get_by_role("button", name=f"Merge contact {loser.id} into {winner.id}").click()
    expect(page.get_by_text(f"Merged contact {loser.id} into {winner.id}")).to_be_visible()
    stored = services.get(web_kernel, "contact", winner.id)
    assert (stored.city, stored.phone, stored.title) == ("Berlin", "+49 30 1234567", "CEO")
