from django.urls import path

from . import views
from .access_review import urls as access_review_urls
from .audit_log import views as audit_log_views
from .coverage import views as coverage_views
from .inventory import views as inventory_views
from .offboarding import urls as offboarding_urls

org_urlpatterns = [
    path("governance/audit/", views.audit_log, name="audit_log"),
    path("governance/audit/export.csv", audit_log_views.audit_log_export, name="audit_log_export"),
    path("governance/audit/retention/", audit_log_views.audit_retention, name="audit_retention"),
    path("governance/coverage/", coverage_views.coverage, name="governance_coverage"),
    path("governance/inventory/", inventory_views.inventory, name="governance_inventory"),
    path(
        "governance/inventory/export.csv",
        inventory_views.inventory_export,
        name="governance_inventory_export",
    ),
    path(
        "governance/inventory/<int:channel_id>/retire/",
        inventory_views.retire,
        name="governance_retire_channel",
    ),
    *offboarding_urls.org_urlpatterns,
    *access_review_urls.org_urlpatterns,
]
