"""Roles and the capabilities they grant: the one place that answers "may this person do this?".

Pages, the API, tasks and templates all call :func:`can` (or :func:`require`). Later issues
narrow capabilities per channel or team; they extend :func:`can`, not its callers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import models
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from .models import Membership


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    ADMIN = "admin", _("Admin")
    MANAGER = "manager", _("Manager")
    PUBLISHER = "publisher", _("Publisher")
    CONTRIBUTOR = "contributor", _("Contributor")
    MODERATOR = "moderator", _("Moderator")
    ANALYST = "analyst", _("Analyst")
    VIEWER = "viewer", _("Viewer")


class Capability(models.TextChoices):
    VIEW = "view", _("See the organization's plan, posts and channels")
    COMPOSE = "compose", _("Write drafts and submit them for approval")
    PUBLISH = "publish", _("Schedule and publish posts")
    APPROVE = "approve", _("Approve or reject posts")
    MODERATE = "moderate", _("Answer, hide and delete comments and messages")
    VIEW_ANALYTICS = "view_analytics", _("See analytics and reports")
    MANAGE_CHANNELS = "manage_channels", _("Connect, reconnect and remove channels")
    MANAGE_WORKFLOWS = "manage_workflows", _("Edit approval workflows")
    MANAGE_TEAMS = "manage_teams", _("Create, rename and move teams")
    MANAGE_MEMBERS = "manage_members", _("Invite people, change roles, deactivate members")
    MANAGE_GOVERNANCE = (
        "manage_governance",
        _("Audit log, offboarding, security policies, incidents"),
    )
    MANAGE_ORGANIZATION = "manage_organization", _("Organization settings")
    MANAGE_OWNERS = "manage_owners", _("Make or remove owners")


C = Capability
_ALL = frozenset(Capability)

ROLE_CAPABILITIES: dict[str, frozenset[str]] = {
    Role.OWNER: _ALL,
    Role.ADMIN: _ALL - {C.MANAGE_OWNERS},
    Role.MANAGER: frozenset(
        {
            C.VIEW,
            C.COMPOSE,
            C.PUBLISH,
            C.APPROVE,
            C.MODERATE,
            C.VIEW_ANALYTICS,
            C.MANAGE_CHANNELS,
            C.MANAGE_WORKFLOWS,
            C.MANAGE_TEAMS,
        }
    ),
    Role.PUBLISHER: frozenset({C.VIEW, C.COMPOSE, C.PUBLISH, C.MODERATE, C.VIEW_ANALYTICS}),
    Role.CONTRIBUTOR: frozenset({C.VIEW, C.COMPOSE}),
    Role.MODERATOR: frozenset({C.VIEW, C.MODERATE}),
    Role.ANALYST: frozenset({C.VIEW, C.VIEW_ANALYTICS}),
    Role.VIEWER: frozenset({C.VIEW}),
}


#: what each API token scope lets a service account do (socialops.scopes names the scopes). A service
#: account acts with the union over its token's scopes, never more than the admin role grants.
SCOPE_CAPABILITIES: dict[str, frozenset[str]] = {
    "posts:read": frozenset({C.VIEW}),
    "posts:write": frozenset({C.VIEW, C.COMPOSE, C.PUBLISH}),
    "media:read": frozenset({C.VIEW}),
    "media:write": frozenset({C.VIEW, C.COMPOSE}),
    "calendar:read": frozenset({C.VIEW}),
    "calendar:write": frozenset({C.VIEW, C.COMPOSE, C.PUBLISH}),
    "approvals:read": frozenset({C.VIEW}),
    "approvals:write": frozenset({C.VIEW, C.COMPOSE, C.APPROVE, C.MANAGE_WORKFLOWS}),
    "channels:read": frozenset({C.VIEW}),
    "channels:write": frozenset({C.VIEW, C.MANAGE_CHANNELS}),
    "notifications:read": frozenset({C.VIEW}),
    "notifications:write": frozenset({C.VIEW}),
    "members:read": frozenset({C.VIEW}),
    "members:write": frozenset({C.VIEW, C.MANAGE_MEMBERS, C.MANAGE_TEAMS, C.MANAGE_ORGANIZATION}),
    "inbox:read": frozenset({C.VIEW}),
    "inbox:write": frozenset({C.VIEW, C.MODERATE}),
    "audit:read": frozenset({C.VIEW, C.MANAGE_GOVERNANCE}),
    "audit:write": frozenset({C.VIEW, C.MANAGE_GOVERNANCE}),  # the log is read-only
    "analytics:read": frozenset({C.VIEW, C.VIEW_ANALYTICS}),
    # the figures are read-only; custom dashboards are made and changed with view_analytics
    "analytics:write": frozenset({C.VIEW, C.VIEW_ANALYTICS}),
    "admin": ROLE_CAPABILITIES[Role.ADMIN],
}


def capabilities_of_scopes(scopes) -> frozenset[str]:
    """The capabilities a service account's token with ``scopes`` acts with."""
    out: set[str] = set()
    for scope in scopes:
        out |= SCOPE_CAPABILITIES.get(scope, frozenset())
    return frozenset(out) & ROLE_CAPABILITIES[Role.ADMIN]


