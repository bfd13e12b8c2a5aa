"""The one DRF base view: authentication, permission and queryset scoping live here.

Subclasses declare ``capability`` (or a per-action map) and ``scoped_queryset(org)``; they do
not override ``get_queryset``/``get_object``. A token names one organization, so an id from
another organization is simply not in the queryset: a 404.
"""

from __future__ import annotations

from rest_framework import permissions, viewsets

from accounts.capabilities import Capability


class OrgScopedViewSet(viewsets.GenericViewSet):
    #: capability for reads (GET/HEAD/OPTIONS)
    read_capability: str = Capability.VIEW
    #: capability for writes; actions can override with ``action_capabilities``
    write_capability: str = Capability.MANAGE_ORGANIZATION
    action_capabilities: dict[str, str] = {}
    #: the tenant-owned model listed (for schema generation only)
    model = None

    @property
    def organization(self):
        return self.request._request.organization

    @property
    def membership(self):
        return self.request._request.membership

    def required_capability(self, request) -> str:
        if self.action in self.action_capabilities:
            return self.action_capabilities[self.action]
        return self.read_capability if request.method in permissions.SAFE_METHODS else self.write_capability

    def scoped_queryset(self, organization):  # pragma: no cover - subclasses define it
        raise NotImplementedError

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return self.model.objects.unscoped().none()
        return self.scoped_queryset(self.organization)
