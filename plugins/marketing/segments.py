"""Segments: saved rule sets over contacts or organizations, evaluated as one SQL query.

A segment's ``rules`` are ``{"field", "op", "value"}`` objects that must all hold. A
rule's field is one of (``rule_fields`` lists them for a target):

- a field of the target record type (``country``, ``organization_id``, ``created_at``);
- a custom field (``x_tier``), read from the record's ``custom`` JSON the way the
  core's filters read it (``accord.query``: the same SQL on both engines);
- ``tags``: the core's tags (``includes`` / ``excludes`` a tag name);
- a customer fact (``accord.facts``: ``sales.order_total`` ``gte`` 1000,
  ``sales.products_bought`` ``includes`` 5), joined as a subquery of the fact's query;
- for a contact segment, any of these of the contact's organization, prefixed
  ``organization.`` (``organization.industry`` ``eq`` "Retail").

A dynamic segment is evaluated when asked; a static one holds the members its
``freeze`` action stored. ``member_ids(kernel, segment_id)`` and
``members_query(kernel, segment)`` are what other parts (campaigns) call. Counts are
the firm's (every member, whoever asks, like the facts they use); a preview lists the
members the reader may read.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

import click
import marshmallow as ma
import peewee
from marshmallow import fields, validate

from accord import services
from accord.database import JSONField, is_postgres
from accord.errors import Conflict, NotFound, ValidationError
from accord.facts import CustomerFact, customer_facts
from accord.models import Tag, Tagging
from accord.money import plain_decimal
from accord.pages import NavEntry, SearchType
from accord.query import MAX_IN_VALUES, build_query
from accord.records import Permission, RecordAction, RecordType, VerbField
from accord.routes import ApiRoute
from accord.schemas import InputSchema, OwnedRecordSchema
from accord.services.authz import require
from accord.services.reading import masked_fields

from .models.segments import KINDS, TARGETS, Segment, SegmentMember

if TYPE_CHECKING:

    from accord.kernel import Accord
    from accord.services import Actor

__all__ = ["SEGMENT", "OPS", "MAX_RULES", "PREVIEW_SIZE", "RuleField", "rule_fields",
           "rule_problems", "check_rules", "rules_query", "members_query", "member_ids",
           "count", "preview", "draft_count", "demo"]

SEGMENT = "marketing.segment"
#: What a rule may ask of its field (which ones fit depends on the field's kind).
OPS = ("eq", "ne", "lt", "lte", "gt", "gte", "in", "contains", "is_null", "not_null",
       "includes", "excludes")
#: The most rules a segment holds.
MAX_RULES = 50
#: How many members a preview lists.
PREVIEW_SIZE = 20
_MAX_ID = 2 ** 63 - 1
#: The organization's fields a contact rule reaches: ``organization.<field>``.
_ORG = "organization."

_COMPARE = ("eq", "ne", "lt", "lte", "gt", "gte")
_NULLS = ("is_null", "not_null")
_OPS_OF_KIND = {
    "text": ("eq", "ne", "in", "contains", *_NULLS),
    "choice": ("eq", "ne", "in", "contains", *_NULLS),
    "integer": (*_COMPARE, "in", *_NULLS),
    "number": (*_COMPARE, "in", *_NULLS),
    "date": (*_COMPARE, "in", *_NULLS),
    "datetime": (*_COMPARE, *_NULLS),
    "boolean": ("eq", "ne", *_NULLS),
    "multi_choice": ("contains", *_NULLS),
    "tags": ("includes", "excludes"),
    "ids": ("includes", "excludes", *_NULLS),
}
#: Facts compare their value; ``is_null``: the customer has no such fact (never ordered).
_FACT_OPS = {"number": (*_COMPARE, *_NULLS), "integer": (*_COMPARE, *_NULLS),
             "date": (*_COMPARE, *_NULLS), "ids": _OPS_OF_KIND["ids"],
             "text": ("eq", "ne", "in", *_NULLS)}
#: The filter keys of accord.query for each op a core or custom field takes.
_FILTER_SUFFIX = {"eq": "", "ne": "", "lt": "__lt", "lte": "__lte", "gt": "__gt",
                  "gte": "__gte", "in": "__in", "contains": "__contains",
                  "is_null": "__isnull", "not_null": "__isnull"}


# The fields a rule may name -------------------------------------------------------------

@dataclass(frozen=True)
class RuleField:
    """A field a segment's rule may name: its ``kind`` decides the ``ops`` it takes;
    ``source`` is ``field`` (the record's own), ``custom``, ``tags`` or ``fact``."""

    name: str
    label: str
    kind: str
    source: str
    ops: tuple[str, ...]
    fact: CustomerFact | None = None


def _kind_of(field: peewee.Field) -> str:
    if isinstance(field, (peewee.ForeignKeyField, peewee.IntegerField, peewee.AutoField)):
        return "integer"
    if isinstance(field, peewee.BooleanField):
        return "boolean"
    if isinstance(field, (peewee.DecimalField, peewee.FloatField)):
        return "number"
    if isinstance(field, peewee.DateTimeField):
        return "datetime"
    if isinstance(field, peewee.DateField):
        return "date"
    return "text"


def _own_fields(kernel: Accord, target: str) -> dict[str, RuleField]:
    """The target's own fields, custom fields, tags and facts (no prefix)."""
    record_type = kernel.records.get(target)
    out: dict[str, RuleField] = {}
    for field in record_type.model._meta.sorted_fields:
        name = field.object_id_name if isinstance(field, peewee.ForeignKeyField) \
            else field.name
        if field.name in ("custom", "version", "password_hash") or \
                field.name.endswith("_currency") or isinstance(field, JSONField):
            continue
        kind = _kind_of(field)
        out[name] = RuleField(name, name.replace("_", " ").capitalize(), kind, "field",
                              _OPS_OF_KIND[kind])
    for name, definition in kernel.fields.of(target).items():
        kind = {"decimal": "number"}.get(definition.kind, definition.kind)
        out[name] = RuleField(name, definition.label or name, kind, "custom",
                              _OPS_OF_KIND.get(kind, _OPS_OF_KIND["text"]))
    out["tags"] = RuleField("tags", "Tags", "tags", "tags", _OPS_OF_KIND["tags"])
    for name, fact in customer_facts(kernel, target).items():
        if fact.kind in _FACT_OPS:  # events (orders, deals won) are not one value to test
            out[name] = RuleField(name, fact.label, fact.kind, "fact", _FACT_OPS[fact.kind],
                                  fact)
    return out


def rule_fields(kernel: Accord, target: str) -> dict[str, RuleField]:
    """Every field a rule of a ``target`` segment may name, by name: the record's own
    fields, custom fields, ``tags``, the customer facts of the enabled plugins and, for
    contacts, the same of the contact's organization (``organization.<name>``)."""
    out = _own_fields(kernel, target)
    if target == "contact":
        for name, field in _own_fields(kernel, "organization").items():
            out[_ORG + name] = RuleField(_ORG + name, f"Organization: {field.label}",
                                         field.kind, field.source, field.ops, field.fact)
    return out


# Checking rules ---------------------------------------------------------------------------

def _shown(value: Any) -> str:
    text = str(value).encode("utf-8", "backslashreplace").decode("utf-8")
    return text if len(text) <= 60 else text[:57] + "..."


def _scalar(value: Any) -> bool:
    return isinstance(value, (str, int, float)) and not (
        isinstance(value, float) and not math.isfinite(value))


def _fact_value(fact: CustomerFact, value: Any) -> Any:
    """A fact's comparison value in its kind, or ValueError saying what is wrong."""
    if fact.kind == "ids":
        if isinstance(value, bool) or not isinstance(value, int) or \
                not 1 <= value <= _MAX_ID:
            raise ValueError(f"give a {fact.record_type} id (a whole number), not "
                             f"{_shown(value)!r}")
        return value
    if fact.kind == "text":
        from accord.query import text_problem

        if not isinstance(value, (str, int)) or isinstance(value, bool) or \
                len(str(value)) > 200 or text_problem(str(value)):
            raise ValueError(f"give a text of at most 200 characters, not {_shown(value)!r}")
        return str(value)
    if fact.kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int) or abs(value) > _MAX_ID:
            raise ValueError(f"give a whole number, not {_shown(value)!r}")
        return value
    if fact.kind == "number":
        number = Decimal(repr(value)) if isinstance(value, float) and \
            math.isfinite(value) else plain_decimal(value)
        if number is None or abs(number) >= Decimal(10) ** 18:
            raise ValueError(f"give a number (such as 1000 or \"99.50\"), not "
                             f"{_shown(value)!r}")
        return number
    if isinstance(value, str) and len(value) == 10:
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError(f"give a date (YYYY-MM-DD), not {_shown(value)!r}")


