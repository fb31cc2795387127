"""The dashboard in a real browser: KPI cards, the sales and competitors charts, the
filters in the URL, a sales user's own figures only, phone width, axe-core and
screenshots."""

from __future__ import annotations

import datetime as dt
import re

from playwright.sync_api import expect

from accord import services
from accord.services import Actor
from accord_sales.services import move_opportunity

from browsing import PHONE, log_in, no_horizontal_scroll, screenshot, serious_violations

SYSTEM = Actor.system("test")
TODAY = dt.datetime.now(dt.timezone.utc).date()


def _deal(kernel, name, owner, amount, stage=None, competitor=None):
    org = services.create(kernel, "organization", {"name": f"{name.split()[0]} GmbH"},
                          actor=SYSTEM)
    deal = services.create(kernel, "sales.opportunity", {
        "name": name, "owner_id": owner.id, "organization_id": org.id,
        "amount": {"amount": amount, "currency": "EUR"},
        "expected_close_date": TODAY.isoformat()}, actor=SYSTEM)
    if competitor is not None:
        services.create(kernel, "competitors.involvement", {
            "opportunity_id": deal.id, "competitor_id": competitor.id}, actor=SYSTEM)
    if stage is not None:
        extra: dict = {}
        if stage == "Lost":
            extra = {"loss_reason": "price", "details": {"lost_to": competitor.id}}
        elif stage == "Won":
            extra = {"win_reason": "service"}
        move_opportunity(kernel, deal.id, stage, actor=SYSTEM, **extra)
    return deal


def _figures(page, title):
    """The figures' table of the widget headed ``title``: {label: [texts]}."""
    box = page.locator("section.widget", has=page.get_by_role("heading", name=title))
    rows = box.locator("details.figures tbody tr")
    out = {}
    for i in range(rows.count()):
        row = rows.nth(i)
        # text_content: the table is inside a closed <details>.
        out[row.locator("th").text_content()] = row.locator("td").all_text_contents()
    return out


def test_dashboard_at_desktop_and_phone_width(page, new_context, make_user, web_kernel):
    make_user("admin", email="ada@example.com")
    rita = make_user("sales", email="rita@example.com", name="Rita Rep")
    sam = make_user("sales", email="sam@example.com", name="Sam Rep")
    rival = services.create(web_kernel, "competitors.competitor", {"name": "Rival Corp"},
                            actor=SYSTEM)
    _deal(web_kernel, "Rita open", rita, "1000.00")
    _deal(web_kernel, "Rita proposal", rita, "4000.00", stage="Proposal")
    _deal(web_kernel, "Rita won", rita, "3000.00", stage="Won", competitor=rival)
    _deal(web_kernel, "Sam open", sam, "2500.00")
    _deal(web_kernel, "Sam lost", sam, "1800.00", stage="Lost", competitor=rival)

    log_in(page, "ada@example.com")
    page.get_by_role("link", name="Dashboard").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    expect(page.get_by_role("link", name="Dashboard")).to_have_attribute("aria-current", "page")
    expect(page.locator("section.kpi").first).to_be_visible()
    assert _figures(page, "Pipeline by stage: new_business")["Prospecting"] == ["3,500.00 EUR"]
    assert _figures(page, "Win/loss by competitor")["Rival Corp"] == ["1", "1"]
    expect(page.locator("section.widget", has_text="Win rate").first).to_contain_text("50 %")
    assert page.locator("svg[role=img]").count() >= 5
    assert serious_violations(page) == []
    assert no_horizontal_scroll(page)
    screenshot(page, "dashboard-desktop")

    # The owner filter goes into the URL, so the page can be bookmarked.
    page.get_by_label("Owner").select_option(label="Sam Rep (sam@example.com)")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(rf"owner={sam.id}"))
    assert _figures(page, "Pipeline by stage: new_business")["Prospecting"] == ["2,500.00 EUR"]

    # A sales user sees only their own deals, on a phone.
    phone = new_context(viewport=PHONE).new_page()
    log_in(phone, "rita@example.com")
    phone.goto("/dashboard")
    expect(phone.get_by_role("heading", level=1)).to_have_text("Dashboard")
    assert _figures(phone, "Pipeline by stage: new_business") == {
        "Prospecting": ["1,000.00 EUR"], "Qualification": ["0.00 EUR"],
        "Proposal": ["4,000.00 EUR"], "Negotiation": ["0.00 EUR"]}
    assert _figures(phone, "Win/loss by competitor")["Rival Corp"] == ["1", "0"]
    assert "2,500.00" not in phone.content()
    assert no_horizontal_scroll(phone)
    assert serious_violations(phone) == []
    screenshot(phone, "dashboard-phone")
    # Another's records are refused by name, beside the field.
    phone.goto(f"/dashboard?owner={sam.id}")
    expect(phone.locator("#dash-owner-error")).to_have_text(
        f"There is no user {sam.id} whose records you may read.")
    assert no_horizontal_scroll(phone)


def test_a_card_computed_late_appears_without_a_reload(page, make_user, web_kernel,
                                                       monkeypatch):
    """A card not ready within the page's wait says so; the key figures reload
    themselves (htmx) and show it once computed, the rest of the page left alone."""
    import threading

    from accord.pages import dashboard

    gate = threading.Event()
    original = dashboard._fill

    def held(kernel, actor, card, *args, **kwargs):
        if card.name == "sales.win_rate":
            gate.wait(30)
        return original(kernel, actor, card, *args, **kwargs)

    monkeypatch.setattr(dashboard, "_fill", held)
    monkeypatch.setattr(dashboard, "CARDS_WAIT", 0.3)
    rita = make_user("sales", email="rita@example.com", name="Rita Rep")
    make_user("admin", email="ada@example.com")
    _deal(web_kernel, "Rita won", rita, "3000.00", stage="Won")

    log_in(page, "ada@example.com")
    page.goto("/dashboard?owner=" + str(rita.id))
    card = page.locator("section.kpi", has_text="sales.win_rate")
    expect(card).to_contain_text("Being computed…")
    expect(page.get_by_role("status")).to_contain_text("1 figure is still being computed")
    assert serious_violations(page) == []
    screenshot(page, "dashboard-card-being-computed")
    url = page.url

    gate.set()
    expect(card).to_contain_text("100 %", timeout=15_000)
    expect(card).not_to_contain_text("Being computed")
    expect(page.get_by_role("status")).to_have_count(0)
    assert page.url == url  # the figures came in place; the page was not left
    expect(page.get_by_label("Owner")).to_have_value(str(rita.id))
