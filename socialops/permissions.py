"""DRF permission that asks the one capability function (kept apart from socialops.api to avoid
an import cycle: DRF imports its default permission classes while it loads its views)."""

from __future__ import annotations

from rest_framework import permissions
from rest_framework.exceptions import NotAuthenticated

from accounts.capabilities import can


class HasCapability(permissions.BasePermission):
    def has_permission(self, request, view):
        membership = getattr(request._request, "membership", None)
        if membership is None:
            raise NotAuthenticated()
        return can(membership, view.required_capability(request))

    def has_object_permission(self, request, view, obj):
        return can(request._request.membership, view.required_capability(request), obj)