def _values(rule: Mapping[str, Any], op: str) -> list[Any]:
    """The rule's value(s): a list for ``in`` (and, optionally, for includes and
    excludes), else one value; ValueError when it is not."""
    value = rule.get("value")
    if op in _NULLS:
        return []
    if op == "in" or (op in ("includes", "excludes") and isinstance(value, list)):
        if not isinstance(value, list) or not value:
            raise ValueError(f"{op} takes a list of values, such as [\"DE\", \"AT\"]")
        if len(value) > MAX_IN_VALUES:
            raise ValueError(f"{len(value)} values; a rule lists at most {MAX_IN_VALUES}")
        if not all(_scalar(v) for v in value):
            raise ValueError("give a list of texts or numbers")
        return value
    if not _scalar(value) and not isinstance(value, bool):
        raise ValueError(f"{op} takes one value (a text, a number or true/false), not "
                         f"{_shown(value)!r}" + (": use is_null" if value is None else ""))
    return [value]


def _filter(field: RuleField, op: str, values: list[Any]) -> dict[str, Any]:
    """The accord.query filter of a rule on a core or custom field (``ne`` as ``eq``:
    it is negated as a whole)."""
    base = field.name.removeprefix(_ORG)
    key = base + _FILTER_SUFFIX[op]
    if op in _NULLS:
        return {key: op == "is_null"}
    return {key: values if op == "in" else values[0]}


