"""The Flask app factory: the web face of a kernel (the pages and the API).

Stateless: every request syncs the kernel with the plugin states in the database,
so several workers (gunicorn) sharing one PostgreSQL database see a toggle at once.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, request

from .api import authenticated, register_api
from .kernel import Accord
from .pages.app import register_pages

__all__ = ["create_app", "UPLOADS"]

#: The endpoints that take an import's file: up to ``import_max_mb``, not 1 MiB.
UPLOADS = frozenset({"api.imports_create", "pages.admin_import_upload"})


def create_app(kernel: Accord | None = None, **config: Any) -> Flask:
    """Build the app over ``kernel`` (or one from accord.toml and ACCORD_* variables)."""
    if kernel is None:
        from .config import load_config

        kernel = Accord(load_config()).start()
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    # Signs session cookies; accord init writes a random one into accord.toml.
    app.config["SECRET_KEY"] = kernel.config.secret_key
    app.config.update(config)
    app.extensions["accord"] = kernel
    hops = kernel.config.trusted_proxies
    if hops:
        # Behind that many proxies: request.remote_addr, the scheme and the host are
        # the client's, as the proxies forwarded them.
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops,  # type: ignore[method-assign]
                                x_host=hops)
    register_api(app, kernel)
    register_pages(app, kernel)

    @app.before_request
    def sync_kernel() -> None:
        # The core's own assets need no database: the error page that says it is away
        # keeps its style. An API request's token lookup syncs in its own statement.
        if request.endpoint != "static" and not authenticated(request.endpoint):
            kernel.sync()
        if request.endpoint in UPLOADS:
            # An import's file may be large; every other request stays at 1 MiB. Set
            # before anything reads the body (the pages' CSRF check reads the form).
            request.max_content_length = kernel.config.import_max_mb * 1024 * 1024

    @app.teardown_appcontext
    def release_connection(exc: BaseException | None) -> None:
        if kernel.database is not None and not kernel.database.is_closed():
            kernel.database.close()

    return app
