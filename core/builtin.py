"""The core's own hook implementations, registered as the plugin ``core``.

The core declares its record types, permissions, metrics and write-path rules
through the very hooks third-party plugins use, so the hooks stay honest.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Iterable, cast

import peewee

from .errors import PermissionDenied, ValidationError
from .goals import GOAL_TYPE
from .hooks import hookimpl
from .models import (Activity, Contact, ContactInterest, Organization, Product, Team,
                     TeamMember, User)
from .records import Link, Permission, RecordType, TimelineItem, Write
from .schemas import (ActivitySchema, ContactSchema, OrganizationSchema, ProductSchema,
                      TeamSchema, UserSchema)
from .webhook_events import outbox_items  # noqa: F401 (a hook implementation)

if TYPE_CHECKING:
    from .jobs import Job
    from .kernel import Accord
    from .metrics import Metric
    from .pages import NavEntry, Panel, SearchType
    from .scale import ScaleRun
    from .services.actors import Actor

@hookimpl
def register_record_types() -> list[RecordType]:
    return list(CORE_TYPES)


@hookimpl
def register_permissions() -> list[Permission]:
    perms = [Permission("core.personal_data.read", "See personal data unmasked"),
             Permission("admin.plugins", "Enable, disable and purge plugins"),
             Permission("admin.users", "Manage users, teams and roles"),
             Permission("admin.fields", "Define custom fields"),
             Permission("admin.audit", "Read the audit trail"),
             Permission("core.metrics.read", "List and compute the metrics (KPIs) of the "
                                             "records one's record rules reach"),
             Permission("admin.rates", "Set, fetch and delete exchange rates"),
             Permission("admin.webhooks", "Manage webhook subscriptions and redeliver "
                                          "their deliveries"),
             Permission("admin.import", "Import records from CSV and XLSX files (each row "
                                        "also needs its record type's write permission)"),
             Permission("admin.merge", "Find duplicate contacts and organizations and "
                                       "merge them"),
             Permission("admin.anonymize", "Erase a person's personal data on request")]
    for record_type in CORE_TYPES:
        for action in ("read", "write", "delete"):
            perms.append(Permission(f"core.{record_type.name}.{action}",
                                    f"{action.capitalize()} {record_type.plural}"))
    return perms


@hookimpl
def register_metrics() -> list[Metric]:
    from .metrics import CORE_METRICS

    return list(CORE_METRICS)


@hookimpl
def register_jobs() -> list[Job]:
    from .jobs import Job
    from .services.goals import pace_job

    return [Job("core.goal_pace", "Check the running goals against their pace; announce "
                "each goal that fell behind (signal goal-behind)", "0 6 * * *", pace_job)]


@hookimpl
def record_defaults(record_type: RecordType, rows: list[dict[str, Any]], actor: Actor) -> None:
    # New records belong to whoever creates them unless an owner is given, and to the
    # owner's team when the owner is in exactly one team and no team is given. One rule
    # for every write: a record created through the API, an import, or a lead's
    # conversion (which gives the lead's owner and team, when it has them).
    if not record_type.owned:
        return
    if actor.user_id is not None:
        for row in rows:
            row.setdefault("owner_id", actor.user_id)
    owners = {row["owner_id"] for row in rows
              if "team_id" not in row and row.get("owner_id") is not None}
    teams: dict[int, int] = {}
    me = actor.user_id
    if actor.restricted and me is not None and me in owners:
        # A user's own teams came with their actor (the teams it may place records in).
        owners.discard(me)
        if len(actor.team_ids) == 1:
            teams[me] = next(iter(actor.team_ids))
    if owners:
        teams.update(_sole_teams(owners))
    if teams:
        for row in rows:
            if "team_id" not in row and row.get("owner_id") in teams:
                row["team_id"] = teams[row["owner_id"]]


def _sole_teams(users: set[int]) -> dict[int, int]:
    """The team of each of ``users`` who is in exactly one team (one query per 500)."""
    ids = sorted(users)
    found: dict[int, int] = {}
    for start in range(0, len(ids), 500):
        query = (TeamMember.select(TeamMember.user, peewee.fn.MIN(TeamMember.team))
                 .where(TeamMember.user.in_(ids[start:start + 500]))
                 .group_by(TeamMember.user)
                 .having(peewee.fn.COUNT(TeamMember.id) == 1).tuples())
        # tuples() rows; peewee-stubs type the query as yielding models.
        found.update((int(user), int(team))
                     for user, team in cast("Iterable[tuple[int, int]]", query))
    return found


# The core record types' own rules ---------------------------------------------------

def _organization_defaults(write: Write) -> None:
    # A new organization gets the first relationship of the configured list.
    for row in write.rows:
        row.setdefault("relationship", write.kernel.config.organization_relationships[0])


def _organization_rules(write: Write) -> None:
    allowed = write.kernel.config.organization_relationships
    for index, row, _ in write:
        value = row.get("relationship")
        if value is not None and value not in allowed:
            write.refuse(index, {"relationship": [
                f"{value!r} is not a relationship; use one of {', '.join(allowed)}"]})
        if value is None and "relationship" in row:
            write.refuse(index, {"relationship": ["may not be empty"]})


def _contact_rules(write: Write) -> None:
    _unique_contact_emails(write)


def _activity_rules(write: Write) -> None:
    _linked_records_exist(write)


def _user_rules(write: Write) -> None:
    _roles_given_by_user_admins(write.rows, write.existing, write.actor)
    _users_within_reach(write.kernel, [u for u in write.existing if u is not None],
                        write.actor, "change")
    _an_admin_remains(write.rows, write.existing)


def _roles_given_by_user_admins(rows: list[dict[str, Any]], existing: list[Any],
                                actor: Actor) -> None:
    """Giving a role is managing users: it needs admin.users, not just core.user.write
    (else a manager could make itself an admin)."""
    if actor.can("admin.users"):
        return
    for row, current in zip(rows, existing):
        if "role_id" in row and (current is None or current.role_id != row["role_id"]):
            raise PermissionDenied(f"{actor.label} ({actor.role}) lacks the permission "
                                   "admin.users, needed to give a user a role")


def _users_within_reach(kernel: Accord, users: list[Any], actor: Actor, verb: str) -> None:
    """Without admin.users, an actor may change or delete only users whose role holds
    no permission the actor lacks (of the permissions declared now, as their role's
    effective grants give them). An admin's role holds admin.users, so admins are out
    of reach of anyone without it; so is any user whose account, once its email is
    changed, would give the actor more than it has. The users' record rules are not
    compared: holding core.user.write with the same permissions suffices."""
    if actor.can("admin.users") or not users:
        return
    from .models import Role
    from .services.actors import Actor as Holder
    from .services.roles import _infos

    names = sorted({u.role_id for u in users})
    held = {info.name: info.grants for info in
            _infos(kernel, list(Role.select().where(Role.name.in_(names))))}
    for user in users:
        holder = Holder(None, "", grants=tuple(held.get(user.role_id, ())))
        if any(holder.can(p) and not actor.can(p) for p in kernel.permissions):
            raise PermissionDenied(
                f"{actor.label} ({actor.role}) lacks the permission admin.users, needed to "
                f"{verb} a user whose role ({user.role_id}) holds permissions they lack")


def _team_members(write: Write) -> dict[int, list[int]]:
    """The stored members of the teams a write changes (one query)."""
    from .services.links import links_of

    ids = [current.id for current in write.existing if current is not None]
    found = links_of(write.record_type, ids) if ids else {}
    return {team: values["members"] for team, values in found.items()}


def _new_manager(row: dict[str, Any], current: Any) -> int | None:
    """The user a write makes a team's manager, if it gives it a new one."""
    manager = row.get("manager_id")
    if manager is None or (current is not None and current.manager_id == manager):
        return None
    return int(manager)


