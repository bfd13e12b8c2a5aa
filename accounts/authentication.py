"""API authentication: ``Authorization: Bearer sop_…`` names a member, or a service account, of one organization.

A service account's request acts as :class:`accounts.service_accounts.services.ServiceAccountActor`
(``request.membership`` for the views and services), its own user is the audit log's actor.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from socialops.audit.services import set_audit_actor
from socialops.throttling import record_auth_failure, refuse_if_auth_failures_exceeded

from .services import authenticate_token


class OrganizationTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        # An address that keeps failing is refused (429) before any token is looked at.
        refuse_if_auth_failures_exceeded(request)
        parts = header.split()
        if len(parts) != 2 or parts[0] not in ("Bearer", "Token"):
            record_auth_failure(request)
            raise exceptions.AuthenticationFailed(
                _("Send the token as: Authorization: Bearer <token>.")
            )
        token = authenticate_token(parts[1])
        if token is None:
            record_auth_failure(request)
            raise exceptions.AuthenticationFailed(
                _("This token is not valid, has expired or was revoked.")
            )
        if token.service_account_id is not None:
            from .service_accounts.services import ServiceAccountActor

            acting = ServiceAccountActor(token)
        else:
            acting = token.membership
        request._request.organization = acting.organization
        request._request.membership = acting
        set_audit_actor(acting.user, via="api")
        return (acting.user, token)

    def authenticate_header(self, request):
        return self.keyword


class OrganizationTokenScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.OrganizationTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal or service-account token of one organization. A token with scopes may call only the endpoints its scopes cover (403 `insufficient_scope` otherwise).",
        }
