"""Accord's core models. Plugins derive theirs from ``BaseRecord`` or ``OwnedRecord``."""

from __future__ import annotations

from .access import SCOPES, ApiToken, RolePermission, RoleRule
from .base import BaseModel, BaseRecord, MoneyAmountField, UTCDateTimeField, utcnow
from .jobs import JOB_STATUSES, JobRun
from .people import ADMIN_ROLE, BUILTIN_ROLES, OwnedRecord, Role, Team, TeamMember, User
from .rates import ExchangeRate
from .crm import Activity, Contact, ContactInterest, Organization, Product, Tag, Tagging
from .goals import GOAL_DIRECTIONS, GOAL_SCOPES, Goal, GoalAlert
from .system import (AuditEntry, CustomField, IdHighWater, KernelMeta, NumberSequence,
                     OutboxMessage, PluginState)
from .web import LoginFailure, WebSession
from .webhooks import DELIVERY_STATUSES, WebhookDelivery, WebhookSubscription
from .merging import MergeRedirect
from .imports import IMPORT_STATUSES, ImportJob, ImportMapping

__all__ = [
    "BaseModel", "BaseRecord", "OwnedRecord", "MoneyAmountField", "UTCDateTimeField", "utcnow",
    "Role", "User", "Team", "TeamMember", "BUILTIN_ROLES", "ADMIN_ROLE",
    "Organization", "Contact", "ContactInterest", "Activity", "Product", "Tag", "Tagging",
    "PluginState", "KernelMeta", "CustomField", "AuditEntry", "OutboxMessage", "IdHighWater",
    "NumberSequence",
    "ApiToken", "RolePermission", "RoleRule", "SCOPES", "JobRun", "JOB_STATUSES",
    "ExchangeRate", "Goal", "GoalAlert", "GOAL_SCOPES", "GOAL_DIRECTIONS",
    "WebSession", "LoginFailure",
    "WebhookSubscription", "WebhookDelivery", "DELIVERY_STATUSES",
    "MergeRedirect",
    "ImportMapping", "ImportJob", "IMPORT_STATUSES",
]

#: Every core table, in creation order.
CORE_MODELS = [
    Role, User, Team, TeamMember, Organization, Contact, Product, ContactInterest,
    Activity, Tag, Tagging, PluginState, KernelMeta, CustomField, AuditEntry, OutboxMessage,
    ApiToken, RolePermission, RoleRule, JobRun, IdHighWater, ExchangeRate, Goal, GoalAlert,
    WebSession, LoginFailure, NumberSequence,
    WebhookSubscription, WebhookDelivery,
    MergeRedirect,
    ImportMapping, ImportJob,
]
