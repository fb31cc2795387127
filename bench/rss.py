"""Peak memory of a web worker with the four shipped plugins enabled.

A SQLite database is prepared in this process (the kernel with the sales, service,
marketing and competitors plugins enabled, ``CONTACTS`` contacts with products of
interest as bench/api.py inserts them, an admin with a password and a token). Then a
NEW interpreter plays one web worker: ``create_app()`` from ``ACCORD_*`` variables
(the plugins discovered through their entry points, as ``accord serve`` and
gunicorn do), the Flask test client serving a few API lists (contacts, organizations,
each plugin's list) and, logged in, a few pages (dashboard, contact list, one contact,
each plugin's list page); every answer must be 200. It prints its peak resident set
(``VmHWM`` of /proc/self/status, ``ru_maxrss`` where there is no /proc).

For comparison the same is done with the bare Flask + peewee app of bench/api.py
(bench/raw_app.py, ``GET /contacts?limit=50``), and with an interpreter that only
imports flask and peewee. Report only: the issue sets no target.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from typing import Any

__all__ = ["CONTACTS", "Measurement", "measure"]

CONTACTS = 2_000
PASSWORD = "bench-rss-password"
EMAIL = "rss@example.com"
#: Lists each plugin adds, read through the API and as pages.
API_PATHS = ("/api/v1/contacts?limit=50", "/api/v1/organizations?limit=50",
             "/api/v1/sales/opportunities?limit=50", "/api/v1/service/tickets?limit=50",
             "/api/v1/marketing/campaigns?limit=50", "/api/v1/competitors/competitors?limit=50")
PAGE_PATHS = ("/", "/records/contact", "/records/organization", "/records/contact/{first}",
              "/records/sales.opportunity", "/sales/board", "/records/service.ticket",
              "/service/queue", "/marketing/campaigns", "/marketing/tiers",
              "/records/competitors.competitor")
ROUNDS = 5


@dataclass
class Measurement:
    #: Peak resident set in MiB: the Accord worker, the bare Flask + peewee app, and an
    #: interpreter that imported flask and peewee only.
    accord_mib: float
    raw_mib: float
    imports_mib: float
    requests: int

    @property
    def ratio(self) -> float:
        return self.accord_mib / self.raw_mib


def _peak_kib() -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    import resource

    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def _worker_accord() -> dict[str, Any]:
    from accord.web import create_app

    app = create_app()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {os.environ['BENCH_RSS_TOKEN']}"}
    statuses: dict[str, int] = {}
    served = 0
    first = None
    for _ in range(ROUNDS):
        for path in API_PATHS:
            answer = client.get(path, headers=headers)
            served += 1
            statuses[path] = answer.status_code
            if path.startswith("/api/v1/contacts") and answer.status_code == 200:
                first = answer.get_json()["items"][0]["id"]
    login = client.get("/login").get_data(as_text=True)
    marker = 'name="csrf_token" value="'
    token = login[login.index(marker) + len(marker):].split('"', 1)[0]
    answer = client.post("/login", data={"email": EMAIL, "password": PASSWORD,
                                         "csrf_token": token})
    statuses["POST /login"] = answer.status_code
    for _ in range(ROUNDS):
        for path in PAGE_PATHS:
            path = path.format(first=first)
            statuses[path] = client.get(path).status_code
            served += 1
    return {"peak_kib": _peak_kib(), "statuses": statuses, "requests": served + 2}


def _worker_raw() -> dict[str, Any]:
    from .raw_app import create_app

    client = create_app().test_client()
    statuses = {}
    for _ in range(ROUNDS * len(API_PATHS)):
        statuses["/contacts?limit=50"] = client.get("/contacts?limit=50").status_code
    return {"peak_kib": _peak_kib(), "statuses": statuses}


def _worker_imports() -> dict[str, Any]:
    import flask  # noqa: F401
    import peewee  # noqa: F401

    return {"peak_kib": _peak_kib(), "statuses": {}}


def _prepare(folder: str) -> tuple[str, str]:
    """The database (URL) and an admin's token."""
    from accord import services
    from accord.services import SYSTEM
    from accord.services.passwords import set_password

    from .api import _admin_token, _populate
    from .dispatch import _kernel

    url = f"sqlite:///{os.path.join(folder, 'rss.db')}"
    kernel = _kernel(url)
    try:
        _populate(kernel, CONTACTS)
        token = _admin_token(kernel)
        user: Any = services.create(kernel, "user", {"email": EMAIL, "name": "RSS",
                                                     "role": "admin"}, actor=SYSTEM)
        set_password(kernel, user, PASSWORD, actor=SYSTEM)
    finally:
        kernel.close()
    return url, token


def _child(kind: str, env: dict[str, str], folder: str) -> dict[str, Any]:
    from .api import REPO

    environ = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
    environ.update(env)
    environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO),
                                                          environ.get("PYTHONPATH")]))
    done = subprocess.run([sys.executable, "-m", "bench.rss", kind], env=environ, cwd=folder,
                          capture_output=True, text=True, check=False, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"the {kind} worker exited with {done.returncode}: "
                           f"{done.stderr.strip()[-500:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    bad = {path: status for path, status in result["statuses"].items()
           if status != (302 if path == "POST /login" else 200)}
    if bad:
        raise RuntimeError(f"the {kind} worker got unexpected answers: {bad}")
    return result


def measure() -> Measurement:
    from accord.models import Contact, ContactInterest

    folder = tempfile.mkdtemp(prefix="accord-bench-rss-")
    try:
        url, token = _prepare(folder)
        accord = _child("accord", {"ACCORD_DATABASE_URL": url, "BENCH_RSS_TOKEN": token,
                                   "ACCORD_SECRET_KEY": "bench-rss"}, folder)
        raw = _child("raw", {"BENCH_RAW_DATABASE_URL": url,
                             "BENCH_RAW_CONTACT_TABLE": Contact._meta.table_name,
                             "BENCH_RAW_INTEREST_TABLE": ContactInterest._meta.table_name},
                     folder)
        imports = _child("imports", {}, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return Measurement(accord["peak_kib"] / 1024, raw["peak_kib"] / 1024,
                       imports["peak_kib"] / 1024, accord["requests"])


if __name__ == "__main__":
    workers = {"accord": _worker_accord, "raw": _worker_raw, "imports": _worker_imports}
    print(json.dumps(workers[sys.argv[1]]()))
