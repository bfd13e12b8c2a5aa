"""DRF permission that checks a scoped token's scopes (socialops.scopes), then asks the one capability
function (kept apart from socialops.api to avoid an import cycle: DRF imports its default permission
classes while it loads its views)."""

from __future__ import annotations

from rest_framework import permissions
from rest_framework.exceptions import NotAuthenticated

from accounts.capabilities import can

from .scopes import check_token_scopes


class HasCapability(permissions.BasePermission):
    def has_permission(self, request, view):
        membership = getattr(request._request, "membership", None)
        if membership is None:
            raise NotAuthenticated()
        # A scoped token (every service account's) first needs a scope that covers the call.
        check_token_scopes(request, view)
        return can(membership, view.required_capability(request))

    def has_object_permission(self, request, view, obj):
        return can(request._request.membership, view.required_capability(request), obj)
