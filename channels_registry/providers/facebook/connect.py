"""Facebook: connecting an account: OAuth (or its equivalent), refresh and health checks."""

from __future__ import annotations

from typing import Any

from ..base import (
    Account,
    Credentials,
)


class FacebookConnection:
    """Facebook's connecting an account (a part of ``FacebookProvider``)."""

    # --- OAuth ---------------------------------------------------------------------------------
    def authorization_url(
        self,
        *,
        redirect_uri: str,
        state: str,
        code_verifier: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> str:
        return self.facebook_dialog_url(
            redirect_uri=redirect_uri, state=state, scopes=self._scopes(), extra=extra
        )

    def exchange_code(
        self,
        *,
        code: str,
        redirect_uri: str,
        code_verifier: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> list[Account]:
        user_token, _user_expiry = self.facebook_user_token(code=code, redirect_uri=redirect_uri)
        scopes = self.granted_permissions(self.api, user_token)
        me = self.graph_get(self.api, "me", user_token, {"fields": "id,name"})
        accounts = []
        for page in self.graph_pages(
            self.api,
            "me/accounts",
            user_token,
            {"fields": "id,name,access_token,username,link,picture,tasks", "limit": 100},
        ):
            if not page.get("access_token"):
                continue  # the person cannot act for this Page (no tasks granted to the app)
            accounts.append(
                self._page_account(
                    page,
                    Credentials(
                        access_token=page["access_token"],
                        expires_at=None,  # Page tokens from a long-lived user token do not expire
                        scopes=scopes,
                        extra={
                            "page_id": str(page["id"]),
                            "user_id": str(me.get("id", "")),
                            "tasks": list(page.get("tasks") or []),
                        },
                    ),
                )
            )
        return accounts

    @staticmethod
    def _page_account(page: dict[str, Any], credentials: Credentials) -> Account:
        page_id = str(page["id"])
        picture = (
            (page.get("picture") or {}).get("data", {})
            if isinstance(page.get("picture"), dict)
            else {}
        )
        return Account(
            external_id=page_id,
            handle=page.get("username") or page_id,
            name=page.get("name") or page_id,
            credentials=credentials,
            avatar_url=picture.get("url", "") if isinstance(picture, dict) else "",
            url=page.get("link") or f"https://www.facebook.com/{page_id}",
            extra={"tasks": list(page.get("tasks") or [])},
        )

    def refresh(self, credentials: Credentials) -> Credentials:
        """Page tokens do not expire and have no refresh grant: confirm the token still works
        (190 → AuthExpired, the Page must be connected again) and hand the same credentials back."""
        self.graph_get(self.api, "me", credentials.access_token, {"fields": "id"})
        return credentials

    def verify_credentials(self, credentials: Credentials, account_id: str) -> Account:
        page = self.graph_get(
            self.api,
            account_id,
            credentials.access_token,
            {"fields": "id,name,username,link,picture,followers_count"},
        )
        return self._page_account(page, credentials)
