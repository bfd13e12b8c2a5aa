"""Shared plumbing for Meta's Graph API: Facebook Pages and Instagram professional accounts.

Both networks speak the same Graph API (``https://graph.facebook.com/{version}/…``; Instagram
Login uses ``graph.instagram.com``), answer failures with one error object and report throttling
the same way, and push webhooks with the same handshake and signature. This module keeps those
shared parts in one place:

- the Graph API version: ``ProviderConfig.extra["graph_version"]``, else
  ``settings.META_GRAPH_VERSION`` (docs: v23–v26);
- :func:`raise_for_graph_error`: ``{"error":{"message","type","code","error_subcode",
  "error_user_msg","fbtrace_id"}}`` → our typed errors (see ``developers.facebook.com/docs/
  graph-api/guides/error-handling`` and ``…/overview/rate-limiting``);
- the usage headers ``X-App-Usage`` and ``X-Business-Use-Case-Usage`` (percentages, and the
  minutes until a throttled app or Page may call again);
- the webhook handshake (``hub.challenge``) and ``X-Hub-Signature-256`` verification;
- small helpers for Graph timestamps, inbox cursors and ``pending_ref`` strings.

Access tokens travel in the ``Authorization: Bearer`` header, which the Graph API accepts in place
of the ``access_token`` parameter, so they never appear in URLs (URLs are logged by httpx at INFO).
The OAuth endpoints themselves are documented with query parameters only and are called that way.
"""

from __future__ import annotations

import base64
import hmac
import json
import logging
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import parse_qs, quote, urlencode

import httpx
from django.conf import settings

from ..http import json_or_error
from .base import Provider, ProviderConfig, WebhookRequest
from .errors import AuthExpired, ContentRejected, ProviderError, RateLimited, TransientError

log = logging.getLogger(__name__)

DEFAULT_GRAPH_VERSION = "v23.0"
#: when a throttle error carries no usable ``estimated_time_to_regain_access``
DEFAULT_THROTTLE_SECONDS = 300.0

#: 190 invalid/expired token (subcodes 458–467); 102 the older "API session" variant.
AUTH_CODES = frozenset({102, 190})
#: 4 app, 17 user, 32 Page, 613 custom, 80001–80009 business-use-case throttles (80001 Pages,
#: 80002 Instagram, 80006 Messenger …); 341 "application limit reached" is a throttle too.
THROTTLE_CODES = frozenset({4, 17, 32, 341, 613, *range(80001, 80010)})
#: 1 unknown error and 2 service unavailable: Meta says retry later.
TRANSIENT_CODES = frozenset({1, 2})
#: 368 policy block ("temporarily blocked for policy violations"), 506 duplicate post,
#: 9004 media download failed, 36003 bad aspect ratio (Instagram), 324 bad image file.
CONTENT_CODES = frozenset({368, 506, 9004, 36003, 324, 352, 1609005})
#: Instagram publishing subcodes that mean "this content cannot go out as it is".
CONTENT_SUBCODES = frozenset({
    2207004,  # image too large
    2207005,  # unsupported image format
    2207009,  # aspect ratio out of range
    2207010,  # caption too long / too many hashtags or mentions
    2207023,  # unknown media type
    2207026,  # unsupported video format
    2207028,  # carousel validation failed
    2207035,  # product tags on video not allowed
    2207052,  # media could not be fetched from the URL
    2207053,  # unknown upload error on the media
})
#: Instagram: the account has used its 24 h publishing quota (content_publishing_limit).
QUOTA_SUBCODE = 2207042
#: Instagram: the container is still processing; publishing now is premature, not wrong.
NOT_READY_SUBCODE = 2207027


# --- version, usage headers, errors ------------------------------------------------------------

def graph_version(config: ProviderConfig) -> str:
    version = str(config.extra.get("graph_version") or getattr(settings, "META_GRAPH_VERSION", "")
                  or DEFAULT_GRAPH_VERSION).strip()
    return version if version.startswith("v") else f"v{version}"


