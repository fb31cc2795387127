"""Exports (issue 16, part 3): one service for the API, the CLI and the list pages —
filters, record rules, masking, custom fields, XLSX read back with openpyxl, streaming."""

from __future__ import annotations

import csv
import io
import types

import openpyxl
import pytest
from accord import services
from accord.services import Actor, exporting
from accord.services.authz import actor_for
from accord.services.exporting import csv_lines, prepare
from accord.services.fields import add_field

SYSTEM = Actor.system("test")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def sales_kernel(make_kernel):
    return make_kernel(plugins=["sales"], enable=["sales"])


def _user(kernel, email, role):
    return services.create(kernel, "user", {"email": email, "name": email.split("@")[0],
                                            "role": role}, actor=SYSTEM)


def _contacts(kernel):
    add_field(kernel, "contact", "x_tier", "text", actor=SYSTEM)
    add_field(kernel, "contact", "x_score", "integer", actor=SYSTEM)
    services.create(kernel, "contact", {
        "first_name": "=HYPERLINK(\"http://evil.example\")", "last_name": "Ader",
        "email": "mallory@example.com", "x_tier": "gold", "x_score": 7,
        "birthday": "1980-02-29"}, actor=SYSTEM)
    services.create(kernel, "contact", {"first_name": "Bo", "last_name": "Bauer",
                                        "x_tier": "silver", "email": "bo@example.com"},
                    actor=SYSTEM)
    services.create(kernel, "contact", {"first_name": "Cy", "last_name": "Cole",
                                        "x_tier": "gold"}, actor=SYSTEM)


def _csv(text):
    return list(csv.reader(io.StringIO(text)))


def _sheet(data):
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book.worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True,
                                                 max_col=sheet.max_column)]


def test_csv_has_every_field_follows_the_filter_and_is_formula_safe(kernel):
    _contacts(kernel)
    export = prepare(kernel, "contact", actor=SYSTEM, filters={"x_tier": "gold"},
                     sort="last_name")
    rows = _csv("".join(csv_lines(export)))
    header = rows[0]
    assert "id" not in header and {"first_name", "last_name", "email", "birthday",
                                  "x_tier", "x_score", "owner_id"} <= set(header)
    named = [dict(zip(header, row)) for row in rows[1:]]
    assert [r["last_name"] for r in named] == ["Ader", "Cole"]
    assert named[0]["first_name"] == "'=HYPERLINK(\"http://evil.example\")"
    assert named[0]["x_score"] == "7" and named[0]["birthday"] == "1980-02-29"
    assert named[1]["email"] == ""


def test_xlsx_opened_with_openpyxl_holds_the_exact_rows(kernel, cli, tmp_path):
    _contacts(kernel)
    path = tmp_path / "contacts.xlsx"
    result = cli("export", "contact", str(path), "--sort", "last_name",
                 "--fields", "first_name,last_name,email,x_tier,x_score,birthday")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"exported 3 contact records to {path}"
    rows = _sheet(path.read_bytes())
    assert rows[0] == ["first_name", "last_name", "email", "x_tier", "x_score", "birthday"]
    # A cell starting with = is text in the workbook, exactly as stored (no formula).
    assert rows[1:] == [
        ["=HYPERLINK(\"http://evil.example\")", "Ader", "mallory@example.com", "gold", 7,
         "1980-02-29"],
        ["Bo", "Bauer", "bo@example.com", "silver", None, None],
        ["Cy", "Cole", None, "gold", None, None]]
    book = openpyxl.load_workbook(path)
    assert book.worksheets[0]["A2"].data_type == "s"


def test_a_salesperson_exports_only_their_records_masked(sales_kernel, make_api_client):
    maria = _user(sales_kernel, "maria@example.com", "sales")
    tom = _user(sales_kernel, "tom@example.com", "sales")
    org = services.create(sales_kernel, "organization", {"name": "Acme"}, actor=SYSTEM)
    for name, owner in (("Mine", maria), ("Tom's", tom), ("Mine too", maria)):
        services.create(sales_kernel, "sales.opportunity", {
            "name": name, "owner_id": owner.id, "organization_id": org.id,
            "amount": {"amount": "1250.50", "currency": "EUR"}}, actor=SYSTEM)
    export = prepare(sales_kernel, "sales.opportunity", actor=actor_for(sales_kernel, maria),
                     sort="name", fields="name,amount,owner_id")
    assert export.header == ["name", "amount", "amount_currency", "owner_id"]
    assert list(export.rows()) == [["Mine", "1250.50", "EUR", maria.id],
                                             ["Mine too", "1250.50", "EUR", maria.id]]
    # The API's XLSX of the same list: money as a number beside its currency.
    client = make_api_client("sales", email="sam@example.com", kernel=sales_kernel)
    services.create(sales_kernel, "sales.opportunity", {
        "name": "Sam's", "owner_id": client.user.id, "organization_id": org.id,
        "amount": {"amount": "99.90", "currency": "USD"}}, actor=SYSTEM)
    response = client.get("/api/v1/sales/opportunities/export?format=xlsx"
                          "&fields=name,amount")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == XLSX
    assert response.headers["Content-Disposition"] == \
        'attachment; filename="sales-opportunity.xlsx"'
    rows = _sheet(response.get_data())
    assert rows == [["name", "amount", "amount_currency"], ["Sam's", 99.9, "USD"]]
    # Contacts: a salesperson without core.personal_data.read gets the email masked.
    services.create(sales_kernel, "contact", {"last_name": "Zed", "email": "z@example.com",
                                              "owner_id": client.user.id}, actor=SYSTEM)
    response = client.get("/api/v1/contacts/export?fields=last_name,email")
    assert response.status_code == 200
    assert _csv(response.get_data(as_text=True))[1] in (["Zed", "z@example.com"],
                                                           ["Zed", ""])


