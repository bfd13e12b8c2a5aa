"""X: connecting an account: OAuth (or its equivalent), refresh and health checks."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

from ...http import json_or_error
from ..base import (
    Account,
    Credentials,
)
from ..errors import (
    AuthExpired,
    ProviderError,
    RateLimited,
    TransientError,
)
from .client import (
    _problem_message,
)


class XConnection:
    """X's connecting an account (a part of ``XProvider``)."""

    # --- OAuth ---------------------------------------------------------------------------------
    def authorization_url(
        self,
        *,
        redirect_uri: str,
        state: str,
        code_verifier: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> str:
        if not code_verifier:
            raise ProviderError("X requires PKCE: pass a code_verifier.", permanent=True)
        scopes = (extra or {}).get("scopes") or self.default_scopes
        params = {
            "response_type": "code",
            "client_id": self.config.client_id,
            "redirect_uri": redirect_uri,
            "scope": " ".join(scopes),
            "state": state,
            "code_challenge": self.pkce_challenge(code_verifier),
            "code_challenge_method": "S256",
        }
        return f"{self.urls['auth']}?{urlencode(params, quote_via=quote)}"

    def _basic_auth(self) -> str:
        raw = f"{quote(self.config.client_id, safe='')}:{quote(self.config.client_secret, safe='')}"
        return "Basic " + base64.b64encode(raw.encode()).decode()

    def _token_request(self, form: dict[str, str]) -> dict[str, Any]:
        form = {**form, "client_id": self.config.client_id}
        response = self.http.post(
            self.urls["token"],
            data=form,
            headers={
                "Authorization": self._basic_auth(),
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        status = response.status_code
        if status == 429:
            raise RateLimited(
                "X rate limit reached on the token endpoint.",
                retry_after=self._retry_after(response.headers),
                status=429,
            )
        if status >= 500:
            raise TransientError(f"X's token endpoint answered HTTP {status}.", status=status)
        body = json_or_error(response)
        if status == 200 and isinstance(body, dict) and body.get("access_token"):
            return body
        error = body.get("error", "") if isinstance(body, dict) else ""
        description = _problem_message(body) or f"HTTP {status}"
        if error in ("invalid_client", "unauthorized_client") or status == 401:
            raise ProviderError(
                f"X rejected the app's client credentials: {description}",
                permanent=True,
                status=status,
                code=error or "invalid_client",
            )
        raise AuthExpired(
            f"X would not issue a token: {description}", status=status, code=error or None
        )

    @staticmethod
    def _credentials_from(
        body: dict[str, Any], *, previous: Credentials | None = None
    ) -> Credentials:
        expires_in = body.get("expires_in")
        expires_at = datetime.now(UTC) + timedelta(seconds=int(expires_in)) if expires_in else None
        scope = body.get("scope")
        scopes = (
            tuple(scope.split())
            if isinstance(scope, str)
            else (previous.scopes if previous else ())
        )
        return Credentials(
            access_token=body["access_token"],
            # refresh tokens rotate: keep the new one (the old one is now void)
            refresh_token=body.get("refresh_token")
            or (previous.refresh_token if previous else None),
            expires_at=expires_at,
            scopes=scopes,
            extra=dict(previous.extra) if previous else {},
        )

    def _me(
        self, credentials: Credentials, fields: str = "profile_image_url,username,name,verified"
    ) -> dict[str, Any]:
        body = self._call(credentials, "GET", "/2/users/me", params={"user.fields": fields})
        user = body.get("data")
        if not isinstance(user, dict) or not user.get("id"):
            raise TransientError("X answered /2/users/me without a user.")
        return user

    def _account(self, user: dict[str, Any], credentials: Credentials) -> Account:
        credentials.extra = {
            **credentials.extra,
            "user_id": user["id"],
            "username": user.get("username", ""),
        }
        return Account(
            external_id=str(user["id"]),
            handle=user.get("username", ""),
            name=user.get("name", ""),
            credentials=credentials,
            avatar_url=user.get("profile_image_url", ""),
            url=f"{self.urls.get('web', 'https://x.com').rstrip('/')}/{user.get('username', '')}",
            extra={"verified": bool(user.get("verified"))},
        )

    def exchange_code(
        self,
        *,
        code: str,
        redirect_uri: str,
        code_verifier: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> list[Account]:
        if not code_verifier:
            raise ProviderError(
                "X requires PKCE: pass the code_verifier used for the authorization URL.",
                permanent=True,
            )
        body = self._token_request(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "code_verifier": code_verifier,
            }
        )
        credentials = self._credentials_from(body)
        return [self._account(self._me(credentials), credentials)]

    def refresh(self, credentials: Credentials) -> Credentials:
        if not credentials.refresh_token:
            raise AuthExpired("This X grant has no refresh token (offline.access was not granted).")
        body = self._token_request(
            {"grant_type": "refresh_token", "refresh_token": credentials.refresh_token}
        )
        return self._credentials_from(body, previous=credentials)

    def verify_credentials(self, credentials: Credentials, account_id: str) -> Account:
        user = self._me(credentials)
        if account_id and str(user["id"]) != str(account_id):
            raise AuthExpired("This X token now acts for a different account.")
        return self._account(user, credentials)