def parse_usage(headers: httpx.Headers | dict[str, str]) -> dict[str, Any]:
    """The usage headers as data: ``{"app": {...}, "business": {id: [{...}]}}`` (missing → absent).

    ``X-App-Usage`` (and ``X-Ad-Account-Usage``) hold percentages of the app's hourly budget;
    ``X-Business-Use-Case-Usage`` (Page and Instagram tokens) holds per-object entries with
    ``call_count``, ``total_time``, ``total_cputime`` and ``estimated_time_to_regain_access``
    (minutes).
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    usage: dict[str, Any] = {}
    for header, key in (("x-app-usage", "app"), ("x-business-use-case-usage", "business"),
                        ("x-ad-account-usage", "ad_account")):
        raw = lowered.get(header)
        if not raw:
            continue
        try:
            usage[key] = json.loads(raw)
        except ValueError:
            continue
    return usage


def max_usage_percent(usage: dict[str, Any]) -> float:
    """The highest percentage any usage header reports (0 when none)."""
    values: list[float] = []
    for entry in [usage.get("app") or {}, usage.get("ad_account") or {}]:
        if isinstance(entry, dict):
            values += [float(v) for k, v in entry.items()
                       if k in ("call_count", "total_time", "total_cputime", "acc_id_util_pct")
                       and isinstance(v, int | float)]
    for entries in (usage.get("business") or {}).values() if isinstance(usage.get("business"), dict) else ():
        for entry in entries if isinstance(entries, list) else ():
            values += [float(entry[k]) for k in ("call_count", "total_time", "total_cputime")
                       if isinstance(entry.get(k), int | float)]
    return max(values, default=0.0)


def regain_seconds(headers: httpx.Headers | dict[str, str]) -> float | None:
    """Seconds until Meta lets us call again, from ``estimated_time_to_regain_access`` (minutes)."""
    usage = parse_usage(headers)
    minutes: list[float] = []
    business = usage.get("business")
    if isinstance(business, dict):
        for entries in business.values():
            for entry in entries if isinstance(entries, list) else ():
                value = entry.get("estimated_time_to_regain_access") if isinstance(entry, dict) else None
                if isinstance(value, int | float) and value > 0:
                    minutes.append(float(value))
    ad = usage.get("ad_account")
    if isinstance(ad, dict) and isinstance(ad.get("reset_time_duration"), int | float) and ad["reset_time_duration"] > 0:
        return float(ad["reset_time_duration"])  # documented in seconds
    if minutes:
        return max(minutes) * 60.0
    retry_after = {k.lower(): v for k, v in headers.items()}.get("retry-after")
    if retry_after and retry_after.strip().isdigit():
        return max(1.0, float(retry_after))
    return None


def _error_text(error: dict[str, Any], network: str) -> tuple[str, str]:
    """(plain message for people, diagnostic suffix). Meta's messages carry no secrets."""
    message = str(error.get("error_user_msg") or error.get("message") or "unknown error").strip()
    parts = [f"code {error.get('code')}"]
    if error.get("error_subcode"):
        parts.append(f"subcode {error['error_subcode']}")
    if error.get("fbtrace_id"):
        parts.append(f"fbtrace_id {error['fbtrace_id']}")
    return f"{network}: {message}", f" ({', '.join(parts)})"


def raise_for_graph_error(response: httpx.Response, *, network: str, publishing: bool = False) -> Any:
    """Return the JSON body of a successful Graph answer, or raise the matching typed error.

    ``publishing`` makes a generic "invalid parameter" (code 100) a :class:`ContentRejected`:
    during a publish it means the post as written cannot go out; elsewhere it is a plain,
    permanent :class:`ProviderError` (a wrong id, an unknown field or metric).
    """
    status = response.status_code
    if status >= 500:
        try:
            body = response.json()
        except ValueError:
            body = None
        error = body.get("error") if isinstance(body, dict) else None
        message = (error or {}).get("message") if isinstance(error, dict) else None
        raise TransientError(f"{network} answered HTTP {status}" + (f": {message}" if message else "."),
                             status=status)
    body = json_or_error(response)  # malformed → TransientError
    error = body.get("error") if isinstance(body, dict) else None
    if status < 400 and not error:
        return body
    if not isinstance(error, dict):
        debug = body.get("debug_info") if isinstance(body, dict) else None
        if isinstance(debug, dict):  # rupload.facebook.com answers {"debug_info":{"retriable","type","message"}}
            text = f"{network}: {debug.get('message') or debug.get('type') or 'upload failed'}"
            if debug.get("retriable"):
                raise TransientError(text, status=status)
            raise ContentRejected(text, status=status, code=str(debug.get("type") or ""))
        if status == 429:
            raise RateLimited(f"{network} asked us to slow down.", status=status,
                              retry_after=regain_seconds(response.headers) or DEFAULT_THROTTLE_SECONDS)
        if status in (401, 403):
            raise AuthExpired(f"{network} refused the token (HTTP {status}).", status=status)
        raise ProviderError(f"{network} answered HTTP {status} without an error object.",
                            status=status, permanent=400 <= status < 500)

    try:
        code = int(error.get("code") or 0)
    except (TypeError, ValueError):
        code = 0
    try:
        subcode = int(error.get("error_subcode") or 0)
    except (TypeError, ValueError):
        subcode = 0
    text, diag = _error_text(error, network)
    code_str = f"{code}/{subcode}" if subcode else str(code)

    if code in AUTH_CODES:
        raise AuthExpired(text + diag, status=status, code=code_str)
    if code in THROTTLE_CODES or subcode == QUOTA_SUBCODE:
        retry = regain_seconds(response.headers) or DEFAULT_THROTTLE_SECONDS
        raise RateLimited(text + diag, retry_after=max(1.0, retry), status=status, code=code_str)
    if code in TRANSIENT_CODES or error.get("is_transient") is True or subcode == NOT_READY_SUBCODE:
        raise TransientError(text + diag, status=status, code=code_str)
    if code == 10 or 200 <= code <= 299:
        # A missing permission (10, 200–299) cannot be fixed by retrying: only the person who
        # connected the channel can grant it, by authorizing again with the extra permission.
        # Treat it like an expired token so the channel is flagged "needs re-authorization".
        raise AuthExpired(text + diag, status=status, code=code_str)
    if code in CONTENT_CODES or subcode in CONTENT_SUBCODES:
        raise ContentRejected(text, status=status, code=code_str)
    if code == 100 and publishing:
        raise ContentRejected(text, status=status, code=code_str)
    if status == 429:
        raise RateLimited(text + diag, retry_after=regain_seconds(response.headers) or DEFAULT_THROTTLE_SECONDS,
                          status=status, code=code_str)
    raise ProviderError(text + diag, status=status, code=code_str, permanent=400 <= status < 500)


