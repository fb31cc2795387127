"""What the services return and raise, called from Python as any face calls them."""

import pytest

from accord import services
from accord.errors import (Conflict, NotFound, PermissionDenied, StaleVersion,
                           ValidationError)
from accord.services.actions import run_action
from accord.services.authz import actor_for
from accord.services.plugins import disable

from acme_fees import hooks
from acme_fees.models import Fee

pytestmark = pytest.mark.plugins(hooks)
FEE = "acme_fees.fee"
EUR = {"amount": "80", "currency": "EUR"}


@pytest.fixture
def patient(kernel, actor):
    return services.create(kernel, "contact", {"last_name": "Molar"}, actor=actor)


def test_what_the_services_return(kernel, actor, patient):
    fee = services.create(kernel, FEE, {"patient_id": patient.id, "treatment": "Filling",
                                        "amount": EUR}, actor=actor)
    assert isinstance(fee, Fee) and fee.version == 1  # create, update, get: the record
    fee = services.update(kernel, FEE, fee.id, {"treatment": "Crown"}, actor=actor)
    assert services.get(kernel, FEE, fee.id).treatment == "Crown"
    ids = services.bulk_create(kernel, FEE, [
        {"patient_id": patient.id, "treatment": t, "amount": EUR} for t in ("X-ray", "Scale")],
        actor=actor)
    assert ids == [fee.id + 1, fee.id + 2]  # bulk_create: the new ids, in order
    assert services.dump(kernel, FEE, fee)["amount"] == {"amount": "80.00", "currency": "EUR"}
    paid = run_action(kernel, FEE, fee.id, "pay", {"paid_by": "patient"}, actor=actor)
    assert paid.status == "paid"  # run_action: what the handler returns
    assert run_action(kernel, FEE, fee.id, "receipt", actor=actor)["fee_id"] == fee.id


def test_what_they_raise(kernel, actor, patient):
    fee = services.create(kernel, FEE, {"patient_id": patient.id, "treatment": "Filling",
                                        "amount": EUR}, actor=actor)
    with pytest.raises(ValidationError) as caught:  # 422
        services.update(kernel, FEE, fee.id, {"treatment": ""}, actor=actor)
    assert caught.value.messages == {"treatment": ["Length must be between 1 and 100."]}
    with pytest.raises(NotFound) as caught:  # 404
        services.get(kernel, FEE, 999)
    assert str(caught.value) == "acme_fees.fee 999 does not exist"
    with pytest.raises(StaleVersion):  # 412: the fee is at version 1
        services.update(kernel, FEE, fee.id, {"treatment": "Crown"}, actor=actor, version=7)
    with pytest.raises(Conflict):  # 409: a fee names the patient
        services.delete(kernel, "contact", patient.id, actor=actor)


def test_every_service_checks_the_actor(kernel, actor, patient):
    user = services.create(kernel, "user", {"email": "ana@example.com", "name": "Ana",
                                            "role": "read-only"}, actor=actor)
    reader = actor_for(kernel, user)  # the role's grants and record rules
    with pytest.raises(PermissionDenied) as caught:
        services.create(kernel, FEE, {"patient_id": patient.id, "treatment": "Filling",
                                      "amount": EUR}, actor=reader)
    assert caught.value.status == 403
    assert str(caught.value) == ("ana@example.com (read-only) lacks the permission "
                                 "acme_fees.fee.write")


def test_a_long_lived_kernel_syncs_itself(kernel, make_kernel, actor, patient):
    fee = services.create(kernel, FEE, {"patient_id": patient.id, "treatment": "Filling",
                                        "amount": EUR}, actor=actor)
    elsewhere = make_kernel(plugins=[hooks])  # another process on the same database
    disable(elsewhere, "acme_fees", actor=actor)
    assert services.get(kernel, FEE, fee.id)  # this kernel has not looked yet
    kernel.sync()  # what each request, command and job start does
    with pytest.raises(NotFound):
        services.get(kernel, FEE, fee.id)
