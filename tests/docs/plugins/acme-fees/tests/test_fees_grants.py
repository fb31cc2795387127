"""The built-in service role gets acme_fees' permissions while the plugin runs."""

import pytest

from accord.services.plugins import disable
from accord_sdk.assertions import problem

from acme_fees import hooks

pytestmark = pytest.mark.plugins(hooks)
FEES = "/api/v1/acme_fees/fees"
CROWN = {"treatment": "Crown", "amount": {"amount": "450", "currency": "EUR"}}


def test_the_service_role_charges_and_takes_payments(kernel, actor, api_client,
                                                      make_api_client):
    agent = make_api_client("service")
    patient = agent.post("/api/v1/contacts", json={"last_name": "Molar"}).get_json()
    fee = agent.post(FEES, json={"patient_id": patient["id"], **CROWN}).get_json()
    paid = agent.post(f"{FEES}/{fee['id']}/pay", json={"paid_by": "patient"})
    assert paid.status_code == 200, paid.get_json()
    waive = agent.post(f"{FEES}/{fee['id']}/waive")
    assert problem(waive, 403)["detail"].endswith("lacks the permission acme_fees.fee.waive")
    # The rule "team": a fee the admin owns is out of the agent's reach.
    other = api_client.post(FEES, json={"patient_id": patient["id"], **CROWN}).get_json()
    assert agent.get(f"{FEES}/{other['id']}").status_code == 404
    disable(kernel, "acme_fees", actor=actor)
    assert agent.get(FEES).status_code == 404  # the plugin and its grants are gone
