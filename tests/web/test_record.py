"""Record pages in a real browser: edit fields with the message beside the field, the
timeline and "log a call", an action's form, stored scripts shown as text, the record
rule's 404, CSRF, and the pages at desktop and phone width."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from accord import services
from accord.models import Contact
from accord.services import Actor

from browsing import (DESKTOP, PHONE, log_in, no_horizontal_scroll, screenshot,
                      serious_violations)

SYSTEM = Actor.system("test")
SCRIPT = "<script>alert(1)</script>"


def _contact(kernel, **data):
    data = {"first_name": "Hanna", "last_name": "Berg", "email": "hanna@example.com", **data}
    return services.create(kernel, "contact", data, actor=SYSTEM)


def _deal(kernel, name, owner, **data):
    if "organization_id" not in data:
        data["organization_id"] = services.create(kernel, "organization",
                                                  {"name": "Kestrel Ltd"}, actor=SYSTEM).id
    data = {"name": name, "owner_id": owner.id,
            "amount": {"amount": "12500.00", "currency": "EUR"}, **data}
    return services.create(kernel, "sales.opportunity", data, actor=SYSTEM)


def _stored(kernel, type_name, record_id):
    with kernel.bound():
        return kernel.records.get(type_name).model.get_by_id(record_id)


def test_edit_a_contact_bad_email_beside_the_field_then_fixed_and_on_the_timeline(
        page, make_user, web_kernel):
    make_user("admin", email="ada@example.com", name="Ada Admin")
    contact = _contact(web_kernel)
    log_in(page, "ada@example.com")
    page.goto(f"/records/contact/{contact.id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Hanna Berg")
    page.get_by_label("Email", exact=True).fill("not-an-email")
    page.get_by_label("Title", exact=True).fill("Buyer")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#f-email-err")).to_have_text("Not a valid email address.")
    expect(page.get_by_label("Email", exact=True)).to_have_value("not-an-email")  # kept
    expect(page.get_by_label("Title", exact=True)).to_have_value("Buyer")
    stored = _stored(web_kernel, "contact", contact.id)
    assert (stored.email, stored.title, stored.version) == (
        "hanna@example.com", None, contact.version)
    page.get_by_label("Email", exact=True).fill("hanna.berg@example.com")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator(".flash")).to_have_text("Saved: Email, Title.")
    expect(page.get_by_label("Email", exact=True)).to_have_value("hanna.berg@example.com")
    stored = _stored(web_kernel, "contact", contact.id)
    assert (stored.email, stored.title) == ("hanna.berg@example.com", "Buyer")
    entries = page.locator(".timeline-entry")
    expect(entries.first).to_contain_text("Updated by ada@example.com")
    expect(entries.first).to_contain_text("Email, Title")
    expect(entries.last).to_contain_text("Created")


def test_create_a_contact_bad_email_beside_the_field_then_fixed_and_on_the_timeline(
        page, make_user, web_kernel):
    make_user("admin", email="ada@example.com", name="Ada Admin")
    log_in(page, "ada@example.com")
    page.goto("/records/contact")
    page.get_by_role("link", name="New contact").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New contact")
    page.get_by_label("First name").fill("Hanna")
    page.get_by_label("Last name").fill("Berg")
    page.get_by_label("Email", exact=True).fill("hanna-at-example")
    page.get_by_role("button", name="Create contact").click()
    expect(page.locator("#f-email-err")).to_have_text("Not a valid email address.")
    expect(page.get_by_label("First name")).to_have_value("Hanna")  # what was typed, kept
    with web_kernel.bound():
        assert Contact.select().count() == 0
    page.get_by_label("Email", exact=True).fill("hanna@example.com")
    page.get_by_role("button", name="Create contact").click()
    expect(page.locator(".flash")).to_have_text("Created the contact “Hanna Berg”.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Hanna Berg")
    with web_kernel.bound():
        stored = Contact.get()
    assert (stored.first_name, stored.email) == ("Hanna", "hanna@example.com")
    assert page.url.endswith(f"/records/contact/{stored.id}")
    expect(page.locator(".timeline-entry").first).to_contain_text(
        "Created by ada@example.com")


def test_a_user_without_write_permission_has_no_new_button_and_gets_the_403_page(
        page, make_user, web_kernel):
    make_user("read-only", email="rita@example.com")
    log_in(page, "rita@example.com")
    page.goto("/records/contact")
    expect(page.get_by_role("heading", level=1)).to_have_text("Contacts")
    expect(page.get_by_role("link", name="New contact")).to_have_count(0)
    page.goto("/records/contact/new")
    expect(page.locator("main")).to_contain_text("lacks the permission core.contact.write")


def test_a_contact_changed_meanwhile_is_not_overwritten(page, make_user, web_kernel):
    make_user("admin", email="ada@example.com")
    contact = _contact(web_kernel)
    log_in(page, "ada@example.com")
    page.goto(f"/records/contact/{contact.id}")
    services.update(web_kernel, "contact", contact.id, {"phone": "+49 30 1234"},
                    actor=SYSTEM)
    page.get_by_label("Title", exact=True).fill("Buyer")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("main")).to_contain_text(
        "This contact was changed by someone else meanwhile, so nothing was saved.")
    stored = _stored(web_kernel, "contact", contact.id)
    assert (stored.title, stored.phone) == (None, "+49 30 1234")


def test_log_a_call_on_a_contact_and_see_it_on_the_timeline(page, make_user, web_kernel):
    make_user("sales", email="maria@example.com")
    contact = _contact(web_kernel)
    log_in(page, "maria@example.com")
    page.goto(f"/records/contact/{contact.id}")
    page.get_by_role("button", name="Log a call").click()  # no subject: refused
    expect(page.locator("#act-subject-err")).to_have_text(
        "Length must be between 1 and 300.")
    page.get_by_label("Subject", exact=True).fill("Asked about the renewal")
    page.get_by_role("button", name="Log a call").click()
    expect(page.locator(".flash")).to_have_text("Added the call “Asked about the renewal”.")
    entry = page.locator(".timeline-entry").filter(has_text="Asked about the renewal")
    expect(entry).to_contain_text("Call")
    expect(entry).to_contain_text("done")
    with web_kernel.bound():
        from accord.models import Activity
        calls = list(Activity.select().where(Activity.contact == contact.id))
    assert [(a.kind, a.subject) for a in calls] == [("call", "Asked about the renewal")]


def test_move_an_opportunity_from_its_page_and_see_the_stage_change(page, make_user,
                                                                     web_kernel):
    rep = make_user("sales", email="maria@example.com")
    deal = _deal(web_kernel, "Kestrel renewal", rep)
    log_in(page, "maria@example.com")
    page.goto(f"/records/sales.opportunity/{deal.id}")
    expect(page.locator("#f-stage")).to_contain_text("changed by an action")
    move = page.get_by_role("form", name="Move")
    move.locator("summary").click()
    move.get_by_label("Stage").fill("no-such-stage")
    move.get_by_role("button", name="Move").click()
    expect(page.get_by_role("form", name="Move").locator(".error")).to_contain_text(
        "no-such-stage")
    assert _stored(web_kernel, "sales.opportunity", deal.id).stage == deal.stage
    move = page.get_by_role("form", name="Move")
    move.get_by_label("Stage").fill("Proposal")
    move.get_by_role("button", name="Move").click()
    expect(page.locator(".flash")).to_have_text("Move: done.")
    assert _stored(web_kernel, "sales.opportunity", deal.id).stage == "Proposal"
    expect(page.locator("#f-stage")).to_contain_text("Proposal")
    expect(page.locator("#timeline")).to_contain_text("Proposal")


def test_stored_scripts_are_shown_as_text_never_run(page, make_user, web_kernel):
    rep = make_user("admin", email="ada@example.com")
    contact = _contact(web_kernel, first_name=SCRIPT, last_name=SCRIPT, title=SCRIPT,
                       city=SCRIPT, street=SCRIPT)
    deal = _deal(web_kernel, SCRIPT, rep, channel=None)
    services.create(web_kernel, "activity", {"kind": "note", "subject": SCRIPT,
                                             "contact_id": contact.id}, actor=SYSTEM)
    competitor = services.create(web_kernel, "competitors.competitor",
                                 {"name": SCRIPT, "website": "https://x.example",
                                  "history": SCRIPT, "strengths": SCRIPT}, actor=SYSTEM)
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    log_in(page, "ada@example.com")
    for url in (f"/records/contact/{contact.id}", f"/records/sales.opportunity/{deal.id}",
                f"/records/competitors.competitor/{competitor.id}"):
        page.goto(url)
        expect(page.get_by_role("heading", level=1)).to_contain_text(SCRIPT)
    page.goto(f"/records/contact/{contact.id}")
    expect(page.get_by_label("Title", exact=True)).to_have_value(SCRIPT)
    expect(page.locator("#timeline")).to_contain_text(SCRIPT)
    assert dialogs == []


def test_a_sales_user_gets_the_404_page_for_another_users_opportunity(page, make_user,
                                                                       web_kernel):
    make_user("sales", email="maria@example.com")
    tom = make_user("sales", email="tom@example.com")
    deal = _deal(web_kernel, "Tom's deal", tom)
    log_in(page, "maria@example.com")
    response = page.goto(f"/records/sales.opportunity/{deal.id}")
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Not found")
    expect(page.locator("main")).to_contain_text(
        f"sales.opportunity {deal.id} does not exist.")
    response = page.goto("/records/sales.opportunity/999999")  # the same either way
    assert response.status == 404
    expect(page.locator("main")).to_contain_text("sales.opportunity 999999 does not exist.")
    page.goto(f"/records/sales.opportunity/{deal.id}/actions/move")  # GET: no such page
    make_user("service", email="sam@example.com")


def test_a_user_without_the_read_permission_gets_the_403_page(page, make_user, web_kernel):
    deal = _deal(web_kernel, "Kestrel", make_user("sales"))
    make_user("service", email="sam@example.com")
    log_in(page, "sam@example.com")
    response = page.goto(f"/records/sales.opportunity/{deal.id}")
    assert response.status == 403
    expect(page.locator("main")).to_contain_text(
        "sam@example.com (service) lacks the permission sales.opportunity.read.")


def test_a_form_post_without_csrf_is_refused_and_changes_nothing(page, make_user,
                                                                  web_kernel):
    make_user("admin", email="ada@example.com")
    contact = _contact(web_kernel)
    log_in(page, "ada@example.com")
    page.goto(f"/records/contact/{contact.id}")
    page.locator("form.recordform input[name=csrf_token]").evaluate("e => e.remove()")
    page.get_by_label("Email", exact=True).fill("evil@example.com")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("The form was refused")
    expect(page.locator("main")).to_contain_text(
        "The form was sent without its security token (csrf_token)")
    response = page.request.post(f"/records/contact/{contact.id}/activities",
                                 form={"kind": "call", "subject": "forged"})
    assert response.status == 400
    with web_kernel.bound():
        stored = Contact.get_by_id(contact.id)
        from accord.models import Activity
        assert Activity.select().count() == 0
    assert (stored.email, stored.version) == ("hanna@example.com", contact.version)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_record_pages_fit_the_screen_and_pass_axe(new_context, make_user, web_kernel,
                                                  viewport):
    rep = make_user("admin", email="ada@example.com", name="Ada Admin")
    org = services.create(web_kernel, "organization", {"name": "Northwind Traders"},
                          actor=SYSTEM)
    contact = _contact(web_kernel, organization_id=org.id, phone="+49 30 555 0101",
                       title="Head of purchasing", city="Berlin")
    services.create(web_kernel, "activity", {"kind": "call", "subject": "Intro call",
                                             "contact_id": contact.id}, actor=SYSTEM)
    deal = _deal(web_kernel, "Northwind renewal", rep, organization_id=org.id,
                 contact_id=contact.id)
    page = new_context(viewport).new_page()
    log_in(page, "ada@example.com")
    width = "desktop" if viewport == DESKTOP else "phone"
    for name, url in (("contact", f"/records/contact/{contact.id}"),
                      ("opportunity", f"/records/sales.opportunity/{deal.id}")):
        page.goto(url)
        expect(page.get_by_role("heading", level=2, name="Timeline")).to_be_visible()
        expect(page.get_by_role("link", name="Northwind Traders")).to_have_attribute(
            "href", f"/records/organization/{org.id}")
        assert no_horizontal_scroll(page), f"{name} page scrolls sideways at {viewport}"
        assert serious_violations(page) == []
        screenshot(page, f"record-{name}-{width}")


def test_personal_fields_are_hidden_from_a_reader_without_personal_data(page, make_user,
                                                                         web_kernel):
    make_user("read-only", email="rita@example.com")
    contact = _contact(web_kernel, phone="+49 30 555 0101")
    log_in(page, "rita@example.com")
    page.goto(f"/records/contact/{contact.id}")
    expect(page.locator("#f-email")).to_have_text("hidden (personal data)")
    expect(page.locator("main")).not_to_contain_text("hanna@example.com")
    expect(page.locator("main")).not_to_contain_text("+49 30 555 0101")
    expect(page.locator("input[name=email]")).to_have_count(0)
    expect(page.get_by_role("button", name="Save changes")).to_have_count(0)  # no write
    expect(page.get_by_label("Last name", exact=True)).to_have_count(0)
    expect(page.locator("#f-last_name")).to_have_text("Berg")
