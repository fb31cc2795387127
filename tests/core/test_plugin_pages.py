"""What plugins add to the web app besides navigation and search: whole pages under
``/<plugin>/`` (``register_pages``), panels on record pages (``record_panels``) and API
routes (``register_api_routes``), each mounted once, checked at load, and gone with
the plugin when it stops."""

from __future__ import annotations

import logging
import re

import marshmallow as ma
import pytest
from flask import Blueprint, g, render_template, request

from accord import services
from accord.errors import BadQuery, PluginLoadError
from accord.hooks import hookimpl
from accord.pages import Panel, public
from accord.plugins import PluginManifest
from accord.records import Permission
from accord.routes import ApiRoute
from accord.services import Actor
from accord.services.lists import list_page
from accord.services.plugins import disable, enable
from accord_sdk.pytest_plugin import PageClient

SYSTEM = Actor.system("test")


class CountArgs(ma.Schema):
    prefix = ma.fields.String(load_default="")
    limit = ma.fields.Integer(load_default=10, validate=ma.validate.Range(min=1, max=50))


class CountAnswer(ma.Schema):
    total = ma.fields.Integer()
    names = ma.fields.List(ma.fields.String())
    asked_by = ma.fields.String()


def count_contacts(kernel, *, actor, prefix, limit):
    page = list_page(kernel, "contact", actor=actor, limit=limit)
    names = [c["first_name"] for c in page["items"] if c["first_name"].startswith(prefix)]
    return {"total": len(names), "names": names, "asked_by": actor.label}


def contact_notes(kernel, id, *, actor):
    if id == 0:
        raise BadQuery("no contact is numbered 0", {"id": ["must be 1 or more"]})
    contact = services.get(kernel, kernel.records.get("contact"), id, actor=actor)
    return {"total": 1, "names": [contact.first_name], "asked_by": actor.label}


class Notes:
    """A plugin with a page of its own, a panel on contact pages and two API routes."""

    MANIFEST = PluginManifest(name="notes", version="1.0")

    def __init__(self, templates):
        self.templates = templates

    @hookimpl
    def register_permissions(self):
        return [Permission("notes.read", "Read the notes")]

    @hookimpl
    def register_pages(self):
        bp = Blueprint("board", __name__, template_folder=str(self.templates))

        @bp.get("/")
        def board():
            return render_template("notes/board.html", who=g.actor.label)

        @bp.post("/pin")
        def pin():
            return "pinned"

        @bp.route("/ask", methods=["GET", "POST"])
        @public
        def ask():
            asked_by = g.actor.label if g.actor is not None else "a stranger"
            return render_template("notes/ask.html", asked_by=asked_by,
                                   sent=request.method == "POST")

        return [bp]

    @hookimpl
    def record_panels(self, actor, record_type, record):
        if record_type != "contact":
            return []
        return [Panel("Notes", columns=("Note", "By"),
                      rows=[(f"About {record['first_name']}", actor.label)],
                      links=["/notes/"], order=5),
                Panel("Empty notes", empty="No notes on <b>this</b> one.", order=6),
                "not a panel"]

    @hookimpl
    def register_api_routes(self):
        return [ApiRoute("/notes/count", count_contacts, "notes.read", "Count contacts",
                         args=CountArgs, response=CountAnswer),
                ApiRoute("/notes/contacts/<int:id>", contact_notes, "notes.read",
                         "A contact's notes", response=CountAnswer)]


@pytest.fixture
def notes_kernel(make_kernel, tmp_path):
    folder = tmp_path / "templates" / "notes"
    folder.mkdir(parents=True)
    (folder / "board.html").write_text(
        '{% extends "base.html" %}{% block main %}<h1>Notes board</h1>'
        '<p id="who">{{ who }}</p>{% endblock %}')
    (folder / "ask.html").write_text(
        '{% extends "base.html" %}{% block main %}<p id="asked">{{ asked_by }}'
        '{% if sent %} sent{% endif %}</p><form method="post"><input type="hidden" '
        'name="csrf_token" value="{{ csrf_token() }}"></form>{% endblock %}')
    return make_kernel(plugins=[Notes(tmp_path / "templates")], enable=["notes"])


@pytest.fixture
def ada(make_page_client, notes_kernel):
    """An admin logged in to the notes kernel's pages."""
    return make_page_client("admin", email="ada@example.com", name="ada", kernel=notes_kernel)


def test_hook_register_pages(ada):
    """A plugin page is served under its name behind the login and the CSRF check."""
    anonymous = ada.app.test_client().get("/notes/")
    assert anonymous.status_code == 302 and "/login?next=/notes/" in anonymous.location
    page = ada.get("/notes/")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "<h1>Notes board</h1>" in body and '<p id="who">ada@example.com</p>' in body
    assert 'aria-label="Main"' in body  # drawn in the shell, with its navigation
    refused = ada.post("/notes/pin", csrf=False)
    assert refused.status_code == 400 and "pinned" not in refused.get_data(as_text=True)


def test_a_public_page_answers_without_a_login_and_still_checks_csrf(ada):
    stranger = ada.app.test_client()
    form = stranger.get("/notes/ask")
    html = form.get_data(as_text=True)
    assert form.status_code == 200 and '<p id="asked">a stranger</p>' in html
    assert 'aria-label="Main"' not in html  # no navigation for a stranger
    token = PageClient.token_of(html)
    refused = stranger.post("/notes/ask")
    assert refused.status_code == 400
    sent = stranger.post("/notes/ask", data={"csrf_token": token})
    assert '<p id="asked">a stranger sent</p>' in sent.get_data(as_text=True)
    assert stranger.get("/notes/").status_code == 302  # the other pages still need a login
    assert '<p id="asked">ada@example.com</p>' in ada.get("/notes/ask").get_data(
        as_text=True)


