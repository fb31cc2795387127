"""Hook implementations of kit_reach."""

from accord import services
from accord.hooks import hookimpl
from accord.records import Permission
from accord_sales.hookspecs import opportunity_moved
from accord_sales.models import Opportunity
from accord_sales.services import move_opportunity
from accord_service import hookspecs

__all__ = ["services", "opportunity_moved", "move_opportunity", "Opportunity", "hookspecs"]


@hookimpl
def register_permissions():
    return [Permission("kit_reach.thing.read", "Read things")]
