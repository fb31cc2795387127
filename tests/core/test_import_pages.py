"""The import wizard at /admin/import: upload and pick the type, map the columns (the
guess preselected, saved mappings offered), the dry run's report, then the import job
with its progress and result. SQLite only (page tests)."""

from __future__ import annotations

import io
import re

import pytest

from accord import services
from accord.models import Contact
from accord.models.imports import ImportJob, ImportMapping
from accord.services import Actor
from accord.services.importing_jobs import run_import_job

SYSTEM = Actor.system("test")
CSV = ("First Name,Surname,Email,Shoe size\n"
       "Ada,Lovelace,ada@example.com,38\n"
       "Bob,,bob@example\n"
       "Alan,Turing,alan@example.com,44\n")


def _text(html):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#39;", "'").replace(
        "&#34;", '"').replace("&quot;", '"')


def _selected(html, select_id):
    block = re.search(rf'<select id="{select_id}".*?</select>', html, re.S)
    assert block, select_id
    chosen = re.search(r'<option value="([^"]*)" selected>', block[0])
    return chosen[1] if chosen else None


def last_names(kernel):
    with kernel.bound():
        return sorted(c.last_name for c in Contact.select())


@pytest.fixture
def admin(make_page_client):
    return make_page_client("admin", email="ada@pages.example.com")


def upload(admin, content=CSV, name="people.csv", record_type="contact"):
    return admin.post("/admin/import", {"record_type": record_type,
                                        "file": (io.BytesIO(content.encode()), name)},
                      content_type="multipart/form-data")


@pytest.mark.sqlite_only
def test_the_wizard_from_upload_to_result(kernel, admin):
    response = upload(admin)
    assert response.status_code == 302, response.get_data(as_text=True)
    url = response.headers["Location"]
    page = admin.get(url).get_data(as_text=True)
    assert "people.csv: 3 rows read. Map its columns, then check it." in page
    # the guess is preselected; an unknown header starts as skipped
    assert [_selected(page, f"map-{i}") for i in range(4)] == [
        "first_name", "", "email", ""]
    assert '<label for="map-1">Column “Surname”</label>' in page
    form = {"map-0": "first_name", "map-1": "last_name", "map-2": "email", "map-3": "",
            "match": "", "action": "check"}
    checked = admin.post(url, form)
    text = _text(checked.get_data(as_text=True))
    assert checked.status_code == 200
    assert ("2 of 3 rows are bad" not in text and
            "1 of 3 rows are bad: nothing would be imported." in text)
    assert "3 Last Name" not in text
    assert "3 Surname missing data for required field" in text
    assert "3 Email not a valid email address" in text
    assert last_names(kernel) == []
    # with partial the dry run passes, and the import button appears
    checked = admin.post(url, {**form, "partial": "1", "save_as": "people export"})
    html = checked.get_data(as_text=True)
    assert "Would create 2, update 0, reject 1." in _text(html)
    assert 'value="import"' in html
    with kernel.bound():
        assert ImportMapping.get(ImportMapping.name == "people export").columns == {
            "First Name": "first_name", "Surname": "last_name", "Email": "email",
            "Shoe size": ""}
    queued = admin.post(url, {**form, "partial": "1", "action": "import"})
    assert queued.status_code == 302
    page = _text(admin.get(url).get_data(as_text=True))
    assert "Status: queued" in page and "0 / 3" in page
    job_id = int(url.rsplit("/", 1)[1])
    assert run_import_job(kernel, job_id) == "done"
    page = admin.get(url).get_data(as_text=True)
    assert "Status: done" in _text(page) and "Created 2, updated 0, rejected 1." in _text(page)
    assert "3 / 3" in _text(page)
    assert last_names(kernel) == ["Lovelace", "Turing"]
    rejects = admin.get(f"/admin/import/{job_id}/rejects.csv")
    assert rejects.get_data(as_text=True).splitlines()[0] == (
        "First Name,Surname,Email,Shoe size,error")
    listing = _text(admin.get("/admin/import").get_data(as_text=True))
    assert f"{job_id}: people.csv contact done 3 / 3 2 0 1" in listing


@pytest.mark.sqlite_only
def test_a_saved_mapping_is_offered_and_applied(kernel, admin):
    from accord.services.importing_jobs import save_mapping

    save_mapping(kernel, "legacy", "contact", {"Surname": "last_name", "Shoe size": ""},
                 actor=SYSTEM)
    url = upload(admin).headers["Location"]
    page = admin.get(url).get_data(as_text=True)
    assert '<option value="legacy">legacy</option>' in page
    applied = admin.get(f"{url}?mapping=legacy").get_data(as_text=True)
    assert _selected(applied, "map-1") == "last_name"
    assert _selected(applied, "map-0") == "first_name"


@pytest.mark.sqlite_only
def test_bad_uploads_are_named_beside_their_field(kernel, admin):
    empty = upload(admin, content="")
    assert empty.status_code == 422
    assert "people.csv is empty" in empty.get_data(as_text=True)
    header_only = upload(admin, content="Last Name\n")
    assert "people.csv has a header but no rows" in header_only.get_data(as_text=True)
    unknown = upload(admin, record_type="spaceship")
    assert unknown.status_code == 404 or "unknown record type" in unknown.get_data(
        as_text=True)
    missing = admin.post("/admin/import", {"record_type": "contact"},
                         content_type="multipart/form-data")
    assert missing.status_code == 422
    assert "Choose a CSV or XLSX file." in missing.get_data(as_text=True)
    with kernel.bound():
        assert ImportJob.select().count() == 0


@pytest.mark.sqlite_only
def test_two_columns_on_one_field_are_refused_and_nothing_queued(kernel, admin):
    url = upload(admin).headers["Location"]
    response = admin.post(url, {"map-0": "last_name", "map-1": "last_name", "map-2": "",
                                "map-3": "", "action": "import"})
    assert response.status_code == 422
    assert ('Columns "First Name" and "Surname" both map to last_name'
            in _text(response.get_data(as_text=True)))
    with kernel.bound():
        assert ImportJob.get().status == "draft"


@pytest.mark.sqlite_only
def test_the_wizard_needs_admin_import(kernel, make_page_client):
    sales = make_page_client("sales")
    response = sales.get("/admin/import")
    assert response.status_code == 403
    assert "admin.import" in response.get_data(as_text=True)
    services.create(kernel, "contact", {"last_name": "Keep"}, actor=SYSTEM)
    assert upload(sales).status_code == 403
    assert last_names(kernel) == ["Keep"]
