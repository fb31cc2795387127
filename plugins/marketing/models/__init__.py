"""The marketing tables, one module per part (segments, campaigns, tiers)."""

from __future__ import annotations
