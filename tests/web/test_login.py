"""Logging in and out of the pages in a real browser: the session cookie, the wrong
password, the lockout, the logout (a copied cookie dies with it) and the CSRF check."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from accord import services
from accord.models import Activity, WebSession
from accord.services import Actor

from browsing import PASSWORD, log_in, screenshot

WRONG = "Wrong email or password."


def test_log_in_lands_on_home_with_a_strict_session_cookie(page, make_user, site, web_kernel):
    user = make_user("admin", email="ada@example.com", name="Ada Admin")
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login\?next=/$"))  # logged out: sent to log in
    log_in(page, "ADA@example.com ", PASSWORD)  # emails are matched case-insensitively
    expect(page).to_have_url(f"{site}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Ada Admin")
    cookie = next(c for c in page.context.cookies() if c["name"] == "accord_session")
    assert (cookie["httpOnly"], cookie["sameSite"], cookie["secure"]) == (True, "Lax", False)
    with web_kernel.bound():
        assert WebSession.select().where(WebSession.user == user.id).count() == 1


def test_a_wrong_password_or_an_unknown_email_gets_the_same_message(page, make_user):
    make_user("admin", email="ada@example.com")
    log_in(page, "ada@example.com", "not the password")
    expect(page.get_by_role("alert")).to_have_text(WRONG)
    expect(page.get_by_label("Email")).to_have_value("ada@example.com")  # kept to retry
    log_in(page, "nobody@example.com", "not the password")
    expect(page.get_by_role("alert")).to_have_text(WRONG)
    expect(page).to_have_url(re.compile(r"/login$"))


def test_five_failures_lock_the_email_and_the_right_password_waits(page, make_user,
                                                                    web_kernel):
    make_user("admin", email="ada@example.com")
    for _ in range(4):
        log_in(page, "ada@example.com", "guess")
        expect(page.get_by_role("alert")).to_have_text(WRONG)
    log_in(page, "ada@example.com", "guess")
    locked = "Too many failed logins for this email; try again in 15 minutes."
    expect(page.get_by_role("alert")).to_have_text(locked)
    log_in(page, "ada@example.com", PASSWORD)  # the right password, while locked
    expect(page.get_by_role("alert")).to_have_text(locked)
    expect(page).to_have_url(re.compile(r"/login$"))
    with web_kernel.bound():
        assert WebSession.select().count() == 0  # no session was started
    screenshot(page, "login-locked-desktop")


def test_a_deactivated_user_cannot_log_in(page, make_user, web_kernel):
    user = make_user("sales", email="gone@example.com")
    services.update(web_kernel, "user", user.id, {"active": False}, actor=Actor.system("t"))
    log_in(page, "gone@example.com", PASSWORD)
    expect(page.get_by_role("alert")).to_have_text(
        "This account is deactivated; ask an administrator to reactivate it.")
    log_in(page, "gone@example.com", "a wrong one")
    expect(page.get_by_role("alert")).to_have_text(WRONG)  # says nothing without the password


def test_deactivating_a_user_ends_their_session_at_the_next_page(page, make_user, web_kernel):
    user = make_user("sales", email="rep@example.com")
    log_in(page, "rep@example.com")
    services.update(web_kernel, "user", user.id, {"active": False}, actor=Actor.system("t"))
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login\?next=/$"))


def test_log_out_ends_the_session_even_for_a_copy_of_the_cookie(new_context, make_user, site,
                                                                web_kernel):
    make_user("admin", email="ada@example.com")
    context = new_context()
    page = context.new_page()
    log_in(page, "ada@example.com")
    copied = context.cookies()
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_role("status")).to_have_text("You are logged out.")
    with web_kernel.bound():
        assert WebSession.select().count() == 0
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login\?next=/$"))
    thief = new_context()  # someone who kept the cookie from before the logout
    thief.add_cookies(copied)
    stolen = thief.new_page()
    stolen.goto("/")
    expect(stolen).to_have_url(re.compile(r"/login\?next=/$"))


def test_a_new_password_logs_every_browser_out(page, make_user, web_kernel):
    from accord.services.passwords import set_password

    user = make_user("admin", email="ada@example.com")
    log_in(page, "ada@example.com")
    set_password(web_kernel, user, "another good password", actor=Actor.system("t"))
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login\?next=/$"))


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(page, make_user,
                                                                      web_kernel):
    user = make_user("admin", email="ada@example.com")
    due = services.create(web_kernel, "activity", {
        "kind": "task", "subject": "Call back Hanna", "owner_id": user.id,
        "due_at": "2020-01-01T09:00:00+00:00"}, actor=Actor.system("t"))
    log_in(page, "ada@example.com")
    # The task's own form, sent with its hidden token removed (as a forged form would be).
    page.locator(f"#task-{due.id} input[name=csrf_token]").evaluate("e => e.remove()")
    page.evaluate("document.body.removeAttribute('hx-headers')")
    page.locator(f"#task-{due.id} form").evaluate("f => f.submit()")
    expect(page.get_by_role("heading", level=1)).to_have_text("The form was refused")
    expect(page.locator("main")).to_contain_text(
        "The form was sent without its security token (csrf_token); reload the page and "
        "send it again.")
    with web_kernel.bound():
        assert Activity.get_by_id(due.id).done_at is None
    # With its token the same form works: the task is done, and gone from the list.
    page.goto("/")
    page.get_by_role("button", name="Mark “Call back Hanna” done").click()
    expect(page.locator(f"#task-{due.id}")).to_contain_text("done")
    with web_kernel.bound():
        assert Activity.get_by_id(due.id).done_at is not None
    page.goto("/")
    expect(page.locator("main")).to_contain_text("Nothing due today.")


def test_a_logout_without_the_csrf_token_is_refused(page, make_user, web_kernel):
    make_user("admin", email="ada@example.com")
    log_in(page, "ada@example.com")
    response = page.request.post("/logout", form={"csrf_token": "forged"})
    assert response.status == 400
    assert "The form&#39;s security token is not valid" in response.text()
    with web_kernel.bound():
        assert WebSession.select().count() == 1  # still logged in
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Hello")
