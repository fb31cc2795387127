"""The API and CLI faces of merging: ``POST /api/v1/merges``, the redirect of a merged
record's old URL (a chain included), the OpenAPI rows, ``accord merge`` with its
preview and --take, and their refusals."""

from __future__ import annotations

from accord import services
from accord.models import Contact, MergeRedirect
from accord.services import Actor
from accord.services.merging import merge

SYSTEM = Actor.system("test")


def _contact(kernel, last="Doe", **extra):
    return services.create(kernel, "contact", {"last_name": last, **extra}, actor=SYSTEM)


def _rows(kernel):
    with kernel.bound():
        return ([(c.id, c.version, c.email, c.city) for c in Contact.select().order_by(Contact.id)],
                MergeRedirect.select().count())


def test_post_merges_merges_and_answers_what_moved(kernel, api_client):
    winner = _contact(kernel, email="jane@example.com", city="Bonn")
    loser = _contact(kernel, email="jane.doe@example.com", city="Berlin")
    services.create(kernel, "activity", {"kind": "call", "subject": "x",
                                         "contact_id": loser.id}, actor=SYSTEM)
    answer = api_client.post("/api/v1/merges", json={
        "type": "contact", "winner": winner.id, "loser": loser.id,
        "values": {"city": "loser"}, "winner_version": 1, "loser_version": 1})
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json() == {"type": "contact", "winner": winner.id, "loser": loser.id,
                                 "version": 2, "moved": {"core": {"activities": 1}}}
    read = api_client.get(f"/api/v1/contacts/{winner.id}").get_json()
    assert (read["city"], read["email"], read["version"]) == ("Berlin", "jane@example.com", 2)


def test_a_merged_records_old_url_redirects_to_the_winner(kernel, api_client):
    first, second, third = (_contact(kernel) for _ in range(3))
    merge(kernel, "contact", second.id, first.id, actor=SYSTEM)
    merge(kernel, "contact", third.id, second.id, actor=SYSTEM)
    for old in (first.id, second.id):
        answer = api_client.get(f"/api/v1/contacts/{old}")
        assert answer.status_code == 301
        assert answer.headers["Location"].endswith(f"/api/v1/contacts/{third.id}")
    followed = api_client.get(f"/api/v1/contacts/{first.id}", follow_redirects=True)
    assert followed.status_code == 200 and followed.get_json()["id"] == third.id
    # Only reads are redirected; an id never merged is a plain 404.
    assert api_client.patch(f"/api/v1/contacts/{first.id}",
                            json={"city": "Bonn"}).status_code == 404
    assert api_client.get("/api/v1/contacts/99999").status_code == 404
    assert api_client.get(f"/api/v1/organizations/{first.id}").status_code == 404


def test_post_merges_refusals_change_nothing(kernel, api_client, make_api_client):
    winner, loser = _contact(kernel, email="a@example.com"), _contact(kernel)
    before = _rows(kernel)
    cases = [
        ({"type": "contact", "winner": winner.id, "loser": winner.id}, 422,
         {"loser": [f"contact {winner.id} cannot be merged into itself"]}),
        ({"type": "sales.lead", "winner": winner.id, "loser": loser.id}, 422,
         {"type": ["only contact and organization records can be merged, not 'sales.lead'"]}),
        ({"type": "contact", "winner": winner.id, "loser": 424242}, 404, None),
        ({"type": "contact", "winner": winner.id, "loser": loser.id, "winner_version": 3},
         412, None),
        ({"type": "contact", "winner": winner.id, "loser": "two"}, 422,
         {"loser": ["Not a valid integer."]}),
        ({"type": "contact", "winner": winner.id, "loser": loser.id,
          "values": {"email": "not an email"}}, 422,
         {"values.email": ["Not a valid email address."]}),
    ]
    for body, status, errors in cases:
        answer = api_client.post("/api/v1/merges", json=body)
        assert answer.status_code == status, (body, answer.get_json())
        if errors is not None:
            assert answer.get_json()["errors"] == errors
    assert api_client.post("/api/v1/merges", json={
        "type": "contact", "winner": winner.id, "loser": 424242}).get_json()["detail"] == \
        "contact 424242 does not exist"
    seller = make_api_client("sales")
    refused = seller.post("/api/v1/merges", json={"type": "contact", "winner": winner.id,
                                                  "loser": loser.id})
    assert refused.status_code == 403
    assert refused.get_json()["detail"] == (f"{seller.user.email} (sales) lacks the "
                                            "permission admin.merge")
    assert _rows(kernel) == before


def test_the_openapi_document_describes_the_routes(kernel, api_client):
    document = api_client.get("/api/v1/openapi.json").get_json()
    assert document["paths"]["/api/v1/duplicates"]["get"]["operationId"] == "list_duplicates"
    post = document["paths"]["/api/v1/merges"]["post"]
    assert post["operationId"] == "merge_records"
    assert "admin.merge" in post["description"]


def test_the_cli_merges_after_showing_the_fields(kernel, cli):
    winner = _contact(kernel, first_name="Jane", city="Bonn")
    loser = _contact(kernel, first_name="Janet", city="Berlin", title="CEO")
    shown = cli("merge", "contact", str(winner.id), str(loser.id), "--take", "city=loser",
                input="n\n")
    assert shown.exit_code == 1
    lines = shown.output.splitlines()
    assert lines[0].split() == ["winner:", "contact", str(winner.id), "Jane", "Doe"]
    assert ["city", "Bonn", "Berlin", "Berlin"] in [line.split() for line in lines]
    assert ["first_name", "Jane", "Janet", "Jane"] in [line.split() for line in lines]
    assert ["title", "CEO", "CEO"] in [line.split() for line in lines]
    assert "Aborted!" in shown.output
    assert len(_rows(kernel)[0]) == 2
    done = cli("merge", "contact", str(winner.id), str(loser.id), "--take", "city=loser",
               "--take", "first_name=Jo", "--yes")
    assert done.exit_code == 0, done.output
    assert done.output == (f"merged contact {loser.id} into {winner.id} (now at version 2)\n")
    stored = services.get(kernel, "contact", winner.id)
    assert (stored.city, stored.first_name, stored.title) == ("Berlin", "Jo", "CEO")


def test_the_cli_refuses_with_one_line(kernel, cli):
    winner = _contact(kernel)
    bad = cli("merge", "contact", str(winner.id), str(winner.id), "--yes")
    assert bad.exit_code == 1
    assert bad.output.strip().splitlines() == [
        "Error: invalid input:", f"  loser: contact {winner.id} cannot be merged into itself"]
    missing = cli("merge", "contact", str(winner.id), "777", "--yes")
    assert (missing.exit_code, missing.output) == (1, "Error: contact 777 does not exist\n")
    take = cli("merge", "contact", str(winner.id), "777", "--take", "city", "--yes")
    assert take.exit_code == 2 and "'city' is not FIELD=winner" in take.output
