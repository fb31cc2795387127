"""The service settings: channels, categories and queues of tickets, the reopen window,
the business hours (time zone, weekly hours, holidays) and the SLA targets per priority.

Settings come from ``[plugins.settings.service]`` in ``accord.toml`` and from
``accord plugins settings service KEY=VALUE`` (or ``PUT /api/v1/plugins/service/settings``);
this schema checks them. ``calendar(settings)`` and ``targets(settings, priority)`` give
them back as the values the SLA computations take.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import marshmallow as ma
from marshmallow import fields, validate

from .businesstime import DAYS, Calendar

__all__ = ["ServiceSettings", "CHANNELS", "PRIORITIES", "DEFAULT_HOURS", "DEFAULT_SLA",
           "channels", "calendar", "targets"]

#: The channels every firm has; a firm adds its own with the ``channels`` setting.
CHANNELS = ("phone", "email", "web", "chat", "on_site")
#: Ticket priorities, lowest first (escalation raises a ticket one step).
PRIORITIES = ("low", "normal", "high", "urgent")
DEFAULT_CATEGORIES = ["question", "incident", "complaint", "request"]
DEFAULT_HOURS: dict[str, list[str]] = {day: ["09:00-17:00"] for day in DAYS[:5]}
#: Business minutes to the first public reply and to the resolution, per priority.
DEFAULT_SLA: dict[str, dict[str, int]] = {
    "urgent": {"first_response": 30, "resolution": 240},
    "high": {"first_response": 60, "resolution": 480},
    "normal": {"first_response": 240, "resolution": 1440},
    "low": {"first_response": 480, "resolution": 2880},
}
_INTERVAL = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])-([01][0-9]|2[0-4]):([0-5][0-9])$")
_NAME = fields.String(validate=[validate.Length(min=1, max=60), validate.Regexp(
    r"^[a-z][a-z0-9_]*$", error="Lowercase letters, digits and '_', starting with a letter.")])
_MINUTES = fields.Integer(required=True, strict=True, validate=validate.Range(
    1, 525600, error="Give whole business minutes from 1 to 525600."))


class RouteSchema(ma.Schema):
    """Where the tickets of one category go: a team (by name) and/or a queue."""

    class Meta:
        unknown = ma.RAISE

    team = fields.String(validate=validate.Length(min=1, max=100))
    queue = _NAME


class _Day(fields.Date):
    """A day, given as ``YYYY-MM-DD`` or as a TOML date."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value
        return super()._deserialize(value, attr, data, **kwargs)


class TargetSchema(ma.Schema):
    """The targets of one priority, in business minutes."""

    class Meta:
        unknown = ma.RAISE

    first_response = _MINUTES
    resolution = _MINUTES


def _policy(**kwargs: Any) -> fields.Dict:
    """An SLA policy: priority -> targets."""
    return fields.Dict(keys=fields.String(validate=validate.OneOf(PRIORITIES)),
                       values=fields.Nested(TargetSchema), **kwargs)


def _policy_problems(problems: dict[str, list[str]], key: str,
                     policy: dict[str, dict[str, int]], where: str = "") -> None:
    """A policy gives the targets of every priority, none answering later than it
    resolves."""
    missing = [p for p in PRIORITIES if p not in policy]
    if missing:
        problems.setdefault(key, []).append(
            f"{where}give the targets of every priority: {', '.join(missing)} missing")
    for priority, target in policy.items():
        if target["first_response"] > target["resolution"]:
            problems.setdefault(key, []).append(
                f"{where}{priority}: the first response target is longer than the "
                "resolution target")


def _zone(value: str) -> None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ma.ValidationError(f"{value!r} is not a time zone; give an IANA name such as "
                                 "Europe/Berlin or UTC.") from None


