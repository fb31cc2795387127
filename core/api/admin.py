"""Administration endpoints: health (public) and, for admins, the plugins, custom
fields, roles, tokens and the audit trail."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Blueprint, jsonify

if TYPE_CHECKING:
    from ..kernel import Accord

__all__ = ["register"]


def register(bp: Blueprint, kernel: Accord) -> None:

    @bp.get("/health", endpoint="health")
    def health() -> Any:
        from ..database import is_postgres

        with kernel.bound():
            kernel.database.execute_sql("SELECT 1")
        return jsonify(status="ok",
                       database="PostgreSQL" if is_postgres(kernel.database) else "SQLite",
                       plugins=sorted(kernel.plugins.active - {"core"}))
