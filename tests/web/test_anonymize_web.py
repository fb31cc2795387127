"""The erasure page in a browser at phone width: a person found, what goes shown,
confirmed, the report read; screenshots kept."""

from __future__ import annotations

from playwright.sync_api import expect

from accord import services
from accord.services import Actor

from browsing import PHONE, log_in, no_horizontal_scroll, screenshot, serious_violations

SYSTEM = Actor.system("test")


def test_erasing_a_person_at_phone_width(web_kernel, make_user, new_context):
    admin = make_user("admin")
    contact = services.create(web_kernel, "contact", {
        "first_name": "Mallory", "last_name": "Quux", "email": "mallory.quux@example.com",
        "phone": "+49 30 1234567", "street": "Geheimweg 17", "city": "Bonn"}, actor=SYSTEM)
    services.create(web_kernel, "sales.lead", {"name": "Mallory Quux",
                                               "email": "mallory.quux@example.com"},
                    actor=SYSTEM)
    page = new_context(viewport=PHONE).new_page()
    log_in(page, admin.email)
    page.goto("/admin/anonymize")
    page.get_by_label("Name or email of the contact").fill("quux")
    page.get_by_role("button", name="Find").click()
    page.get_by_role("link", name="See what is erased for Mallory Quux").click()
    expect(page.get_by_role("heading", name=f"Erase the personal data of contact "
                                            f"#{contact.id}")).to_be_visible()
    assert no_horizontal_scroll(page)
    assert serious_violations(page) == []
    screenshot(page, "anonymize-confirm-phone")
    page.get_by_label("I understand that this cannot be undone").check()
    page.get_by_role("button", name="Erase the personal data").click()
    expect(page.get_by_role("heading", name="Personal data erased")).to_be_visible()
    assert no_horizontal_scroll(page)
    screenshot(page, "anonymize-report-phone")
    assert services.get(web_kernel, "contact", contact.id).last_name == "Erased"
