"""What a client gets: fields only the actions set, and the actions themselves."""

import pytest

from accord.errors import Conflict
from accord.services.actions import run_action
from accord_sdk.assertions import problem, refused

from acme_fees import hooks

pytestmark = pytest.mark.plugins(hooks)
FEES = "/api/v1/acme_fees/fees"


@pytest.fixture
def fee(api_client):
    patient = api_client.post("/api/v1/contacts", json={"last_name": "Molar"}).get_json()
    response = api_client.post(FEES, json={"patient_id": patient["id"], "treatment": "Crown",
                                           "amount": {"amount": "450", "currency": "EUR"}})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_a_client_does_not_set_the_status(api_client, fee):
    response = api_client.patch(f"{FEES}/{fee['id']}", json={"status": "paid"})
    assert problem(response, 422)["errors"] == {"status": [
        f"set by the pay or waive action only (POST {FEES}/{fee['id']}/pay)"]}
    # The value it holds is no change: a client may send back what it read.
    same = api_client.patch(f"{FEES}/{fee['id']}", json={
        "status": "open", "paid_by": None, "paid_at": None, "treatment": "Bridge"})
    assert (same.status_code, same.get_json()["treatment"]) == (200, "Bridge")


def test_an_action_answers_with_the_record_and_its_etag(api_client, fee):
    paid = api_client.post(f"{FEES}/{fee['id']}/pay", json={"paid_by": "patient"})
    assert (paid.status_code, paid.headers["ETag"]) == (200, '"2"')
    assert (paid.get_json()["status"], paid.get_json()["paid_by"]) == ("paid", "patient")
    receipt = api_client.post(f"{FEES}/{fee['id']}/receipt")
    assert receipt.get_json() == {"fee_id": fee["id"],
                                  "text": f"Received 450.00 EUR for Crown on "
                                          f"{paid.get_json()['paid_at'][:10]}"}


def test_the_body_is_loaded_by_the_action_schema(api_client, fee):
    wrong = api_client.post(f"{FEES}/{fee['id']}/pay", json={"paid_by": "cousin"})
    assert problem(wrong, 422)["errors"] == {"paid_by": ["Must be one of: patient, insurer."]}
    extra = api_client.post(f"{FEES}/{fee['id']}/waive", json={"reason": "friend"})
    assert problem(extra, 422)["errors"] == {"reason": ["the waive action takes no 'reason'"]}
    stale = api_client.post(f"{FEES}/{fee['id']}/waive", headers={"If-Match": '"7"'})
    assert problem(stale, 412)["detail"].startswith(f"acme_fees.fee {fee['id']} is at version 1")


def test_transitions_and_a_verb_that_runs_once(kernel, actor, fee):
    paid = run_action(kernel, "acme_fees.fee", fee["id"], "pay", {"paid_by": "patient"},
                      actor=actor)
    assert (paid.status, paid.version) == ("paid", 2)
    assert refused(lambda: run_action(kernel, "acme_fees.fee", fee["id"], "waive",
                                      actor=actor)) == {
        "status": [f"fee {fee['id']} is paid: it stays so"]}
    with pytest.raises(Conflict):
        run_action(kernel, "acme_fees.fee", fee["id"], "pay", {"paid_by": "patient"},
                   actor=actor)
