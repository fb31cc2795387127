"""Processes and helpers shared by bench/load.py and bench/faults.py: an installation
folder (accord.toml), gunicorn serving ``bench.procs:serve()``, ``accord worker``
processes, a webhook receiver that de-duplicates by event id, and plain HTTP calls.

``serve()`` is ``accord.web.create_app()`` plus one response header,
``X-Accord-Worker`` (the worker's process id), so a client can tell which gunicorn
worker answered: the check that a plugin toggle is seen by every worker needs it.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
ACCORD = Path(sys.executable).parent / "accord"

__all__ = ["serve", "Installation", "Process", "Receiver", "call", "free_port"]


def serve() -> Any:
    """The app gunicorn serves in these benchmarks (see the module)."""
    from accord.web import create_app

    app = create_app()
    pid = str(os.getpid())

    @app.after_request
    def worker_header(response: Any) -> Any:
        response.headers["X-Accord-Worker"] = pid
        return response

    return app


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Answer:
    status: int
    body: bytes
    headers: dict[str, str]

    def json(self) -> Any:
        return json.loads(self.body or b"null")


def call(port: int, method: str, path: str, *, token: str | None = None,
         body: Any = None, headers: dict[str, str] | None = None,
         timeout: float = 60) -> Answer:
    """One request on a new connection (gunicorn's sync workers close each one)."""
    sent = {"Connection": "close", **(headers or {})}
    if token:
        sent["Authorization"] = f"Bearer {token}"
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        sent["Content-Type"] = "application/json"
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=data, headers=sent)
        response = conn.getresponse()
        return Answer(response.status, response.read(),
                      {k.lower(): v for k, v in response.getheaders()})
    finally:
        conn.close()


class Installation:
    """A folder with an accord.toml every process of the run reads."""

    def __init__(self, folder: Path, database_url: str, *, redis_url: str | None = None,
                 extra: str = "") -> None:
        self.folder = folder
        self.database_url = database_url
        lines = [f'database_url = "{database_url}"', 'secret_key = "bench-load-secret"',
                 'log_level = "WARNING"']
        if redis_url:
            lines.append(f'redis_url = "{redis_url}"')
        lines += [extra, "[webhooks]", "allow_private = true", "retry_base_seconds = 0.5",
                  "retry_max_seconds = 2", "timeout_seconds = 5", "lease_seconds = 10"]
        (folder / "accord.toml").write_text("\n".join(lines) + "\n")

    def env(self) -> dict[str, str]:
        environ = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
        environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO),
                                                              environ.get("PYTHONPATH")]))
        return environ

    def kernel(self) -> Any:
        from accord.config import load_config
        from accord.kernel import Accord

        return Accord(load_config(self.folder / "accord.toml")).start(upgrade=True)


class Process:
    """A child process with its output in a log file of the installation's folder."""

    def __init__(self, name: str, argv: list[str], installation: Installation) -> None:
        self.name = name
        self.log_path = installation.folder / f"{name}.log"
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen(argv, cwd=installation.folder, env=installation.env(),
                                        stdout=self.log, stderr=subprocess.STDOUT,
                                        start_new_session=True)

    @property
    def pid(self) -> int:
        return self.process.pid

    def tail(self, lines: int = 30) -> str:
        self.log.flush()
        return "".join(self.log_path.read_text(errors="replace").splitlines(True)[-lines:])

    def stop(self, timeout: float = 30) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def gunicorn(installation: Installation, port: int, workers: int = 4) -> Process:
    return Process("gunicorn", [sys.executable, "-m", "gunicorn", "--workers", str(workers),
                                "--worker-class", "sync", "--bind", f"127.0.0.1:{port}",
                                "--timeout", "60", "--graceful-timeout", "20",
                                "--log-level", "warning", "bench.procs:serve()"],
                   installation)


def worker(installation: Installation, number: int) -> Process:
    return Process(f"worker-{number}", [str(ACCORD), "worker", "--workers", "2"], installation)


def wait_ready(port: int, process: Process, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.process.poll() is not None:
            raise RuntimeError(f"{process.name} exited:\n{process.tail()}")
        try:
            if call(port, "GET", "/api/v1/health", timeout=5).status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{process.name} did not answer within {timeout:.0f} s:\n"
                       f"{process.tail()}")


def worker_pids(gunicorn_pid: int) -> list[int]:
    """The gunicorn master's children (its workers), from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == gunicorn_pid:
            found.append(int(entry.name))
    return sorted(found)


@dataclass
class Receiver:
    """A webhook receiver on loopback: checks each signature, counts every post by
    ``Accord-Event-Id`` (a redelivery is a duplicate it ignores)."""

    secret: str = ""
    port: int = 0
    posts: int = 0
    bad_signatures: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                event = self.headers.get("Accord-Event-Id", "")
                stamp = self.headers.get("Accord-Timestamp", "")
                expected = "v1=" + hmac.new(receiver.secret.encode(),
                                            stamp.encode() + b"." + body,
                                            hashlib.sha256).hexdigest()
                with receiver.lock:
                    receiver.posts += 1
                    if not hmac.compare_digest(expected,
                                               self.headers.get("Accord-Signature", "")):
                        receiver.bad_signatures += 1
                    receiver.counts[event] = receiver.counts.get(event, 0) + 1
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def duplicates(self) -> int:
        with self.lock:
            return sum(n - 1 for n in self.counts.values())