# --- time, cursors, pending refs ---------------------------------------------------------------

def parse_time(value: Any) -> datetime | None:
    """Graph timestamps: ``2024-05-29T12:00:00+0000`` (ISO with a basic offset) or Unix seconds."""
    if value in (None, ""):
        return None
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, tz=UTC)
    text = str(value)
    if text.isdigit():
        return datetime.fromtimestamp(int(text), tz=UTC)
    for fmt in ("%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S.%f%z"):
        try:
            return datetime.strptime(text, fmt).astimezone(UTC)
        except ValueError:
            continue
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def day_start(day: date) -> int:
    return int(datetime.combine(day, time.min, tzinfo=UTC).timestamp())


def insight_day(end_time: Any) -> date | None:
    """Daily insight values carry the END of their day (``end_time`` = next midnight, Pacific)."""
    moment = parse_time(end_time)
    return (moment - timedelta(days=1)).date() if moment else None


def encode_cursor(newest: datetime | None, ids_at_newest: set[str]) -> str | None:
    """An opaque inbox cursor: the newest timestamp seen and the ids seen at exactly that second.

    Graph timestamps have one-second resolution, so "newer than t" would drop an item that shares
    the newest second but arrived after we listed; "at or after t" would repeat old ones. Keeping
    the ids at t gives exactly the newer items next time.
    """
    if newest is None:
        return None
    payload = {"t": int(newest.timestamp()), "ids": sorted(ids_at_newest)}
    return base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> tuple[int | None, set[str]]:
    if not cursor:
        return None, set()
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode()))
        return int(payload["t"]), set(payload.get("ids") or [])
    except (ValueError, KeyError, TypeError) as exc:
        raise ProviderError("The inbox cursor is not one this connector issued.", permanent=True) from exc


class CursorTracker:
    """Collects inbox items newer than a cursor and computes the next cursor."""

    def __init__(self, cursor: str | None):
        self.since, self.seen = decode_cursor(cursor)
        self.newest: datetime | None = datetime.fromtimestamp(self.since, tz=UTC) if self.since is not None else None
        self.ids_at_newest: set[str] = set(self.seen)

    def is_new(self, external_id: str, created: datetime | None) -> bool:
        if self.since is None:
            return True
        if created is None:
            return False
        ts = int(created.timestamp())
        return ts > self.since or (ts == self.since and external_id not in self.seen)

    def is_older_than_cursor(self, created: datetime | None) -> bool:
        return self.since is not None and created is not None and int(created.timestamp()) < self.since

    def note(self, external_id: str, created: datetime | None) -> None:
        if created is None:
            return
        created = created.replace(microsecond=0)
        if self.newest is None or created > self.newest:
            self.newest, self.ids_at_newest = created, {external_id}
        elif created == self.newest:
            self.ids_at_newest.add(external_id)

    def cursor(self) -> str | None:
        return encode_cursor(self.newest, self.ids_at_newest)


def make_pending_ref(ref: str, first_comment: str | None) -> str:
    """``<ref>`` or ``<ref>?first_comment=<text>``: a first comment can only be posted once the
    async publish completes, and ``check_publish`` receives nothing but this string."""
    return f"{ref}?{urlencode({'first_comment': first_comment})}" if first_comment else ref


