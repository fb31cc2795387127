"""Contracts: terms of whole billing periods, activation and termination, invoices per
period, and the daily renewal job (reminder once, renewal or expiry)."""

from __future__ import annotations

import datetime as dt

import pytest

import accord_sales.hooks
from accord import services
from accord.errors import Conflict
from accord.models import Activity
from accord.services import Actor
from accord_sales.services import contracts, invoices
from accord_sales.models import Contract, Invoice
from accord_sdk.assertions import refused

SYSTEM = Actor.system("test")
pytestmark = pytest.mark.plugins(accord_sales.hooks)
CONTRACTS = "/api/v1/sales/contracts"



def test_a_term_is_a_whole_number_of_billing_periods(sales, api_client, helpers):
    org = helpers.org(sales)
    body = {"name": "Support", "organization_id": org.id, "start_date": "2026-01-15",
            "end_date": "2026-12-31", "billing_period": "quarterly",
            "value": {"amount": "300", "currency": "EUR"}}
    refused = api_client.post(CONTRACTS, json=body)
    assert helpers.problem(refused, 422)["errors"] == {"end_date": [
        "the term from 2026-01-15 must be a whole number of quarterly billing periods: end "
        "it on 2026-10-14 or 2027-01-14"]}
    refused = api_client.post(CONTRACTS, json={**body, "end_date": "2026-01-01"})
    assert helpers.problem(refused, 422)["errors"] == {"end_date": [
        "the end date 2026-01-01 is not after the start date 2026-01-15"]}
    made = api_client.post(CONTRACTS, json={**body, "end_date": "2027-01-14"})
    assert made.status_code == 201, made.get_json()
    assert (made.get_json()["status"], made.get_json()["tax_rate"]) == ("draft", "0.00")
    assert helpers.count(sales, Contract) == 1


def test_an_active_contract_keeps_its_terms(sales, helpers):
    contract = helpers.contract(sales)
    contracts.activate_contract(sales, contract.id, actor=SYSTEM)
    assert refused(lambda: services.update(sales, "sales.contract", contract.id, {
        "value": {"amount": "1", "currency": "EUR"}}, actor=SYSTEM)) == {"value": [
        "the active contract keeps its terms; only its renewal terms, notice, auto-renewal, "
        "contact and owner change"]}
    services.update(sales, "sales.contract", contract.id, {"renewal_terms": "3% up"},
                    actor=SYSTEM)
    assert refused(lambda: contracts.activate_contract(sales, contract.id, actor=SYSTEM)) == {
        "status": [f"contract {contract.id} is active; only a draft is activated"]}
    assert refused(lambda: contracts.terminate_contract(sales, contract.id, reason=" ",
                                                        actor=SYSTEM)) == {
        "reason": ["give the reason the contract is terminated"]}
    ended = contracts.terminate_contract(sales, contract.id, reason="Moved away", actor=SYSTEM)
    assert (ended.status, ended.terminated_reason) == ("terminated", "Moved away")


def test_each_billing_period_is_invoiced_once(sales, api_client, helpers):
    contract = helpers.contract(sales, billing_period="monthly", value="100.00", tax_rate="20")
    url = f"{CONTRACTS}/{contract.id}/invoice"
    refused = api_client.post(url, json={"period_start": "2026-01-01"})
    assert helpers.problem(refused, 422)["errors"] == {"status": [
        f"contract {contract.id} is a draft; activate it before invoicing it"]}
    contracts.activate_contract(sales, contract.id, actor=SYSTEM)
    made = api_client.post(url, json={"period_start": "2026-03-01"})
    assert made.status_code == 200, made.get_json()
    invoice = made.get_json()
    assert (invoice["contract_id"], invoice["period_start"], invoice["period_end"],
            invoice["total"], invoice["lines"][0]["description"]) == (
        contract.id, "2026-03-01", "2026-03-31", "120.00",
        "Support: 2026-03-01 to 2026-03-31")
    refused = api_client.post(url, json={"period_start": "2026-03-01"})
    assert helpers.problem(refused, 422)["errors"] == {"period_start": [
        f"the period from 2026-03-01 is already invoiced (invoice draft {invoice['id']})"]}
    refused = api_client.post(url, json={"period_start": "2026-03-15"})
    assert helpers.problem(refused, 422)["errors"] == {"period_start": [
        f"2026-03-15 does not start a monthly billing period of contract {contract.id} "
        "(periods start on 2026-01-01, 2026-02-01, … until 2026-12-31)"]}
    refused = api_client.post(url, json={"period_start": "2027-01-01"})
    assert "does not start a monthly billing period" in helpers.problem(refused, 422)["errors"][
        "period_start"][0]
    assert helpers.count(sales, Invoice) == 1
    # A void invoice gives its period back.
    invoices.issue_invoice(sales, invoice["id"], actor=SYSTEM)
    invoices.void_invoice(sales, invoice["id"], reason="Wrong rate", actor=SYSTEM)
    assert api_client.post(url, json={"period_start": "2026-03-01"}).status_code == 200
    with pytest.raises(Conflict, match=f"contract {contract.id} has invoice INV-"):
        services.delete(sales, "sales.contract", contract.id, actor=SYSTEM)


