"""Mastodon: connecting an account: OAuth (or its equivalent), refresh and health checks."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode, urlsplit

from ...http import check_destination
from ..base import (
    Account,
    Capabilities,
    Credentials,
)
from ..errors import (
    AuthExpired,
    ProviderError,
    TransientError,
)
from .client import (
    DEFAULT_CHARS_PER_URL,
    DEFAULT_IMAGE_BYTES,
    DEFAULT_MAX_CHARACTERS,
    DEFAULT_MAX_MEDIA,
    DEFAULT_VIDEO_BYTES,
    normalize_instance_url,
    qualified_account_id,
)


class MastodonConnection:
    """Mastodon's connecting an account (a part of ``MastodonProvider``)."""

    # --- Connection ------------------------------------------------------------------------

    def register_app(self, instance_url: str, *, redirect_uri: str) -> dict[str, str]:
        """``POST /api/v1/apps`` on the instance; store the returned pair (it is a secret) per instance."""
        base = normalize_instance_url(instance_url)
        form = {
            "client_name": self.config.extra.get("client_name", "SocialOps"),
            "redirect_uris": redirect_uri,
            "scopes": " ".join(self._scopes()),
        }
        if self.config.extra.get("website"):
            form["website"] = self.config.extra["website"]
        body = self._json(self._call("POST", base, "/api/v1/apps", data=form))
        if not isinstance(body, dict) or not body.get("client_id") or not body.get("client_secret"):
            raise TransientError("The Mastodon server did not return a client id and secret.")
        return {"client_id": str(body["client_id"]), "client_secret": str(body["client_secret"])}

    def authorization_url(
        self,
        *,
        redirect_uri: str,
        state: str,
        code_verifier: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> str:
        extra = extra or {}
        base = self._base_from(extra.get("instance_url"))
        check_destination(base)  # do not send a person (or later our tokens) to a private address
        client_id, _ = self._client(extra)
        params = {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "scope": " ".join(self._scopes()),
            "state": state,
        }
        if code_verifier:
            digest = hashlib.sha256(code_verifier.encode()).digest()
            params["code_challenge"] = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
            params["code_challenge_method"] = "S256"
        if extra.get("force_login"):
            params["force_login"] = "true"
        return f"{base}/oauth/authorize?{urlencode(params)}"

    def exchange_code(
        self,
        *,
        code: str,
        redirect_uri: str,
        code_verifier: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> list[Account]:
        extra = extra or {}
        base = self._base_from(extra.get("instance_url"))
        client_id, client_secret = self._client(extra)
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "client_id": client_id,
            "client_secret": client_secret,
            "redirect_uri": redirect_uri,
            "scope": " ".join(self._scopes()),
        }
        if code_verifier:
            form["code_verifier"] = code_verifier
        token = self._json(self._call("POST", base, "/oauth/token", data=form))
        if not isinstance(token, dict) or not token.get("access_token"):
            raise TransientError("The Mastodon server did not return an access token.")
        credentials = Credentials(
            access_token=str(token["access_token"]),
            scopes=tuple(str(token.get("scope") or " ".join(self._scopes())).split()),
            extra={"instance_url": base},
        )
        me = self._me(credentials)
        credentials.extra.update({"account_id": str(me["id"]), "acct": str(me.get("acct") or "")})
        return [self._account(me, credentials)]

    def refresh(self, credentials: Credentials) -> Credentials:
        """Mastodon tokens do not expire and have no refresh token: check the token, keep it."""
        self._me(credentials)
        return credentials

    def verify_credentials(self, credentials: Credentials, account_id: str) -> Account:
        account_id = self._account_id(credentials, account_id) if account_id else ""
        me = self._me(credentials)
        if account_id and str(me.get("id")) != account_id:
            raise AuthExpired(
                "This Mastodon authorization now belongs to a different account; connect the channel again."
            )
        return self._account(me, credentials)

    # --- Instance limits -------------------------------------------------------------------

    def instance_limits(self, instance_url: str) -> dict[str, Any]:
        """What this instance allows (``GET /api/v2/instance``, falling back to v1 on older servers)."""
        base = normalize_instance_url(instance_url)
        try:
            body = self._json(self._call("GET", base, "/api/v2/instance"))
        except ProviderError as exc:
            if exc.status not in (404, 410):
                raise
            body = self._json(self._call("GET", base, "/api/v1/instance"))
        if not isinstance(body, dict):
            raise TransientError("The Mastodon server's instance description is not an object.")
        conf = body.get("configuration") or {}
        statuses = conf.get("statuses") or {}
        media = conf.get("media_attachments") or {}

        def number(value: Any, default: int | None) -> int | None:
            return int(value) if isinstance(value, int | float) and value > 0 else default

        return {
            "version": str(body.get("version") or ""),
            "max_characters": number(
                statuses.get("max_characters") or body.get("max_toot_chars"), DEFAULT_MAX_CHARACTERS
            ),
            "max_media_attachments": number(
                statuses.get("max_media_attachments"), DEFAULT_MAX_MEDIA
            ),
            "characters_reserved_per_url": number(
                statuses.get("characters_reserved_per_url"), DEFAULT_CHARS_PER_URL
            ),
            "image_size_limit": number(media.get("image_size_limit"), DEFAULT_IMAGE_BYTES),
            "video_size_limit": number(media.get("video_size_limit"), DEFAULT_VIDEO_BYTES),
            "description_limit": number(media.get("description_limit"), None),
            "supported_mime_types": tuple(media.get("supported_mime_types") or ()),
        }

    def account_facts(self, credentials: Credentials, account_id: str) -> dict[str, Any]:
        """The instance's own limits, kept on the channel: the composer counts against them."""
        limits = self.instance_limits(self._base(credentials))
        return {
            "max_characters": limits["max_characters"],
            "max_media_attachments": limits["max_media_attachments"],
        }

    def instance_capabilities(self, instance_url: str) -> Capabilities:
        """The class capabilities narrowed (or widened) to what this instance reports."""
        limits = self.instance_limits(instance_url)
        caps = self.capabilities
        return replace(
            caps,
            text_limit=limits["max_characters"],
            max_images=limits["max_media_attachments"],
            image=replace(caps.image, max_bytes=limits["image_size_limit"]) if caps.image else None,
            video=replace(caps.video, max_bytes=limits["video_size_limit"]) if caps.video else None,
        )

    # --- Internals: accounts ---------------------------------------------------------------

    def _me(self, credentials: Credentials) -> dict[str, Any]:
        body = self._json(
            self._call(
                "GET",
                self._base(credentials),
                "/api/v1/accounts/verify_credentials",
                token=credentials.access_token,
            )
        )
        if not isinstance(body, dict) or not body.get("id"):
            raise TransientError("Mastodon's verify_credentials answer has no account id.")
        return body

    def _account(self, me: dict[str, Any], credentials: Credentials) -> Account:
        host = urlsplit(self._base(credentials)).hostname
        acct = str(me.get("acct") or me.get("username") or "")
        handle = f"@{acct}" if "@" in acct else f"@{acct}@{host}"
        return Account(
            external_id=qualified_account_id(str(me["id"]), self._base(credentials)),
            handle=handle,
            name=str(me.get("display_name") or me.get("username") or acct),
            credentials=credentials,
            avatar_url=str(me.get("avatar") or ""),
            url=str(me.get("url") or ""),
            extra={
                "instance_url": credentials.extra.get("instance_url"),
                "acct": acct,
                "followers_count": me.get("followers_count"),
                "bot": bool(me.get("bot")),
            },
        )