def rule_problems(kernel: Accord, target: Any, rules: Any, *,
                  actor: Actor | None = None) -> dict[str, list[str]]:
    """What is wrong with ``rules`` of a ``target`` segment, by ``rules.N.field``,
    ``rules.N.op`` or ``rules.N.value`` (empty: nothing). With ``actor``, a rule on a
    personal field the actor may not read is refused too."""
    if target not in TARGETS:
        return {"target": [f"give one of {', '.join(TARGETS)}, not {_shown(target)!r}"]}
    if not isinstance(rules, list):
        return {"rules": ["give a list of rules ({\"field\", \"op\", \"value\"})"]}
    if len(rules) > MAX_RULES:
        return {"rules": [f"{len(rules)} rules; a segment holds at most {MAX_RULES}"]}
    known = rule_fields(kernel, target)
    problems: dict[str, list[str]] = {}
    for index, rule in enumerate(rules):
        where = f"rules.{index}"
        if not isinstance(rule, dict):
            problems[where] = ["a rule is an object: {\"field\", \"op\", \"value\"}"]
            continue
        name, op = rule.get("field"), rule.get("op")
        field = known.get(name) if isinstance(name, str) else None
        if field is None:
            problems[f"{where}.field"] = [_unknown(kernel, target, name, known)]
            continue
        if op not in field.ops:
            problems[f"{where}.op"] = [
                f"{_shown(op)!r} does not fit {name} ({field.kind}); use one of "
                f"{', '.join(field.ops)}"]
            continue
        problem = _value_problem(kernel, target, field, op, rule, actor)
        if problem:
            problems[f"{where}.{problem[0]}"] = [problem[1]]
    return problems


