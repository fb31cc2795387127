"""Likely duplicate contacts and organizations, scored, with the reasons.

Records are grouped by blocking keys (a normalized email, a phone's last nine
digits, name keys) and only records sharing a key are compared, so the work grows
with the table, never with its square. Within a pair, each kind of evidence gives a
score (same email 90, same phone 70, similar names up to 80 by difflib's ratio over
the sorted name words) and the scores combine as independent chances:
``1 - (1 - a)(1 - b)…``. A pair whose names are very different (ratio under 0.5)
keeps 60 % of its score: two people sharing a switchboard number are not one.

The reader's read permission and record rule apply; fields masked for the reader
(personal data without ``core.personal_data.read``) are not used at all, so a reason
never tells that two hidden emails are the same.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from itertools import combinations
from typing import TYPE_CHECKING, Any, Iterable

from ..errors import ValidationError
from .actors import Actor
from .authz import permission_for, require, scoped
from .paging import parse_limit
from .reading import masked_fields

if TYPE_CHECKING:
    from ..kernel import Accord

__all__ = ["DuplicatePair", "DuplicateList", "find_duplicates", "normalize_email",
           "normalize_phone", "normalize_name", "DEFAULT_MIN_SCORE", "TYPES"]

#: The record types duplicates are looked for in.
TYPES = ("contact", "organization")
#: Pairs scoring below this are not listed unless asked for.
DEFAULT_MIN_SCORE = 50
#: A name key shared by more records than this is too common to say anything
#: ("john"); email and phone keys are kept whatever their size, up to the same cap.
MAX_BLOCK = 100
#: Scores of each kind of evidence (0-100).
EMAIL_SCORE, PHONE_SCORE, NAME_SCORE = 90, 70, 80
#: Names at least this similar (difflib ratio) count as evidence.
NAME_THRESHOLD = 0.8
#: Names less similar than this weaken every other evidence.
DIFFERENT_NAMES = 0.5

_GMAIL = {"gmail.com", "googlemail.com"}
_LEGAL = {"inc", "incorporated", "ltd", "limited", "llc", "llp", "plc", "gmbh", "ag", "sa",
          "sas", "sarl", "srl", "spa", "bv", "nv", "co", "corp", "corporation", "company",
          "kg", "ohg", "ab", "as", "oy", "the"}


def normalize_email(value: str | None) -> str | None:
    """Lower case, trimmed, without a ``+tag``; Gmail's dots dropped (Gmail ignores
    them, and ``googlemail.com`` is ``gmail.com``)."""
    if not value or "@" not in value:
        return None
    local, _, domain = value.strip().lower().rpartition("@")
    local = local.split("+", 1)[0]
    if domain in _GMAIL:
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local}@{domain}" if local else None


def normalize_phone(value: str | None) -> str | None:
    """The last nine digits of a number of at least seven: ``+49 30 1234567`` and
    ``030 1234567`` agree, whatever the country prefix or trunk zero."""
    digits = re.sub(r"\D", "", value or "")
    return digits[-9:] if len(digits) >= 7 else None


def normalize_name(value: str | None, *, organization: bool = False) -> str:
    """Accents and punctuation off, lower case, words sorted; an organization's legal
    form (GmbH, Inc., Ltd …) dropped."""
    text = unicodedata.normalize("NFKD", value or "")
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    words = re.findall(r"[a-z0-9]+", text)
    if organization:
        words = [w for w in words if w not in _LEGAL] or words
    return " ".join(sorted(words))


@dataclass(frozen=True)
class DuplicatePair:
    """Two records that are likely one: the older first (the suggested winner)."""

    record_type: str
    first_id: int
    first_title: str
    second_id: int
    second_title: str
    score: int
    reasons: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"type": self.record_type, "score": self.score, "reasons": list(self.reasons),
                "first": {"id": self.first_id, "title": self.first_title},
                "second": {"id": self.second_id, "title": self.second_title}}


@dataclass(frozen=True)
class DuplicateList:
    """The best pairs, highest score first, and whether more passed the minimum."""

    items: list[DuplicatePair]
    truncated: bool


@dataclass
class _Row:
    id: int
    title: str
    name: str
    email: str | None
    phones: frozenset[str]


def find_duplicates(kernel: Accord, type_name: str, *, actor: Actor,
                    min_score: int = DEFAULT_MIN_SCORE,
                    limit: int | str | None = None) -> DuplicateList:
    """Likely duplicates among the records of ``type_name`` the actor may read, at
    least ``min_score`` (0-100), at most ``limit`` pairs (1-500, 50 by default)."""
    if type_name not in TYPES:
        raise ValidationError({"type": [f"duplicates are found among contact and "
                                        f"organization records, not {type_name!r}"]})
    if isinstance(min_score, bool) or not isinstance(min_score, int) \
            or not 0 <= min_score <= 100:
        raise ValidationError({"min_score": [f"{min_score!r} is not a whole number from "
                                             "0 to 100"]})
    size = parse_limit(limit)
    record_type = kernel.records.get(type_name)
    require(actor, permission_for(record_type, "read"))
    hidden = masked_fields(kernel, record_type, actor)
    rows = _rows(kernel, type_name, actor, hidden)
    pairs = []
    for first, second in _candidates(rows, type_name == "organization"):
        pair = _score(type_name, first, second)
        if pair is not None and pair.score >= min_score:
            pairs.append(pair)
    pairs.sort(key=lambda p: (-p.score, p.first_id, p.second_id))
    return DuplicateList(pairs[:size], len(pairs) > size)


def _rows(kernel: Accord, type_name: str, actor: Actor,
          hidden: frozenset[str]) -> list[_Row]:
    record_type = kernel.records.get(type_name)
    model: Any = record_type.model
    organization = type_name == "organization"
    names = ["name"] if organization else ["first_name", "last_name"]
    phones = [n for n in (["phone"] if organization else ["phone", "mobile"])
              if n not in hidden]
    email = "email" not in hidden
    columns = [model.id, *(getattr(model, n) for n in names),
               *(getattr(model, n) for n in phones), *([model.email] if email else [])]
    out = []
    with kernel.bound():
        query = scoped(model.select(*columns), record_type, actor).order_by(model.id)
        for values in query.tuples():
            record_id, rest = values[0], list(values[1:])
            name_parts = rest[:len(names)]
            phone_values = rest[len(names):len(names) + len(phones)]
            title = " ".join(str(p) for p in name_parts if p)
            out.append(_Row(
                record_id, title, normalize_name(title, organization=organization),
                normalize_email(rest[-1]) if email else None,
                frozenset(p for p in map(normalize_phone, phone_values) if p)))
    return out


def _keys(row: _Row, organization: bool) -> Iterable[str]:
    if row.email:
        yield "e:" + row.email
    for phone in row.phones:
        yield "p:" + phone
    if not row.name:
        return
    yield "n:" + row.name
    words = row.name.split()
    if organization:
        yield "o:" + "".join(words)[:5]
    elif len(words) >= 2:
        # Word pairs' initials: "john smith" is found beside "jon smith" and "john smyth".
        for word in words:
            yield "w:" + word + " " + "".join(sorted(w[0] for w in words if w != word))


def _candidates(rows: list[_Row], organization: bool) -> Iterable[tuple[_Row, _Row]]:
    """Pairs of rows sharing a blocking key, each pair once, the older first."""
    blocks: dict[str, list[_Row]] = {}
    for row in rows:
        for key in set(_keys(row, organization)):
            blocks.setdefault(key, []).append(row)
    seen: set[tuple[int, int]] = set()
    for members in blocks.values():
        if len(members) < 2 or len(members) > MAX_BLOCK:
            continue
        for first, second in combinations(members, 2):
            pair = (first.id, second.id)
            if pair not in seen:
                seen.add(pair)
                yield first, second


def _score(type_name: str, first: _Row, second: _Row) -> DuplicatePair | None:
    reasons = []
    chances = []
    if first.email and first.email == second.email:
        reasons.append("same email")
        chances.append(EMAIL_SCORE / 100)
    if first.phones & second.phones:
        reasons.append("same phone")
        chances.append(PHONE_SCORE / 100)
    ratio = (difflib.SequenceMatcher(None, first.name, second.name).ratio()
             if first.name and second.name else 0.0)
    if ratio >= NAME_THRESHOLD:
        reasons.append("same name" if ratio == 1 else f"similar names ({round(ratio * 100)} %)")
        chances.append(NAME_SCORE / 100 * ratio)
    if not chances:
        return None
    miss = 1.0
    for chance in chances:
        miss *= 1 - chance
    score = 1 - miss
    if ratio < DIFFERENT_NAMES:
        reasons.append("names differ")
        score *= 0.6
    return DuplicatePair(type_name, first.id, first.title, second.id, second.title,
                         round(score * 100), tuple(reasons))
