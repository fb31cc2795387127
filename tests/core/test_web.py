"""The web face: the app factory over a kernel, health and the overview page."""

from __future__ import annotations

from accord import services
from accord.services.plugins import enable
from accord.web import create_app


def test_health_reports_engine_and_running_plugins(kernel, accord_engine):
    client = create_app(kernel).test_client()
    body = client.get("/api/v1/health").get_json()
    assert body == {"status": "ok", "plugins": [],
                    "database": "PostgreSQL" if accord_engine == "postgres" else "SQLite"}


def test_overview_counts_records(kernel, actor):
    services.bulk_create(kernel, "contact", [{"last_name": "Ng"}, {"last_name": "Ito"}],
                         actor=actor)
    page = create_app(kernel).test_client().get("/").get_data(as_text=True)
    assert "<td>contact</td><td>2</td>" in page


def test_a_toggle_in_another_process_shows_on_the_next_request(make_kernel, plugins_folder,
                                                               actor):
    web_kernel = make_kernel(plugins_dir=plugins_folder)
    admin_kernel = make_kernel(plugins_dir=plugins_folder)
    client = create_app(web_kernel).test_client()
    assert client.get("/api/v1/health").get_json()["plugins"] == []
    enable(admin_kernel, "acme_notes", actor=actor)
    assert client.get("/api/v1/health").get_json()["plugins"] == ["acme_notes"]
