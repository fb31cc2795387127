"""``accord import``: its output, exit codes, reject file and saved mappings."""

from __future__ import annotations

from accord.models import Contact, Organization
from accord.models.imports import ImportMapping


def names(kernel):
    with kernel.bound():
        return sorted(c.last_name for c in Contact.select())


def test_import_prints_a_summary(cli, kernel, tmp_path):
    path = tmp_path / "people.csv"
    path.write_text("First Name,Last Name,Email\nAda,Lovelace,ada@example.com\n"
                    "Alan,Turing,alan@example.com\n")
    result = cli("import", "contact", str(path))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "created 2, updated 0, rejected 0"
    assert names(kernel) == ["Lovelace", "Turing"]


def test_bad_rows_are_listed_and_the_file_refused(cli, kernel, tmp_path):
    path = tmp_path / "people.csv"
    path.write_text("Last Name,Email\nLovelace,ada@example.com\n" + "Turing,alan@\n" * 1
                    + ",x@example.com\n")
    result = cli("import", "contact", str(path))
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        'line 3, column "Email": not a valid email address',
        'line 4, column "Last Name": missing data for required field',
        "nothing imported: 2 of 3 rows are bad (fix them, or import the good ones with "
        "--partial)",
    ]
    assert names(kernel) == []


def test_partial_writes_a_reject_file(cli, kernel, tmp_path):
    path = tmp_path / "people.csv"
    path.write_text("Last Name,Email\nLovelace,ada@example.com\nTuring,alan@\n")
    rejects = tmp_path / "bad.csv"
    result = cli("import", "contact", str(path), "--partial", "--reject-file", str(rejects))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-2:] == ["created 1, updated 0, rejected 1",
                                               f"bad rows written to {rejects}"]
    assert rejects.read_text().splitlines() == [
        "Last Name,Email,error",
        'Turing,alan@,"column ""Email"": not a valid email address"']
    assert names(kernel) == ["Lovelace"]


def test_dry_run_writes_nothing(cli, kernel, tmp_path):
    path = tmp_path / "people.csv"
    path.write_text("Last Name\nLovelace\n")
    result = cli("import", "contact", str(path), "--dry-run")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == ("dry run, nothing written: would create 1, "
                                              "update 0, reject 0")
    assert names(kernel) == []


def test_a_refused_file_is_one_line_and_exit_1(cli, kernel, tmp_path):
    path = tmp_path / "orgs.csv"
    path.write_text("Name,Colour\nAcme,red\n")
    result = cli("import", "organization", str(path))
    assert result.exit_code == 1
    assert result.output == (f'Error: {path}: column "Colour" matches no field of '
                             'organization; map it with --map "Colour=FIELD" or skip it with '
                             '--map "Colour="; nothing imported\n')
    missing = cli("import", "organization", str(tmp_path / "nope.csv"))
    assert missing.exit_code == 1
    assert "cannot read" in missing.output and "nothing imported" in missing.output
    unknown = cli("import", "spaceship", str(path))
    assert unknown.exit_code == 1 and "unknown record type 'spaceship'" in unknown.output
    with kernel.bound():
        assert Organization.select().count() == 0


def test_map_and_saved_mappings(cli, kernel, tmp_path):
    path = tmp_path / "orgs.csv"
    path.write_text("Company,Colour,Town\nAcme,red,Berlin\n")
    result = cli("import", "organization", str(path), "--map", "Company=name", "--map",
                 "Colour=", "--map", "Town=city", "--save-mapping", "crm export")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "mapping saved as 'crm export'"
    with kernel.bound():
        saved = ImportMapping.get(ImportMapping.name == "crm export")
    assert (saved.record_type, saved.columns) == (
        "organization", {"Company": "name", "Colour": "", "Town": "city"})
    path.write_text("Company,Colour,Town\nBeta,blue,Paris\n")
    again = cli("import", "organization", str(path), "--mapping", "crm export")
    assert again.exit_code == 0, again.output
    with kernel.bound():
        assert sorted(Organization.select(Organization.name, Organization.city).tuples()) \
            == [("Acme", "Berlin"), ("Beta", "Paris")]
    wrong = cli("import", "contact", str(path), "--mapping", "crm export")
    assert wrong.exit_code == 1
    assert "the mapping 'crm export' is for organization, not contact" in wrong.output


def test_match_updates(cli, kernel, tmp_path):
    path = tmp_path / "people.csv"
    path.write_text("Last Name,Email\nLovelace,ada@example.com\n")
    assert cli("import", "contact", str(path)).exit_code == 0
    path.write_text("Last Name,Email\nByron,ada@example.com\n")
    result = cli("import", "contact", str(path), "--match", "email")
    assert result.output.splitlines()[-1] == "created 0, updated 1, rejected 0"
    assert names(kernel) == ["Byron"]
