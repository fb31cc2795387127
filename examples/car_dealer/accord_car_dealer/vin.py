"""The Vehicle Identification Number: 17 characters, checked with the North American
check digit (ISO 3779 characters; 49 CFR 565.6: the 9th character is the check digit)."""

from __future__ import annotations

import re

__all__ = ["VIN_LENGTH", "check_digit", "vin_problem", "normal_vin", "VIN_PATTERN"]

VIN_LENGTH = 17
#: Digits and capital letters but I, O and Q (which read like 1 and 0).
_ALLOWED = re.compile(r"^[A-HJ-NPR-Z0-9]+$")
#: A VIN standing alone in a text (a ticket's subject or description).
VIN_PATTERN = re.compile(r"(?<![A-Za-z0-9])([A-HJ-NPR-Za-hj-npr-z0-9]{17})(?![A-Za-z0-9])")
_VALUES = {**{str(d): d for d in range(10)},
           **dict(zip("ABCDEFGH", range(1, 9))), **dict(zip("JKLMN", range(1, 6))),
           "P": 7, "R": 9, **dict(zip("STUVWXYZ", range(2, 10)))}
_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)


def normal_vin(text: str) -> str:
    """A VIN as stored: capitals, without spaces or dashes around groups."""
    return re.sub(r"[\s-]", "", text).upper()


def check_digit(vin: str) -> str:
    """The check digit a 17-character VIN of allowed characters should carry: the
    weighted sum of its characters' values modulo 11, ``X`` for 10."""
    remainder = sum(_VALUES[c] * w for c, w in zip(vin, _WEIGHTS)) % 11
    return "X" if remainder == 10 else str(remainder)


def vin_problem(vin: str) -> str | None:
    """What is wrong with a VIN (already normalised), or None."""
    if len(vin) != VIN_LENGTH:
        return f"A VIN has 17 characters, not {len(vin)}."
    wrong = sorted({c for c in vin if not _ALLOWED.match(c)})
    if wrong:
        shown = ", ".join(repr(c) for c in wrong)
        return (f"A VIN holds digits and capital letters other than I, O and Q, not "
                f"{shown}.")
    expected = check_digit(vin)
    if vin[8] != expected:
        return (f"The check digit (the 9th character) is {vin[8]!r} but the other "
                f"characters give {expected!r}: look for a typo.")
    return None
