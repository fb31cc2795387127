"""``accord init`` and ``accord serve``."""

from __future__ import annotations

import os
import secrets
import socket
from pathlib import Path

import click

from ._context import CliState, actor, pass_state

CONFIG_TEMPLATE = '''\
# Accord configuration. Keys can also be set by ACCORD_* environment variables,
# which win: ACCORD_DATABASE_URL, ACCORD_PLUGINS_DIR, ACCORD_ENABLED_PLUGINS (a
# comma-separated list), ACCORD_DISCOVER_PLUGINS (true/false), ACCORD_LOG_LEVEL,
# ACCORD_SECRET_KEY.

# Signs the web app's session cookies: random, written by 'accord init'; keep it
# secret (changing it ends every web session).
secret_key = "{secret_key}"

# The session cookie is Secure whenever a page is served over HTTPS; set this when a
# proxy ends TLS and the app cannot tell.
# secure_cookies = true

# Behind reverse proxies (nginx, a load balancer): how many set X-Forwarded-For, so the
# client's address (rate limits) and https are read from them.
# trusted_proxies = 1

# WARNING, INFO or DEBUG.
log_level = "WARNING"

# Relationships an organization can have with the firm.
organization_relationships = ["prospect", "customer", "partner", "reseller", "supplier"]

[database]
# SQLite file (the embedded default) or PostgreSQL for production:
#   url = "postgresql://accord@127.0.0.1:5432/accord"
url = "sqlite:///accord.db"

[plugins]
# Plugins enabled when the database is created: those bundled with Accord. Later,
# use 'accord plugins enable NAME' or 'accord plugins disable NAME'.
enabled = {enabled}{others}
# A folder of client-specific plugins (packages with MANIFEST and hooks.py).
# dir = "plugins"
# Look for installed plugins (the accord.plugins entry points).
discover = true

# Settings of each plugin, in a table named after it and checked against the
# plugin's settings schema; each plugin documents its own settings.
# [plugins.settings.<plugin>]
# <setting> = "value"

# Custom fields per record type; names start with x_. Kinds: text, integer,
# decimal, date, boolean, choice, multi_choice.
# [fields.contact.x_tier]
# kind = "choice"
# choices = ["gold", "silver", "bronze"]
# indexed = true
'''


@click.command()
@click.option("--demo", is_flag=True, help="Load demo data when the database is new.")
@pass_state
def init(state: CliState, demo: bool) -> None:
    """Write a commented accord.toml (if there is none) and create the database.

    Safe to run again: an existing file and database are kept, and only pending
    migrations are applied.
    """
    path = Path(state.config_path or "accord.toml")
    written = not path.exists()
    if not written:
        click.echo(f"{path}: kept as it is")
    else:
        bundled, others = (_installed_plugins() if state.config().discover_plugins
                           else ([], []))
        enabled = "[" + ", ".join(f'"{n}"' for n in bundled) + "]"
        listed = (f"\n# Installed from other packages, not enabled: {', '.join(others)}"
                  if others else "")
        path.write_text(CONFIG_TEMPLATE.format(enabled=enabled, others=listed,
                                               secret_key=secrets.token_urlsafe(32)),
                        encoding="utf-8")
        click.echo(f"{path}: written")
        state.config_path = str(path)
    kernel = state.kernel(upgrade=True)
    from ..services.setup import initialise

    for name in kernel.migrations.owners():
        if name != "core" and name in kernel.plugins.active:
            kernel.migrations.upgrade(name)
    enabled_now = initialise(kernel, actor=actor())
    if enabled_now:
        click.echo(f"enabled plugins: {', '.join(enabled_now)} ('accord plugins disable NAME' "
                   "turns one off)")
    idle = sorted(n for n, p in kernel.plugins.plugins.items()
                  if n != "core" and p.stored_state != "enabled")
    if idle and (enabled_now or written):
        click.echo(f"installed, not enabled: {', '.join(idle)} ('accord plugins enable NAME' "
                   "turns one on)")
    from ..database import masked_url

    click.echo(f"database ready: {masked_url(kernel.config.database_url)}")
    if demo:
        from ..demo import load_demo
        from ..errors import PluginError

        try:
            counts = load_demo(kernel)
        except PluginError as exc:  # nothing was kept: say how to get the demo after all
            fix = ("fix the cause" if exc.plugin == "core" else
                   f"fix {exc.plugin} or disable it (accord plugins disable {exc.plugin})")
            raise click.ClickException(f"{exc}; {fix}, then run 'accord init --demo' "
                                       "again") from None
        if counts:
            click.echo("demo data loaded: " + ", ".join(f"{t} {n}" for t, n in counts.items()))
            from ..demo import DEMO_LOGINS, DEMO_PASSWORD, USERS

            roles = {user["email"]: user["role"] for user in USERS}
            click.echo(f"demo logins (password {DEMO_PASSWORD}): " + ", ".join(
                f"{email} ({roles[email]})" for email in DEMO_LOGINS))
        else:
            click.echo("demo data skipped: the database already holds records")


def _installed_plugins() -> tuple[list[str], list[str]]:
    """The installed plugins' names: those bundled with Accord, and the others."""
    from ..plugins.discovery import from_entry_points

    found = from_entry_points()
    return (sorted(c.name for c in found if c.bundled),
            sorted(c.name for c in found if not c.bundled))


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--debug", is_flag=True, help="Reload on code changes; show errors in pages.")
@pass_state
def serve(state: CliState, host: str, port: int, debug: bool) -> None:
    """Serve Accord with Flask's development server.

    In production run several workers: gunicorn 'accord.web:create_app()'.
    """
    from werkzeug.serving import make_server

    from ..web import create_app

    where = f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"
    try:
        socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise click.ClickException(f"cannot serve on {where}: unknown host {host!r} "
                                   f"({_reason(exc)})") from None
    app = create_app(state.kernel())
    # Bind first, announce after: a taken port or a bad address is one line, exit 1.
    # The reloader's child (--debug) is handed the socket its parent bound.
    reloaded = os.environ.get("WERKZEUG_RUN_MAIN") == "true"
    sock = None if reloaded else _bind(host, port, where)
    click.echo(f"Accord is serving on {where} (Ctrl+C to stop)")
    click.echo(f"Log in at {where}login with a user's email and password "
               "('accord users password EMAIL' sets one)")
    click.echo(f"API reference: {where}api/docs; the API wants a bearer token: "
               "accord tokens create USER_EMAIL")
    if debug:
        if sock is not None:
            sock.close()  # the reloader binds in its own process
        app.run(host=host, port=port, debug=True, use_reloader=True)
        return
    server = make_server(host, port, app, threaded=True,
                         fd=sock.fileno() if sock is not None else None)
    if sock is not None:
        sock.close()  # the server holds its own duplicate
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def _bind(host: str, port: int, where: str) -> socket.socket:
    from werkzeug.serving import get_sockaddr, select_address_family

    family = select_address_family(host, port)
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(get_sockaddr(host, port, family))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise click.ClickException(f"cannot serve on {where}: {_reason(exc)}") from None
    return sock


def _reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or str(exc)
