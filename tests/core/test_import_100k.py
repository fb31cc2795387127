"""A 100,000-row CSV import on each engine, with its progress reaching every row."""

from __future__ import annotations

import csv

import pytest

from accord.models import AuditEntry, Contact
from accord.services.importing import run_import

ROWS = 100_000


@pytest.mark.slow
def test_a_100000_row_import_reports_progress_to_the_end(kernel, actor, tmp_path):
    path = tmp_path / "contacts.csv"
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["First Name", "Last Name", "Email", "City"])
        for i in range(ROWS):
            writer.writerow([f"F{i}", f"L{i}", f"p{i}@example.com", "Berlin"])
    seen: list[tuple[int, int]] = []
    result = run_import(kernel, "contact", str(path), actor=actor,
                        progress=lambda done, total: seen.append((done, total)))
    assert (result.created, result.rejected) == (ROWS, 0)
    assert seen[-1] == (ROWS, ROWS)
    assert len(seen) == ROWS // 1000 and all(t == ROWS for _, t in seen)
    with kernel.bound():
        assert Contact.select().count() == ROWS
        assert AuditEntry.select().where(AuditEntry.action == "created").count() == ROWS
        last = Contact.select().order_by(Contact.id.desc()).get()
    assert (last.first_name, last.email) == (f"F{ROWS - 1}", f"p{ROWS - 1}@example.com")
