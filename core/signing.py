"""Signed links: tokens a plugin puts in a URL for someone without a login (a survey to
answer, a campaign's unsubscribe link), signed with the installation's ``secret_key``.

``link_serializer(kernel, salt)`` is an itsdangerous ``URLSafeSerializer`` for one
purpose (its ``salt``: a token made for one purpose is refused by another's). Without a
configured key, a random one serves while this process runs — with a warning, as the
web sessions do — so links made then stop working after a restart.
"""

from __future__ import annotations

import logging
import secrets
from typing import TYPE_CHECKING

from itsdangerous import URLSafeSerializer

if TYPE_CHECKING:
    from .kernel import Accord

__all__ = ["link_serializer"]

logger = logging.getLogger(__name__)
_KEY = "accord.signing.key"


def link_serializer(kernel: Accord, salt: str) -> URLSafeSerializer:
    """A serializer signing and checking the tokens of one purpose (``salt``)."""
    key = kernel.config.secret_key
    if not key:
        key = kernel.stash.get(_KEY)
        if key is None:
            logger.warning("no secret_key is configured: signed links will not survive a "
                           "restart ('accord init' writes one into accord.toml)")
            key = kernel.stash[_KEY] = secrets.token_urlsafe(32)
    return URLSafeSerializer(key, salt=salt)
