from django.urls import path

from . import views

# Mounted under /o/<org_slug>/ — TenancyMiddleware resolves the organization for all of them.
org_urlpatterns = [
    path("analytics/", views.dashboard, name="analytics_dashboard"),
]
