"""Money, links to core records and the rules the fee record type carries."""

from decimal import Decimal

import pytest

from accord import services
from accord.errors import Conflict
from accord.services.plugins import disable
from accord_sdk.assertions import refused

from acme_fees import hooks
from acme_fees.services import pay

pytestmark = pytest.mark.plugins(hooks)
EUR = {"amount": "80.00", "currency": "EUR"}


@pytest.fixture
def patient(kernel, actor):
    return services.create(kernel, "contact", {"last_name": "Molar"}, actor=actor)


def charge(kernel, actor, patient, **values):
    data = {"patient_id": patient.id, "treatment": "Filling", "amount": EUR, **values}
    return services.create(kernel, "acme_fees.fee", data, actor=actor)


def test_money_is_two_columns_and_one_value(kernel, actor, patient):
    fee = charge(kernel, actor, patient)
    assert (fee.amount, fee.amount_currency) == (Decimal("80"), "EUR")
    assert services.dump(kernel, "acme_fees.fee", fee)["amount"] == EUR
    assert refused(lambda: charge(kernel, actor, patient, amount={"amount": 80.0,
                                                                  "currency": "EUR"})) == {
        "amount": ["Give the amount as a string or an integer, not a float."]}


def test_defaults_rules_and_computed_values(kernel, actor, patient):
    fee = charge(kernel, actor, patient, treated_on="2026-03-02")
    assert str(fee.due_on) == "2026-04-01"  # computed: 30 days (the payment_days setting)
    assert refused(lambda: charge(kernel, actor, patient,
                                  amount={"amount": "80", "currency": "USD"})) == {
        "amount": ["the clinic charges in EUR"]}
    moved = services.update(kernel, "acme_fees.fee", fee.id, {"treated_on": "2026-05-04"},
                            actor=actor)
    assert (str(moved.due_on), moved.version) == ("2026-06-03", 2)


def test_a_rule_reads_the_stored_values_too(kernel, actor, patient):
    fee = charge(kernel, actor, patient)  # no insurer named
    assert refused(lambda: pay(kernel, fee.id, actor=actor, paid_by="insurer")) == {
        "paid_by": ["name the insurer (insurer_id) first"]}


def test_a_patient_with_fees_is_kept(kernel, actor, patient):
    charge(kernel, actor, patient)
    with pytest.raises(Conflict) as caught:
        services.delete(kernel, "contact", patient.id, actor=actor)
    assert str(caught.value) == (f"contact {patient.id} is named by 1 acme_fees fee; "
                                 "give it another contact or delete it first")


def test_a_protected_insurer_is_kept_too(kernel, actor, patient):
    insurer = services.create(kernel, "organization", {"name": "DentaCare"}, actor=actor)
    charge(kernel, actor, patient, insurer_id=insurer.id)
    with pytest.raises(Conflict):
        services.delete(kernel, "organization", insurer.id, actor=actor)


def test_a_paid_fee_is_not_deleted(kernel, actor, patient):
    fee = charge(kernel, actor, patient)
    pay(kernel, fee.id, actor=actor, paid_by="patient")
    with pytest.raises(Conflict) as caught:
        services.delete(kernel, "acme_fees.fee", fee.id, actor=actor)
    assert str(caught.value) == f"fee {fee.id} is paid; it stays in the books"


def test_the_migration_goes_down_and_up_again(kernel, actor):
    disable(kernel, "acme_fees", actor=actor)
    with kernel.bound():
        assert kernel.migrations.downgrade("acme_fees", 0) == ["0001_create_fees"]
        assert "acme_fees_fee" not in kernel.database.get_tables()
        assert kernel.migrations.upgrade("acme_fees") == ["0001_create_fees"]
