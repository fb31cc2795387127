"""The Flask app factory: the web face of a kernel.

Stateless: every request syncs the kernel with the plugin states in the database,
so several workers (gunicorn) sharing one PostgreSQL database see a toggle at once.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, render_template_string

from .api import register_api
from .kernel import Accord

__all__ = ["create_app"]

_HOME = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Accord</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:3rem auto;color:#1d2733}
h1{margin-bottom:0}table{border-collapse:collapse;margin:1rem 0}td,th{padding:.3rem 1rem .3rem 0;
text-align:left;border-bottom:1px solid #dde3ea}.muted{color:#5b6b7c}</style></head>
<body><h1>Accord</h1><p class="muted">{{ engine }} database · {{ active|length }} plugin(s) running</p>
<h2>Records</h2><table><tr><th>Type</th><th>Records</th></tr>
{% for name, count in counts %}<tr><td>{{ name }}</td><td>{{ count }}</td></tr>{% endfor %}
</table><h2>Plugins</h2><table><tr><th>Plugin</th><th>Version</th><th>State</th></tr>
{% for p in plugins %}<tr><td>{{ p.name }}</td><td>{{ p.version }}</td><td>{{ p.state }}</td></tr>
{% else %}<tr><td colspan="3" class="muted">none installed</td></tr>{% endfor %}</table>
<p class="muted">API: <a href="/api/docs">/api/docs</a> · Health: <a href="/api/v1/health">/api/v1/health</a></p></body></html>"""


def create_app(kernel: Accord | None = None, **config: Any) -> Flask:
    """Build the app over ``kernel`` (or one from accord.toml and ACCORD_* variables)."""
    if kernel is None:
        from .config import load_config

        kernel = Accord(load_config()).start()
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    app.config.update(config)
    app.extensions["accord"] = kernel
    register_api(app, kernel)

    @app.before_request
    def sync_kernel() -> None:
        kernel.sync()

    @app.teardown_appcontext
    def release_connection(exc: BaseException | None) -> None:
        if kernel.database is not None and not kernel.database.is_closed():
            kernel.database.close()

    @app.get("/")
    def home() -> str:
        with kernel.bound():
            counts = [(rt.name, rt.model.select().count()) for rt in kernel.records]
        return render_template_string(
            _HOME, engine=_engine(kernel), active=kernel.plugins.active - {"core"},
            counts=counts, plugins=sorted(kernel.plugins.plugins.values(), key=lambda p: p.name))

    return app


def _engine(kernel: Accord) -> str:
    from .database import is_postgres

    return "PostgreSQL" if is_postgres(kernel.database) else "SQLite"
