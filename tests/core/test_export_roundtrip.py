"""An XLSX round trip: a list exported, then read back by ``accord import`` into an
empty database, gives identical records (issue 16, "Must show")."""

from __future__ import annotations

from accord import services
from accord.services import Actor
from accord.services.exporting import prepare
from accord.services.fields import add_field
from accord_sdk.pytest_plugin import CliRunner

SYSTEM = Actor.system("test")
#: Organizations first: the deals name theirs by id, the same in an empty database.
TYPES = ("organization", "product", "contact", "sales.lead", "sales.opportunity")
#: What differs between two databases whatever the data: ids and timestamps.
_OWN = {"id", "created_at", "updated_at", "version", "owner_id", "team_id"}


def _setup(kernel):
    add_field(kernel, "contact", "x_tier", "choice", choices=["gold", "silver"], actor=SYSTEM)
    add_field(kernel, "contact", "x_score", "decimal", actor=SYSTEM)
    add_field(kernel, "contact", "x_since", "date", actor=SYSTEM)
    add_field(kernel, "contact", "x_channels", "multi_choice",
              choices=["mail", "phone", "fair"], actor=SYSTEM)


def _records(kernel, type_name, sort):
    export = prepare(kernel, type_name, actor=SYSTEM, sort=sort)
    return [{k: v for k, v in zip(export.header, row) if k not in _OWN}
            for row in export.rows()]


def test_an_xlsx_round_trip_gives_identical_records(make_kernel, tmp_path):
    source = make_kernel(plugins=["sales"], enable=["sales"])
    _setup(source)
    acme = services.create(source, "organization", {"name": "Acme", "industry": "Tools"},
                           actor=SYSTEM)
    pumps = [services.create(source, "product", {"name": name, "sku": sku}, actor=SYSTEM).id
             for name, sku in (("Pump", "P-1"), ("Valve", "V-2"))]
    # Money leaves as two columns (amount, amount_currency) and comes back whole, in
    # a currency other than the base one too.
    services.create(source, "sales.opportunity", {
        "name": "Seats", "organization_id": acme.id,
        "amount": {"amount": "12500.50", "currency": "USD"},
        "expected_close_date": "2027-03-31"}, actor=SYSTEM)
    services.create(source, "sales.opportunity", {
        "name": "Desks", "organization_id": acme.id,
        "amount": {"amount": "900", "currency": "JPY"}}, actor=SYSTEM)
    services.create(source, "contact", {
        "first_name": "Ada-Marie", "last_name": "Ader", "email": "ada@example.com",
        "phone": "+49 30 1234", "birthday": "1980-02-29", "x_tier": "gold",
        "x_score": "12.50", "x_since": "2020-01-31", "email_opt_out": True,
        "title": "Müller & Söhne, \"quoted\"", "organization_id": acme.id,
        "products_of_interest": pumps, "x_channels": ["mail", "fair"]}, actor=SYSTEM)
    services.create(source, "contact", {"last_name": "Bauer", "x_tier": "silver",
                                        "postal_code": "01234"}, actor=SYSTEM)
    services.create(source, "sales.lead", {"name": "Lee", "email": "lee@example.com",
                                           "phone": "0049 1234"}, actor=SYSTEM)
    for type_name in TYPES:
        path = tmp_path / f"{type_name}.xlsx"
        result = CliRunner(source)("export", type_name, str(path), "--sort", "id")
        assert result.exit_code == 0, result.output
    target = make_kernel(plugins=["sales"], enable=["sales"],
                         database_url=f"sqlite:///{tmp_path / 'target.db'}")
    _setup(target)
    for type_name in TYPES:
        result = CliRunner(target)("import", type_name, str(tmp_path / f"{type_name}.xlsx"))
        assert result.exit_code == 0, result.output
        got, want = _records(target, type_name, "id"), _records(source, type_name, "id")
        assert [sorted(set(g.items()) ^ set(w.items())) for g, w in zip(got, want)] == \
            [[] for _ in want]
        assert got == want
    ada = _records(target, "contact", "id")[0]
    assert (ada["products_of_interest"], ada["x_channels"]) == ("1; 2", "mail; fair")
    [seats, desks] = _records(target, "sales.opportunity", "id")
    assert (seats["amount"], seats["amount_currency"], desks["amount_currency"]) == (
        "12500.50", "USD", "JPY")
