"""The pipeline board in a real browser: drag a card to the next stage and find it
there after a reload and in the opportunity's stage history; a drop on the won stage
that the competitors plugin vetoes shows its reason and the card returns; a
salesperson's board holds their own cards only; the keyboard's "Move to…" form; the
board at 390 px, axe-core and screenshots."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from accord import services
from accord.services import Actor
from accord_sales.models import Opportunity, StageChange
from accord_sales.services import move_opportunity

from browsing import (DESKTOP, PHONE, log_in, nav_labels, no_horizontal_scroll, screenshot,
                      serious_violations)

SYSTEM = Actor.system("test")


def _deal(kernel, name, owner, amount):
    org = services.create(kernel, "organization", {"name": f"{name} GmbH"}, actor=SYSTEM)
    return services.create(kernel, "sales.opportunity", {
        "name": name, "owner_id": owner.id, "organization_id": org.id,
        "amount": {"amount": amount, "currency": "EUR"}}, actor=SYSTEM)


def _stage(kernel, deal_id):
    with kernel.bound():
        return Opportunity.get_by_id(deal_id).stage


def _column(page, stage):
    return page.locator(f".board-column[data-stage='{stage}']")


def _story(kernel, maria, tom):
    """Maria: Northwind and Kestrel in Prospecting, Orbit in Proposal; Tom: Atlas."""
    northwind = _deal(kernel, "Northwind rollout", maria, "12000.00")
    kestrel = _deal(kernel, "Kestrel pilot", maria, "2500.00")
    orbit = _deal(kernel, "Orbit upgrade", maria, "40000.00")
    move_opportunity(kernel, orbit.id, "Proposal", actor=SYSTEM)
    atlas = _deal(kernel, "Atlas expansion", tom, "9000.00")
    return northwind, kestrel, orbit, atlas


def test_drag_a_card_to_the_next_stage_and_see_its_stage_history(page, make_user,
                                                                  web_kernel):
    make_user("admin", email="ada@example.com", name="Ada Admin")
    maria, tom = make_user("sales", name="Maria Lopez"), make_user("sales", name="Tom Berg")
    northwind, *_ = _story(web_kernel, maria, tom)
    log_in(page, "ada@example.com")
    assert "Board" in nav_labels(page)
    navigation = page.get_by_role("navigation", name="Main")
    navigation.get_by_role("link", name="Board", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pipeline board")
    prospecting, qualification = _column(page, "Prospecting"), _column(page, "Qualification")
    expect(prospecting.locator(".board-total")).to_have_text(
        "3 opportunities 23,500.00 EUR")
    card = page.locator(f"#card-{northwind.id}")
    card.drag_to(qualification.locator(".board-cards"))
    expect(page.locator("#board-status")).to_have_text(
        "Moved “Northwind rollout” from Prospecting to Qualification.")
    expect(qualification.locator(f"#card-{northwind.id}")).to_be_visible()
    expect(qualification.locator(".board-total")).to_have_text("1 opportunity 12,000.00 EUR")
    expect(prospecting.locator(".board-total")).to_have_text("2 opportunities 11,500.00 EUR")
    assert _stage(web_kernel, northwind.id) == "Qualification"

    page.reload()
    expect(_column(page, "Qualification").locator(f"#card-{northwind.id}")).to_be_visible()
    expect(_column(page, "Prospecting").locator(f"#card-{northwind.id}")).to_have_count(0)
    page.locator(f"#card-{northwind.id}").get_by_role("link", name="Northwind rollout").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Northwind rollout")
    history = page.locator("section.panel",
                           has=page.get_by_role("heading", name="Stage history"))
    expect(history.locator("tbody tr")).to_have_count(1)
    cells = history.locator("tbody tr td")
    expect(cells.nth(0)).to_have_text("Qualification")
    expect(cells.nth(1)).to_have_text("Prospecting")
    expect(cells.nth(3)).to_have_text("ada@example.com")


def test_a_won_drop_vetoed_by_competitors_shows_why_and_the_card_returns(page, make_user,
                                                                        web_kernel):
    maria = make_user("sales", email="maria@example.com", name="Maria Lopez")
    tom = make_user("sales", name="Tom Berg")
    _, _, orbit, _ = _story(web_kernel, maria, tom)
    rival = services.create(web_kernel, "competitors.competitor",
                            {"name": "Salesflow Cloud"}, actor=SYSTEM)
    services.create(web_kernel, "competitors.involvement", {
        "opportunity_id": orbit.id, "competitor_id": rival.id}, actor=SYSTEM)
    log_in(page, "maria@example.com")
    page.goto("/sales/board")
    card = page.locator(f"#card-{orbit.id}")
    card.drag_to(_column(page, "Won").locator(".board-cards"))
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading")).to_have_text("Move “Orbit upgrade” to Won")
    dialog.get_by_role("button", name="Move").click()  # no win reason given
    expect(page.get_by_role("alert").filter(has_text="stays")).to_have_text(
        "“Orbit upgrade” stays in Proposal: Give a win reason: the deal was contested by "
        "Salesflow Cloud.")
    expect(_column(page, "Proposal").locator(f"#card-{orbit.id}")).to_be_visible()
    expect(_column(page, "Won").locator(".board-card")).to_have_count(0)
    expect(_column(page, "Proposal").locator(".board-total")).to_have_text(
        "1 opportunity 40,000.00 EUR")
    assert _stage(web_kernel, orbit.id) == "Proposal"
    screenshot(page, "board-veto-desktop")
    with web_kernel.bound():
        assert StageChange.select().where(StageChange.opportunity == orbit.id).count() == 1

    # Cancelling the dialog puts the card back too; giving the reason wins the deal.
    card.drag_to(_column(page, "Won").locator(".board-cards"))
    dialog.get_by_role("button", name="Cancel").click()
    expect(_column(page, "Proposal").locator(f"#card-{orbit.id}")).to_be_visible()
    card.drag_to(_column(page, "Won").locator(".board-cards"))
    dialog.get_by_label("Why was it won?").fill("Better onboarding")
    dialog.get_by_role("button", name="Move").click()
    expect(page.locator("#board-status")).to_have_text(
        "Moved “Orbit upgrade” from Proposal to Won.")
    expect(_column(page, "Won").locator(f"#card-{orbit.id}")).to_be_visible()
    assert _stage(web_kernel, orbit.id) == "Won"


def test_a_salespersons_board_has_their_own_cards_only(page, make_user, web_kernel):
    maria = make_user("sales", email="maria@example.com", name="Maria Lopez")
    tom = make_user("sales", email="tom@example.com", name="Tom Berg")
    _story(web_kernel, maria, tom)
    log_in(page, "tom@example.com")
    page.goto("/sales/board")
    expect(page.locator(".board-card")).to_have_count(1)
    expect(page.locator(".board-card .board-title")).to_have_text(["Atlas expansion"])
    expect(_column(page, "Prospecting").locator(".board-total")).to_have_text(
        "1 opportunity 9,000.00 EUR")
    expect(page.locator("main")).not_to_contain_text("Northwind")
    expect(page.locator("main")).not_to_contain_text("Orbit upgrade")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_board_by_keyboard_fits_the_screen_and_passes_axe(new_context, make_user,
                                                              web_kernel, viewport):
    maria = make_user("sales", email="maria@example.com", name="Maria Lopez")
    tom = make_user("sales", name="Tom Berg")
    make_user("admin", email="ada@example.com", name="Ada Admin")
    northwind, kestrel, orbit, atlas = _story(web_kernel, maria, tom)
    width = "desktop" if viewport == DESKTOP else "phone"
    page = new_context(viewport).new_page()
    log_in(page, "ada@example.com")
    page.goto("/sales/board")
    expect(page.locator(".board-card")).to_have_count(4)
    assert no_horizontal_scroll(page), f"the board scrolls sideways at {viewport}"
    assert serious_violations(page) == []
    screenshot(page, f"board-{width}")

    # Without dragging: the card's "Move to…" form, by keyboard.
    card = page.locator(f"#card-{kestrel.id}")
    card.get_by_text("Move to…").focus()
    page.keyboard.press("Enter")
    card.get_by_label("Stage for “Kestrel pilot”").select_option("Negotiation")
    card.get_by_role("button", name="Move").focus()
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    expect(page.locator(".flash")).to_have_text(
        "Moved “Kestrel pilot” from Prospecting to Negotiation.")
    expect(_column(page, "Negotiation").locator(f"#card-{kestrel.id}")).to_be_visible()
    assert _stage(web_kernel, kestrel.id) == "Negotiation"
    assert no_horizontal_scroll(page)

    page.goto("/sales/stages")
    expect(page.get_by_role("heading", level=1)).to_have_text("Pipeline stages")
    assert no_horizontal_scroll(page), f"/sales/stages scrolls sideways at {viewport}"
    assert serious_violations(page) == []
    screenshot(page, f"stages-{width}")


def test_adding_a_stage_on_the_stages_page_shows_on_the_board(page, make_user, web_kernel):
    make_user("admin", email="ada@example.com", name="Ada Admin")
    log_in(page, "ada@example.com")
    page.goto("/sales/board")
    page.get_by_role("link", name="Edit the stages").click()
    form = page.get_by_role("form", name="Add a stage to new_business")
    form.get_by_label("Name").fill("Demo")
    form.get_by_label("Probability (%)").fill("40")
    form.get_by_label("Where").select_option(label="Before Proposal")
    form.get_by_role("button", name="Add the stage").click()
    expect(page.locator(".flash")).to_have_text(
        "Added the stage “Demo” to the new_business pipeline.")
    form = page.get_by_role("form", name="Add a stage to new_business")
    form.get_by_label("Name").fill("Won again")
    form.get_by_label("Probability (%)").fill("100")
    form.get_by_label("Kind").select_option("won")
    form.get_by_role("button", name="Add the stage").click()
    expect(form.get_by_role("alert")).to_have_text(
        "new_business: needs exactly one won stage (found 2).")
    page.goto("/sales/board")
    expect(page.locator(".board-head")).to_have_text(
        ["Prospecting", "Qualification", "Demo", "Proposal", "Negotiation", "Won", "Lost"])