def _team_rules(write: Write) -> None:
    """Who is in a team decides whose records its members reach (rule ``team``), so
    changing the members, or the manager (who is one), is managing users: it needs
    admin.users. The manager stays a member: a list of members without them is refused
    unless the same write makes them the manager (then they are added)."""
    actor = write.actor
    stored = _team_members(write) if any(c is not None for c in write.existing) else {}
    for index, row, current in write:
        before = stored.get(current.id, []) if current is not None else []
        given = "members" in row
        changes = (given and sorted(set(row["members"] or ())) != sorted(before)
                   or _new_manager(row, current) is not None)
        if changes and not actor.can("admin.users"):
            raise PermissionDenied(f"{actor.label} ({actor.role}) lacks the permission "
                                   "admin.users, needed to change who is in a team (its "
                                   "manager is a member)")
        manager = write.value(index, "manager_id")
        if (given and manager is not None and manager not in (row["members"] or ())
                and _new_manager(row, current) is None):
            write.refuse(index, {"members": [
                f"user {manager} manages this team, so stays a member; give the team "
                "another manager first"]})


def _team_computed(write: Write) -> None:
    # A new manager joins the team (the rules above allowed it).
    stored: dict[int, list[int]] | None = None
    for _, row, current in write:
        manager = _new_manager(row, current)
        if manager is None:
            continue
        if "members" not in row:
            if stored is None:
                stored = _team_members(write)
            row["members"] = list(stored.get(current.id, []) if current is not None else [])
        if manager not in (row["members"] or []):
            row["members"] = [*(row["members"] or []), manager]


