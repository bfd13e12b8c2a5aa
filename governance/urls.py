from django.urls import path

from . import views
from .offboarding import urls as offboarding_urls

org_urlpatterns = [
    path("governance/audit/", views.audit_log, name="audit_log"),
    *offboarding_urls.org_urlpatterns,
]
