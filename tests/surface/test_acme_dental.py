"""The plugin-author surface, through a plugin written outside the tree (acme_dental):
rules carried by the record type, fields only its actions set, status transitions,
actions with typed arguments, grants for a built-in role, and the core's refusal to
delete what a running plugin's rows still name."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from accord import services
from accord.errors import Conflict
from accord.services import SYSTEM
from accord.services.authz import actor_for
from accord.services.plugins import disable, enable
from accord_sdk.assertions import problem, refused

PLUGINS = str(Path(__file__).parent / "plugins")
PATH = "/api/v1/acme_dental/appointments"
WHEN = "2026-12-24T09:30:00+00:00"
APPOINTMENT = "acme_dental.appointment"


@pytest.fixture
def dental(make_kernel):
    return make_kernel(plugins_dir=PLUGINS, enable=["acme_dental"])


@pytest.fixture
def patient(dental):
    return services.create(dental, "contact", {"last_name": "Molar"}, actor=SYSTEM)


@pytest.fixture
def client(dental, make_api_client):
    return make_api_client("admin", kernel=dental)


def _book(client, patient, **extra):
    response = client.post(PATH, json={"patient_id": patient.id, "starts_at": WHEN, **extra})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _stored(kernel, appointment_id):
    return services.get(kernel, "acme_dental.appointment", appointment_id)


def test_the_record_type_carries_its_defaults_and_rules(dental, client, patient):
    booked = _book(client, patient)
    assert (booked["treatment"], booked["status"], booked["confirmed_at"]) == (
        "check-up", "booked", None)
    shouting = client.post(PATH, json={"patient_id": patient.id, "starts_at": WHEN,
                                       "treatment": "FILLING"})
    assert problem(shouting, 422)["errors"] == {
        "treatment": ["no treatments in capitals, please"]}


def test_a_patch_of_a_verb_owned_field_is_refused_naming_the_action(dental, client, patient):
    booked = _book(client, patient)
    response = client.patch(f"{PATH}/{booked['id']}", json={"status": "done"})
    assert problem(response, 422)["errors"] == {"status": [
        f"set by the confirm, complete or cancel action only (POST {PATH}/{booked['id']}/"
        "confirm)"]}
    created = client.post(PATH, json={"patient_id": patient.id, "starts_at": WHEN,
                                      "confirmed_at": WHEN})
    assert problem(created, 422)["errors"] == {"confirmed_at": [
        f"set by the confirm action only (POST {PATH}/<id>/confirm)"]}
    stored = _stored(dental, booked["id"])
    assert (stored.status, stored.version) == ("booked", 1)
    assert services.get(dental, "contact", patient.id) is not None
    # Sending back verb fields as they were read (a client echoing them) is no change.
    sent_back = client.patch(f"{PATH}/{booked['id']}", json={
        "status": "booked", "confirmed_at": None, "notes": "bring X-rays"})
    assert sent_back.status_code == 200, sent_back.get_json()
    assert (sent_back.get_json()["status"], sent_back.get_json()["notes"]) == (
        "booked", "bring X-rays")


def test_actions_take_their_body_as_typed_arguments_and_are_audited(dental, client, patient):
    booked = _book(client, patient)
    confirmed = client.post(f"{PATH}/{booked['id']}/confirm")
    assert confirmed.status_code == 200, confirmed.get_json()
    assert confirmed.get_json()["status"] == "confirmed"
    assert confirmed.get_json()["confirmed_at"] is not None
    missing = client.post(f"{PATH}/{booked['id']}/complete", json={})
    assert problem(missing, 422)["errors"] == {"notes": ["Missing data for required field."]}
    odd = client.post(f"{PATH}/{booked['id']}/complete", json={"notes": "x", "tooth": 4})
    assert problem(odd, 422)["errors"] == {"tooth": ["unknown field 'tooth'"]}
    no_body = client.post(f"{PATH}/{booked['id']}/cancel", json={"reason": "flu"})
    assert problem(no_body, 422)["errors"] == {"reason": ["the cancel action takes no 'reason'"]}
    assert _stored(dental, booked["id"]).status == "confirmed"
    done = client.post(f"{PATH}/{booked['id']}/complete", json={"notes": "one filling"})
    assert (done.get_json()["status"], done.get_json()["notes"]) == ("done", "one filling")
    history = client.get(f"{PATH}/{booked['id']}/history").get_json()["items"]
    assert [e["action"] for e in history] == ["created", "updated", "updated"]
    assert history[2]["changes"]["status"] == ["confirmed", "done"]
    assert history[2]["actor"]["label"] == client.user.email


def test_transitions_refuse_a_move_the_record_type_does_not_allow(dental, client, patient):
    booked = _book(client, patient)
    client.post(f"{PATH}/{booked['id']}/cancel")
    again = client.post(f"{PATH}/{booked['id']}/confirm")
    assert problem(again, 422)["errors"] == {"status": [
        f"appointment {booked['id']} is cancelled: it stays so"]}
    other = _book(client, patient)
    early = client.post(f"{PATH}/{other['id']}/complete", json={"notes": "n"})
    assert problem(early, 422)["errors"] == {"status": [
        f"appointment {other['id']} is booked: it can go to confirmed or cancelled"]}
    assert (_stored(dental, other["id"]).status, _stored(dental, other["id"]).version) == (
        "booked", 1)


def test_a_verb_writes_only_the_fields_it_owns(dental, patient):
    booked = services.create(dental, APPOINTMENT, {"patient_id": patient.id,
                                                   "starts_at": WHEN}, actor=SYSTEM)
    assert refused(lambda: services.update(dental, APPOINTMENT, booked.id, {
        "confirmed_at": dt.datetime.now(dt.timezone.utc)}, actor=SYSTEM, verb="cancel")) == {
        "confirmed_at": [f"set by the confirm action only (POST {PATH}/{booked.id}/confirm)"]}


def test_grants_reach_the_built_in_role_and_go_with_the_plugin(dental, make_api_client,
                                                              patient):
    agent = make_api_client("service", kernel=dental)
    with dental.bound():
        holder = actor_for(dental, agent.user)
    assert holder.can("acme_dental.appointment.confirm")
    assert holder.scope("acme_dental.appointment") == "team"
    booked = agent.post(PATH, json={"patient_id": patient.id, "starts_at": WHEN})
    assert booked.status_code == 201, booked.get_json()
    disable(dental, "acme_dental", actor=SYSTEM)
    with dental.bound():
        assert not actor_for(dental, agent.user).can("acme_dental.appointment.read")
    enable(dental, "acme_dental", actor=SYSTEM)
    with dental.bound():
        assert actor_for(dental, agent.user).can("acme_dental.appointment.read")


def test_a_contact_a_running_plugin_names_is_not_deleted(dental, client, patient):
    booked = _book(client, patient)
    with pytest.raises(Conflict) as caught:
        services.delete(dental, "contact", patient.id, actor=SYSTEM)
    assert str(caught.value) == (
        f"contact {patient.id} is named by 1 acme_dental appointment; give it another "
        "contact or delete it first")
    response = client.delete(f"/api/v1/contacts/{patient.id}")
    assert problem(response, 409)["detail"] == str(caught.value)
    client.delete(f"{PATH}/{booked['id']}")
    services.delete(dental, "contact", patient.id, actor=SYSTEM)


class _Careless:
    """A copy of acme_dental's complete action whose handler forgot the body's field."""

    from accord.plugins import PluginManifest

    MANIFEST = PluginManifest(name="careless", version="1.0")

    @staticmethod
    def complete(kernel, appointment_id, *, actor, version=None):
        raise AssertionError("never called")

    from accord.hooks import hookimpl

    @hookimpl
    def register_permissions(self):
        from accord.records import Permission

        return [Permission("careless.contact.complete", "Complete contacts")]

    @hookimpl
    def register_actions(self):
        import marshmallow as ma

        from accord.records import RecordAction

        class CompleteSchema(ma.Schema):  # acme_dental's body: notes
            notes = ma.fields.String(required=True)

        return [RecordAction("contact", "complete", "careless.contact.complete",
                             self.complete, schema=CompleteSchema)]


def test_an_action_whose_handler_does_not_take_its_body_fails_the_plugin(make_kernel):
    kernel = make_kernel(plugins=[_Careless()], allow_failed=True)
    plugin = kernel.plugins.get("careless")
    assert plugin.state == "failed"
    assert plugin.failed_hook == "register_actions"
    assert plugin.error == (
        "action contact/complete: the handler _Careless.complete() cannot take the call "
        "handler(kernel, record_id, *, actor, version, notes): got an unexpected keyword "
        "argument 'notes'")


# Purpose-broken copies of acme_dental: each load-time check refuses its copy ---------

BROKEN = {
    "a hook argument with a default": (
        ("hooks.py", "def register_record_types():", "def register_record_types(kernel=None):"),
        "register_record_types",
        "hook register_record_types: argument 'kernel' has a default; hook arguments are "
        "passed by name and never take defaults"),
    "a misspelled hook": (
        ("hooks.py", "def register_permissions():", "def register_permission():"),
        "register_permission",
        "unknown hook 'register_permission': no such hook specification; did you mean "
        "'register_permissions'?"),
    "a migration without down()": (
        ("migrations/0001_create_appointments.py", "def down(migrator, db):",
         "def undo(migrator, db):"),
        None,
        "migration 0001_create_appointments.py has no down(); every migration must be "
        "reversible"),
    "an undeclared action permission": (
        ("hooks.py", '"cancel", "acme_dental.appointment.cancel"',
         '"cancel", "acme_dental.appointment.call_off"'),
        "register_actions",
        "action acme_dental.appointment/cancel needs permission "
        "acme_dental.appointment.call_off, which neither the plugin, the core nor a plugin "
        "it requires declares; declare it in register_permissions"),
    "a handler that does not take its body": (
        ("services.py", "def complete(kernel, appointment_id, *, actor, notes, version=None):",
         "def complete(kernel, appointment_id, *, actor, version=None):"),
        "register_actions",
        "action acme_dental.appointment/complete: the handler complete() cannot take the "
        "call handler(kernel, record_id, *, actor, version, notes): got an unexpected "
        "keyword argument 'notes'"),
}


@pytest.mark.parametrize("broken", sorted(BROKEN))
def test_each_load_time_check_refuses_a_broken_copy(broken, make_kernel, plugin_copy):
    (name, old, new), hook, message = BROKEN[broken]
    folder = plugin_copy(Path(PLUGINS) / "acme_dental", {name: (old, new)})
    kernel = make_kernel(plugins_dir=folder)
    plugin = kernel.plugins.get("acme_dental")
    assert (plugin.state, plugin.failed_hook, plugin.error) == ("failed", hook, message)
    with pytest.raises(Exception) as caught:
        enable(kernel, "acme_dental", actor=SYSTEM)
    assert str(caught.value) == f"acme_dental failed to load: {message}"
    assert "contact" in kernel.records  # the rest of Accord runs


def test_an_action_needs_its_own_permission_not_the_types_write(dental, patient):
    from accord.errors import PermissionDenied
    from accord.services import Actor
    from accord.services.actions import run_action

    booked = services.create(dental, APPOINTMENT, {"patient_id": patient.id,
                                                   "starts_at": WHEN}, actor=SYSTEM)
    receptionist = Actor(None, "desk", role="desk", grants=(
        "acme_dental.appointment.read", "acme_dental.appointment.confirm"))
    confirmed = run_action(dental, APPOINTMENT, booked.id, "confirm", actor=receptionist)
    assert confirmed.status == "confirmed"
    with pytest.raises(PermissionDenied) as caught:
        services.update(dental, APPOINTMENT, booked.id, {"notes": "x"}, actor=receptionist)
    assert str(caught.value) == ("desk (desk) lacks the permission "
                                 "acme_dental.appointment.write")
    with pytest.raises(PermissionDenied) as caught:
        run_action(dental, APPOINTMENT, booked.id, "cancel", actor=receptionist)
    assert "acme_dental.appointment.cancel" in str(caught.value)
    assert _stored(dental, booked.id).status == "confirmed"


def test_a_value_a_rule_forgot_is_named_not_called_a_clash(dental, patient):
    """A plugin whose rules leave a NOT NULL column empty learns which column."""
    from accord.errors import ValidationError
    from accord.records import Write

    record_type = dental.records.get(APPOINTMENT)

    def forgets_the_treatment(write: Write) -> None:
        for row in write.rows:
            row["treatment"] = None

    import dataclasses

    careless = dataclasses.replace(record_type, compute=forgets_the_treatment)
    dental.records.replace({**{t.name: t for t in dental.records}, APPOINTMENT: careless})
    with pytest.raises(ValidationError) as caught:
        services.create(dental, APPOINTMENT, {"patient_id": patient.id, "starts_at": WHEN},
                        actor=SYSTEM)
    assert caught.value.messages == {"treatment": ["a value is required"]}
