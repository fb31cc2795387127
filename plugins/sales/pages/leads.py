"""Lead conversion, ``/sales/leads/<id>/convert``: the lead, and the contact, organization
and opportunity it becomes, prefilled from it, posted to the lead's ``convert`` action
(``accord.services.actions.run_action``, so the permission, the record rule and every
check of ``convert_lead`` are the API's).

The organization is an existing one (chosen from the list: the conversion links the
organization of that name) or a new one (its name, the lead's company by default).
The contact's values are sent only where they differ from the lead's, since a contact
matched by email takes none. On success the page goes to the new opportunity (or the
contact, without one); a refusal draws the form again (HTTP 422) with each message
beside the field it names (``contact.last_name``, ``opportunity.amount``…).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, flash, g, redirect, render_template, request

from accord import services
from accord.errors import AccordError, NotFound, PermissionDenied, StaleVersion, ValidationError
from accord.pages import Panel
from accord.query import find
from accord.services.actions import run_action
from accord.services.authz import require
from accord.services.reading import dump
from accord.services.search import title_of

from ..rules import LEAD
from ..services import CONVERT
from ..settings import pipelines
from .documents import TEMPLATES, kernel

if TYPE_CHECKING:
    from accord.kernel import Accord
    from accord.services.actors import Actor

__all__ = ["blueprint", "panels", "CONTACT_INPUTS", "OPPORTUNITY_INPUTS"]

CONTACT_INPUTS = ("first_name", "last_name", "email", "phone")
OPPORTUNITY_INPUTS = ("name", "amount", "currency", "expected_close_date", "pipeline")
#: Organizations offered in the list (by name).
ORGANIZATIONS_SHOWN = 500


def blueprint() -> Blueprint:
    """A new blueprint of the page (one per app: Flask keeps state on blueprints)."""
    bp = Blueprint("leads", __name__, template_folder=TEMPLATES)
    bp.add_url_rule("/leads/<int:lead_id>/convert", "convert", convert_page,
                    methods=["GET", "POST"])
    return bp


def _contact_defaults(values: dict[str, Any]) -> dict[str, str]:
    """The contact the conversion makes of the lead (as ``convert_lead`` does)."""
    first, _, last = (values.get("name") or "").strip().rpartition(" ")
    return {"first_name": first, "last_name": last, "email": values.get("email") or "",
            "phone": values.get("phone") or ""}


def _defaults(k: Accord, lead: Any, values: dict[str, Any],
              organizations: list[Any]) -> dict[str, Any]:
    """The form as it first shows: everything taken from the lead."""
    company = (lead.company or "").strip()
    match = next((o for o in organizations if o.name.strip().lower() == company.lower()),
                 None) if company else None
    settings = k.settings("sales")
    return {**{f"contact.{n}": v for n, v in _contact_defaults(values).items()},
            "org_mode": "existing" if match else ("new" if company else "none"),
            "org_existing": str(match.id) if match else "",
            "org_name": company,
            "create_opportunity": True,
            "opportunity.name": company or lead.name, "opportunity.amount": "",
            "opportunity.currency": settings["currency"],
            "opportunity.expected_close_date": "",
            "opportunity.pipeline": settings["default_pipeline"]}


def _entered() -> dict[str, Any]:
    form = request.form
    out: dict[str, Any] = {key: form.get(key, "").strip() for key in (
        *(f"contact.{n}" for n in CONTACT_INPUTS),
        *(f"opportunity.{n}" for n in OPPORTUNITY_INPUTS),
        "org_mode", "org_existing", "org_name")}
    out["create_opportunity"] = form.get("create_opportunity") is not None
    return out


def _body(entered: dict[str, Any], lead_values: dict[str, Any], masked: frozenset[str],
          organizations: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The ``convert`` action's body from the form, and the problems the form alone
    shows (an organization to choose)."""
    problems: dict[str, list[str]] = {}
    body: dict[str, Any] = {"create_opportunity": entered["create_opportunity"]}
    defaults = _contact_defaults(lead_values)
    contact = {n: entered[f"contact.{n}"] or None for n in CONTACT_INPUTS
               if n not in masked and entered[f"contact.{n}"] != defaults[n]}
    if contact:
        body["contact"] = contact
    mode = entered["org_mode"]
    if mode == "existing":
        chosen = organizations.get(entered["org_existing"])
        if chosen is None:
            problems["org_existing"] = ["choose an organization, or create a new one"]
        else:
            body["organization"] = {"name": chosen.name}
    elif mode == "new":
        body["organization"] = {"name": entered["org_name"] or None}
    if entered["create_opportunity"]:
        deal: dict[str, Any] = {"name": entered["opportunity.name"] or None}
        if entered["opportunity.amount"]:
            deal["amount"] = {"amount": entered["opportunity.amount"],
                              "currency": entered["opportunity.currency"]}
        for name in ("expected_close_date", "pipeline"):
            if entered[f"opportunity.{name}"]:
                deal[name] = entered[f"opportunity.{name}"]
        body["opportunity"] = deal
    return body, problems


