"""The import engine (accord.services.importing): mapping, conversion, references by
natural key, matching, all-or-nothing against --partial, XLSX, and odd files, each
refused with a clear message and nothing written."""

from __future__ import annotations

import io

import openpyxl
import pytest

from accord import services
from accord.errors import PermissionDenied
from accord.models import AuditEntry, Contact, Organization, OutboxMessage
from accord.services.fields import add_field
from accord.services.importing import FileRefused, format_error, run_import


def write(tmp_path, text, name="people.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return str(path)


def contacts(kernel):
    with kernel.bound():
        return sorted((c.first_name, c.last_name, c.email, c.organization_id)
                      for c in Contact.select())


def snapshot(kernel):
    with kernel.bound():
        return (contacts(kernel), Organization.select().count(), AuditEntry.select().count(),
                OutboxMessage.select().count())


def errors(result):
    return [format_error(e) for e in result.errors]


def test_columns_map_by_name_or_label_and_every_record_is_audited(kernel, actor, tmp_path):
    path = write(tmp_path, "First Name;LAST_NAME;e-mail;Phone\n"
                           "Ada;Lovelace;ada@example.com;+44 1\n"
                           "Alan;Turing;alan@example.com;\n")
    result = run_import(kernel, "contact", path, actor=actor)
    assert (result.created, result.updated, result.rejected, result.refused) == (2, 0, 0, False)
    assert contacts(kernel) == [("Ada", "Lovelace", "ada@example.com", None),
                                ("Alan", "Turing", "alan@example.com", None)]
    with kernel.bound():
        audited = AuditEntry.select().where(AuditEntry.record_type == "contact",
                                            AuditEntry.action == "created").count()
    assert audited == 2


def test_bad_rows_write_nothing_and_each_is_named(kernel, actor, tmp_path):
    services.create(kernel, "contact", {"last_name": "Taken", "email": "taken@example.com"},
                    actor=actor)
    before = snapshot(kernel)
    path = write(tmp_path, "first_name,last_name,email,birthday,Organization\n"
                           "Ada,Lovelace,ada@example.com,1915-12-10,\n"
                           "Bob,,bob@example.com,,\n"
                           "Cy,Young,not-an-email,,\n"
                           "Di,Prince,di@example.com,1990-02-30,\n"
                           "Ed,Stone,taken@example.com,,\n"
                           "Fay,Wray,fay@example.com,,Nowhere Ltd\n")
    result = run_import(kernel, "contact", path, actor=actor)
    assert result.refused and result.rejected == 5 and result.created == 0
    assert errors(result) == [
        'line 3, column "last_name": missing data for required field',
        'line 4, column "email": not a valid email address',
        'line 5, column "birthday": not a valid date',
        'line 6, column "email": taken@example.com is already the email of contact 1',
        "line 7, column \"Organization\": there is no organization with name 'Nowhere Ltd'",
    ]
    assert snapshot(kernel) == before


def test_partial_imports_the_good_rows_and_writes_the_bad_ones_to_the_reject_file(
        kernel, actor, tmp_path):
    path = write(tmp_path, "First Name,Last Name,Email\n"
                           "Ada,Lovelace,ada@example.com\n"
                           "Bob,,bob@example\n"
                           'Cy,"Young, Jr",cy@example.com\n'
                           "Di,Prince,=1+1\n")
    rejects = io.StringIO()
    result = run_import(kernel, "contact", path, actor=actor, partial=True, rejects=rejects)
    assert (result.created, result.rejected, result.refused) == (2, 2, False)
    assert contacts(kernel) == [("Ada", "Lovelace", "ada@example.com", None),
                                ("Cy", "Young, Jr", "cy@example.com", None)]
    assert rejects.getvalue().splitlines() == [
        "First Name,Last Name,Email,error",
        'Bob,,bob@example,"column ""Last Name"": missing data for required field; '
        'column ""Email"": not a valid email address"',
        'Di,Prince,=1+1,"column ""Email"": a formula (=1+1) is not a value; give the value '
        'itself"',
    ]


def test_match_email_updates_instead_of_duplicating(kernel, actor, tmp_path):
    ada = services.create(kernel, "contact", {"first_name": "Ada", "last_name": "Byron",
                                              "email": "ada@example.com",
                                              "phone": "+44 1"}, actor=actor)
    path = write(tmp_path, "first_name,last_name,email,phone\n"
                           "Ada,Lovelace,ADA@example.com,\n"
                           "Alan,Turing,alan@example.com,+44 2\n")
    result = run_import(kernel, "contact", path, actor=actor, match="email")
    assert (result.created, result.updated) == (1, 1)
    with kernel.bound():
        stored = Contact.get_by_id(ada.id)
        assert Contact.select().count() == 2
    # an empty cell leaves the stored value alone
    assert (stored.last_name, stored.phone, stored.version) == ("Lovelace", "+44 1", 2)


def test_a_value_matched_twice_in_a_file_is_a_row_error(kernel, actor, tmp_path):
    path = write(tmp_path, "last_name,email\nA,a@example.com\nB,A@example.com\n")
    result = run_import(kernel, "contact", path, actor=actor, match="email")
    assert errors(result) == ["line 3, column \"email\": 'A@example.com' is also on line 2; "
                              "a record is matched once per file"]
    assert contacts(kernel) == []


def test_match_on_a_custom_external_id(kernel, actor, tmp_path):
    add_field(kernel, "contact", "x_external_id", "text", actor=actor, label="External ID")
    services.create(kernel, "contact", {"last_name": "Old", "x_external_id": "CRM-1"},
                    actor=actor)
    path = write(tmp_path, "External ID,Last Name\nCRM-1,New\nCRM-2,Other\n")
    result = run_import(kernel, "contact", path, actor=actor, match="external id")
    assert (result.created, result.updated) == (1, 1)
    assert [c[1] for c in contacts(kernel)] == ["New", "Other"]


def test_references_by_natural_key_or_id(kernel, actor, tmp_path):
    acme = services.create(kernel, "organization", {"name": "Acme"}, actor=actor)
    for _ in range(2):
        services.create(kernel, "organization", {"name": "Twin"}, actor=actor)
    owner = services.create(kernel, "user", {"email": "owner@example.com", "name": "O",
                                             "role": "sales"}, actor=actor)
    path = write(tmp_path, "Last Name,Company,Owner\n"
                           f"One,acme,OWNER@example.com\n"
                           f"Two,{acme.id},\n"
                           "Three,Twin,\n"
                           "Four,,nobody@example.com\n")
    result = run_import(kernel, "contact", path, actor=actor,
                        mapping={"Company": "organization_id"})
    assert errors(result) == [
        "line 4, column \"Company\": 'Twin' names 2 organizations (2, 3); give the id "
        "instead",
        "line 5, column \"Owner\": there is no user with email 'nobody@example.com'",
    ]
    result = run_import(kernel, "contact", path, actor=actor, partial=True,
                        mapping={"Company": "organization_id"})
    with kernel.bound():
        got = sorted((c.last_name, c.organization_id, c.owner_id) for c in Contact.select())
    assert got == [("One", acme.id, owner.id), ("Two", acme.id, None)]


def test_custom_fields_are_converted_and_validated(kernel, actor, tmp_path):
    add_field(kernel, "contact", "x_vip", "boolean", actor=actor, label="VIP")
    add_field(kernel, "contact", "x_score", "integer", actor=actor)
    add_field(kernel, "contact", "x_tags", "multi_choice", actor=actor,
              choices=["a", "b", "c"])
    path = write(tmp_path, "last_name,VIP,score,x_tags\nOne,yes,7,a;c\nTwo,maybe,x,d\n")
    result = run_import(kernel, "contact", path, actor=actor, partial=True)
    assert errors(result) == [
        "line 3, column \"VIP\": 'maybe' is not yes or no (give true/false, yes/no or 1/0)",
        'line 3, column "score": not a valid integer',
        'line 3, column "x_tags": must be one of: a, b, c',
    ]
    with kernel.bound():
        one = Contact.get(Contact.last_name == "One")
    assert one.custom == {"x_vip": True, "x_score": 7, "x_tags": ["a", "c"]}


@pytest.mark.plugins("sales")
def test_a_plugin_record_type_with_money_and_references(kernel, actor, tmp_path):
    services.create(kernel, "organization", {"name": "Acme"}, actor=actor)
    path = write(tmp_path, "Name,Organization,Amount,Expected Close Date\n"
                           "Big deal,Acme,1200.50 EUR,2027-01-31\n"
                           "Small deal,Acme,99,\n")
    result = run_import(kernel, "sales.opportunity", path, actor=actor)
    assert (result.created, result.rejected) == (2, 0), errors(result)
    from accord_sales.models import Opportunity

    with kernel.bound():
        got = sorted((o.name, str(o.amount), o.amount_currency, o.organization_id)
                     for o in Opportunity.select())
    assert got[0][0] == "Big deal" and got[0][2] == "EUR" and got[0][3] == 1
    assert got[1][0] == "Small deal" and got[1][2] == kernel.config.base_currency


def _xlsx(rows, formula=None):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "People"
    for row in rows:
        sheet.append(row)
    if formula:
        sheet[formula[0]] = formula[1]
    book.create_sheet("Other").append(["nothing"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_xlsx_input_first_sheet_or_named(kernel, actor, tmp_path):
    import datetime as dt

    data = _xlsx([["First Name", "Last Name", "Birthday", "Email opt out"],
                  ["Ada", "Lovelace", dt.datetime(1915, 12, 10), True],
                  ["Alan", "Turing", None, 0]])
    path = write(tmp_path, data, name="people.xlsx")
    result = run_import(kernel, "contact", path, actor=actor)
    assert result.created == 2, errors(result)
    with kernel.bound():
        ada = Contact.get(Contact.first_name == "Ada")
    assert (str(ada.birthday), ada.email_opt_out) == ("1915-12-10", True)
    with pytest.raises(FileRefused, match="has no sheet 'Nope'"):
        run_import(kernel, "contact", path, actor=actor, sheet="Nope")
    with pytest.raises(FileRefused, match="column \"nothing\" matches no field"):
        run_import(kernel, "contact", path, actor=actor, sheet="Other")


def test_xlsx_formula_cells_are_refused(kernel, actor, tmp_path):
    data = _xlsx([["Last Name", "City"], ["Lovelace", "London"]], formula=("B2", "=A2&\"x\""))
    path = write(tmp_path, data, name="people.xlsx")
    result = run_import(kernel, "contact", path, actor=actor)
    assert errors(result) == ['line 2, column "City": a formula (=A2&"x") is not a value; '
                              "give the value itself"]
    assert contacts(kernel) == []


@pytest.mark.parametrize("content, message", [
    (b"", "people.csv is empty"),
    (b"\n\n", "people.csv is empty"),
    (b"Last Name,Email\n", "people.csv has a header but no rows"),
    (b"Last Name,Shoe size\nA,42\n",
     'column "Shoe size" matches no field of contact; map it with --map "Shoe size=FIELD" '
     'or skip it with --map "Shoe size="'),
    (b"Last Name,Email,last name\nA,a@example.com,B\n",
     "column 'last name' appears twice (columns 1 and 3)"),
    (b"Last Name,last_name\nA,B\n",
     "columns \"Last Name\" and \"last_name\" both map to last_name; map one of them "
     "elsewhere or skip it"),
    (b"Last Name\nM\xfcller\n",
     "people.csv is not UTF-8 text (byte 0xfc cannot be read); save it as 'CSV UTF-8' "
     "and import it again"),
    (b"Last Name,City\nA," + b"x" * 100_001 + b"\n",
     "people.csv has a cell longer than 100,000 characters"),
])
def test_odd_files_are_refused_whole(kernel, actor, tmp_path, content, message):
    before = snapshot(kernel)
    path = write(tmp_path, content)
    with pytest.raises(FileRefused) as caught:
        run_import(kernel, "contact", path, actor=actor)
    assert caught.value.reason == message
    assert snapshot(kernel) == before


def test_a_long_cell_within_the_limit_is_a_row_error(kernel, actor, tmp_path):
    path = write(tmp_path, "Last Name,City\nA," + "x" * 5000 + "\n")
    result = run_import(kernel, "contact", path, actor=actor)
    assert errors(result) == ['line 2, column "City": longer than maximum length 100']


def test_a_byte_order_mark_and_skipped_columns(kernel, actor, tmp_path):
    path = write(tmp_path, "\ufeffLast Name\tNotes\nLovelace\tignore me\n")
    result = run_import(kernel, "contact", path, actor=actor, mapping={"Notes": ""})
    assert result.created == 1
    assert contacts(kernel) == [(None, "Lovelace", None, None)]


def test_dry_run_checks_everything_and_writes_nothing(kernel, actor, tmp_path):
    before = snapshot(kernel)
    path = write(tmp_path, "last_name,email\nA,a@example.com\nB,a@example.com\n")
    result = run_import(kernel, "contact", path, actor=actor, dry_run=True)
    # the second row clashes with the first one's email: found by the services' checks
    assert errors(result) == ['line 3, column "email": a@example.com appears twice (also '
                              'on line 2)']
    assert snapshot(kernel) == before
    path = write(tmp_path, "last_name\nA\n", name="ok.csv")
    result = run_import(kernel, "contact", path, actor=actor, dry_run=True)
    assert (result.created, result.dry_run, result.refused) == (1, True, False)
    assert snapshot(kernel) == before


def test_the_actor_needs_admin_import_and_the_write_permission(kernel, actor, tmp_path):
    from accord.services.authz import actor_for

    user = services.create(kernel, "user", {"email": "s@example.com", "name": "S",
                                            "role": "sales"}, actor=actor)
    path = write(tmp_path, "last_name\nA\n")
    with pytest.raises(PermissionDenied, match="admin.import"):
        run_import(kernel, "contact", path, actor=actor_for(kernel, user))
    assert contacts(kernel) == []


def test_hooks_run_once_per_batch(kernel, actor, tmp_path):
    from accord import signals

    seen = []

    def receiver(sender, **kwargs):
        seen.append(len(kwargs["ids"]))

    signals.record_created.connect(receiver)
    try:
        lines = "\n".join(f"P{i}" for i in range(25))
        path = write(tmp_path, "last_name\n" + lines + "\n")
        run_import(kernel, "contact", path, actor=actor, batch=10)
    finally:
        signals.record_created.disconnect(receiver)
    assert seen == [10, 10, 5]


def test_a_one_column_file_and_a_row_wider_than_the_header(kernel, actor, tmp_path):
    path = write(tmp_path, "Last Name\nSmith; Jr\n")
    result = run_import(kernel, "contact", path, actor=actor)
    assert result.created == 1
    assert contacts(kernel) == [(None, "Smith; Jr", None, None)]
    path = write(tmp_path, "Last Name,City\nA,Berlin,surprise\n", name="wide.csv")
    result = run_import(kernel, "contact", path, actor=actor)
    assert errors(result) == ["line 2: the row has 3 cells but the header names 2 columns"]


def test_records_written_only_by_an_action_are_refused(kernel, actor, tmp_path):
    import dataclasses

    contact = kernel.records.get("contact")
    monkey = dataclasses.replace(contact, written_by=("observe",))
    kernel.records._types["contact"] = monkey
    try:
        with pytest.raises(FileRefused, match="written by the observe action only"):
            run_import(kernel, "contact", write(tmp_path, "Last Name\nA\n"), actor=actor)
    finally:
        kernel.records._types["contact"] = contact


def test_the_import_tables_migration_goes_down_and_up(kernel):
    with kernel.bound():
        assert "0013_create_imports" in kernel.migrations.downgrade("core", 12)
        assert not {"accord_import", "accord_import_mapping"} & set(
            kernel.database.get_tables())
        assert "0013_create_imports" in kernel.migrations.upgrade("core")
        assert {"accord_import", "accord_import_mapping"} <= set(kernel.database.get_tables())
