from csp.decorators import csp_update
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from accounts import api as accounts_api
from accounts import api_notifications as accounts_notifications_api
from accounts import urls as accounts_urls
from accounts.service_accounts import api as service_accounts_api
from accounts.webhooks import api as webhooks_api
from analytics import api as analytics_api
from analytics import urls as analytics_urls
from analytics.dashboards import api as dashboards_api
from analytics.reports import api as analytics_reports_api
from approvals import api as approvals_api
from approvals import urls as approvals_urls
from channels_registry import api as channels_api
from channels_registry import urls as channels_urls
from channels_registry.media_urls import signed_media
from governance import urls as governance_urls
from governance.access_review import api as access_review_api
from governance.audit_log import api as governance_audit_api
from governance.coverage import api as governance_coverage_api
from governance.inventory import api as governance_inventory_api
from governance.offboarding import api as offboarding_api
from home import urls as home_urls
from inbox import api as inbox_api
from inbox import urls as inbox_urls
from inbox import work_api as inbox_work_api
from publishing import urls as publishing_urls
from publishing.calendar import api as publishing_calendar_api
from publishing.media import api as publishing_media_api
from publishing.posts import api as publishing_api
from publishing.scheduler import api as publishing_scheduling_api

from .devmail import mail_catcher
from .health import healthz

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
# No ``.json`` twins of every route: the API speaks JSON only, and a second URL per route is a second
# surface to keep safe (the handlers take no ``format`` argument). The walker checks every real pattern.
router.include_format_suffixes = False
router.register("teams", accounts_api.TeamViewSet, basename="team")
router.register("members", accounts_api.MemberViewSet, basename="member")
router.register("invitations", accounts_api.InvitationViewSet, basename="invitation")
router.register(
    "member-offboarding", offboarding_api.MemberOffboardingViewSet, basename="member-offboarding"
)
router.register(
    "offboarding-reports", offboarding_api.OffboardingReportViewSet, basename="offboarding-report"
)
router.register("access-reviews", access_review_api.AccessReviewViewSet, basename="access-review")
router.register(
    "service-accounts", service_accounts_api.ServiceAccountViewSet, basename="service-account"
)
router.register(
    "notifications", accounts_notifications_api.NotificationViewSet, basename="notification"
)
router.register("channels", channels_api.ChannelViewSet, basename="channel")
router.register("channel-groups", channels_api.ChannelGroupViewSet, basename="channel-group")
router.register("channel-grants", channels_api.ChannelGrantViewSet, basename="channel-grant")
router.register("media", publishing_media_api.MediaAssetViewSet, basename="media-asset")
router.register("posts", publishing_api.PostViewSet, basename="post")
router.register("variants", publishing_api.VariantViewSet, basename="variant")
# Scheduling actions share the posts/variants prefixes: /posts/{id}/schedule/, /variants/{id}/retry/ …
router.register(
    "posts", publishing_scheduling_api.PostSchedulingViewSet, basename="post-scheduling"
)
router.register(
    "variants", publishing_scheduling_api.VariantSchedulingViewSet, basename="variant-scheduling"
)
router.register(
    "publishing-freezes",
    publishing_scheduling_api.PublishingFreezeViewSet,
    basename="publishing-freeze",
)
# The editorial calendar (publishing/calendar/api.py): /posts/{id}/move/ shares the posts prefix.
router.register(
    "calendar/events", publishing_calendar_api.CalendarEventsViewSet, basename="calendar-events"
)
router.register("posts", publishing_calendar_api.PostCalendarViewSet, basename="post-calendar")
router.register("campaigns", publishing_calendar_api.CampaignViewSet, basename="campaign")
router.register(
    "calendar-notes", publishing_calendar_api.CalendarNoteViewSet, basename="calendar-note"
)
router.register(
    "cadence-targets", publishing_calendar_api.CadenceTargetViewSet, basename="cadence-target"
)
router.register(
    "holiday-regions", publishing_calendar_api.HolidayRegionViewSet, basename="holiday-region"
)
router.register(
    "calendar-share-links",
    publishing_calendar_api.CalendarShareLinkViewSet,
    basename="calendar-share-link",
)
router.register("approval-workflows", approvals_api.WorkflowViewSet, basename="approval-workflow")
router.register(
    "approval-requests", approvals_api.ApprovalRequestViewSet, basename="approval-request"
)
router.register("post-comments", approvals_api.PostCommentViewSet, basename="post-comment")
router.register(
    "webhook-endpoints", webhooks_api.WebhookEndpointViewSet, basename="webhook-endpoint"
)
router.register("conversations", inbox_api.ConversationViewSet, basename="conversation")
router.register("conversation-items", inbox_api.ItemViewSet, basename="conversation-item")
router.register("conversation-replies", inbox_api.ReplyViewSet, basename="conversation-reply")
router.register("audit-events", governance_audit_api.AuditEventViewSet, basename="audit-event")
router.register(
    "governance/coverage", governance_coverage_api.CoverageViewSet, basename="governance-coverage"
)
router.register(
    "channel-inventory",
    governance_inventory_api.ChannelInventoryViewSet,
    basename="channel-inventory",
)
router.register("inbox-tags", inbox_work_api.TagViewSet, basename="inbox-tag")
router.register(
    "inbox-saved-replies", inbox_work_api.SavedReplyViewSet, basename="inbox-saved-reply"
)
router.register("inbox-saved-views", inbox_work_api.SavedViewViewSet, basename="inbox-saved-view")
router.register("inbox-figures", inbox_work_api.FiguresViewSet, basename="inbox-figures")
router.register("conversation-notes", inbox_api.NoteViewSet, basename="conversation-note")
router.register("inbox-routing-rules", inbox_api.RoutingRuleViewSet, basename="inbox-routing-rule")
router.register("inbox-sla-targets", inbox_api.SlaTargetViewSet, basename="inbox-sla-target")
router.register(
    "analytics/summary", analytics_api.AnalyticsSummaryViewSet, basename="analytics-summary"
)
router.register("analytics/posts", analytics_api.AnalyticsPostsViewSet, basename="analytics-posts")
router.register(
    "analytics/dashboards", dashboards_api.DashboardViewSet, basename="analytics-dashboard"
)
router.register("analytics/widgets", dashboards_api.WidgetViewSet, basename="analytics-widget")
router.register(
    "analytics/report-schedules",
    analytics_reports_api.ReportScheduleViewSet,
    basename="report-schedule",
)
router.register(
    "analytics/report-runs", analytics_reports_api.ReportRunViewSet, basename="report-run"
)
router.register(
    "analytics/dashboard-share-links",
    dashboards_api.DashboardShareLinkViewSet,
    basename="analytics-dashboard-share-link",
)

