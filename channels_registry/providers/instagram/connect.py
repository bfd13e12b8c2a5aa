"""Instagram: connecting an account: OAuth (or its equivalent), refresh and health checks."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from ..base import (
    Account,
    Credentials,
)
from ..errors import TransientError
from .client import (
    _expiry,
)


class InstagramConnection:
    """Instagram's connecting an account (a part of ``InstagramProvider``)."""

    # --- OAuth ---------------------------------------------------------------------------------
    def authorization_url(
        self,
        *,
        redirect_uri: str,
        state: str,
        code_verifier: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> str:
        if self.login == "facebook":
            return self.facebook_dialog_url(
                redirect_uri=redirect_uri, state=state, scopes=self._scopes(), extra=extra
            )
        query = {
            "client_id": self.config.client_id,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "scope": ",".join(self._scopes()),
            "state": state,
        }
        return f"{self.urls['ig_auth'].rstrip('/')}/oauth/authorize?{urlencode(query, quote_via=quote)}"

    def exchange_code(
        self,
        *,
        code: str,
        redirect_uri: str,
        code_verifier: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> list[Account]:
        if self.login == "instagram":
            return [self._exchange_instagram_login(code=code, redirect_uri=redirect_uri)]
        api = self.urls["api"]
        user_token, _expiry = self.facebook_user_token(code=code, redirect_uri=redirect_uri)
        scopes = self.granted_permissions(api, user_token)
        accounts = []
        for page in self.graph_pages(
            api,
            "me/accounts",
            user_token,
            {
                "fields": "id,name,access_token,instagram_business_account{id,username,name,profile_picture_url}",
                "limit": 100,
            },
        ):
            ig = page.get("instagram_business_account") or {}
            if not ig.get("id") or not page.get("access_token"):
                continue  # a Page without a linked professional Instagram account
            username = ig.get("username") or ""
            accounts.append(
                Account(
                    external_id=str(ig["id"]),
                    handle=username or str(ig["id"]),
                    name=ig.get("name") or username,
                    avatar_url=ig.get("profile_picture_url") or "",
                    url=f"https://www.instagram.com/{username}/" if username else "",
                    credentials=Credentials(
                        access_token=page["access_token"],
                        expires_at=None,
                        scopes=scopes,
                        extra={
                            "login": "facebook",
                            "ig_user_id": str(ig["id"]),
                            "page_id": str(page["id"]),
                            "username": username,
                        },
                    ),
                    extra={"page_id": str(page["id"]), "page_name": page.get("name", "")},
                )
            )
        return accounts

    def _exchange_instagram_login(self, *, code: str, redirect_uri: str) -> Account:
        short = self._send(
            "POST",
            f"{self.urls['ig_token'].rstrip('/')}/oauth/access_token",
            form_body={
                "client_id": self.config.client_id,
                "client_secret": self.config.client_secret,
                "grant_type": "authorization_code",
                "redirect_uri": redirect_uri,
                "code": code,
            },
        )
        if isinstance(short, dict) and isinstance(short.get("data"), list) and short["data"]:
            short = short["data"][0]  # newer answers wrap the token in "data"
        if not isinstance(short, dict) or not short.get("access_token"):
            raise TransientError("Instagram answered the code exchange without an access token.")
        permissions = short.get("permissions") or ()
        if isinstance(permissions, str):
            permissions = [p for p in permissions.split(",") if p]
        long = self._send(
            "GET",
            f"{self.urls['ig_api'].rstrip('/')}/access_token",
            params={
                "grant_type": "ig_exchange_token",
                "client_secret": self.config.client_secret,
                "access_token": short["access_token"],
            },
        )
        if not long.get("access_token"):
            raise TransientError("Instagram answered the token exchange without an access token.")
        token = long["access_token"]
        me = self.graph_get(
            self.urls["ig_api"],
            "me",
            token,
            {"fields": "user_id,username,name,profile_picture_url,account_type"},
        )
        ig_id = str(me.get("user_id") or short.get("user_id") or me.get("id"))
        username = me.get("username") or ""
        return Account(
            external_id=ig_id,
            handle=username or ig_id,
            name=me.get("name") or username,
            avatar_url=me.get("profile_picture_url") or "",
            url=f"https://www.instagram.com/{username}/" if username else "",
            credentials=Credentials(
                access_token=token,
                expires_at=_expiry(long.get("expires_in")),
                scopes=tuple(permissions),
                extra={"login": "instagram", "ig_user_id": ig_id, "username": username},
            ),
            extra={"account_type": me.get("account_type", "")},
        )

    def refresh(self, credentials: Credentials) -> Credentials:
        if self._login_of(credentials) == "instagram":
            # Documented: the long-lived token must be at least 24 h old and not yet expired.
            body = self._send(
                "GET",
                f"{self.urls['ig_api'].rstrip('/')}/refresh_access_token",
                params={"grant_type": "ig_refresh_token", "access_token": credentials.access_token},
            )
            if not body.get("access_token"):
                raise TransientError("Instagram answered the refresh without an access token.")
            return Credentials(
                access_token=body["access_token"],
                refresh_token=None,
                expires_at=_expiry(body.get("expires_in")),
                scopes=credentials.scopes,
                extra=dict(credentials.extra),
            )
        # Facebook Login: a Page token never expires and has no refresh grant; confirm it still works.
        self.graph_get(self.urls["api"], "me", credentials.access_token, {"fields": "id"})
        return credentials

    def verify_credentials(self, credentials: Credentials, account_id: str) -> Account:
        me = self.graph_get(
            self._api(credentials),
            account_id,
            credentials.access_token,
            {"fields": "id,username,name,profile_picture_url,followers_count"},
        )
        username = me.get("username") or credentials.extra.get("username") or ""
        return Account(
            external_id=account_id,
            handle=username or account_id,
            name=me.get("name") or username,
            avatar_url=me.get("profile_picture_url") or "",
            url=f"https://www.instagram.com/{username}/" if username else "",
            credentials=credentials,
        )