def _placed(messages: dict[str, list[str]]) -> tuple[dict[str, list[str]], list[str]]:
    """Each message beside its input (``contact.email``, ``organization.name`` beside the
    new organization's name); the rest above the form."""
    inputs = {*(f"contact.{n}" for n in CONTACT_INPUTS),
              *(f"opportunity.{n}" for n in OPPORTUNITY_INPUTS), "org_existing", "org_name"}
    beside: dict[str, list[str]] = {}
    rest: list[str] = []
    for key, texts in messages.items():
        target = "org_name" if key in ("organization.name", "organization") else key
        if key.startswith("opportunity.amount."):  # the money's amount or currency
            target = "opportunity." + key.rsplit(".", 1)[1]
        if target in inputs:
            beside.setdefault(target, []).extend(texts)
        else:
            rest.extend(texts if key in ("_schema", "status") else [
                f"{key.replace('_', ' ')}: {t}" for t in texts])
    return beside, rest


def convert_page(lead_id: int) -> Any:
    k = kernel()
    require(g.actor, CONVERT)
    lead: Any = services.get(k, LEAD, lead_id, actor=g.actor)
    values = dump(k, LEAD, lead, actor=g.actor)
    masked = frozenset(n for n in ("email", "phone") if values.get(n) is None and
                       not g.actor.can("core.personal_data.read"))
    organizations = find(k, "organization", {}, sort=("name",), limit=ORGANIZATIONS_SHOWN,
                         actor=g.actor)
    by_id = {str(o.id): o for o in organizations}
    converted = lead.converted_at is not None
    if request.method == "GET" or converted:
        return _render(lead, values, _defaults(k, lead, values, organizations), {}, [],
                       organizations, masked)
    entered = _entered()
    body, problems = _body(entered, values, masked, by_id)
    if problems:
        return _render(lead, values, entered, problems, [], organizations, masked, 422)
    try:
        done: Any = run_action(k, LEAD, lead_id, "convert", body, actor=g.actor,
                               version=request.form.get("version", type=int))
    except (NotFound, PermissionDenied):
        raise
    except ValidationError as exc:
        beside, rest = _placed(exc.flat())
        return _render(lead, values, entered, beside, rest, organizations, masked, 422)
    except StaleVersion:
        return _render(lead, values, entered, {}, [
            "This lead was changed by someone else meanwhile, so it was not converted. "
            "Reload the page and try again."], organizations, masked, 412)
    except AccordError as exc:
        return _render(lead, values, entered, {}, [exc.message], organizations, masked,
                       exc.status)
    flash(f"Converted {lead.name}.", "info")
    if done.opportunity_id:
        return redirect(f"/records/sales.opportunity/{done.opportunity_id}")
    return redirect(f"/records/contact/{done.contact_id}")


def _render(lead: Any, values: dict[str, Any], entered: dict[str, Any],
            errors: dict[str, list[str]], problems: list[str], organizations: list[Any],
            masked: frozenset[str], status: int = 200) -> Response:
    body = render_template(
        "sales/convert.html", lead=lead, values=values, form=entered, errors=errors,
        problems=problems, organizations=organizations, masked=masked,
        pipelines=list(pipelines(kernel())))
    return Response(body, status=status)


# Panels on the record pages ------------------------------------------------------------

def _title(kernel: Accord, actor: Actor, type_name: str, record_id: int) -> str:
    """A record's title for the reader (``#id`` when it may not read it)."""
    rt = kernel.records.get(type_name)
    if not actor.can(f"{type_name if '.' in type_name else 'core.' + type_name}.read"):
        return f"#{record_id}"
    found = find(kernel, type_name, {"id": record_id}, actor=actor)
    return title_of(rt, dump(kernel, rt, found[0], actor=actor)) if found else f"#{record_id}"


def panels(kernel: Accord, actor: Actor, record_type: str,
           record: dict[str, Any]) -> list[Panel]:
    """On a lead's page: *Convert this lead* (for who may), or what it became."""
    if record_type != LEAD:
        return []
    if record.get("converted_at"):
        links = [(kind, record.get(f"{key}_id")) for kind, key in (
            ("contact", "contact"), ("organization", "organization"),
            ("sales.opportunity", "opportunity"))]
        rows = [(kind.split(".")[-1].capitalize(), _title(kernel, actor, kind, rid))
                for kind, rid in links if rid]
        return [Panel("Converted", ("Became", "Record"), tuple(rows),
                      tuple(f"/records/{kind}/{rid}" for kind, rid in links if rid),
                      order=15)]
    if not actor.can(CONVERT) or record.get("status") == "disqualified":
        return []
    return [Panel("Convert", ("Page", "Does"),
                  (("Convert this lead", "makes a contact, an organization and an "
                                         "opportunity of it"),),
                  (f"/sales/leads/{record['id']}/convert",), order=15)]
