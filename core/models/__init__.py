"""Accord's core models. Plugins derive theirs from ``BaseRecord`` or ``OwnedRecord``."""

from __future__ import annotations

from .access import SCOPES, ApiToken, RolePermission, RoleRule
from .base import BaseModel, BaseRecord, MoneyAmountField, UTCDateTimeField, utcnow
from .jobs import JOB_STATUSES, JobRun
from .people import ADMIN_ROLE, BUILTIN_ROLES, OwnedRecord, Role, Team, TeamMember, User
from .crm import Activity, Contact, ContactInterest, Organization, Product, Tag, Tagging
from .system import AuditEntry, CustomField, KernelMeta, OutboxMessage, PluginState

__all__ = [
    "BaseModel", "BaseRecord", "OwnedRecord", "MoneyAmountField", "UTCDateTimeField", "utcnow",
    "Role", "User", "Team", "TeamMember", "BUILTIN_ROLES", "ADMIN_ROLE",
    "Organization", "Contact", "ContactInterest", "Activity", "Product", "Tag", "Tagging",
    "PluginState", "KernelMeta", "CustomField", "AuditEntry", "OutboxMessage",
    "ApiToken", "RolePermission", "RoleRule", "SCOPES", "JobRun", "JOB_STATUSES",
]

#: Every core table, in creation order.
CORE_MODELS = [
    Role, User, Team, TeamMember, Organization, Contact, Product, ContactInterest,
    Activity, Tag, Tagging, PluginState, KernelMeta, CustomField, AuditEntry, OutboxMessage,
    ApiToken, RolePermission, RoleRule, JobRun,
]
