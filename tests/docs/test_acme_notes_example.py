"""Tests of the acme_notes plugin: the worked example of docs/plugins.md (quoted there)."""

import pytest

from accord import services
from accord.errors import NotFound, ValidationError
from accord.services.plugins import disable, enable

from acme_notes import hooks

# Load only this plugin (and enable it) in every kernel of this module.
pytestmark = pytest.mark.plugins(hooks)


def test_a_note_is_stored_with_the_default_priority(kernel, actor):
    note = services.create(kernel, "acme_notes.note", {"title": "Call back"}, actor=actor)
    assert (note.title, note.priority, note.version) == ("Call back", 3, 1)


def test_titles_in_capitals_are_refused(kernel, actor):
    with pytest.raises(ValidationError) as caught:
        services.create(kernel, "acme_notes.note", {"title": "CALL BACK"}, actor=actor)
    assert caught.value.messages == {"title": ["no titles in capitals, please"]}


def test_a_bulk_write_names_the_bad_row(kernel, actor):
    rows = [{"title": "Fine"}, {"title": "Too urgent", "priority": 9}]
    with pytest.raises(ValidationError) as caught:
        services.bulk_create(kernel, "acme_notes.note", rows, actor=actor)
    assert list(caught.value.messages) == ["rows[1].priority"]


def test_disabling_keeps_the_notes(kernel, actor):
    note = services.create(kernel, "acme_notes.note", {"title": "Keep me"}, actor=actor)
    disable(kernel, "acme_notes", actor=actor)
    with pytest.raises(NotFound):
        services.get(kernel, "acme_notes.note", note.id)
    enable(kernel, "acme_notes", actor=actor)
    assert services.get(kernel, "acme_notes.note", note.id).title == "Keep me"


def test_migrations_run_down_and_up_again(kernel, actor):
    disable(kernel, "acme_notes", actor=actor)
    with kernel.bound():
        assert kernel.migrations.downgrade("acme_notes", 0) == [
            "0002_add_priority", "0001_create_notes"]
        assert "acme_notes_note" not in kernel.database.get_tables()
        assert kernel.migrations.upgrade("acme_notes") == [
            "0001_create_notes", "0002_add_priority"]
        assert "acme_notes_note" in kernel.database.get_tables()


def test_the_cli_shows_the_plugin(cli):
    result = cli("plugins", "info", "acme_notes")
    assert result.exit_code == 0, result.output
    assert "acme_notes.note" in result.output
    assert "enabled" in result.output