def _unknown(kernel: Accord, target: str, name: Any,
             known: Mapping[str, RuleField]) -> str:
    plural = kernel.records.get(target).plural
    own = [n for n in known if not n.startswith(_ORG)]
    more = ", and organization.<field> for the contact's organization's" \
        if len(own) < len(known) else ""
    if not isinstance(name, str) or not name:
        return f"name a field of {plural} (fields: {', '.join(own)}{more})"
    return f"unknown field {_shown(name)!r} of {plural} (fields: {', '.join(own)}{more})"


def _value_problem(kernel: Accord, target: str, field: RuleField, op: str,
                   rule: Mapping[str, Any], actor: Actor | None) -> tuple[str, str] | None:
    """``(key, message)`` of what is wrong with a rule's value, or None."""
    try:
        values = _values(rule, op)
    except ValueError as exc:
        return "value", str(exc)
    owner = "organization" if field.name.startswith(_ORG) else target
    if field.source == "tags":
        if not all(isinstance(v, str) and 0 < len(v.strip()) <= 100 for v in values):
            return "value", "give a tag's name (1 to 100 characters)"
        return None
    if field.source == "fact":
        assert field.fact is not None
        for value in values:
            try:
                _fact_value(field.fact, value)
            except ValueError as exc:
                return "value", str(exc)
        return None
    record_type = kernel.records.get(owner)
    if actor is not None and field.name.removeprefix(_ORG) in masked_fields(
            kernel, record_type, actor):
        return "field", (f"{field.name} is personal data: choosing by it needs the "
                         "permission core.personal_data.read")
    try:
        build_query(kernel, record_type, _filter(field, op, values))
    except ValidationError as exc:
        return "value", " ".join(m for ms in exc.flat().values() for m in ms)
    return None


def check_rules(kernel: Accord, target: Any, rules: Any, *,
                actor: Actor | None = None) -> None:
    """Raise ValidationError (422) naming each bad rule (``rules.1.field``…)."""
    problems = rule_problems(kernel, target, rules, actor=actor)
    if problems:
        raise ValidationError(problems)


# Evaluating rules: one SQL query ----------------------------------------------------------

def _number(kernel: Accord, value: Any) -> Any:
    """SQLite compares an aggregate of a DECIMAL column as REAL; PostgreSQL as numeric."""
    return value if is_postgres(kernel.database) else float(value)


def _fact_condition(kernel: Accord, model: Any, fact: CustomerFact, op: str,
                    values: list[Any]) -> Any:
    """Customers ``model.id`` whose fact holds: the fact's query as a derived table."""
    source = fact.query(kernel, None).alias("fact_value")
    having = peewee.Select([source], [source.c.customer]).where(
        source.c.customer.is_null(False))
    if op in _NULLS:
        return model.id.not_in(having) if op == "is_null" else model.id.in_(having)
    loaded = [_fact_value(fact, v) for v in values]
    if fact.kind == "ids" or op == "in":
        chosen = model.id.in_(having.where(source.c.value.in_(loaded)))
        return ~chosen if op == "excludes" else chosen
    value = loaded[0]
    if fact.kind == "number":
        value = _number(kernel, value)
    elif fact.kind == "date" and not is_postgres(kernel.database):
        value = value.isoformat()
    column = source.c.value
    if op == "ne":
        return model.id.not_in(having.where(column == value))
    compare: dict[str, Callable[[Any, Any], Any]] = {
        "eq": lambda c, v: c == v, "lt": lambda c, v: c < v, "lte": lambda c, v: c <= v,
        "gt": lambda c, v: c > v, "gte": lambda c, v: c >= v}
    return model.id.in_(having.where(compare[op](column, value)))


def _tags_condition(model: Any, target: str, op: str, values: list[Any]) -> Any:
    names = [str(v).strip().lower() for v in values]
    tagged = (Tagging.select(Tagging.record_id).join(Tag)
              .where(Tagging.record_type == target, Tag.name.in_(names)))
    return model.id.not_in(tagged) if op == "excludes" else model.id.in_(tagged)