class ServiceSettings(ma.Schema):
    """``[plugins.settings.service]``."""

    class Meta:
        unknown = ma.RAISE

    #: A firm's own channels, beside phone, email, web, chat and on_site.
    channels = fields.List(_NAME, load_default=list, validate=validate.Length(max=50))
    categories = fields.List(_NAME, load_default=lambda: list(DEFAULT_CATEGORIES),
                             validate=validate.Length(min=1, max=100))
    #: Queues tickets wait in; the first is where a ticket given none goes.
    queues = fields.List(_NAME, load_default=lambda: ["general"],
                         validate=validate.Length(min=1, max=100))
    #: Days after its resolution during which a ticket may be reopened.
    reopen_days = fields.Integer(load_default=7, strict=True, validate=validate.Range(
        0, 365, error="Give a number of days from 0 to 365."))
    #: The zone the business hours and holidays are in (IANA name).
    time_zone = fields.String(load_default="UTC", validate=_zone)
    #: Weekday (mon … sun) -> opening intervals "HH:MM-HH:MM"; a day left out is closed.
    business_hours = fields.Dict(
        keys=fields.String(validate=validate.OneOf(DAYS)),
        values=fields.List(fields.String(), validate=validate.Length(max=6)),
        load_default=lambda: copy.deepcopy(DEFAULT_HOURS))
    #: Local days the firm is closed.
    holidays = fields.List(_Day(), load_default=list, validate=validate.Length(max=1000))
    #: The public request form: at most request_limit requests per client address in
    #: request_window_minutes (a 429 page past it).
    request_limit = fields.Integer(load_default=5, strict=True, validate=validate.Range(
        1, 10_000, error="Give a number of requests from 1 to 10000."))
    request_window_minutes = fields.Integer(load_default=10, strict=True,
                                            validate=validate.Range(
        1, 1440, error="Give a number of minutes from 1 to 1440."))
    #: Category -> {"team": team name, "queue": queue}: where the plugin's routing
    #: sends a new ticket nobody is assigned to (then the team's round-robin).
    routing = fields.Dict(keys=_NAME, values=fields.Nested(RouteSchema), load_default=dict)
    #: Warranties ending within this many days get a reminder task for their owner
    #: (the service.warranty_reminders job).
    warranty_reminder_days = fields.Integer(load_default=30, strict=True,
                                            validate=validate.Range(
        1, 365, error="Give a number of days from 1 to 365."))
    #: A ticket the breach job escalates also goes to its team's manager (when the
    #: team has an active one), besides going one priority up.
    escalate_to_manager = fields.Boolean(load_default=True)
    #: How long a warranty made from an invoiced order line runs, and what it covers.
    warranty_months = fields.Integer(load_default=24, strict=True, validate=validate.Range(
        1, 240, error="Give a number of months from 1 to 240."))
    warranty_covers = fields.String(load_default="parts_and_labour", validate=validate.OneOf(
        ("parts", "labour", "parts_and_labour"),
        error="Give parts, labour or parts_and_labour."))
    #: The number prefix of the plugin's own service invoices (``SRV-2026-00001``),
    #: issued for repairs when the sales plugin is not enabled.
    invoice_prefix = fields.String(load_default="SRV-", validate=validate.Regexp(
        r"^[A-Za-z0-9_/-]{0,10}$", error="Up to 10 letters, digits, '-', '_' or '/'."))
    #: Days a satisfaction survey's link is answerable after it was sent.
    survey_link_days = fields.Integer(load_default=14, strict=True, validate=validate.Range(
        1, 365, error="Give a number of days from 1 to 365."))
    #: Priority -> targets in business minutes.
    sla = fields.Dict(keys=fields.String(validate=validate.OneOf(PRIORITIES)),
                      values=fields.Nested(TargetSchema),
                      load_default=lambda: copy.deepcopy(DEFAULT_SLA))
    #: The organization field holding a customer's tier: a custom field (``x_tier``) or
    #: a core field (``industry``, ``relationship``); None: no tier policies.
    tier_field = fields.String(load_default=None, allow_none=True, validate=[
        validate.Length(min=1, max=62), validate.Regexp(
            r"^[a-z][a-z0-9_]*$", error="Give an organization field: lowercase letters, "
                                        "digits and '_' (a custom field's x_ name)")])
    #: Tier (the tier field's value) -> priority -> targets: the tier's SLA policy.
    sla_tiers = fields.Dict(keys=fields.String(validate=validate.Length(min=1, max=60)),
                            values=_policy(), load_default=dict,
                            validate=validate.Length(max=100))
    #: Priority -> targets for customers with an active contract (sales enabled);
    #: None: no contract policy.
    sla_contract = _policy(load_default=None, allow_none=True)

    @ma.validates_schema
    def _check(self, data: dict[str, Any], **kwargs: Any) -> None:
        problems: dict[str, list[str]] = {}
        for key in ("channels", "categories", "queues"):
            values = data.get(key) or []
            twice = sorted({v for v in values if values.count(v) > 1})
            if twice:
                problems[key] = [f"{', '.join(map(repr, twice))} listed twice"]
        clash = sorted(set(data.get("channels") or []) & set(CHANNELS))
        if clash:
            problems.setdefault("channels", []).append(
                f"{', '.join(map(repr, clash))} is built in already")
        for category, rule in (data.get("routing") or {}).items():
            if category not in (data.get("categories") or DEFAULT_CATEGORIES):
                problems.setdefault("routing", []).append(
                    f"{category!r} is not one of the categories")
            if "queue" in rule and rule["queue"] not in (data.get("queues") or ["general"]):
                problems.setdefault("routing", []).append(
                    f"{category}: {rule['queue']!r} is not one of the queues")
            if not rule:
                problems.setdefault("routing", []).append(
                    f"{category}: give a team, a queue or both")
        hours = _hours_problems(data.get("business_hours") or {})
        if hours:
            problems["business_hours"] = hours
        _policy_problems(problems, "sla", data.get("sla") or {})
        for tier, policy in (data.get("sla_tiers") or {}).items():
            _policy_problems(problems, "sla_tiers", policy, f"{tier}: ")
        if data.get("sla_tiers") and not data.get("tier_field"):
            problems.setdefault("tier_field", []).append(
                "give the organization field holding the tier: sla_tiers are set")
        if data.get("sla_contract") is not None:
            _policy_problems(problems, "sla_contract", data["sla_contract"])
        if problems:
            raise ma.ValidationError(problems)


