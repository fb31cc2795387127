"""The marketing plugin's part in erasing a person: the addresses its campaign messages
went to (kept on the campaign member, which is no record type)."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from accord.hooks import hookimpl
from accord.services.anonymize import Erasure

from .services.anonymizing import MEMBERS, erase_addresses, members_with_address

if TYPE_CHECKING:
    from accord.kernel import Accord
    from accord.records import RecordType
    from accord.services.anonymize import Placeholders


@hookimpl
def erase_personal_data(record_type: RecordType, ids: list[int]) -> list[Erasure]:
    if record_type.name != "contact":
        return []
    members = members_with_address(ids)
    if not members:
        return []
    return [Erasure(MEMBERS, tuple(members), ("address",),
                    replace=functools.partial(_replace, members))]


def _replace(members: list[int], kernel: Accord, placeholders: Placeholders) -> int:
    return erase_addresses(kernel, placeholders, members)