def rules_query(kernel: Accord, target: str, rules: Sequence[Mapping[str, Any]], *,
                actor: Actor | None = None) -> peewee.ModelSelect[Any]:
    """The records of ``target`` every rule holds for, as one SELECT ordered by id;
    with ``actor``, only those the actor's read permission and record rule reach.
    The rules must have been checked (``check_rules``). Run it inside
    ``kernel.bound()``."""
    record_type = kernel.records.get(target)
    model: Any = record_type.model
    known = rule_fields(kernel, target)
    filters: dict[str, Any] = {}
    extra: list[Any] = []
    org_rules: list[Mapping[str, Any]] = []
    for rule in rules:
        field, op = known[rule["field"]], rule["op"]
        if field.name.startswith(_ORG):
            org_rules.append({**rule, "field": field.name.removeprefix(_ORG)})
            continue
        values = _values(rule, op)
        if field.source == "fact":
            assert field.fact is not None
            extra.append(_fact_condition(kernel, model, field.fact, op, values))
        elif field.source == "tags":
            extra.append(_tags_condition(model, target, op, values))
        else:
            wanted = _filter(field, op, values)
            (key, value), = wanted.items()
            if op == "ne":
                same = build_query(kernel, record_type, wanted).select(model.id)
                extra.append(model.id.not_in(same.order_by()))
            elif key in filters:  # the same filter twice (gte 1 and gte 5): a subquery
                again = build_query(kernel, record_type, wanted).select(model.id)
                extra.append(model.id.in_(again.order_by()))
            else:
                filters[key] = value
    query = build_query(kernel, record_type, filters, actor=actor)
    if org_rules:
        orgs: Any = rules_query(kernel, "organization", org_rules)
        extra.append(model.organization.in_(orgs.select(orgs.model.id).order_by()))
    for condition in extra:
        query = query.where(condition)
    return query


def _stored(kernel: Accord, segment_id: Any, actor: Actor | None = None) -> Any:
    """The segment (as the actor may read it), NotFound naming an id there is not."""
    if isinstance(segment_id, bool) or not isinstance(segment_id, int) or \
            not 1 <= segment_id <= _MAX_ID:
        raise NotFound(f"no {SEGMENT} {_shown(segment_id)}")
    return services.get(kernel, SEGMENT, segment_id, actor=actor)


def members_query(kernel: Accord, segment: Any, *,
                  actor: Actor | None = None) -> peewee.ModelSelect[Any]:
    """The members of ``segment`` (a stored segment) as one SELECT of its target's
    records, ordered by id: a dynamic segment's rules evaluated now, a static one's
    frozen members (those that still exist). With ``actor``, only the members the
    actor may read. Run it inside ``kernel.bound()``."""
    if segment.kind == "static":
        record_type = kernel.records.get(segment.target)
        model: Any = record_type.model
        frozen = SegmentMember.select(SegmentMember.record_id).where(
            SegmentMember.segment == segment.id)
        return build_query(kernel, record_type, {}, actor=actor).where(model.id.in_(frozen))
    problems = rule_problems(kernel, segment.target, segment.rules or [])
    if problems:  # a field whose plugin was disabled since the segment was saved
        raise Conflict(f"segment {segment.id} cannot be evaluated now: " + "; ".join(
            f"{key}: {' '.join(texts)}" for key, texts in problems.items()))
    return rules_query(kernel, segment.target, segment.rules or [], actor=actor)


def member_ids(kernel: Accord, segment_id: int) -> list[int]:
    """The ids of a segment's members, ascending: contact ids for a contact segment,
    organization ids for an organization segment (the firm's, no record rule). NotFound
    names a segment that does not exist."""
    with kernel.bound():
        segment = _stored(kernel, segment_id)
        query: Any = members_query(kernel, segment)
        return [row[0] for row in query.select(query.model.id).tuples()]


def _count(query: Any) -> int:
    return int(query.select(query.model.id).order_by().count())