def test_a_stopped_plugins_pages_and_routes_are_404_naming_it(notes_kernel, ada,
                                                              make_api_client):
    api = make_api_client("admin", kernel=notes_kernel)
    disable(notes_kernel, "notes", actor=SYSTEM)
    page = ada.get("/notes/")
    assert page.status_code == 404
    assert ("The pages of notes are not available: the notes plugin is disabled."
            in page.get_data(as_text=True))
    gone = api.get("/api/v1/notes/count")
    assert gone.status_code == 404
    assert gone.json["detail"] == ("the notes plugin is disabled; an admin can enable "
                                   "notes: POST /api/v1/plugins/notes/enable")
    assert "/api/v1/notes/count" not in api.get("/api/v1/openapi.json").json["paths"]
    enable(notes_kernel, "notes", actor=SYSTEM)  # no restart: the same app serves them
    assert ada.get("/notes/").status_code == 200
    assert api.get("/api/v1/notes/count").status_code == 200


def test_hook_record_panels(notes_kernel, ada, caplog):
    """Panels show on the record page, as text; bad ones are left out."""
    contact = services.create(notes_kernel, "contact", {"first_name": "Grace", "last_name": "Hopper"},
                              actor=SYSTEM)
    with caplog.at_level(logging.ERROR):
        body = ada.get(f"/records/contact/{contact.id}").get_data(as_text=True)
    notes = body.index(">Notes</h2>")
    assert notes < body.index(">Empty notes</h2>") < body.index(">Timeline</h2>")
    assert '<a href="/notes/">About Grace</a></td><td>ada@example.com</td>' in body
    assert "No notes on &lt;b&gt;this&lt;/b&gt; one." in body  # text, never markup
    assert "record panel 'not a panel' of notes ignored" in caplog.text


def test_hook_register_api_routes(notes_kernel, make_api_client):
    """Routes load their arguments, check the permission and dump their answer."""
    for name in ("Grace", "Gina", "Alan"):
        services.create(notes_kernel, "contact", {"first_name": name, "last_name": "Doe"}, actor=SYSTEM)
    api = make_api_client("admin", kernel=notes_kernel)
    answer = api.get("/api/v1/notes/count?prefix=G")
    assert answer.status_code == 200
    assert answer.json["total"] == 2 and sorted(answer.json["names"]) == ["Gina", "Grace"]
    bad = api.get("/api/v1/notes/count?limit=0&colour=red")
    assert bad.status_code == 400
    assert bad.json["errors"] == {"limit": ["Must be greater than or equal to 1 and less "
                                            "than or equal to 50."],
                                  "colour": ["unknown parameter"]}
    one = api.get("/api/v1/notes/contacts/1")
    assert one.status_code == 200 and one.json["names"] == ["Grace"]
    zero = api.get("/api/v1/notes/contacts/0")  # a handler's BadQuery: 400, by field
    assert zero.status_code == 400
    assert (zero.json["detail"], zero.json["errors"]) == ("no contact is numbered 0",
                                                          {"id": ["must be 1 or more"]})
    missing = api.get("/api/v1/notes/contacts/999")
    assert missing.status_code == 404
    taking_nothing = api.get("/api/v1/notes/contacts/1?x=1")
    assert taking_nothing.status_code == 400
    assert taking_nothing.json["detail"] == ("GET /notes/contacts/<int:id> takes no "
                                             "parameters")
    sales_user = make_api_client("sales", kernel=notes_kernel)
    refused = sales_user.get("/api/v1/notes/count")
    assert refused.status_code == 403 and "notes.read" in refused.json["detail"]
    document = api.get("/api/v1/openapi.json").json
    operation = document["paths"]["/api/v1/notes/contacts/{id}"]["get"]
    assert operation["operationId"] == "get_notes_contacts_id"
    assert operation["x-permission"] == "notes.read"
    parameters = document["paths"]["/api/v1/notes/count"]["get"]["parameters"]
    assert {p["name"] for p in parameters} == {"prefix", "limit"}


class BadRoute:
    MANIFEST = PluginManifest(name="badroute", version="1.0")

    @hookimpl
    def register_api_routes(self):
        return [ApiRoute("/elsewhere/x", count_contacts, "core.contact.read", "x")]


class BadPermission:
    MANIFEST = PluginManifest(name="badperm", version="1.0")

    @hookimpl
    def register_api_routes(self):
        return [ApiRoute("/badperm/x", count_contacts, "nobody.declared", "x")]


class Admin:
    MANIFEST = PluginManifest(name="admin", version="1.0")

    @hookimpl
    def register_pages(self):
        return [Blueprint("x", __name__)]


class NotABlueprint:
    MANIFEST = PluginManifest(name="nobp", version="1.0")

    @hookimpl
    def register_pages(self):
        return ["/nobp"]


@pytest.mark.parametrize("plugin, message", [
    (BadRoute(), "route GET /elsewhere/x: the path must start with /badroute/"),
    (BadPermission(), "route GET /badperm/x: the permission nobody.declared is declared "
                      "by neither the plugin, the core nor a plugin it requires"),
    (Admin(), "its pages would be mounted at /admin, a path of the core's pages; rename "
              "the plugin"),
    (NotABlueprint(), "'/nobp' is not a flask.Blueprint"),
])
def test_bad_pages_and_routes_fail_their_plugin_at_load(make_kernel, plugin, message):
    kernel = make_kernel(plugins=[plugin], allow_failed=True)
    loaded = kernel.plugins.get(plugin.MANIFEST.name)
    assert loaded.failed and message in loaded.error
    with pytest.raises(PluginLoadError, match=re.escape(message)):
        make_kernel(plugins=[type(plugin)()])