api_v1 = [
    path(
        "organization/",
        accounts_api.OrganizationViewSet.as_view({"get": "current", "patch": "update_current"}),
        name="api_organization",
    ),
    *router.urls,
]

org_urlpatterns = (
    home_urls.org_urlpatterns
    + accounts_urls.org_urlpatterns
    + governance_urls.org_urlpatterns
    + channels_urls.org_urlpatterns
    + publishing_urls.org_urlpatterns
    + approvals_urls.org_urlpatterns
    + inbox_urls.org_urlpatterns
    + analytics_urls.org_urlpatterns
)

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    # Development only: the e-mails this machine sent (a 404 unless DEBUG; socialops/devmail.py).
    path("dev/mail/", mail_catcher, name="dev_mail"),
    # Public by design: networks pull media through signed, expiring links (channels_registry.media_urls).
    path("media/s/<str:signed>/", signed_media, name="signed_media"),
    *publishing_urls.public_urlpatterns,  # the read-only calendar share links and their iCal feed
    *analytics_urls.public_urlpatterns,  # the read-only dashboard share links
    path("accounts/", include("allauth.urls")),
    path("o/<slug:org_slug>/", include(org_urlpatterns)),
    path("api/v1/", include(api_v1)),
    # OPTIONS would describe these views with DRF's metadata, which the docs page cannot render (a 500).
    path("api/schema/", SpectacularAPIView.as_view(metadata_class=None), name="api_schema"),
    # Swagger UI styles itself inline; only this page relaxes style-src.
    path(
        "api/docs/",
        csp_update({"style-src": ["'unsafe-inline'"]})(
            SpectacularSwaggerSplitView.as_view(url_name="api_schema", metadata_class=None)
        ),
        name="api_docs",
    ),
    *channels_urls.urlpatterns,
    *accounts_urls.urlpatterns,
    *approvals_urls.urlpatterns,
]

# The 500 page in the request's language, never failing itself (socialops/errorpages.py).
handler404 = "socialops.errorpages.page_not_found"
handler500 = "socialops.errorpages.server_error"
