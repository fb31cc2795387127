"""accord_sdk's fixtures, each at work on acme_fees."""

import sqlite3
from pathlib import Path

import pytest

from accord import services
from accord_sdk.assertions import refused

from acme_fees import hooks

pytestmark = pytest.mark.plugins(hooks)  # for `kernel` and what builds on it
PROJECT = Path(hooks.__file__).parents[1]  # the folder holding the acme_fees package


def test_make_kernel_takes_configuration(make_kernel, actor):
    chf = make_kernel(plugins=[hooks], enable=["acme_fees"],
                      plugin_settings={"acme_fees": {"currency": "CHF"}})
    patient = services.create(chf, "contact", {"last_name": "Molar"}, actor=actor)
    assert refused(lambda: services.create(chf, "acme_fees.fee", {
        "patient_id": patient.id, "treatment": "Filling",
        "amount": {"amount": "80", "currency": "EUR"}}, actor=actor)) == {
        "amount": ["the clinic charges in CHF"]}


def test_a_list_page_costs_the_same_for_3_fees_or_30(kernel, actor, api_client,
                                                     count_queries):
    patient = services.create(kernel, "contact", {"last_name": "Molar"}, actor=actor)
    row = {"patient_id": patient.id, "treatment": "Scale",
           "amount": {"amount": "50", "currency": "EUR"}}
    api_client.get("/api/v1/acme_fees/fees")  # the token's first use is written once
    queries = {}
    for more in (3, 27):
        services.bulk_create(kernel, "acme_fees.fee", [row] * more, actor=actor)
        with count_queries() as counter:
            items = api_client.get("/api/v1/acme_fees/fees").get_json()["items"]
        queries[len(items)] = counter.count
    assert queries[3] == queries[30]


def test_cli_runner_reads_accord_toml(cli_runner, database_url):
    Path("accord.toml").write_text(  # the test runs in its own empty folder
        f'[database]\nurl = "{database_url}"\n'
        f'[plugins]\ndir = "{PROJECT}"\nenabled = ["acme_fees"]\n', encoding="utf-8")
    assert cli_runner("init").exit_code == 0
    result = cli_runner("acme_fees", "open")
    assert (result.exit_code, result.output) == (0, "")


@pytest.mark.sqlite_only  # it opens the database file itself
def test_the_fee_table_is_in_the_database_file(kernel, database_url, accord_engine):
    assert accord_engine == "sqlite"
    with sqlite3.connect(database_url.removeprefix("sqlite:///")) as db:
        assert db.execute("SELECT count(*) FROM acme_fees_fee").fetchone() == (0,)
