from django.urls import path

from . import views

# Mounted under /o/<org_slug>/ — TenancyMiddleware resolves the organization.
org_urlpatterns = [
    path("", views.org_home, name="org_home"),
]
