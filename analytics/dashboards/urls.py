from django.urls import path

from . import views

# Mounted under /o/<org_slug>/ (analytics/urls.py): TenancyMiddleware resolves the organization.
org_urlpatterns = [
    path("analytics/dashboards/", views.dashboard_list, name="analytics_dashboards"),
    path("analytics/dashboards/new/", views.dashboard_create, name="analytics_dashboard_create"),
    path(
        "analytics/dashboards/<int:dashboard_id>/",
        views.dashboard_detail,
        name="analytics_dashboard_detail",
    ),
    path(
        "analytics/dashboards/<int:dashboard_id>/edit/",
        views.dashboard_edit,
        name="analytics_dashboard_edit",
    ),
    path(
        "analytics/dashboards/<int:dashboard_id>/delete/",
        views.dashboard_delete,
        name="analytics_dashboard_delete",
    ),
    path(
        "analytics/dashboards/<int:dashboard_id>/duplicate/",
        views.dashboard_duplicate,
        name="analytics_dashboard_duplicate",
    ),
    path(
        "analytics/dashboards/<int:dashboard_id>/arrange/",
        views.dashboard_arrange,
        name="analytics_dashboard_arrange",
    ),
    path(
        "analytics/dashboards/<int:dashboard_id>/share/",
        views.dashboard_share,
        name="analytics_dashboard_share",
    ),
    path(
        "analytics/dashboards/<int:dashboard_id>/share/<int:link_id>/revoke/",
        views.dashboard_share_revoke,
        name="analytics_dashboard_share_revoke",
    ),
    path(
        "analytics/dashboards/<int:dashboard_id>/widgets/",
        views.widget_add,
        name="analytics_widget_add",
    ),
    path(
        "analytics/dashboards/<int:dashboard_id>/widgets/<int:widget_id>/",
        views.widget_update,
        name="analytics_widget_update",
    ),
    path(
        "analytics/dashboards/<int:dashboard_id>/widgets/<int:widget_id>/move/",
        views.widget_move,
        name="analytics_widget_move",
    ),
    path(
        "analytics/dashboards/<int:dashboard_id>/widgets/<int:widget_id>/remove/",
        views.widget_remove,
        name="analytics_widget_remove",
    ),
]

# Public: a dashboard share link is its own credential (signed, revocable, optionally expiring;
# the kernel's socialops.sharing). Mounted at the root, beside the calendar's.
public_urlpatterns = [
    path("shared/dashboards/<str:share_token>/", views.shared_dashboard, name="dashboard_shared"),
]
