"""Hook implementations of acme_notes."""

from accord.errors import ValidationError
from accord.hooks import hookimpl
from accord.records import Permission, RecordType

from .models import Note
from .schemas import NoteSchema

NOTE = RecordType("acme_notes.note", Note, NoteSchema, "notes", "Note",
                  searchable=("title",), title_fields=("title",))


@hookimpl
def register_record_types():
    return [NOTE]


@hookimpl
def register_permissions():
    return [Permission("acme_notes.note.read", "Read notes"),
            Permission("acme_notes.note.write", "Write notes")]


@hookimpl
def validate_records(record_type, rows):
    # Shouting is not a note: a veto the tests can switch off by disabling the plugin.
    for index, row in enumerate(rows):
        title = row.get("title") or ""
        if record_type.name in ("acme_notes.note", "organization") and title.isupper() and len(title) > 3:
            raise ValidationError({"title": ["no titles in capitals, please"]},
                                  row=index if len(rows) > 1 else None)
