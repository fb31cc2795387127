"""Hook implementations of kit_deprecated."""

from accord.hooks import hookimpl
from accord.money import old_format_amount

__all__ = ["old_format_amount"]


@hookimpl
def register_metrics():
    from accord.records import gone_in_this_version  # imported when the hook runs

    return [] if gone_in_this_version else []
