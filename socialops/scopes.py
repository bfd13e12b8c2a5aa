"""What an API token may call: its scopes, and the one map from each API view to the scope it needs.

A token either carries scopes (every service-account token does; a personal token may) or none (a
personal token made before scopes existed, or left unscoped on purpose: it may call everything its
person may). A scoped token is checked here before any capability is asked:

- a view's *resource family* (``posts``, ``media``, ``calendar`` …) is in :data:`VIEW_FAMILIES`;
  a read (GET, HEAD, OPTIONS) needs ``<family>:read``, anything else ``<family>:write``;
- ``<family>:write`` covers ``<family>:read``; ``admin`` covers every scope;
- a view that is not in the map needs a scope nobody has: a scoped token is refused (fail closed),
  and ``tests/accounts/test_api_scopes.py`` fails for every ``/api/v1/`` route that is missing here.

A refusal is a 403 with the code ``insufficient_scope`` in the API's one error shape.

A new endpoint: add its view to :data:`VIEW_FAMILIES` (an existing family, or a new one in
:data:`FAMILIES` plus its capabilities in ``accounts.capabilities.SCOPE_CAPABILITIES``).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, permissions

ADMIN = "admin"

#: resource family → what it covers (shown beside the scope's checkbox)
FAMILIES: dict[str, str] = {
    "posts": _("posts, variants, scheduling and publishing freezes"),
    "media": _("the media library"),
    "calendar": _("the calendar: events, moves, campaigns, notes, cadence, holidays, share links"),
    "approvals": _("approval workflows, requests, decisions and post comments"),
    "channels": _("channels, channel groups and channel access grants"),
    "notifications": _("the token holder's notifications"),
    "members": _("the organization, teams, members and invitations"),
    "inbox": _(
        "the inbox: conversations, their items, replies and notes, tags, saved replies and views, "
        "figures, routing rules, SLA targets"
    ),
    "audit": _("the audit log (read-only)"),
    "analytics": _("analytics: the dashboard's figures, custom dashboards and their widgets"),
}

#: API view (``module.Class``) → its resource family, or ``ADMIN`` for views only the admin scope opens
VIEW_FAMILIES: dict[str, str] = {
    "accounts.api.OrganizationViewSet": "members",
    "accounts.api.TeamViewSet": "members",
    "accounts.api.MemberViewSet": "members",
    "accounts.api.InvitationViewSet": "members",
    "accounts.api_notifications.NotificationViewSet": "notifications",
    "accounts.service_accounts.api.ServiceAccountViewSet": ADMIN,
    "accounts.webhooks.api.WebhookEndpointViewSet": ADMIN,
    # offboarding ends a person's access everywhere: admins only
    "governance.offboarding.api.MemberOffboardingViewSet": ADMIN,
    "governance.offboarding.api.OffboardingReportViewSet": ADMIN,  # endpoints and their secrets: admins only
    "channels_registry.api.ChannelViewSet": "channels",
    "channels_registry.api.ChannelGroupViewSet": "channels",
    "channels_registry.api.ChannelGrantViewSet": "channels",
    "publishing.media.api.MediaAssetViewSet": "media",
    "publishing.posts.api.PostViewSet": "posts",
    "publishing.posts.api.VariantViewSet": "posts",
    "publishing.scheduler.api.PostSchedulingViewSet": "posts",
    "publishing.scheduler.api.VariantSchedulingViewSet": "posts",
    "publishing.scheduler.api.PublishingFreezeViewSet": "posts",
    "publishing.calendar.api.CalendarEventsViewSet": "calendar",
    "publishing.calendar.api.PostCalendarViewSet": "calendar",
    "publishing.calendar.api.CampaignViewSet": "calendar",
    "publishing.calendar.api.CalendarNoteViewSet": "calendar",
    "publishing.calendar.api.CadenceTargetViewSet": "calendar",
    "publishing.calendar.api.HolidayRegionViewSet": "calendar",
    "publishing.calendar.api.CalendarShareLinkViewSet": "calendar",
    "approvals.api.WorkflowViewSet": "approvals",
    "approvals.api.ApprovalRequestViewSet": "approvals",
    "approvals.api.PostCommentViewSet": "approvals",
    "inbox.api.ConversationViewSet": "inbox",
    "inbox.api.ItemViewSet": "inbox",
    "inbox.api.ReplyViewSet": "inbox",
    "governance.audit_log.api.AuditEventViewSet": "audit",
    # governance reads and retirements: who may administer what, across the organization
    "governance.coverage.api.CoverageViewSet": ADMIN,
    "governance.inventory.api.ChannelInventoryViewSet": ADMIN,
    "governance.access_review.api.AccessReviewViewSet": ADMIN,
    "inbox.work_api.TagViewSet": "inbox",
    "inbox.work_api.SavedReplyViewSet": "inbox",
    "inbox.work_api.SavedViewViewSet": "inbox",
    "inbox.work_api.FiguresViewSet": "inbox",
    "inbox.api.NoteViewSet": "inbox",
    "inbox.api.RoutingRuleViewSet": "inbox",
    "inbox.api.SlaTargetViewSet": "inbox",
    "analytics.api.AnalyticsSummaryViewSet": "analytics",
    "analytics.api.AnalyticsPostsViewSet": "analytics",
    "analytics.dashboards.api.DashboardViewSet": "analytics",
    "analytics.dashboards.api.WidgetViewSet": "analytics",
    # reads with analytics:read; changing a schedule needs manage_organization (the admin scope)
    "analytics.reports.api.ReportScheduleViewSet": "analytics",
    "analytics.reports.api.ReportRunViewSet": "analytics",
    "analytics.dashboards.api.DashboardShareLinkViewSet": "analytics",
}


def read_scope(family: str) -> str:
    return f"{family}:read"


def write_scope(family: str) -> str:
    return f"{family}:write"


def all_scopes() -> list[str]:
    """Every scope a token may carry, in the order forms and the schema list them."""
    out = []
    for family in FAMILIES:
        out += [read_scope(family), write_scope(family)]
    return [*out, ADMIN]


def scope_choices() -> list[tuple[str, str]]:
    choices = []
    for family, covers in FAMILIES.items():
        choices.append((read_scope(family), _("Read %(what)s") % {"what": covers}))
        choices.append((write_scope(family), _("Read and change %(what)s") % {"what": covers}))
    choices.append(
        (ADMIN, _("Administer: everything above, plus service accounts and their tokens"))
    )
    return choices


def view_key(view_class: type) -> str:
    return f"{view_class.__module__}.{view_class.__qualname__}"


def required_scope(view_class: type, method: str) -> str | None:
    """The scope a call of ``method`` on ``view_class`` needs; None when the view is not mapped."""
    family = VIEW_FAMILIES.get(view_key(view_class))
    if family is None:
        return None
    if family == ADMIN:
        return ADMIN
    return read_scope(family) if method in permissions.SAFE_METHODS else write_scope(family)


def covers(granted: Iterable[str], needed: str | None) -> bool:
    """Do the scopes ``granted`` cover ``needed``? None (an unmapped view) is covered by nothing."""
    if needed is None:
        return False
    granted = set(granted)
    if ADMIN in granted or needed in granted:
        return True
    family, _sep, level = needed.partition(":")
    return level == "read" and write_scope(family) in granted


class InsufficientScope(exceptions.PermissionDenied):
    default_code = "insufficient_scope"


def check_token_scopes(request, view) -> None:
    """Raise a 403 ``insufficient_scope`` when the request's token is scoped and its scopes miss the call."""
    token = getattr(request, "auth", None)
    if token is None or not getattr(token, "is_scoped", False):
        return
    needed = required_scope(type(view), request.method)
    if covers(token.scopes, needed):
        return
    if needed is None:
        message = _("This endpoint is not open to scoped tokens.")
    else:
        message = _(
            "This token's scopes do not cover this call: it needs the “%(scope)s” scope."
        ) % {"scope": needed}
    raise InsufficientScope(message)
