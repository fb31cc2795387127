"""``/api/v1/imports``: an upload answers 202 with a queued job; the job (run here
directly, as ``accord worker`` runs its task) records progress, result and row errors;
a user sees only their own imports, an admin everyone's."""

from __future__ import annotations

import base64
import io

import pytest

from accord.models import Contact
from accord.models.imports import ImportJob
from accord.services.importing_jobs import run_import_job
from accord.services.roles import add_role

CSV = "First Name,Last Name,Email\nAda,Lovelace,ada@example.com\nBob,,bob@example\n"


def last_names(kernel):
    with kernel.bound():
        return sorted(c.last_name for c in Contact.select())


@pytest.fixture
def importer(kernel, actor, make_api_client):
    add_role(kernel, "importer", actor=actor, grants=["admin.import", "core.contact.*"])
    return make_api_client("importer")


def test_an_upload_is_queued_then_run_with_its_errors(kernel, api_client):
    response = api_client.post("/api/v1/imports", data={
        "type": "contact", "partial": "true",
        "file": (io.BytesIO(CSV.encode()), "people.csv")}, content_type="multipart/form-data")
    assert response.status_code == 202, response.get_json()
    job = response.get_json()
    assert (job["status"], job["total"], job["processed"], job["file_name"]) == (
        "queued", 2, 0, "people.csv")
    assert response.headers["Location"].endswith(f"/api/v1/imports/{job['id']}")
    assert last_names(kernel) == []
    assert run_import_job(kernel, job["id"]) == "done"
    shown = api_client.get(f"/api/v1/imports/{job['id']}").get_json()
    assert {k: shown[k] for k in ("status", "total", "processed", "created", "updated",
                                  "rejected", "message", "has_rejects")} == {
        "status": "done", "total": 2, "processed": 2, "created": 1, "updated": 0,
        "rejected": 1, "message": "created 1, updated 0, rejected 1", "has_rejects": True}
    assert shown["errors"] == [
        {"line": 3, "column": "Last Name", "message": "missing data for required field"},
        {"line": 3, "column": "Email", "message": "not a valid email address"}]
    rejects = api_client.get(f"/api/v1/imports/{job['id']}/rejects")
    assert rejects.mimetype == "text/csv"
    assert rejects.get_data(as_text=True).splitlines()[0] == "First Name,Last Name,Email,error"
    assert last_names(kernel) == ["Lovelace"]
    with kernel.bound():
        assert ImportJob.get_by_id(job["id"]).content is None


def test_all_or_nothing_job_is_refused_and_writes_nothing(kernel, api_client):
    job = api_client.post("/api/v1/imports", json={
        "type": "contact", "file_name": "people.csv", "content": CSV}).get_json()
    assert run_import_job(kernel, job["id"]) == "refused"
    shown = api_client.get(f"/api/v1/imports/{job['id']}").get_json()
    assert shown["status"] == "refused" and shown["created"] == 0
    assert shown["message"] == ('nothing imported: 1 of 2 rows are bad (first: line 3, '
                                'column "Last Name": missing data for required field)')
    assert last_names(kernel) == []


def test_dry_run_and_xlsx_as_base64(kernel, api_client):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["Last Name"])
    book.active.append(["Lovelace"])
    out = io.BytesIO()
    book.save(out)
    job = api_client.post("/api/v1/imports", json={
        "type": "contact", "file_name": "people.xlsx", "dry_run": True,
        "content_base64": base64.b64encode(out.getvalue()).decode()}).get_json()
    assert job["options"] == {"dry_run": True}
    assert run_import_job(kernel, job["id"]) == "done"
    shown = api_client.get(f"/api/v1/imports/{job['id']}").get_json()
    assert (shown["created"], shown["message"]) == (1, "would create 1, would update 0, "
                                                       "rejected 0")
    assert last_names(kernel) == []


def test_a_bad_file_or_option_is_a_422_and_nothing_is_queued(kernel, api_client):
    bad = api_client.post("/api/v1/imports", json={
        "type": "contact", "file_name": "p.csv", "content": "Last Name,Hat\nA,B\n"})
    assert bad.status_code == 422
    assert bad.get_json()["errors"] == {"file": [
        'column "Hat" matches no field of contact; map it with --map "Hat=FIELD" or skip '
        'it with --map "Hat="']}
    option = api_client.post("/api/v1/imports", json={
        "type": "contact", "content": CSV, "partial": "often"})
    assert option.status_code == 422 and option.get_json()["errors"] == {
        "partial": ["give true or false"]}
    nothing = api_client.post("/api/v1/imports", json={"type": "contact"})
    assert nothing.status_code == 422 and "content" in nothing.get_json()["errors"]
    unknown = api_client.post("/api/v1/imports", json={"type": "ship", "content": CSV})
    assert unknown.status_code == 404
    with kernel.bound():
        assert ImportJob.select().count() == 0