def _user_kept(kernel: Accord, records: list[Any], actor: Actor) -> None:
    from .services.roles import ADMIN, check_admins_remain

    _users_within_reach(kernel, records, actor, "delete")

    check_admins_remain([u.id for u in records if u.role_id == ADMIN and u.active],
                        field="user")


def _an_admin_remains(rows: list[dict[str, Any]], existing: list[Any]) -> None:
    """No write may leave the instance without an active admin (nobody could manage it)."""
    from .services.roles import ADMIN, check_admins_remain

    losing, field = [], "active"
    for row, current in zip(rows, existing):
        if current is None or current.role_id != ADMIN or not current.active:
            continue
        if row.get("active") is False:
            losing.append(current.id)
        elif row.get("role_id", ADMIN) != ADMIN:
            losing.append(current.id)
            field = "role"
    check_admins_remain(losing, field=field)


#: Contact emails are unique whatever their case (an index on lower(email)).
_EMAIL_KEY = peewee.fn.lower(Contact.email)


def _unique_contact_emails(write: Write) -> None:
    """Contact emails are unique whatever their case; checked for the whole batch at once
    (a single create leaves it to its INSERT: see ``Write.unique_by_insert``). Who sees
    the email masked is not told which contact holds the address (naming its contact
    would unmask it)."""
    from .services.reading import masked_fields

    rows, existing = write.rows, write.existing
    if write.unique_by_insert:  # the INSERT probes the index on lower(email) itself
        return
    hidden = "email" in masked_fields(write.kernel, write.record_type, write.actor)
    single = len(rows) == 1
    seen: dict[str, int] = {}
    for index, row in enumerate(rows):
        email = row.get("email")
        if not email:
            continue
        key = email.lower()
        if key in seen:
            raise ValidationError({"email": [
                f"{email} appears twice (also in rows[{seen[key]}])"]}, row=index)
        seen[key] = index
    if not seen:
        return
    from .services.bulk_sql import ids_by_key  # one index probe per key, on both engines

    taken = ids_by_key(Contact, _EMAIL_KEY, list(seen))
    for key, index in seen.items():
        holder = taken.get(key)
        current = existing[index]
        if holder is not None and (current is None or current.id != holder):
            message = ("this email address is already used" if hidden else
                       f"{rows[index]['email']} is already the email of contact {holder}")
            raise ValidationError({"email": [message]}, row=None if single else index)


def _linked_records_exist(write: Write) -> None:
    """The record an activity is linked to exists; a restricted actor writing as a
    client may only link records it can read (permission and record rule): another is
    answered like a record that does not exist. A link kept unchanged is not asked."""
    from .services.authz import permission_for, scoped

    kernel, rows, actor = write.kernel, write.rows, write.actor
    reach = actor.restricted and write.verb is None
    single = len(rows) == 1
    for index, row, current in write:
        type_name, record_id = row.get("record_type"), row.get("record_id")
        if type_name is None and record_id is None:
            continue
        where = None if single else index
        if type_name is None or record_id is None:
            raise ValidationError({"record_type": [
                "give both record_type and record_id to link an activity"]}, row=where)
        if current is not None and (type_name, record_id) == (current.record_type,
                                                              current.record_id):
            continue
        if type_name not in kernel.records:
            raise ValidationError({"record_type": [f"unknown record type {type_name!r}"]},
                                  row=where)
        record_type = kernel.records.get(type_name)
        model = record_type.model
        query = model.select().where(model.id == record_id)
        if reach:
            query = scoped(query, record_type, actor)
        if (reach and not actor.can(permission_for(record_type, "read"))) or not query.exists():
            raise ValidationError({"record_id": [f"there is no {type_name} {record_id}"]},
                                  row=where)


def _organization_computed(write: Write) -> None:
    # The date an organization became a customer drives the new-customers metric.
    today = dt.datetime.now(dt.timezone.utc).date()
    for _, row, current in write:
        becomes_customer = row.get("relationship") == "customer" and (
            current is None or current.relationship != "customer")
        if becomes_customer and not row.get("customer_since") and (
                current is None or current.customer_since is None):
            row["customer_since"] = today


