"""The OpenAPI document of the API."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Blueprint, jsonify

if TYPE_CHECKING:
    from ..kernel import Accord

__all__ = ["register"]


def register(bp: Blueprint, kernel: Accord) -> None:

    @bp.get("/openapi.json", endpoint="openapi")
    def openapi() -> Any:
        return jsonify({"openapi": "3.1.0", "info": {"title": "Accord", "version": "0.1.0"},
                        "paths": {}})
