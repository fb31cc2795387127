"""The raw baseline of ``bench/api.py``: a plain Flask + peewee list endpoint.

``GET /contacts?limit=50`` answers the same page as Accord's ``GET
/api/v1/contacts?limit=50`` (the first contacts by id, the same JSON fields and
values, the products of interest read with one more query, a ``next_cursor``), and
nothing else: no token, no roles, no plugins, no schema. The database is opened
the way Accord opens it (SQLite in WAL with the same pragmas; PostgreSQL pooled)
and a connection is held per request. Served by gunicorn:

    BENCH_RAW_DATABASE_URL=sqlite:///bench.db gunicorn 'bench.raw_app:create_app()'

(BENCH_RAW_CONTACT_TABLE and BENCH_RAW_INTEREST_TABLE name the two tables; the
benchmark passes the names of Accord's models.)
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
from typing import Any
from urllib.parse import urlparse

import peewee
from flask import Flask, jsonify, request
from playhouse.db_url import connect

__all__ = ["create_app", "FIELDS"]

#: The columns of a contact, in the order a page selects them.
FIELDS = ("id", "created_at", "updated_at", "version", "owner_id", "team_id", "first_name",
          "last_name", "email", "phone", "mobile", "title", "organization_id", "street",
          "city", "postal_code", "region", "country", "birthday", "email_opt_out",
          "call_opt_out")
MAX_LIMIT = 500


def _database(url: str) -> peewee.Database:
    scheme = urlparse(url).scheme
    if scheme == "sqlite":
        return connect(url, pragmas={"journal_mode": "wal", "foreign_keys": 1,
                                     "synchronous": "normal", "busy_timeout": 10000,
                                     "cache_size": -32000}, check_same_thread=False)
    return connect(url.replace(f"{scheme}://", "postgresql+pool://", 1), max_connections=32,
                   stale_timeout=300)


def _models(database: peewee.Database, contacts: str, interests: str) -> tuple[Any, Any]:
    class Contact(peewee.Model):
        created_at = peewee.DateTimeField()
        updated_at = peewee.DateTimeField()
        version = peewee.IntegerField()
        owner_id = peewee.IntegerField(null=True)
        team_id = peewee.IntegerField(null=True)
        first_name = peewee.CharField(null=True)
        last_name = peewee.CharField()
        email = peewee.CharField(null=True)
        phone = peewee.CharField(null=True)
        mobile = peewee.CharField(null=True)
        title = peewee.CharField(null=True)
        organization_id = peewee.IntegerField(null=True)
        street = peewee.CharField(null=True)
        city = peewee.CharField(null=True)
        postal_code = peewee.CharField(null=True)
        region = peewee.CharField(null=True)
        country = peewee.CharField(null=True)
        birthday = peewee.DateField(null=True)
        email_opt_out = peewee.BooleanField()
        call_opt_out = peewee.BooleanField()

        class Meta:
            table_name = contacts

    class Interest(peewee.Model):
        contact_id = peewee.IntegerField()
        product_id = peewee.IntegerField()

        class Meta:
            table_name = interests
            primary_key = False

    Contact._meta.set_database(database)
    Interest._meta.set_database(database)
    return Contact, Interest


def _json(value: Any) -> Any:
    if isinstance(value, dt.datetime):  # stored as UTC without a zone
        return value.isoformat() + "+00:00"
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def create_app() -> Flask:
    database = _database(os.environ["BENCH_RAW_DATABASE_URL"])
    Contact, Interest = _models(
        database, os.environ.get("BENCH_RAW_CONTACT_TABLE", "accord_contact"),
        os.environ.get("BENCH_RAW_INTEREST_TABLE", "accord_contact_interest"))
    columns = [getattr(Contact, name) for name in FIELDS]
    app = Flask(__name__)

    @app.before_request
    def open_connection() -> None:
        database.connect(reuse_if_open=True)

    @app.teardown_appcontext
    def close_connection(exc: BaseException | None) -> None:
        if not database.is_closed():
            database.close()

    @app.get("/contacts")
    def contacts() -> Any:
        raw = request.args.get("limit", "50")
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
            return jsonify(error="bad limit"), 400
        limit = int(raw)
        rows = list(Contact.select(*columns).order_by(Contact.id).limit(limit + 1).tuples())
        more = len(rows) > limit
        items = [{name: _json(value) for name, value in zip(FIELDS, row)}
                 for row in rows[:limit]]
        interests: dict[int, list[int]] = {item["id"]: [] for item in items}
        if items:
            for contact_id, product_id in (Interest.select(Interest.contact_id, Interest.product_id)
                                           .where(Interest.contact_id.in_(list(interests)))
                                           .order_by(Interest.product_id).tuples()):
                interests[contact_id].append(product_id)
        for item in items:
            item["products_of_interest"] = interests[item["id"]]
        cursor = None
        if more and items:
            text = json.dumps([items[-1]["id"]], separators=(",", ":"))
            cursor = base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")
        return jsonify(items=items, next_cursor=cursor)

    return app
