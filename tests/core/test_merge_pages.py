"""The duplicates page and the merge form without a browser: pairs with their scores and
reasons, both records side by side with a choice per differing field, the merge and
its result, the old record page redirecting, and refusals drawn beside the form with
nothing changed."""

from __future__ import annotations

import re

from accord import services
from accord.models import Contact, MergeRedirect
from accord.services import Actor
from accord.services.merging import merge

SYSTEM = Actor.system("test")


def _contact(kernel, last="Doe", **extra):
    return services.create(kernel, "contact", {"last_name": last, **extra}, actor=SYSTEM)


def _text(html):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#39;", "'")


def _state(kernel):
    with kernel.bound():
        return ([(c.id, c.version, c.city) for c in Contact.select().order_by(Contact.id)],
                MergeRedirect.select().count())


def test_the_page_lists_pairs_with_scores_and_reasons(kernel, make_page_client):
    admin = make_page_client("admin")
    jane = _contact(kernel, first_name="Jane", email="jane@example.com")
    twin = _contact(kernel, first_name="Jane", email="jane+crm@example.com")
    _contact(kernel, "Okafor", first_name="Chidi")
    page = admin.get("/admin/duplicates")
    assert page.status_code == 200
    text = _text(page.get_data(as_text=True))
    assert f"Score 98 Jane Doe #{jane.id} Jane Doe #{twin.id} same email, same name" in text
    assert "Chidi" not in text
    html = page.get_data(as_text=True)
    assert (f'href="/admin/duplicates/merge?type=contact&amp;winner={jane.id}&amp;'
            f'loser={twin.id}"') in html
    assert '<label for="d-type">Record type</label>' in html
    orgs = _text(admin.get("/admin/duplicates?type=organization").get_data(as_text=True))
    assert "No likely duplicate organizations scoring 50 or more." in orgs
    bad = admin.get("/admin/duplicates?min_score=lots")
    assert bad.status_code == 400
    assert "'lots' is not a whole number from 0 to 100" in _text(bad.get_data(as_text=True))


def test_the_merge_form_shows_both_and_merges_the_choice(kernel, make_page_client):
    admin = make_page_client("admin")
    winner = _contact(kernel, first_name="Jane", city="Bonn")
    loser = _contact(kernel, first_name="Janet", city="Berlin", title="CEO")
    services.create(kernel, "activity", {"kind": "call", "subject": "x",
                                         "contact_id": loser.id}, actor=SYSTEM)
    form = admin.get(f"/admin/duplicates/merge?type=contact&winner={winner.id}"
                     f"&loser={loser.id}")
    assert form.status_code == 200
    html = form.get_data(as_text=True)
    # A radio per field that differs, labelled; the winner's value chosen, except where
    # the winner has none.
    assert f'id="t-city-w" name="take.city" value="winner" checked' in html
    assert f'id="t-city-l" name="take.city" value="loser">' in html
    assert f'id="t-title-l" name="take.title" value="loser" checked' in html
    assert 'name="take.last_name"' not in html  # the same on both
    assert '<label for="t-city-l">Berlin' in html
    done = admin.post("/admin/duplicates/merge", {
        "type": "contact", "winner": str(winner.id), "loser": str(loser.id),
        "winner_version": "1", "loser_version": "1", "take.city": "loser",
        "take.first_name": "winner", "take.title": "loser"})
    assert done.status_code == 302
    assert done.headers["Location"] == f"/records/contact/{winner.id}"
    page = _text(admin.get(done.headers["Location"]).get_data(as_text=True))
    assert f"Merged contact {loser.id} into {winner.id}. Moved core: 1 activities." in page
    stored = services.get(kernel, "contact", winner.id)
    assert (stored.city, stored.first_name, stored.title) == ("Berlin", "Jane", "CEO")
    old = admin.get(f"/records/contact/{loser.id}")
    assert old.status_code == 301
    assert old.headers["Location"].endswith(f"/records/contact/{winner.id}")


def test_a_chain_of_merges_redirects_the_record_page(kernel, make_page_client):
    admin = make_page_client("admin")
    first, second, third = (_contact(kernel) for _ in range(3))
    merge(kernel, "contact", second.id, first.id, actor=SYSTEM)
    merge(kernel, "contact", third.id, second.id, actor=SYSTEM)
    old = admin.get(f"/records/contact/{first.id}")
    assert (old.status_code, old.headers["Location"].rsplit("/", 1)[-1]) == (301, str(third.id))
    assert admin.get("/records/contact/99999").status_code == 404


def test_refusals_are_drawn_beside_the_form(kernel, make_page_client):
    admin = make_page_client("admin")
    winner, loser = _contact(kernel, city="Bonn"), _contact(kernel, city="Berlin")
    before = _state(kernel)
    stale = admin.post("/admin/duplicates/merge", {
        "type": "contact", "winner": str(winner.id), "loser": str(loser.id),
        "winner_version": "5", "loser_version": "1"})
    assert stale.status_code == 412
    assert (f"Contact {winner.id} is at version 1, not 5; reload it and try again." in
            _text(stale.get_data(as_text=True)))
    same = admin.get(f"/admin/duplicates/merge?type=contact&winner={winner.id}"
                     f"&loser={winner.id}")
    assert same.status_code == 422
    assert (f"loser: Contact {winner.id} cannot be merged into itself." in
            _text(same.get_data(as_text=True)))
    missing = admin.get(f"/admin/duplicates/merge?type=contact&winner={winner.id}&loser=x")
    assert missing.status_code == 400
    assert "loser: Give the id of the loser ('x' is none)." in _text(missing.get_data(as_text=True))
    seller = make_page_client("sales")
    refused = seller.post("/admin/duplicates/merge", {
        "type": "contact", "winner": str(winner.id), "loser": str(loser.id)})
    assert refused.status_code == 403
    assert "admin.merge" in _text(refused.get_data(as_text=True))
    assert _state(kernel) == before
