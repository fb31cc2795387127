"""Finding likely duplicates (accord.services.duplicates): by normalized email, by
phone, by similar names; no pair across very different names; the reader's record
rule and masking respected; the limit; and the API and CLI faces."""

from __future__ import annotations

import pytest

from accord import services
from accord.errors import PermissionDenied, ValidationError
from accord.models import User
from accord.services import Actor
from accord.services.authz import actor_for
from accord.services.duplicates import (find_duplicates, normalize_email, normalize_name,
                                        normalize_phone)
from accord.services.roles import set_rule

SYSTEM = Actor.system("test")


def _contact(kernel, last, first=None, **extra):
    return services.create(kernel, "contact", {"last_name": last, "first_name": first,
                                               **extra}, actor=SYSTEM)


def _pairs(found):
    return [(p.first_id, p.second_id, p.score, p.reasons) for p in found.items]


def test_normalization():
    assert normalize_email("  John.Smith+news@GoogleMail.com ") == "johnsmith@gmail.com"
    assert normalize_email("j.smith+x@example.com") == "j.smith@example.com"
    assert normalize_email("not an address") is None
    assert normalize_phone("+49 (30) 123-4567") == normalize_phone("030 1234567") == "301234567"
    assert normalize_phone("12 34") is None
    assert normalize_name("Müller, Hans-Jürgen") == "hans juergen muller".replace("ue", "u")
    assert normalize_name("ACME GmbH", organization=True) == normalize_name(
        "Acme", organization=True) == "acme"


def test_same_email_phone_and_names_are_found_and_scored(kernel):
    jane = _contact(kernel, "Doe", "Jane", email="jane.doe@gmail.com")
    jane2 = _contact(kernel, "Doe", "Jane", email="Janedoe+crm@googlemail.com")
    john = _contact(kernel, "Smith", "John", phone="+49 30 1234567")
    jon = _contact(kernel, "Smith", "Jon", mobile="030 1234567")
    alex = _contact(kernel, "Miller", "Alexander")
    alex2 = _contact(kernel, "Millar", "Alexander")
    found = find_duplicates(kernel, "contact", actor=SYSTEM)
    assert _pairs(found) == [
        (jane.id, jane2.id, 98, ("same email", "same name")),
        (john.id, jon.id, 93, ("same phone", "similar names (95 %)")),
        (alex.id, alex2.id, 75, ("similar names (94 %)",)),
    ]
    assert not found.truncated
    assert found.items[0].as_dict() == {
        "type": "contact", "score": 98, "reasons": ["same email", "same name"],
        "first": {"id": jane.id, "title": "Jane Doe"},
        "second": {"id": jane2.id, "title": "Jane Doe"}}


def test_very_different_names_make_no_pair(kernel):
    _contact(kernel, "Doe", "Jane", phone="+1 555 0100 200")
    _contact(kernel, "Okonkwo", "Chinedu", phone="+1 555 0100 200")  # a switchboard
    _contact(kernel, "Smith", "John")
    _contact(kernel, "Schmidt", "Johanna")
    _contact(kernel, "Brown", "Anne")
    assert _pairs(find_duplicates(kernel, "contact", actor=SYSTEM)) == []
    # Below the default minimum, the shared phone shows with its weak score.
    low = find_duplicates(kernel, "contact", actor=SYSTEM, min_score=0)
    assert [(p.score, p.reasons) for p in low.items] == [(42, ("same phone", "names differ"))]


def test_organizations_by_name_email_and_phone(kernel):
    acme = services.create(kernel, "organization", {"name": "ACME GmbH", "phone": "+49 89 555 0101"},
                           actor=SYSTEM)
    acme2 = services.create(kernel, "organization", {"name": "Acme", "phone": "089 5550101"},
                            actor=SYSTEM)
    services.create(kernel, "organization", {"name": "Globex Corporation"}, actor=SYSTEM)
    found = find_duplicates(kernel, "organization", actor=SYSTEM)
    assert _pairs(found) == [(acme.id, acme2.id, 94, ("same phone", "same name"))]