def test_users_see_their_own_imports_and_admins_all(kernel, api_client, importer,
                                                    make_api_client):
    mine = importer.post("/api/v1/imports", json={"type": "contact", "content": CSV})
    assert mine.status_code == 202, mine.get_json()
    job_id = mine.get_json()["id"]
    other = make_api_client("importer")
    assert other.get(f"/api/v1/imports/{job_id}").status_code == 404
    assert other.get("/api/v1/imports").get_json()["items"] == []
    assert [j["id"] for j in importer.get("/api/v1/imports").get_json()["items"]] == [job_id]
    assert api_client.get(f"/api/v1/imports/{job_id}").status_code == 200
    sales = make_api_client("sales")
    refused = sales.post("/api/v1/imports", json={"type": "contact", "content": CSV})
    assert refused.status_code == 403 and "admin.import" in refused.get_json()["detail"]


def test_the_job_runs_as_its_uploader(kernel, actor, make_api_client):
    add_role(kernel, "orgs-only", actor=actor, grants=["admin.import", "core.contact.write",
                                                       "core.contact.read"])
    client = make_api_client("orgs-only")
    job = client.post("/api/v1/imports", json={"type": "contact", "content": CSV,
                                               "partial": True}).get_json()
    assert run_import_job(kernel, job["id"]) == "done"
    with kernel.bound():
        stored = ImportJob.get_by_id(job["id"])
    assert stored.created == 1
    from accord.models import AuditEntry

    with kernel.bound():
        entry = AuditEntry.select().where(AuditEntry.record_type == "contact").get()
    assert entry.actor_id == client.user.id


def test_the_worker_queue_has_the_import_task(kernel):
    from accord.jobs import build_huey
    from accord.services.importing_jobs import TASK_NAME

    huey = build_huey(kernel)
    assert any(TASK_NAME in name for name in huey._registry._registry)


def test_progress_is_recorded_while_an_all_or_nothing_job_runs(kernel, api_client,
                                                               monkeypatch):
    from accord.database import is_postgres
    from accord.services import importing_jobs

    rows = "".join(f"L{i},p{i}@example.com\n" for i in range(3000))
    job = api_client.post("/api/v1/imports", json={
        "type": "contact", "content": "Last Name,Email\n" + rows}).get_json()
    monkeypatch.setattr(importing_jobs, "_PROGRESS_EVERY", 1000)
    seen = []
    apart = importing_jobs._set_apart

    def recorded(kernel, job_id, processed):
        apart(kernel, job_id, processed)
        # read back from yet another connection: committed, visible to others
        import threading

        def read():
            with kernel.bound(), kernel.database.connection_context():
                seen.append(ImportJob.get_by_id(job_id).processed)

        thread = threading.Thread(target=read)
        thread.start()
        thread.join()

    monkeypatch.setattr(importing_jobs, "_set_apart", recorded)
    assert run_import_job(kernel, job["id"]) == "done"
    # PostgreSQL: written from a connection of its own during the import; SQLite has
    # one writer at a time, so the count moves at the end
    assert seen == ([1000, 2000, 3000] if is_postgres(kernel.database) else [])
    shown = api_client.get(f"/api/v1/imports/{job['id']}").get_json()
    assert (shown["processed"], shown["created"]) == (3000, 3000)


def test_the_queued_job_runs_through_huey(kernel, api_client, monkeypatch):
    from accord.jobs import build_huey
    from accord.services import importing_jobs

    huey = build_huey(kernel)
    huey.immediate = True  # the task runs when enqueued, as the worker would run it
    monkeypatch.setattr("accord.jobs._queue", lambda config: huey)
    response = api_client.post("/api/v1/imports", json={
        "type": "contact", "content": "Last Name\nLovelace\n"})
    assert response.status_code == 202
    shown = api_client.get(f"/api/v1/imports/{response.get_json()['id']}").get_json()
    assert (shown["status"], shown["created"]) == ("done", 1)
    assert last_names(kernel) == ["Lovelace"]
    assert importing_jobs.TASK_NAME == "accord.import"


def test_an_import_file_may_exceed_the_1_mib_of_other_requests_up_to_import_max_mb(
        make_kernel, make_api_client):
    # About 2 MiB: larger than any other request body may be.
    rows = 40_000
    big = "First Name,Last Name,Email\n" + "".join(
        f"Person{i},Lastname{i:06d},person{i:06d}@example.com\n" for i in range(rows))
    assert len(big) > 1.9 * 1024 * 1024
    upload = {"type": "contact", "file": (io.BytesIO(big.encode()), "big.csv")}
    taken = make_api_client().post("/api/v1/imports", data=dict(upload),
                                   content_type="multipart/form-data")
    assert taken.status_code == 202, taken.get_json()
    assert taken.get_json()["total"] == rows
    # Another request is still held to 1 MiB.
    other = make_api_client().post("/api/v1/contacts", data=big,
                                   content_type="application/json")
    assert (other.status_code, other.get_json()["detail"]) == (
        413, "the request body is too large: this request takes at most 1 MiB")

    small = make_kernel(import_max_mb=1)  # the same database, a smaller limit
    refused = make_api_client(kernel=small).post(
        "/api/v1/imports", data={"type": "contact", "file": (io.BytesIO(big.encode()), "big.csv")},
        content_type="multipart/form-data")
    assert (refused.status_code, refused.get_json()["detail"]) == (
        413, "the request body is too large: this request takes at most 1 MiB")
    with small.bound():
        assert [job.file_name for job in ImportJob.select()] == ["big.csv"]  # the first