@hookimpl
def timeline_items(kernel: Accord, record_type: str, record_ids: list[int]) -> list[TimelineItem]:
    query: peewee.ModelSelect[Activity] | peewee.ModelCompoundSelectQuery
    query = Activity.select().where(
        (Activity.record_type == record_type) & (Activity.record_id.in_(record_ids)))
    if record_type == "organization":
        query = query | Activity.select().where(Activity.organization.in_(record_ids))
    elif record_type == "contact":
        query = query | Activity.select().where(Activity.contact.in_(record_ids))
    items = []
    seen = set()
    activity: Activity
    for activity in query:
        if activity.id in seen:
            continue
        seen.add(activity.id)
        # Never None: the activity matched the query on that very column.
        target = cast(int, activity.record_id if activity.record_type == record_type else
                      activity.organization_id if record_type == "organization" else
                      activity.contact_id)
        items.append(TimelineItem(
            record_type=record_type, record_id=target,
            at=activity.done_at or activity.due_at or activity.created_at,
            kind=f"activity.{activity.kind}", title=activity.subject,
            source_type="activity", source_id=activity.id,
            details={"done": activity.done_at is not None}))
    return items


@hookimpl(tryfirst=True)  # plugins' demo data builds on the core's records
def load_demo_data(kernel: Accord, actor: Actor) -> None:
    from .demo import core_demo

    core_demo(kernel, actor)


@hookimpl(tryfirst=True)  # plugins' scale data builds on the core's records
def load_scale_data(kernel: Accord, run: ScaleRun) -> None:
    from .scale import core_scale

    core_scale(kernel, run)


CORE_TYPES = (
    # Customer links are protected: deleting an organization or a contact that
    # contacts, subsidiaries or activities name is refused (409), never a silent null.
    RecordType("organization", Organization, OrganizationSchema, "organizations",
               "Organization", searchable=("name", "website", "city"),
               personal=("phone", "email"), title_fields=("name",), protects=("parent",),
               defaults=_organization_defaults, validate=_organization_rules,
               compute=_organization_computed),
    RecordType("contact", Contact, ContactSchema, "contacts", "Contact",
               searchable=("first_name", "last_name", "email"),
               personal=("email", "phone", "mobile", "street", "city", "postal_code",
                         "birthday"), title_fields=("first_name", "last_name"),
               links=(Link("products_of_interest", ContactInterest, "contact", "product"),),
               protects=("organization",), validate=_contact_rules),
    RecordType("user", User, UserSchema, "users", "User", searchable=("name", "email"),
               title_fields=("name",), validate=_user_rules, check_delete=_user_kept),
    RecordType("team", Team, TeamSchema, "teams", "Team", searchable=("name",),
               links=(Link("members", TeamMember, "team", "user"),),
               validate=_team_rules, compute=_team_computed),
    RecordType("activity", Activity, ActivitySchema, "activities", "Activity",
               searchable=("subject", "body"), title_fields=("subject",),
               protects=("organization", "contact"), validate=_activity_rules),
    RecordType("product", Product, ProductSchema, "products", "Product",
               searchable=("sku", "name", "category"), title_fields=("name",)),
    # Goals: a target for any running plugin's metric (accord.goals).
    GOAL_TYPE,
)


# The web pages ------------------------------------------------------------------------

@hookimpl
def navigation_entries() -> list[NavEntry]:
    from .pages import NavEntry

    return [NavEntry("Home", "/", order=0),
            NavEntry("Dashboard", "/dashboard", "core.metrics.read", order=1),
            NavEntry("Organizations", "/records/organization", "core.organization.read",
                     order=10),
            NavEntry("Contacts", "/records/contact", "core.contact.read", order=11),
            NavEntry("Admin", "/admin", "admin.plugins", order=90)]


@hookimpl
def record_panels(kernel: Accord, actor: Actor, record_type: str,
                  record: dict[str, Any]) -> list[Panel]:
    """The records of every type that refer to this one (an organization's contacts and
    opportunities), within the reader's rules."""
    from .pages.related import related_panels

    return related_panels(kernel, actor, record_type, record)


@hookimpl
def register_search_types() -> list[SearchType]:
    from .pages import SearchType

    return [SearchType("organization", "Organizations", ("relationship", "city"), order=10),
            SearchType("contact", "Contacts", ("title", "email"), order=11)]
