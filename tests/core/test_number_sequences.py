"""Gapless number sequences: 1, 2, 3 per name, a rolled-back number given back, and no
number taken outside a transaction (where a later failure could not give it back)."""

from __future__ import annotations

import pytest

from accord.errors import AccordError
from accord.services.sequences import current_value, next_value


def test_each_sequence_counts_from_one_on_its_own(kernel):
    with kernel.transaction():
        assert [next_value(kernel, "acme.invoice.2026") for _ in range(3)] == [1, 2, 3]
        assert next_value(kernel, "acme.invoice.2027") == 1
    with kernel.bound():
        assert current_value("acme.invoice.2026") == 3
        assert current_value("acme.credit.2026") == 0


def test_a_rolled_back_number_is_given_back(kernel):
    with kernel.transaction():
        assert next_value(kernel, "acme.invoice.2026") == 1
    with pytest.raises(RuntimeError):
        with kernel.transaction():
            assert next_value(kernel, "acme.invoice.2026") == 2
            raise RuntimeError("the invoice failed")
    with kernel.transaction():
        assert next_value(kernel, "acme.invoice.2026") == 2


def test_no_number_is_taken_outside_a_transaction(kernel):
    with kernel.bound(), pytest.raises(AccordError) as caught:
        next_value(kernel, "acme.invoice.2026")
    assert caught.value.message == (
        "next_value('acme.invoice.2026') outside a transaction could leave a gap: call it "
        "inside the transaction that uses the number")
    with kernel.bound():
        assert current_value("acme.invoice.2026") == 0
