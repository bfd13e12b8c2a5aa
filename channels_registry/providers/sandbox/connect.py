"""Sandbox: connecting an account: OAuth (or its equivalent), refresh and health checks."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.urls import reverse

from ..base import (
    Account,
    Credentials,
)
from ..errors import AuthExpired, ProviderError
from .client import (
    _CODE_SALT,
    _DISABLED,
    CODE_MAX_AGE,
    SANDBOX_ACCOUNTS,
    account_for,
    issue_credentials,
    sandbox_allowed,
)


class SandboxConnection:
    """Sandbox's connecting an account (a part of ``SandboxProvider``)."""

    # --- OAuth ----------------------------------------------------------------------------
    def authorization_url(
        self,
        *,
        redirect_uri: str,
        state: str,
        code_verifier: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> str:
        query = urlencode(
            {
                "client_id": "socialops",
                "redirect_uri": redirect_uri,
                "state": state,
                "response_type": "code",
                "scope": "read write",
            }
        )
        return f"{settings.SITE_URL}{reverse('sandbox_authorize')}?{query}"

    def exchange_code(
        self,
        *,
        code: str,
        redirect_uri: str,
        code_verifier: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> list[Account]:
        try:
            payload = signing.loads(code, salt=_CODE_SALT, max_age=CODE_MAX_AGE)
        except signing.BadSignature:
            raise ProviderError(
                "The sandbox refused the authorization code.", permanent=True, code="invalid_grant"
            ) from None
        if payload.get("redirect_uri") != redirect_uri:
            raise ProviderError(
                "The redirect URI does not match the one authorized.",
                permanent=True,
                code="invalid_grant",
            )
        org_id = int((extra or {})["organization_id"])
        from accounts.selectors import all_organizations

        organization = all_organizations().filter(pk=org_id).first()
        if organization is None or not sandbox_allowed(organization):
            raise ProviderError(_DISABLED, permanent=True, code="network_disabled")
        known = {ext for ext, _h, _n in SANDBOX_ACCOUNTS}
        return [account_for(ext, org_id) for ext in payload.get("accounts", []) if ext in known]

    def refresh(self, credentials: Credentials) -> Credentials:
        if not credentials.refresh_token:
            raise AuthExpired("No refresh token: reconnect the channel.")
        data = self._read_token(credentials.refresh_token, "r")
        return issue_credentials(data["acct"], data["org"])

    def verify_credentials(self, credentials: Credentials, account_id: str) -> Account:
        channel = self._channel(credentials, account_id)
        return Account(
            external_id=account_id,
            handle=channel.handle,
            name=channel.name,
            credentials=credentials,
            url=channel.url,
        )
