"""A fee seen from elsewhere: on its patient's timeline, in `accord acme_fees …`, and
in the clinic's metric."""

import datetime as dt
from decimal import Decimal

import pytest

from accord import services
from accord.metrics import MetricQuery, compute

from acme_fees import hooks

pytestmark = pytest.mark.plugins(hooks)


@pytest.fixture
def fee(kernel, actor):
    patient = services.create(kernel, "contact", {"last_name": "Molar"}, actor=actor)
    return services.create(kernel, "acme_fees.fee", {
        "patient_id": patient.id, "treatment": "Filling", "treated_on": "2026-03-02",
        "amount": {"amount": "80.50", "currency": "EUR"}}, actor=actor)


def test_the_fee_is_on_its_patients_timeline(kernel, fee):
    [item] = services.timeline(kernel, "contact", fee.patient_id)
    assert (item.kind, item.title, item.source_id) == ("acme_fees.fee", "Filling: 80.50 EUR",
                                                       fee.id)
    assert item.details == {"status": "open", "due_on": "2026-04-01"}


def test_the_commands_list_and_pay_fees(cli, fee):
    listed = cli("acme_fees", "open")
    assert listed.output == f"{fee.id}  due 2026-04-01  80.50 EUR  Filling\n"
    paid = cli("acme_fees", "pay", str(fee.id), "--by", "patient")
    assert (paid.exit_code, paid.output) == (0, f"fee {fee.id} paid by the patient\n")
    missing = cli("acme_fees", "pay", "999")
    assert (missing.exit_code, missing.output) == (
        1, "Error: acme_fees.fee 999 does not exist\n")


def test_the_metric_adds_up_the_month(kernel, fee):
    points = compute(kernel, "acme_fees.billed",
                     MetricQuery(dt.date(2026, 2, 1), dt.date(2026, 3, 31)))
    assert [(p.period, p.value) for p in points] == [("2026-02", 0), ("2026-03",
                                                                      Decimal("80.50"))]
