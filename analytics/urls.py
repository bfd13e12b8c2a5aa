from django.urls import path

from . import views
from .dashboards import urls as dashboard_urls
from .reports import urls as report_urls

# Mounted under /o/<org_slug>/ — TenancyMiddleware resolves the organization for all of them.
org_urlpatterns = [
    path("analytics/", views.dashboard, name="analytics_dashboard"),
    path("analytics/pdf/", views.dashboard_pdf, name="analytics_dashboard_pdf"),
    path("analytics/posts/", views.post_analytics, name="analytics_posts"),
    path("analytics/posts/export/", views.post_analytics_export, name="analytics_posts_export"),
    path("analytics/campaigns/", views.campaign_analytics, name="analytics_campaigns"),
    *dashboard_urls.org_urlpatterns,
    *report_urls.org_urlpatterns,
]

# Public: the read-only shared dashboards (no account; socialops/urls.py mounts them at the root).
public_urlpatterns = [*dashboard_urls.public_urlpatterns]
