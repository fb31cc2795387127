"""The marketing plugin's writes, one module per part: every create, update and delete
of its tables goes through here (and through the core's services)."""

from __future__ import annotations
