"""Meta Graph API: the provider base Facebook and Instagram share (HTTP, Facebook Login, webhooks)."""

from __future__ import annotations

import hmac
import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

from django.conf import settings

from ..base import Provider, ProviderConfig, WebhookRequest
from ..errors import TransientError
from .errors import GRAPH_STATUS_ERRORS, max_usage_percent, parse_usage, raise_for_graph_error

log = logging.getLogger(__name__)

DEFAULT_GRAPH_VERSION = "v23.0"


def graph_version(config: ProviderConfig) -> str:
    version = str(
        config.extra.get("graph_version")
        or getattr(settings, "META_GRAPH_VERSION", "")
        or DEFAULT_GRAPH_VERSION
    ).strip()
    return version if version.startswith("v") else f"v{version}"


# --- the shared provider base ------------------------------------------------------------------


class MetaGraphProvider(Provider):
    """Graph API calls, Facebook Login and Meta webhooks shared by Facebook and Instagram."""

    #: name used in error messages
    network_label = "Meta"
    #: Graph answers without an error object by HTTP status (error objects go by their code)
    status_errors = GRAPH_STATUS_ERRORS

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        #: usage headers of the last Graph answer (percentages), for callers that pace themselves
        self.last_usage: dict[str, Any] = {}

    @property
    def graph_version(self) -> str:
        return graph_version(self.config)

    # HTTP ----------------------------------------------------------------------------------------
    def graph_url(self, base: str, path: str) -> str:
        return f"{base.rstrip('/')}/{self.graph_version}/{path.lstrip('/')}"

    def _send(
        self,
        method: str,
        url: str,
        *,
        token: str | None = None,
        params: dict[str, Any] | None = None,
        json_body: dict[str, Any] | None = None,
        form_body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        publishing: bool = False,
    ) -> Any:
        all_headers = dict(headers or {})
        if token is not None:
            all_headers.setdefault("Authorization", f"Bearer {token}")
        kwargs: dict[str, Any] = {"headers": all_headers}
        if params:
            kwargs["params"] = {k: _param(v) for k, v in params.items() if v is not None}
        if json_body is not None:
            kwargs["json"] = {k: v for k, v in json_body.items() if v is not None}
        if form_body is not None:
            kwargs["data"] = {k: _param(v) for k, v in form_body.items() if v is not None}
        response = self.http.request(method, url, **kwargs)
        self.last_usage = parse_usage(response.headers)
        if self.last_usage and max_usage_percent(self.last_usage) >= 90:
            log.warning(
                "%s usage is at %.0f%% of its limit",
                self.network_label,
                max_usage_percent(self.last_usage),
            )
        return raise_for_graph_error(response, network=self.network_label, publishing=publishing)

    def graph_get(
        self, base: str, path: str, token: str, params: dict[str, Any] | None = None
    ) -> Any:
        return self._send("GET", self.graph_url(base, path), token=token, params=params)

    def graph_post(
        self,
        base: str,
        path: str,
        token: str,
        body: dict[str, Any] | None = None,
        *,
        publishing: bool = False,
    ) -> Any:
        return self._send(
            "POST",
            self.graph_url(base, path),
            token=token,
            json_body=body or {},
            publishing=publishing,
        )

    def graph_delete(self, base: str, path: str, token: str) -> Any:
        return self._send("DELETE", self.graph_url(base, path), token=token)

    def graph_pages(
        self, base: str, path: str, token: str, params: dict[str, Any], *, max_pages: int = 5
    ):
        """Yield items across ``paging.cursors.after`` pages (never following ``paging.next``,
        whose URL repeats the access token)."""
        params = dict(params)
        for _ in range(max_pages):
            body = self.graph_get(base, path, token, params)
            yield from body.get("data") or []
            paging = body.get("paging") or {}
            after = (paging.get("cursors") or {}).get("after")
            if not after or not paging.get("next"):
                return
            params["after"] = after

    # Facebook Login (Facebook Pages, Instagram with Facebook Login) --------------------------------
    def facebook_dialog_url(
        self,
        *,
        redirect_uri: str,
        state: str,
        scopes: tuple[str, ...] | list[str],
        extra: dict[str, Any] | None = None,
    ) -> str:
        query = {
            "client_id": self.config.client_id,
            "redirect_uri": redirect_uri,
            "state": state,
            "scope": ",".join(scopes),
            "response_type": "code",
        }
        if extra and extra.get("config_id"):  # Facebook Login for Business configuration
            query["config_id"] = extra["config_id"]
        if extra and extra.get(
            "auth_type"
        ):  # e.g. "rerequest" to ask again for declined permissions
            query["auth_type"] = extra["auth_type"]
        base = self.urls["auth"].rstrip("/")
        return f"{base}/{self.graph_version}/dialog/oauth?{urlencode(query, quote_via=quote)}"

    def facebook_user_token(self, *, code: str, redirect_uri: str) -> tuple[str, datetime | None]:
        """code → short-lived user token → long-lived user token (≈60 days). Returns (token, expiry)."""
        url = self.graph_url(self.urls["token"], "oauth/access_token")
        short = self._send(
            "GET",
            url,
            params={
                "client_id": self.config.client_id,
                "redirect_uri": redirect_uri,
                "client_secret": self.config.client_secret,
                "code": code,
            },
        )
        short_token = _require(short, "access_token", self.network_label)
        long = self._send(
            "GET",
            url,
            params={
                "grant_type": "fb_exchange_token",
                "client_id": self.config.client_id,
                "client_secret": self.config.client_secret,
                "fb_exchange_token": short_token,
            },
        )
        token = _require(long, "access_token", self.network_label)
        expires_in = long.get("expires_in")
        expires_at = datetime.now(UTC) + timedelta(seconds=int(expires_in)) if expires_in else None
        return token, expires_at

    def granted_permissions(self, base: str, user_token: str) -> tuple[str, ...]:
        body = self.graph_get(base, "me/permissions", user_token)
        return tuple(
            p.get("permission", "") for p in body.get("data") or [] if p.get("status") == "granted"
        )

    # Webhooks (§11) ------------------------------------------------------------------------------
    def webhook_handshake(self, request: WebhookRequest) -> tuple[int, str, str] | None:
        """GET ``hub.mode=subscribe&hub.verify_token&hub.challenge`` → echo the challenge (200, text)
        when the verify token matches ``ProviderConfig.extra["verify_token"]``; 403 otherwise."""
        if request.method.upper() != "GET" or "hub.mode" not in request.query:
            return None
        expected = str(self.config.extra.get("verify_token") or "")
        given = request.query.get("hub.verify_token", "")
        if (
            request.query.get("hub.mode") == "subscribe"
            and expected
            and hmac.compare_digest(given.encode(), expected.encode())
        ):
            return 200, "text/plain", request.query.get("hub.challenge", "")
        return 403, "text/plain", "Forbidden"

    def verify_webhook(self, request: WebhookRequest) -> bool:
        """``X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, raw body)>``, compared in constant time."""
        header = request.headers.get("x-hub-signature-256", "")
        secret = self.config.client_secret
        if not secret or not header.startswith("sha256="):
            return False
        expected = self.hmac_sha256_hex(secret, request.body)
        return hmac.compare_digest(
            header[len("sha256=") :].strip().lower().encode(), expected.encode()
        )

    @staticmethod
    def webhook_payload(request: WebhookRequest) -> dict[str, Any] | None:
        try:
            payload = json.loads(request.body or b"null")
        except ValueError:
            return None
        return payload if isinstance(payload, dict) else None


def _param(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"))
    return value


def _require(body: Any, key: str, network: str) -> Any:
    if not isinstance(body, dict) or not body.get(key):
        raise TransientError(f"{network} answered without {key!r}.")
    return body[key]


def absolute_facebook_url(link: str | None, fallback: str) -> str:
    if not link:
        return fallback
    return link if link.startswith("http") else f"https://www.facebook.com{link}"
