"""Fresh databases for tests and benchmarks."""

from __future__ import annotations

__all__ = ["reset_postgres"]


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
