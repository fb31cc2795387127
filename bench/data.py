"""Deterministic, realistic contact rows for the bulk benchmarks."""

from __future__ import annotations

import random
from typing import Any

__all__ = ["contact_rows", "TIERS", "plugin_kernel"]

TIERS = ("bronze", "silver", "gold", "platinum")

_FIRST = ("Anna", "Ben", "Clara", "David", "Emma", "Felix", "Greta", "Hannah", "Ivan",
          "Julia", "Karl", "Lena", "Marco", "Nora", "Oskar", "Paula", "Quentin", "Rosa",
          "Sven", "Tara", "Ulrich", "Vera", "Walter", "Xenia", "Yusuf", "Zoe")
_LAST = ("Schmidt", "Müller", "Garcia", "Smith", "Rossi", "Dubois", "Novak", "Kowalski",
         "Johansson", "Jensen", "Silva", "Yilmaz", "Tanaka", "Nguyen", "O'Brien", "Weber",
         "Fischer", "Moreau", "Lindqvist", "Costa", "Horvat", "Petrov", "Khan", "Becker")
_TITLES = ("Head of Purchasing", "CEO", "CFO", "Sales Manager", "Office Manager",
           "IT Director", "Buyer", "Engineer", "Account Executive", None)
_CITIES = (("Berlin", "DE"), ("Munich", "DE"), ("Vienna", "AT"), ("Zurich", "CH"),
           ("Paris", "FR"), ("Lyon", "FR"), ("Madrid", "ES"), ("Milan", "IT"),
           ("Amsterdam", "NL"), ("London", "GB"), ("Dublin", "IE"), ("Boston", "US"),
           ("Toronto", "CA"), ("Warsaw", "PL"), ("Stockholm", "SE"))


def contact_rows(count: int, seed: int = 42) -> list[dict[str, Any]]:
    """``count`` contacts as an importer would send them: the fields as strings, a
    unique email each and the custom field ``x_tier``."""
    rng = random.Random(seed)
    rows = []
    for i in range(count):
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        city, country = rng.choice(_CITIES)
        local = f"{first}.{last}".lower().replace("'", "").replace("ü", "ue")
        row = {
            "first_name": first,
            "last_name": last,
            "email": f"{local}.{i}@example.com",
            "phone": f"+{rng.randint(1, 49)} {rng.randint(10, 999)} {rng.randint(100000, 9999999)}",
            "title": rng.choice(_TITLES),
            "city": city,
            "country": country,
            "x_tier": rng.choice(TIERS),
        }
        rows.append(row)
    return rows


def raw_table(rows: list[dict[str, Any]], now: Any) -> tuple[list[str], list[list[Any]]]:
    """The same rows shaped for ``Contact.insert_many(values, fields=...)``: custom
    values in ``custom`` and the columns peewee's defaults would fill given, so the
    raw insert writes exactly the columns the service writes."""
    extra = {"email_opt_out": False, "call_opt_out": False, "created_at": now,
             "updated_at": now, "version": 1}
    names = [k for k in rows[0] if not k.startswith("x_")] + ["custom", *extra]
    out = []
    for row in rows:
        values = [v for k, v in row.items() if not k.startswith("x_")]
        values.append({k: v for k, v in row.items() if k.startswith("x_")})
        values.extend(extra.values())
        out.append(values)
    return names, out


def plugin_kernel(url: str, *plugins: Any) -> Any:
    """A started kernel on ``url`` with these plugins' hooks modules loaded and enabled
    (by their manifests' names), for a benchmark that measures a plugin's code."""
    from accord.config import Config
    from accord.kernel import Accord
    from accord.services import Actor
    from accord.services.plugins import enable

    kernel = Accord(Config(database_url=url, discover_plugins=False),
                    plugins=list(plugins)).start(upgrade=True)
    for module in plugins:
        enable(kernel, module.__name__.split(".")[0].removeprefix("accord_"),
               actor=Actor.system("bench"))
    return kernel
