"""The web pages: server-rendered Jinja pages over the same services as the API.

Plugins import the values their page hooks return from here (``NavEntry``,
``SearchType``, ``Panel``, ``Widget``, ``Series``) and how pages show values (``when``,
``shown``, ``sentence``); ``accord.pages.app.register_pages``
adds the pages to an app.
"""

from __future__ import annotations

from .entries import NavEntry, Panel, SearchType, Series, Widget, public, signed_link
from .format import sentence, shown, when

__all__ = ["NavEntry", "SearchType", "Panel", "Widget", "Series", "public", "signed_link",
           "sentence", "shown", "when"]