def test_the_readers_rule_and_masking_apply(kernel, make_api_client):
    seller = make_api_client("sales")
    with kernel.bound():
        user = User.get(User.email == seller.user.email)
    set_rule(kernel, "sales", "contact", "own", actor=SYSTEM)
    mine = _contact(kernel, "Doe", "Jane", owner_id=user.id, email="jane@example.com")
    _contact(kernel, "Doe", "Jane")  # not the seller's: never paired for them
    other = _contact(kernel, "Roe", "Rita", owner_id=user.id, email="j.a.n.e@gmail.com")
    poe = _contact(kernel, "Poe", "Paul", owner_id=user.id, email="jane@gmail.com")
    found = find_duplicates(kernel, "contact", actor=actor_for(kernel, user))
    # Two of the seller's own, by email; the Jane Doe out of reach is never paired.
    assert _pairs(found) == [(other.id, poe.id, 90, ("same email",))]
    everyone = find_duplicates(kernel, "contact", actor=SYSTEM)
    assert (mine.id, mine.id + 1, 80, ("same name",)) in _pairs(everyone)
    assert any(p.first_id == other.id and "same email" in p.reasons for p in everyone.items)
    # A reader who may not see personal data is not told that two hidden emails agree.
    reader = make_api_client("read-only")
    with kernel.bound():
        blind = actor_for(kernel, User.get(User.email == reader.user.email))
    hidden = find_duplicates(kernel, "contact", actor=blind, min_score=0)
    assert all("same email" not in p.reasons for p in hidden.items)
    assert any("same email" in p.reasons for p in
               find_duplicates(kernel, "contact", actor=SYSTEM, min_score=0).items)


def test_the_limit_and_bad_input(kernel, make_api_client):
    for number in range(4):
        _contact(kernel, "Doe", "Jane", email=f"jane{number}@example.com")
    found = find_duplicates(kernel, "contact", actor=SYSTEM, limit=2)
    assert len(found.items) == 2 and found.truncated
    with pytest.raises(ValidationError, match="type: duplicates are found among contact and "
                                              "organization records, not 'product'"):
        find_duplicates(kernel, "product", actor=SYSTEM)
    with pytest.raises(ValidationError, match="min_score: 101 is not a whole number from 0 "
                                              "to 100"):
        find_duplicates(kernel, "contact", actor=SYSTEM, min_score=101)
    with pytest.raises(ValidationError, match="limit: '0' is not between 1 and 500"):
        find_duplicates(kernel, "contact", actor=SYSTEM, limit=0)
    nobody = Actor(None, "nobody", role="none", grants=())
    with pytest.raises(PermissionDenied, match="lacks the permission core.contact.read"):
        find_duplicates(kernel, "contact", actor=nobody)


def test_the_api_lists_duplicates(kernel, api_client):
    first = _contact(kernel, "Doe", "Jane", email="jane@example.com")
    second = _contact(kernel, "Doe", "Jane", email="jane+x@example.com")
    answer = api_client.get("/api/v1/duplicates?type=contact")
    assert answer.status_code == 200
    assert answer.get_json() == {"truncated": False, "items": [{
        "type": "contact", "score": 98, "reasons": ["same email", "same name"],
        "first": {"id": first.id, "title": "Jane Doe"},
        "second": {"id": second.id, "title": "Jane Doe"}}]}
    bad = api_client.get("/api/v1/duplicates?type=lead")
    assert bad.status_code == 400
    assert bad.get_json()["errors"] == {"type": [
        "duplicates are found among contact and organization records, not 'lead'"]}
    bad = api_client.get("/api/v1/duplicates?min_score=high")
    assert bad.status_code == 400
    assert bad.get_json()["errors"] == {"min_score": ["'high' is not a whole number"]}
    assert api_client.get("/api/v1/duplicates?type=organization").get_json() == {
        "items": [], "truncated": False}


def test_the_cli_lists_duplicates(kernel, cli):
    first = _contact(kernel, "Doe", "Jane", email="jane@example.com")
    second = _contact(kernel, "Doe", "Jane", email="jane+x@example.com")
    result = cli("duplicates", "contact")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["score", "first", "second", "reasons"]
    assert lines[2].split() == ["98", str(first.id), "Jane", "Doe", str(second.id), "Jane",
                                "Doe", "same", "email,", "same", "name"]
    assert cli("duplicates", "organization").output == "no likely duplicate organizations\n"
    bad = cli("duplicates", "contact", "--min-score", "200")
    assert bad.exit_code == 2 and "200 is not in the range 0<=x<=100" in bad.output