def role_grants(role: str, capability: str) -> bool:
    return capability in ROLE_CAPABILITIES.get(role, frozenset())


def can(membership: Membership | None, capability: str, obj: Any = None) -> bool:
    """May the holder of ``membership`` use ``capability`` (on ``obj``, when given)?

    False for no membership, an inactive one, a role that lacks the capability, and an
    object that belongs to another organization.
    """
    if membership is None or not membership.is_active or not membership.user.is_active:
        return False
    if capability not in Capability.values:
        raise ValueError(f"Unknown capability {capability!r}")
    # A service account (accounts.service_accounts.ServiceAccountActor) acts within its token's scopes.
    ceiling = getattr(membership, "capability_ceiling", None)
    if ceiling is not None and capability not in ceiling:
        return False
    if obj is not None:
        obj_org_id = getattr(obj, "organization_id", None)
        if obj_org_id is not None and obj_org_id != membership.organization_id:
            return False
        # Objects that carry their own access rules (a channel's grants, a restricted channel)
        # answer for themselves; None means "the role decides".
        decide = getattr(obj, "decide_capability", None)
        if decide is not None:
            verdict = decide(membership, capability)
            if verdict is not None:
                return bool(verdict)
    return role_grants(membership.role, capability)


def capabilities_of(membership: Membership | None) -> frozenset[str]:
    if membership is None or not membership.is_active:
        return frozenset()
    granted = ROLE_CAPABILITIES.get(membership.role, frozenset())
    ceiling = getattr(membership, "capability_ceiling", None)
    return granted if ceiling is None else granted & ceiling


def matrix() -> list[tuple[str, list[bool]]]:
    """Capability rows × role columns, for the README and the roles page."""
    return [(cap, [role_grants(role, cap) for role in Role.values]) for cap in Capability.values]


def require(
    membership: Membership | None, capability: str, obj: Any = None, message: str | None = None
) -> None:
    """Raise :class:`socialops.errors.NotAllowed` (403 in the API) unless :func:`can` says yes.

    Services call this; pages use :func:`require_page`, which answers Django's 403 page instead.
    """
    from socialops.errors import NotAllowed

    if not can(membership, capability, obj):
        raise NotAllowed(message or _("You do not have permission to do that."))


def require_page(request, capability: str, obj: Any = None) -> None:
    """For views: Django's ``PermissionDenied`` (the 403 page) unless the request's member may."""
    from django.core.exceptions import PermissionDenied

    if not can(getattr(request, "membership", None), capability, obj):
        raise PermissionDenied
