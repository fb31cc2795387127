"""Hook implementations of acme_extra."""

from accord.errors import ValidationError
from accord.hooks import hookimpl


@hookimpl(trylast=True)  # runs after acme_notes' own checks, so its message comes first
def validate_records(record_type, rows):
    if record_type.name != "acme_notes.note":
        return
    for index, row in enumerate(rows):
        if row.get("priority") == 5:
            raise ValidationError({"priority": ["priority 5 is reserved"]},
                                  row=index if len(rows) > 1 else None)