def _parse(interval: str) -> tuple[dt.time, dt.time] | None:
    match = _INTERVAL.match(interval)
    if match is None:
        return None
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h2 == 24 and m2:
        return None
    # 24:00 is midnight at the day's end, kept as 00:00 (see Calendar).
    return dt.time(h1, m1), dt.time(0, 0) if h2 == 24 else dt.time(h2, m2)


def _hours_problems(hours: dict[str, list[str]]) -> list[str]:
    out = []
    for day, intervals in hours.items():
        parsed = []
        for interval in intervals:
            times = _parse(interval)
            if times is None:
                out.append(f"{day}: {interval!r} is not an interval such as 09:00-17:00")
            elif times[1] != dt.time(0, 0) and times[0] >= times[1]:
                out.append(f"{day}: {interval!r} ends before it starts")
            else:
                parsed.append(times)
        parsed.sort()
        for (_, end), (start, _) in zip(parsed, parsed[1:]):
            if start < end or end == dt.time(0, 0):
                out.append(f"{day}: the intervals overlap")
                break
    if not out and not any(hours.values()):
        out.append("give the hours of at least one day")
    return out


def channels(settings: dict[str, Any]) -> tuple[str, ...]:
    """The built-in channels and the firm's own."""
    return (*CHANNELS, *settings["channels"])


def calendar(settings: dict[str, Any]) -> Calendar:
    """The business calendar the settings describe."""
    hours = {}
    for day, intervals in settings["business_hours"].items():
        parsed = [t for t in (_parse(i) for i in intervals) if t is not None]
        hours[DAYS.index(day)] = tuple(sorted(parsed))
    return Calendar(ZoneInfo(settings["time_zone"]), hours, frozenset(settings["holidays"]))


def targets(settings: dict[str, Any], priority: str) -> tuple[dt.timedelta, dt.timedelta]:
    """The first response and resolution targets of a priority, as business time."""
    target = settings["sla"][priority]
    return (dt.timedelta(minutes=target["first_response"]),
            dt.timedelta(minutes=target["resolution"]))
