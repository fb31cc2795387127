"""A plugin's page blueprint may carry static files (its stylesheet, its script):
served without a login, since its public forms need them, and only while it runs."""

from __future__ import annotations

from flask import Blueprint

from accord.hooks import hookimpl
from accord.plugins import PluginManifest
from accord.services import Actor
from accord.services.plugins import disable
from accord.web import create_app

SYSTEM = Actor.system("test")


def test_a_plugins_static_files_need_no_login_while_it_runs(make_kernel, tmp_path):
    static = tmp_path / "static"
    static.mkdir()
    (static / "notes.css").write_text("p { color: teal; }")

    class Styled:
        MANIFEST = PluginManifest(name="styled", version="1.0")

        @hookimpl
        def register_pages(self):
            return [Blueprint("look", __name__, static_folder=str(static))]

    kernel = make_kernel(plugins=[Styled()], enable=["styled"])
    stranger = create_app(kernel, SECRET_KEY="k").test_client()
    sheet = stranger.get("/styled/static/notes.css")
    assert sheet.status_code == 200 and sheet.get_data(as_text=True) == "p { color: teal; }"
    disable(kernel, "styled", actor=SYSTEM)
    assert stranger.get("/styled/static/notes.css").status_code == 404
