"""The web face: the app factory over a kernel, health, and the pages' front door."""

from __future__ import annotations

from accord.services.plugins import enable
from accord.web import create_app


def test_health_reports_engine_and_running_plugins(kernel, accord_engine):
    client = create_app(kernel).test_client()
    body = client.get("/api/v1/health").get_json()
    assert body == {"status": "ok", "plugins": [],
                    "database": "PostgreSQL" if accord_engine == "postgres" else "SQLite"}


def test_the_pages_send_a_logged_out_visitor_to_the_login(kernel):
    client = create_app(kernel, SECRET_KEY="k").test_client()
    home = client.get("/")
    assert (home.status_code, home.headers["Location"]) == (302, "/login?next=/")
    login = client.get("/login")
    assert login.status_code == 200 and '<label for="email">Email</label>' in login.get_data(
        as_text=True)
    assert client.get("/api/docs").status_code == 200  # the API reference stays public


def test_a_toggle_in_another_process_shows_on_the_next_request(make_kernel, plugins_folder,
                                                               actor):
    web_kernel = make_kernel(plugins_dir=plugins_folder)
    admin_kernel = make_kernel(plugins_dir=plugins_folder)
    client = create_app(web_kernel).test_client()
    assert client.get("/api/v1/health").get_json()["plugins"] == []
    enable(admin_kernel, "acme_notes", actor=actor)
    assert client.get("/api/v1/health").get_json()["plugins"] == ["acme_notes"]
