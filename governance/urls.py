from django.urls import path

from . import views

org_urlpatterns = [
    path("governance/audit/", views.audit_log, name="audit_log"),
]
