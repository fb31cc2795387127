"""The change counters every process polls (``accord_meta``): bumping one tells all
kernels on the database to reload what they cache (plugin states, custom fields)."""

from __future__ import annotations

from ..models import KernelMeta

__all__ = ["bump"]


def bump(key: str) -> None:
    """Advance a counter; call inside the transaction of the change it announces."""
    updated = (KernelMeta.update(value=KernelMeta.value + 1)
               .where(KernelMeta.key == key).execute())
    if not updated:
        KernelMeta.insert(key=key, value=1).on_conflict_ignore().execute()
