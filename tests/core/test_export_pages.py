"""The list pages' exports: an XLSX link beside the CSV one, both through the export
service (the list's filters, columns and masking)."""

from __future__ import annotations

import io

import openpyxl
from accord import services
from accord.services import Actor

SYSTEM = Actor.system("test")


def test_the_list_links_and_serves_xlsx_with_its_filter(kernel, page_client,
                                                          make_page_client):
    services.create(kernel, "contact", {"last_name": "=Ader", "email": "a@example.com",
                                        "city": "Berlin"}, actor=SYSTEM)
    services.create(kernel, "contact", {"last_name": "Bauer", "email": "b@example.com",
                                        "city": "Paris"}, actor=SYSTEM)
    body = page_client.get("/records/contact?city=Berlin").get_data(as_text=True)
    assert 'href="/records/contact.xlsx?city=Berlin" download>Export XLSX</a>' in body
    assert 'href="/records/contact.csv?city=Berlin" download>Export CSV</a>' in body
    answer = page_client.get("/records/contact.xlsx?city=Berlin&fields=last_name,email")
    assert answer.status_code == 200
    assert answer.headers["Content-Disposition"] == 'attachment; filename="contact.xlsx"'
    sheet = openpyxl.load_workbook(io.BytesIO(answer.get_data())).worksheets[0]
    assert [r[1:] for r in sheet.iter_rows(values_only=True)] == [
        ("last_name", "email"), ("=Ader", "a@example.com")]
    reader = make_page_client("read-only")
    answer = reader.get("/records/contact.xlsx?sort=last_name&fields=last_name,email")
    sheet = openpyxl.load_workbook(io.BytesIO(answer.get_data())).worksheets[0]
    assert [r[1:] for r in sheet.iter_rows(values_only=True, max_col=3)] == [
        ("last_name", "email"), ("=Ader", None), ("Bauer", None)]
    answer = page_client.get("/records/contact.xlsx?nope=1")
    assert answer.status_code == 400
    assert "nope: contact has no field &#39;nope&#39;" in answer.get_data(as_text=True)
