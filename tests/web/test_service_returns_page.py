"""Returns in a real browser: a manager finds the returns to decide on /service/returns,
filters them by status, opens one, sees the items and the most the refund may be, and
rejects it with a reason from the record page. Phone width, axe-core and screenshots."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from accord import services
from accord.services import Actor

from browsing import PHONE, log_in, no_horizontal_scroll, screenshot, serious_violations

SYSTEM = Actor.system("test")


@pytest.fixture
def web_kernel(make_kernel):
    return make_kernel(plugins=["service"], enable=["service"])


def _return(kernel, owner, org, product, reason, quantity="1", unit_paid="249.00"):
    return services.create(kernel, "service.return", {
        "reason": reason, "organization_id": org.id, "currency": "EUR", "owner_id": owner.id,
        "items": [{"product_id": product.id, "quantity": quantity, "unit_paid": unit_paid,
                   "description": "Unit with serial LP9-000417"}]}, actor=SYSTEM)


def test_a_manager_rejects_a_return_with_a_reason(web_kernel, new_context, make_user):
    mo = make_user("manager", email="mo@example.com", name="Mo Manager")
    org = services.create(web_kernel, "organization", {"name": "Harbour Print Shop"},
                          actor=SYSTEM)
    product = services.create(web_kernel, "product", {"sku": "LP-9", "name": "LaserPro 9"},
                              actor=SYSTEM)
    wanted = _return(web_kernel, mo, org, product, "Paper tray cracked on delivery", "2")
    other = _return(web_kernel, mo, org, product, "Ordered the wrong model")
    services.update(web_kernel, "service.return", other.id, {"resolution": "replacement"},
                    actor=SYSTEM)
    from accord_service.services.returns import approve_return

    approve_return(web_kernel, other.id, actor=SYSTEM, reason="Unopened, within 30 days")

    for viewport, name in ((None, "desktop"), (PHONE, "phone")):
        page = new_context(**({"viewport": viewport} if viewport else {})).new_page()
        log_in(page, "mo@example.com")
        page.get_by_role("link", name="Returns").first.click()
        expect(page.get_by_role("heading", name="Returns", exact=True)).to_be_visible()
        expect(page.get_by_text("Paper tray cracked on delivery")).to_be_visible()
        expect(page.get_by_text("approved: Unopened, within 30 days")).to_be_visible()
        assert serious_violations(page) == []
        assert no_horizontal_scroll(page)
        screenshot(page, f"service-returns-{name}")
        page.get_by_label("Status").select_option("requested")
        page.get_by_role("button", name="Show").click()
        expect(page.get_by_text("Ordered the wrong model")).to_have_count(0)
        expect(page.get_by_text("Paper tray cracked on delivery")).to_be_visible()

    page.get_by_role("link", name=f"Return {wanted.id}").click()
    expect(page.get_by_role("heading", name="Items returned")).to_be_visible()
    expect(page.get_by_text("498.00 EUR").first).to_be_visible()  # 2 × 249.00
    screenshot(page, "service-return-record-phone")
    form = page.get_by_role("form", name="Reject")
    form.get_by_text("Reject", exact=True).first.click()  # opens the action's form
    form.get_by_label("Reason").fill("Damage from a fall, not from shipping")
    form.get_by_role("button", name="Reject").click()
    page.wait_for_load_state()
    record = services.get(web_kernel, "service.return", wanted.id)
    assert (record.status, record.decision_reason) == (
        "rejected", "Damage from a fall, not from shipping")
    assert serious_violations(page) == []
    screenshot(page, "service-return-rejected-phone")
