from django.urls import path

from . import views

org_urlpatterns = [
    path("governance/audit/", views.audit_log, name="audit_log"),
]

from .audit_log import views as audit_log_views  # noqa: E402

org_urlpatterns += [
    path("governance/audit/export.csv", audit_log_views.audit_log_export, name="audit_log_export"),
    path("governance/audit/retention/", audit_log_views.audit_retention, name="audit_retention"),
]
