"""Where a merged record went: the loser's id kept as a redirect to the winner."""

from __future__ import annotations

from typing import TYPE_CHECKING

import peewee

from .base import BaseModel, UTCDateTimeField, utcnow

__all__ = ["MergeRedirect"]


class MergeRedirect(BaseModel):
    """A record merged into another: ``old_id`` of ``record_type`` now reads as
    ``new_id``. Chains are kept short: merging the winner again moves every redirect
    that named it to the new winner, so one lookup resolves any old id."""

    record_type = peewee.CharField(max_length=100)
    old_id = peewee.IntegerField()
    new_id = peewee.IntegerField()
    merged_at = UTCDateTimeField(default=utcnow)
    actor_id = peewee.IntegerField(null=True)
    actor_label = peewee.CharField(max_length=200, null=True)
    if TYPE_CHECKING:  # added by peewee at class creation; declared for mypy
        id: peewee.AutoField[int]

    class Meta:
        table_name = "accord_merge_redirect"
        indexes = ((("record_type", "old_id"), True), (("record_type", "new_id"), False))