def count(kernel: Accord, segment_id: int, *, actor: Actor) -> dict[str, Any]:
    """How many members a segment has now (the firm's count, whoever asks: it is the
    audience a campaign would reach). The actor needs to read the segment."""
    require(actor, f"{SEGMENT}.read")
    with kernel.bound():
        segment = _stored(kernel, segment_id, actor)
        return {"segment": segment.id, "target": segment.target,
                "count": _count(members_query(kernel, segment))}


def _name(record_type: RecordType, record: Any) -> str:
    return record_type.title(record)


def preview(kernel: Accord, segment_id: int, *, actor: Actor) -> dict[str, Any]:
    """The firm's count and the first ``PREVIEW_SIZE`` members the actor may read, by
    id, each with its name (the actor needs to read the target's records)."""
    require(actor, f"{SEGMENT}.read")
    with kernel.bound():
        segment = _stored(kernel, segment_id, actor)
        record_type = kernel.records.get(segment.target)
        total = _count(members_query(kernel, segment))
        shown = list(members_query(kernel, segment, actor=actor).limit(PREVIEW_SIZE))
        return {"segment": segment.id, "target": segment.target, "count": total,
                "members": [{"id": r.id, "name": _name(record_type, r)} for r in shown]}


def draft_count(kernel: Accord, *, actor: Actor, target: Any,
                rules: Any) -> dict[str, Any]:
    """The count of rules not saved yet (the builder's live count); a bad rule is a
    ValidationError naming it."""
    require(actor, f"{SEGMENT}.read")
    check_rules(kernel, target, rules, actor=actor)
    with kernel.bound():
        return {"target": target, "count": _count(rules_query(kernel, target, rules))}


# The record type -------------------------------------------------------------------------

class RuleSchema(InputSchema):
    """One rule: all of a segment's rules must hold."""

    field = fields.String(required=True, validate=validate.Length(1, 200), metadata={
        "description": "A field of the target, a custom field (x_…), tags, a customer "
                       "fact (sales.order_total…) or, for contacts, organization.<field>"})
    op = fields.String(required=True, validate=validate.OneOf(OPS))
    value = fields.Raw(allow_none=True, load_default=None, metadata={
        "description": "A text, number or true/false; a list for in (and, for any of "
                       "several, includes/excludes); none for is_null/not_null"})


class SegmentSchema(OwnedRecordSchema):
    name = fields.String(required=True, validate=validate.Length(1, 200))
    target = fields.String(load_default="contact", validate=validate.OneOf(TARGETS),
                           metadata={"description": "What the segment selects"})
    kind = fields.String(load_default="dynamic", validate=validate.OneOf(KINDS), metadata={
        "description": "dynamic: evaluated when asked; static: the members stored by the "
                       "freeze action"})
    rules = fields.List(fields.Nested(RuleSchema), load_default=list,
                        validate=validate.Length(max=MAX_RULES))
    description = fields.String(allow_none=True, validate=validate.Length(max=10000))
    frozen_at = fields.AwareDateTime(allow_none=True, load_default=None, metadata={
        "description": "When the freeze action last stored the members (static)"})


def _segment_rules(write: Any) -> None:
    """Every rule names a known field with an op and value that fit it; a frozen
    segment keeps its target."""
    for index, row, current in write:
        problems: dict[str, list[str]] = {}
        target = write.value(index, "target", "contact")
        if "rules" in row or "target" in row:
            problems.update(rule_problems(write.kernel, target,
                                          write.value(index, "rules", []) or [],
                                          actor=write.actor))
        if current is not None and "target" in row and target != current.target \
                and current.frozen_at is not None:
            problems["target"] = [f"segment {current.id} was frozen with "
                                  f"{current.target}s as members; its target stays "
                                  f"{current.target} (create another segment)"]
        write.refuse(index, problems)


SEGMENT_TYPE = RecordType(
    SEGMENT, Segment, SegmentSchema, "segments", "Segment",
    searchable=("name", "description"), title_fields=("name",),
    verb_fields=(VerbField("frozen_at", ("freeze",)),), validate=_segment_rules)