def test_the_renewal_job_reminds_once_then_renews_or_expires(sales, helpers):
    user = services.create(sales, "user", {"email": "rep@example.com", "name": "Rep",
                                           "role": "sales"}, actor=SYSTEM)
    renewing = helpers.contract(sales, "Hosting", auto_renew=True, renewal_notice_days=30,
                                owner_id=user.id)
    ending = helpers.contract(sales, "Audit", renewal_notice_days=10)
    draft = helpers.contract(sales, "Draft only")
    for contract in (renewing, ending):
        contracts.activate_contract(sales, contract.id, actor=SYSTEM)

    # 2026-12-01: Hosting is within its 30 days notice, Audit not within its 10.
    assert contracts.contract_renewals(sales, dt.date(2026, 12, 1)) == (
        "1 renewal reminder, 0 contracts renewed, 0 contracts expired")
    assert contracts.contract_renewals(sales, dt.date(2026, 12, 1)) == (
        "0 renewal reminders, 0 contracts renewed, 0 contracts expired")
    [task] = helpers.rows(sales, Activity)
    assert (task.kind, task.subject, task.record_type, task.record_id, task.owner_id,
            task.due_at) == ("task", "Renew contract Hosting (ends 2026-12-31)",
                             "sales.contract", renewing.id, user.id,
                             dt.datetime(2026, 12, 31, 9, tzinfo=dt.timezone.utc))
    timeline = services.timeline(sales, "sales.contract", renewing.id)
    assert [item.title for item in timeline] == ["Renew contract Hosting (ends 2026-12-31)"]

    # 2027-01-01: both are past their end.
    assert contracts.contract_renewals(sales, dt.date(2027, 1, 1)) == (
        "0 renewal reminders, 1 contract renewed, 1 contract expired")
    stored = {c.name: c for c in helpers.rows(sales, Contract)}
    assert (stored["Hosting"].status, stored["Hosting"].end_date,
            stored["Hosting"].renewal_reminded_at) == ("active", dt.date(2027, 12, 31), None)
    assert stored["Audit"].status == "expired"
    assert stored["Draft only"].status == "draft" and draft.status == "draft"


def test_hook_register_jobs_gives_the_daily_sales_jobs(sales, cli, helpers):
    from accord.jobs import list_jobs

    assert {name: (plugin, job.schedule) for name, (plugin, job) in list_jobs(sales).items()
            if plugin == "sales"} == {
        "sales.quotes_expire": ("sales", "5 0 * * *"),
        "sales.invoices_overdue": ("sales", "10 0 * * *"),
        "sales.contract_renewals": ("sales", "15 6 * * *")}
    contract = helpers.contract(sales, end="2026-12-31")
    contracts.activate_contract(sales, contract.id, actor=SYSTEM)
    result = cli("jobs", "run", "sales.contract_renewals", "--date", "2027-01-05")
    assert (result.exit_code, result.output) == (0, (
        "sales.contract_renewals: 0 renewal reminders, 0 contracts renewed, "
        "1 contract expired\n"))
    assert services.get(sales, "sales.contract", contract.id).status == "expired"


def test_the_renewal_job_run_twice_the_day_it_renews_changes_nothing_more(sales, helpers):
    contract = helpers.contract(sales, "Hosting", auto_renew=True, renewal_notice_days=400)
    contracts.activate_contract(sales, contract.id, actor=SYSTEM)
    contracts.contract_renewals(sales, dt.date(2026, 1, 2))  # reminded for 2026-12-31
    # 2027-01-05: renewed to 2027-12-31, which is within its 400 days' notice at once.
    assert contracts.contract_renewals(sales, dt.date(2027, 1, 5)) == (
        "1 renewal reminder, 1 contract renewed, 0 contracts expired")
    assert contracts.contract_renewals(sales, dt.date(2027, 1, 5)) == (
        "0 renewal reminders, 0 contracts renewed, 0 contracts expired")
    assert helpers.count(sales, Activity) == 2