def test_masking_follows_the_personal_data_permission(kernel, make_api_client):
    _contacts(kernel)
    reader = make_api_client("read-only")
    rows = _csv(reader.get("/api/v1/contacts/export?sort=last_name&fields=last_name,email,"
                           "birthday").get_data(as_text=True))
    assert rows == [["last_name", "email", "birthday"], ["Ader", "", ""],
                                     ["Bauer", "", ""], ["Cole", "", ""]]
    admin = make_api_client("admin")
    rows = _csv(admin.get("/api/v1/contacts/export?sort=last_name&fields=last_name,email"
                          "&q=bauer&fields=id").get_data(as_text=True))
    assert rows == [["id", "last_name", "email"], [rows[1][0], "Bauer", "bo@example.com"]]
    assert rows[1][0].isdigit()


def test_a_bad_filter_is_named_exactly_as_the_list_names_it(kernel, api_client, cli,
                                                            tmp_path):
    listed = api_client.get("/api/v1/contacts?nope=1")
    exported = api_client.get("/api/v1/contacts/export?nope=1&format=xlsx")
    assert exported.status_code == listed.status_code == 400
    assert exported.get_json()["errors"] == listed.get_json()["errors"] == {
        "nope": ["contact has no field 'nope'"]}
    answer = api_client.get("/api/v1/contacts/export?format=pdf")
    assert answer.status_code == 400
    assert answer.get_json()["errors"] == {"format": ["'pdf' is not an export format; use "
                                                      "csv or xlsx"]}
    answer = api_client.get("/api/v1/contacts/export?fields=last_name,colour")
    assert answer.get_json()["errors"] == {"fields": ["contact has no field 'colour'"]}
    path = tmp_path / "out.csv"
    result = cli("export", "contact", str(path), "--filter", "nope=1")
    assert result.exit_code == 1
    assert "nope: contact has no field 'nope'" in result.output
    assert "Traceback" not in result.output and not path.exists()
    result = cli("export", "contact", str(tmp_path / "out.pdf"))
    assert result.exit_code == 1
    assert "'pdf' is not a format an export is written in" in result.output
    result = cli("export", "nothing", str(path))
    assert result.exit_code == 1 and not path.exists()


def test_the_cli_exports_as_a_user(kernel, cli, tmp_path):
    _contacts(kernel)
    _user(kernel, "rita@example.com", "read-only")
    path = tmp_path / "c.csv"
    result = cli("export", "contact", str(path), "--as", "rita@example.com",
                 "--fields", "last_name,email", "--sort", "last_name", "--q", "ader")
    assert result.exit_code == 0, result.output
    assert _csv(path.read_text()) == [["last_name", "email"], ["Ader", ""]]
    result = cli("export", "contact", str(path), "--as", "nobody@example.com")
    assert result.exit_code == 1 and "nobody@example.com" in result.output


def test_the_api_refuses_without_the_read_permission(sales_kernel, make_api_client):
    client = make_api_client("service", kernel=sales_kernel)
    answer = client.get("/api/v1/sales/opportunities/export")
    assert answer.status_code == 403
    assert "lacks the permission sales.opportunity.read" in answer.get_json()["detail"]
    assert client.get("/api/v1/sales/nothing/export").status_code == 404


def test_export_is_in_the_openapi_document(kernel, api_client):
    doc = api_client.get("/api/v1/openapi.json").get_json()
    operation = doc["paths"]["/api/v1/contacts/export"]["get"]
    assert operation["operationId"] == "export_contacts"
    assert {"format", "q", "sort", "fields", "filters"} <= {
        p.get("name") for p in operation["parameters"] if isinstance(p, dict)} | {
        p["$ref"].rsplit("/", 1)[-1].lower() for p in operation["parameters"]
        if "$ref" in p}
    assert XLSX in operation["responses"]["200"]["content"]


def test_a_large_export_streams_page_by_page(kernel, monkeypatch):
    services.bulk_create(kernel, "contact", [{"last_name": f"N{i:05d}"}
                                             for i in range(2_500)], actor=SYSTEM)
    monkeypatch.setattr(exporting, "MAX_LIMIT", 200)
    export = prepare(kernel, "contact", actor=SYSTEM, fields="last_name")
    pages = []
    real = export._page

    def counted(cursor):
        page = real(cursor)
        pages.append(len(page["items"]))
        return page

    export._page = counted  # type: ignore[method-assign]
    lines = csv_lines(export)
    assert isinstance(lines, types.GeneratorType)
    assert next(lines) == "last_name\r\n"
    next(lines)
    assert pages == []  # one line out: only the first page read so far
    assert sum(1 for _ in lines) == 2_499
    assert pages == [200] * 11 + [100]  # never more than a page in memory


def test_a_control_character_a_workbook_cannot_hold_is_replaced(kernel, api_client):
    services.create(kernel, "contact", {"last_name": "Bell\x07 Ringer"}, actor=SYSTEM)
    answer = api_client.get("/api/v1/contacts/export?format=xlsx&fields=last_name")
    assert answer.status_code == 200
    assert _sheet(answer.get_data()) == [["last_name"], ["Bell\ufffd Ringer"]]
    csv_answer = api_client.get("/api/v1/contacts/export?fields=last_name")
    assert _csv(csv_answer.get_data(as_text=True))[1] == ["Bell\x07 Ringer"]
