"""Fresh databases for tests and benchmarks."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

__all__ = ["reset_postgres", "worker_database"]

_made: set[str] = set()


def reset_postgres(url: str, *, connect_timeout: int = 10) -> None:
    """Empty a PostgreSQL database: drop and recreate its ``public`` schema."""
    import psycopg2

    conn = psycopg2.connect(url, connect_timeout=connect_timeout)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public")
    finally:
        conn.close()


def worker_database(url: str, worker: str | None) -> str:
    """The database a pytest-xdist worker (``gw0``, ``gw1``…) uses instead of ``url``'s:
    ``<name>_<worker>`` on the same server, created the first time it is asked for, so
    workers never empty each other's schema. Without a worker, ``url`` itself."""
    if not worker:
        return url
    parts = urlsplit(url)
    name = f"{parts.path.lstrip('/') or 'postgres'}_{worker}"
    own = urlunsplit(parts._replace(path=f"/{name}"))
    if own in _made:
        return own
    import psycopg2
    from psycopg2 import sql

    conn = psycopg2.connect(url, connect_timeout=10)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if cur.fetchone() is None:
                cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    finally:
        conn.close()
    _made.add(own)
    return own
