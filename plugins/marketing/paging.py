"""What every paged list of the marketing plugin takes (the customers of a tier, of a
value rank, due to buy): a page size and the cursor of the previous page."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields

__all__ = ["MAX_PAGE", "PageArgs"]

#: The most rows one page lists.
MAX_PAGE = 500


class PageArgs(ma.Schema):
    """``limit`` (1 to ``MAX_PAGE``, 50 by default) and ``cursor`` (the previous page's
    ``next_cursor``); unknown arguments are refused by name."""

    class Meta:
        unknown = ma.RAISE

    limit = fields.Integer(load_default=50, strict=False,
                           validate=ma.validate.Range(1, MAX_PAGE))
    cursor = fields.String(load_default=None, validate=ma.validate.Length(max=2000))
