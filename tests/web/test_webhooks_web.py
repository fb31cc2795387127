"""The webhooks admin page in a real browser at phone width: a subscription added
through the form (its secret shown once), a refusal beside its field, a dead delivery
with its error and the redeliver button; no sideways scrolling, no serious axe-core
violation, and a screenshot."""

from __future__ import annotations

from playwright.sync_api import expect

from accord import services
from accord.services import Actor
from accord.services.webhooks_delivery import deliver_due

from browsing import PHONE, log_in, no_horizontal_scroll, screenshot, serious_violations


def test_webhooks_page_at_phone_width(new_context, make_user, web_kernel):
    make_user("admin", email="ada@example.com")
    page = new_context(PHONE).new_page()
    log_in(page, "ada@example.com")
    page.goto("/admin/webhooks")
    expect(page.get_by_role("heading", level=1)).to_have_text("Webhooks")
    page.get_by_label("URL (http or https)").fill("https://10.0.0.8/hook")
    page.get_by_label("Events (separated by commas").fill("contact.*")
    page.get_by_role("button", name="Add the webhook").click()
    expect(page.locator("#wh-url-err")).to_contain_text("10.0.0.8 is a private address")
    # Now with private hosts allowed, as for a receiver on the local network.
    object.__setattr__(web_kernel.config, "webhooks", {"allow_private": True,
                                                       "max_attempts": 1})
    page.get_by_label("URL (http or https)").fill("http://127.0.0.1:9/hook")
    page.get_by_label("Description").fill("ERP sync")
    page.get_by_role("button", name="Add the webhook").click()
    expect(page.get_by_role("status")).to_contain_text("Its secret, shown this once")
    services.create(web_kernel, "contact", {"last_name": "Ng"}, actor=Actor.system("t"))
    deliver_due(web_kernel)
    page.goto("/admin/webhooks")
    expect(page.locator("table").last).to_contain_text("ConnectionRefusedError")
    assert no_horizontal_scroll(page)
    assert serious_violations(page) == []
    screenshot(page, "admin-webhooks-phone")
    page.get_by_role("button", name="Redeliver delivery 1").click()
    expect(page.locator(".flash")).to_contain_text("Delivery 1 (contact.created) is queued")