def _freeze(kernel: Accord, segment_id: int, *, actor: Actor,
            version: int | None = None) -> Any:
    from .services.segments import freeze

    return freeze(kernel, segment_id, actor=actor, version=version)


RECORD_TYPES = [SEGMENT_TYPE]
MODELS = [SegmentMember]
FREEZE = f"{SEGMENT}.freeze"
PERMISSIONS = [
    Permission(f"{SEGMENT}.read", "Read segments, their counts and previews"),
    Permission(f"{SEGMENT}.write", "Create and change segments"),
    Permission(f"{SEGMENT}.delete", "Delete segments"),
    Permission(FREEZE, "Store a static segment's members as they are now"),
]
AGENT = [f"{SEGMENT}.*"]
RULES = [(SEGMENT, "all")]
ACTIONS = [RecordAction(SEGMENT, "freeze", FREEZE, _freeze,
                        description="Store the members of a static segment as they are "
                                    "now (replacing the ones stored before)")]
NAV = [NavEntry("Segments", "/marketing/segments", f"{SEGMENT}.read", order=60)]
SEARCH = [SearchType(SEGMENT, "Segments", ("target", "kind"), order=60)]


# The API routes --------------------------------------------------------------------------

class CountSchema(ma.Schema):
    segment = fields.Integer()
    target = fields.String(required=True)
    count = fields.Integer(required=True)


class MemberSchema(ma.Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)


class PreviewSchema(CountSchema):
    members = fields.List(fields.Nested(MemberSchema), required=True)


class DraftSchema(InputSchema):
    target = fields.String(required=True, validate=validate.OneOf(TARGETS))
    rules = fields.List(fields.Raw(), required=True, validate=validate.Length(max=MAX_RULES),
                        metadata={"description": "Rules ({\"field\", \"op\", \"value\"}) "
                                                 "as a segment holds them"})


def _count_route(kernel: Accord, id: int, *, actor: Actor) -> dict[str, Any]:
    return count(kernel, id, actor=actor)


def _preview_route(kernel: Accord, id: int, *, actor: Actor) -> dict[str, Any]:
    return preview(kernel, id, actor=actor)


def _draft_route(kernel: Accord, *, actor: Actor, target: str,
                 rules: list[Any]) -> dict[str, Any]:
    return draft_count(kernel, actor=actor, target=target, rules=rules)


def api_routes() -> list[ApiRoute]:
    read = f"{SEGMENT}.read"
    return [
        ApiRoute("/marketing/segments/<int:id>/count", _count_route, read,
                 "How many members a segment has now (the firm's count)",
                 response=CountSchema),
        ApiRoute("/marketing/segments/<int:id>/preview", _preview_route, read,
                 f"The count and the first {PREVIEW_SIZE} members the reader may read",
                 response=PreviewSchema),
        ApiRoute("/marketing/segments/count", _draft_route, read,
                 "The count of rules not saved yet (the segment builder's live count); "
                 "a bad rule is a 422 naming it", method="POST", args=DraftSchema,
                 response=CountSchema),
    ]


# The CLI -----------------------------------------------------------------------------------

@click.group("segment")
def segment_group() -> None:
    """Segments: saved rule sets over contacts or organizations."""


@segment_group.command("count")
@click.argument("segment_id", metavar="ID", type=int)
@click.pass_obj
def count_command(state: Any, segment_id: int) -> None:
    """How many members segment ID has now (the firm's count)."""
    kernel: Accord = state.kernel()
    try:
        ids = member_ids(kernel, segment_id)
    except NotFound:
        raise click.ClickException(f"no segment {segment_id}") from None
    click.echo(len(ids))


COMMANDS = [segment_group]


def demo(kernel: Accord, actor: Actor) -> None:
    """"Customers in Germany", "Key accounts" (tagged) and, with the sales plugin,
    "Bought Premium support"."""
    from .services.segments import demo_segments

    demo_segments(kernel, actor)


from .segment_pages import add_pages  # noqa: E402,F401 (the pages)
