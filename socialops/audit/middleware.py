"""Binds who and where (actor, IP, channel of access: web, API or SCIM) to the request, for the audit
log. API token authentication runs later, in the view, and names its user with
``set_audit_actor``."""

from __future__ import annotations

from .services import audit_context


class AuditContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if request.path.startswith("/api/"):
            via = "api"
        elif request.path.startswith("/scim/"):  # the identity provider's provisioning calls
            via = "scim"
        else:
            via = "web"
        with audit_context(
            actor=user if user is not None and user.is_authenticated else None,
            ip_address=request.META.get("REMOTE_ADDR"),
            via=via,
        ):
            return self.get_response(request)