def split_pending_ref(pending_ref: str) -> tuple[str, str | None]:
    ref, _, query = pending_ref.partition("?")
    values = parse_qs(query).get("first_comment") if query else None
    return ref, (values[0] if values else None)


# --- the shared provider base ------------------------------------------------------------------

class MetaGraphProvider(Provider):
    """Graph API calls, Facebook Login and Meta webhooks shared by Facebook and Instagram."""

    #: name used in error messages
    network_label = "Meta"

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

    def _send(self, method: str, url: str, *, token: str | None = None, params: dict[str, Any] | None = None,
              json_body: dict[str, Any] | None = None, form_body: dict[str, Any] | None = None,
              headers: dict[str, str] | None = None, publishing: bool = False) -> Any:
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
            log.warning("%s usage is at %.0f%% of its limit", self.network_label, max_usage_percent(self.last_usage))
        return raise_for_graph_error(response, network=self.network_label, publishing=publishing)

    def graph_get(self, base: str, path: str, token: str, params: dict[str, Any] | None = None) -> Any:
        return self._send("GET", self.graph_url(base, path), token=token, params=params)

    def graph_post(self, base: str, path: str, token: str, body: dict[str, Any] | None = None, *,
                   publishing: bool = False) -> Any:
        return self._send("POST", self.graph_url(base, path), token=token, json_body=body or {}, publishing=publishing)

    def graph_delete(self, base: str, path: str, token: str) -> Any:
        return self._send("DELETE", self.graph_url(base, path), token=token)

    def graph_pages(self, base: str, path: str, token: str, params: dict[str, Any], *, max_pages: int = 5):
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
    def facebook_dialog_url(self, *, redirect_uri: str, state: str, scopes: tuple[str, ...] | list[str],
                            extra: dict[str, Any] | None = None) -> str:
        query = {"client_id": self.config.client_id, "redirect_uri": redirect_uri, "state": state,
                 "scope": ",".join(scopes), "response_type": "code"}
        if extra and extra.get("config_id"):  # Facebook Login for Business configuration
            query["config_id"] = extra["config_id"]
        if extra and extra.get("auth_type"):  # e.g. "rerequest" to ask again for declined permissions
            query["auth_type"] = extra["auth_type"]
        base = self.urls["auth"].rstrip("/")
        return f"{base}/{self.graph_version}/dialog/oauth?{urlencode(query, quote_via=quote)}"

    def facebook_user_token(self, *, code: str, redirect_uri: str) -> tuple[str, datetime | None]:
        """code → short-lived user token → long-lived user token (≈60 days). Returns (token, expiry)."""
        url = self.graph_url(self.urls["token"], "oauth/access_token")
        short = self._send("GET", url, params={"client_id": self.config.client_id, "redirect_uri": redirect_uri,
                                               "client_secret": self.config.client_secret, "code": code})
        short_token = _require(short, "access_token", self.network_label)
        long = self._send("GET", url, params={"grant_type": "fb_exchange_token", "client_id": self.config.client_id,
                                              "client_secret": self.config.client_secret,
                                              "fb_exchange_token": short_token})
        token = _require(long, "access_token", self.network_label)
        expires_in = long.get("expires_in")
        expires_at = datetime.now(UTC) + timedelta(seconds=int(expires_in)) if expires_in else None
        return token, expires_at

    def granted_permissions(self, base: str, user_token: str) -> tuple[str, ...]:
        body = self.graph_get(base, "me/permissions", user_token)
        return tuple(p.get("permission", "") for p in body.get("data") or [] if p.get("status") == "granted")

    # Webhooks (§11) ------------------------------------------------------------------------------
    def webhook_handshake(self, request: WebhookRequest) -> tuple[int, str, str] | None:
        """GET ``hub.mode=subscribe&hub.verify_token&hub.challenge`` → echo the challenge (200, text)
        when the verify token matches ``ProviderConfig.extra["verify_token"]``; 403 otherwise."""
        if request.method.upper() != "GET" or "hub.mode" not in request.query:
            return None
        expected = str(self.config.extra.get("verify_token") or "")
        given = request.query.get("hub.verify_token", "")
        if (request.query.get("hub.mode") == "subscribe" and expected
                and hmac.compare_digest(given.encode(), expected.encode())):
            return 200, "text/plain", request.query.get("hub.challenge", "")
        return 403, "text/plain", "Forbidden"

    def verify_webhook(self, request: WebhookRequest) -> bool:
        """``X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, raw body)>``, compared in constant time."""
        header = request.headers.get("x-hub-signature-256", "")
        secret = self.config.client_secret
        if not secret or not header.startswith("sha256="):
            return False
        expected = self.hmac_sha256_hex(secret, request.body)
        return hmac.compare_digest(header[len("sha256="):].strip().lower().encode(), expected.encode())

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
