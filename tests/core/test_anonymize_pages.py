"""/admin/anonymize: find a person, see what is erased, confirm, read the report."""

from __future__ import annotations

from accord import services
from accord.services import Actor

SYSTEM = Actor.system("test")
EMAIL = "mallory@example.com"


def _contact(kernel):
    return services.create(kernel, "contact", {"first_name": "Mallory", "last_name": "Quux",
                                               "email": EMAIL, "phone": "+49 30 123456"},
                           actor=SYSTEM)


def test_find_preview_confirm_and_report(kernel, page_client):
    contact = _contact(kernel)
    page = page_client.get("/admin/anonymize?q=quux")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<label for="a-q">Name or email of the contact</label>' in body
    assert f'href="/admin/anonymize?id={contact.id}"' in body and EMAIL in body
    page = page_client.get(f"/admin/anonymize?id={contact.id}")
    body = page.get_data(as_text=True)
    assert f"contact #{contact.id}" in body
    assert "email, first_name, last_name, phone" in body
    # Not confirmed: nothing erased, the box named.
    page = page_client.post("/admin/anonymize", {"id": str(contact.id)})
    assert page.status_code == 400
    assert "Tick the box to confirm: the erasure cannot be undone." in \
        page.get_data(as_text=True)
    assert services.get(kernel, "contact", contact.id).email == EMAIL
    page = page_client.post("/admin/anonymize", {"id": str(contact.id), "confirm": "yes"})
    body = page.get_data(as_text=True)
    assert page.status_code == 200, body
    assert "Personal data erased" in body and f"contact #{contact.id}" in body
    assert "email, first_name, last_name, phone" in body
    stored = services.get(kernel, "contact", contact.id)
    assert (stored.last_name, stored.email) == (
        "Erased", f"erased-contact-{contact.id}@example.invalid")


def test_bad_input_and_refusal(kernel, page_client, make_page_client):
    contact = _contact(kernel)
    page = page_client.get("/admin/anonymize?id=abc")
    assert page.status_code == 400
    assert "&#39;abc&#39; is not the id of a contact" in page.get_data(as_text=True)
    page = page_client.get("/admin/anonymize?id=999999")
    assert page.status_code == 404
    assert "Contact 999999 not found." in page.get_data(as_text=True)
    page = page_client.get("/admin/anonymize?q=nobody")
    assert "No contact matches" in page.get_data(as_text=True)
    manager = make_page_client("manager")
    for answer in (manager.get("/admin/anonymize"),
                   manager.post("/admin/anonymize", {"id": str(contact.id),
                                                     "confirm": "yes"})):
        assert answer.status_code == 403
        assert "lacks the permission admin.anonymize" in answer.get_data(as_text=True)
    assert services.get(kernel, "contact", contact.id).email == EMAIL
