"""docs/plugins.md holds together: it quotes every file of its worked example acme_fees
(tests/docs/plugins/acme-fees), and the messages and caveats its prose states are the
ones Accord gives. The example's own tests live beside it, in
tests/docs/plugins/acme-fees/tests."""

from __future__ import annotations

import sys
from decimal import Decimal

import pytest

from accord import services
from accord.errors import Conflict, PermissionDenied, ValidationError
from accord.money import Money
from accord.records import Write
from accord.services import SYSTEM, Actor
from accord.services.actions import run_action
from accord.services.plugins import disable

from test_doc_examples import QUOTES, ROOT

PROJECT = ROOT / "tests" / "docs" / "plugins" / "acme-fees"
PAGE = "docs/plugins.md"
FEE = "acme_fees.fee"


def _page() -> str:
    """The page's text with its line breaks as spaces, for phrases the prose wraps."""
    return " ".join((ROOT / PAGE).read_text(encoding="utf-8").split())


def test_the_guide_quotes_every_file_of_acme_fees():
    files = {str(p.relative_to(ROOT)) for p in PROJECT.rglob("*")
             if p.suffix in (".py", ".toml") and "__pycache__" not in p.parts}
    quoted = {path for page, path, _ in QUOTES if page == PAGE}
    assert len(files) > 15 and files <= quoted, f"not in {PAGE}: {sorted(files - quoted)}"


# Messages of the load-time checks, from copies of acme_fees broken on purpose ----------

@pytest.fixture
def isolated_acme_fees():
    """Put back the intact acme_fees modules after a test imported another copy."""
    kept = {n: m for n, m in sys.modules.items() if n.split(".")[0] == "acme_fees"}
    yield
    for name in [n for n in sys.modules if n.split(".")[0] == "acme_fees"]:
        del sys.modules[name]
    sys.modules.update(kept)


BROKEN = {
    "a manifest named otherwise": (
        ("__init__.py", 'name="acme_fees"', 'name="acme_fee"'),
        "bad manifest: MANIFEST.name is 'acme_fee' but it is registered as 'acme_fees'"),
    "an undeclared permission": (
        ("hooks.py", '"pay", "acme_fees.fee.pay"', '"refund", "acme_fees.fee.refund"'),
        "action acme_fees.fee/refund needs permission acme_fees.fee.refund, which neither "
        "the plugin, the core nor a plugin it requires declares; declare it in "
        "register_permissions"),
    "a handler without the body's field": (
        ("services.py", "*, actor: Actor, paid_by: str,", "*, actor: Actor,"),
        "action acme_fees.fee/pay: the handler pay() cannot take the call handler(kernel, "
        "record_id, *, actor, version, paid_by): got an unexpected keyword argument "
        "'paid_by'"),
}


@pytest.mark.parametrize("broken", sorted(BROKEN))
def test_the_load_time_messages_the_guide_quotes(broken, make_kernel, plugin_copy,
                                                  isolated_acme_fees):
    (name, old, new), message = BROKEN[broken]
    kernel = make_kernel(plugins_dir=plugin_copy(PROJECT / "acme_fees", {name: (old, new)}))
    assert kernel.plugins.get("acme_fees").error == message
    assert message in _page()


# What the prose says in passing ------------------------------------------------------

@pytest.fixture
def clinic(make_kernel):
    return make_kernel(plugins_dir=str(PROJECT), enable=["acme_fees"])


@pytest.fixture
def fee(clinic):
    patient = services.create(clinic, "contact", {"last_name": "Molar"}, actor=SYSTEM)
    return services.create(clinic, FEE, {"patient_id": patient.id, "treatment": "Filling",
                                         "amount": {"amount": "80", "currency": "EUR"}},
                           actor=SYSTEM)


def test_a_reference_to_no_record_is_refused(clinic):
    with pytest.raises(ValidationError) as caught:
        services.create(clinic, FEE, {"patient_id": 99, "treatment": "Filling",
                                      "amount": {"amount": "80", "currency": "EUR"}},
                        actor=SYSTEM)
    assert caught.value.messages == {"patient_id": ["there is no contact 99"]}
    assert "`there is no contact 99`" in _page()


def test_a_disabled_plugins_rows_still_keep_what_they_name(clinic, fee):
    disable(clinic, "acme_fees", actor=SYSTEM)
    with pytest.raises(Conflict) as caught:  # a disabled plugin's rows count too
        services.delete(clinic, "contact", fee.patient_id, actor=SYSTEM)
    assert str(caught.value) == (f"contact {fee.patient_id} is named by 1 acme_fees fee; "
                                 "give it another contact or delete it first")
    assert "a disabled plugin's rows count too" in _page()


def test_write_value_gives_a_stored_money_field_as_money(clinic, fee):
    """A stored money field reads as a loaded row has it: Money, not a bare amount."""
    write = Write(clinic, clinic.records.get(FEE), [{}], [fee], SYSTEM)
    assert write.value(0, "amount") == write.stored(0, "amount") == Money(Decimal("80"), "EUR")
    assert "a money field as `Money`" in _page()


def test_an_action_needs_its_own_permission_not_the_write_permission(clinic, fee):
    clerk = Actor(None, "clerk", "clerk", grants=("acme_fees.fee.read", "acme_fees.fee.pay"))
    paid = run_action(clinic, FEE, fee.id, "pay", {"paid_by": "patient"}, actor=clerk)
    assert paid.status == "paid"
    with pytest.raises(PermissionDenied) as caught:
        services.update(clinic, FEE, fee.id, {"treatment": "Crown"}, actor=clerk)
    assert str(caught.value).endswith("lacks the permission acme_fees.fee.write")
    assert "governed by that permission alone" in _page()


def test_transitions_let_the_value_a_record_holds_through(clinic, fee):
    """Why acme_fees' pay refuses a paid fee itself (the guide says so)."""
    for _ in range(2):
        paid = services.update(clinic, FEE, fee.id, {"status": "paid"}, actor=SYSTEM,
                               verb="pay")
    assert paid.status == "paid"
    assert "`Transitions` lets a second `pay` through" in _page()


def test_read_only_fields_sent_back_are_refused_as_unknown(clinic, fee, make_api_client):
    client = make_api_client("admin", kernel=clinic)
    response = client.patch(f"/api/v1/acme_fees/fees/{fee.id}",
                            json={"id": fee.id, "status": "open", "treatment": "Crown"})
    assert response.status_code == 422
    assert response.get_json()["errors"] == {"id": ["unknown field 'id'"]}
    assert "refused as `unknown field 'id'`" in _page()
