"""Mastodon: any instance the user names (docs.joinmastodon.org, API-NOTES §7).

There is no single production server: every channel lives on the instance its owner typed, so
the instance URL travels with the credentials (``Credentials.extra["instance_url"]``) and the app
is registered once per instance (``register_app`` → a client id/secret the caller stores,
encrypted, and passes back through ``extra`` to ``authorization_url`` / ``exchange_code``).

Documented behaviour this module relies on:

- OAuth: ``GET /oauth/authorize`` (PKCE S256 from 4.3), ``POST /oauth/token``; tokens do not
  expire and there is no refresh token.
- Publishing: ``POST /api/v2/media`` answers 200 (ready) or 202 with ``url: null`` (poll
  ``GET /api/v1/media/:id``: 206 while processing, 200 when done), then ``POST /api/v1/statuses``
  with ``media_ids[]`` and an ``Idempotency-Key`` header (kept by the server for one hour).
- Limits are per instance: ``GET /api/v2/instance`` → ``configuration.statuses.max_characters``
  (500 by default); length is counted in grapheme clusters, every URL as 23 and a remote mention
  as its local part only.
- Errors are ``{"error": "..."}``; 401 bad token, 403 scope, 404, 422 ``Validation failed: …``,
  429 with ``X-RateLimit-Reset`` as an ISO 8601 time. Default budgets: 300 requests / 5 min per
  account, 30 media uploads and 30 deletions / 30 min.
- No webhooks for ordinary accounts (admin-only) and no way to hide other people's replies.
- Account ids are unique per server only: another server may give its own account the same id.
  A channel's external id is therefore qualified with its server, ``<account id>@<host>``
  (``qualified_account_id``); the API calls use the bare id (``split_account_id``).
"""

from __future__ import annotations

import base64
import hashlib
import html
import logging
import math
import mimetypes
import re
import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
from django.conf import settings

from ..http import Budget, check_destination, json_or_error, remote_message
from .base import (
    Account,
    Capabilities,
    Credentials,
    DailyAccountMetrics,
    InboxItem,
    InboxPage,
    MediaItem,
    MediaSpec,
    PostMetrics,
    Provider,
    PublishRequest,
    PublishResult,
)
from .errors import (
    AuthExpired,
    BlockedDestination,
    ContentRejected,
    ProviderError,
    RateLimited,
    TransientError,
    UnknownOutcome,
)
from .text import count_graphemes, find_links

log = logging.getLogger(__name__)

#: Mastodon's documented defaults; an instance may report its own (``instance_limits``).
DEFAULT_MAX_CHARACTERS = 500
DEFAULT_MAX_MEDIA = 4
DEFAULT_CHARS_PER_URL = 23
DEFAULT_IMAGE_BYTES = 16 * 1024 * 1024
DEFAULT_VIDEO_BYTES = 99 * 1024 * 1024

_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)
_PARAGRAPH_BREAK = re.compile(r"</p>\s*<p[^>]*>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")
_REMOTE_MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9_]+)@[A-Za-z0-9.\-]+[A-Za-z0-9]")
_VISIBILITIES = ("public", "unlisted", "private", "direct")


def html_to_text(content: str | None) -> str:
    """Plain text from a status's HTML ``content`` (paragraphs → blank line, ``<br>`` → newline)."""
    text = _PARAGRAPH_BREAK.sub("\n\n", content or "")
    text = _BR.sub("\n", text)
    return html.unescape(_TAG.sub("", text)).strip()


def status_length(text: str, chars_per_url: int = DEFAULT_CHARS_PER_URL) -> int:
    """The length Mastodon counts against ``max_characters`` (its ``StatusLengthValidator``).

    Grapheme clusters of the text in which every link written with ``http(s)://`` (found the
    twitter-text way, as Mastodon finds them) counts as ``chars_per_url`` and a remote mention
    ``@user@domain`` as ``@user``; where a link and a mention overlap, the first one wins.
    """
    text = text or ""
    links = find_links(text, without_protocol=False)
    entities = [(start, end, "x" * chars_per_url) for start, end in links]
    entities += [(m.start(), m.end(), f"@{m.group(1)}") for m in _REMOTE_MENTION.finditer(text)]
    out, pos = [], 0
    for start, end, replacement in sorted(entities):
        if start < pos:
            continue  # overlaps the entity before it
        out += [text[pos:start], replacement]
        pos = end
    out.append(text[pos:])
    return count_graphemes("".join(out))


def _comparable(text: str) -> str:
    """Text as Mastodon renders it, for matching: remote mentions lose their domain, spacing collapses."""
    return " ".join(_REMOTE_MENTION.sub(r"@\1", text).split())


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _id_key(value: str) -> tuple[int, str]:
    """Mastodon ids are strings of digits that sort by time; compare them as numbers."""
    return (int(value), "") if value.isdigit() else (-1, value)


def _allow_loopback() -> bool:
    return bool(getattr(settings, "OUTBOUND_ALLOW_LOOPBACK", False))


def normalize_instance_url(value: str | None) -> str:
    """``https://host[:port]`` from what a person typed (``mastodon.social``, a URL, ``@me@host``).

    Plain http is refused outside tests (tokens and client secrets would travel in clear); the
    HTTP client separately refuses private and loopback addresses.
    """
    raw = (value or "").strip()
    if not raw:
        raise ProviderError(
            "Enter the address of the Mastodon server, for example mastodon.social.",
            permanent=True,
            code="no_instance",
        )
    if "://" not in raw:
        raw = raw.rsplit("@", 1)[-1]  # "@me@host" or "me@host": the server is after the last @
        raw = f"https://{raw}"
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https"):
        raise BlockedDestination(f"A Mastodon server is reached over https, not {parts.scheme}.")
    if parts.username or parts.password:
        raise BlockedDestination(
            "The Mastodon server address must not contain a user name or password."
        )
    try:
        port = parts.port
    except ValueError as exc:
        raise ProviderError(
            "The Mastodon server address has an invalid port.", permanent=True, code="bad_instance"
        ) from exc
    host = parts.hostname
    if not host or "." not in host and ":" not in host and host != "localhost":
        raise ProviderError(
            f"{value!r} does not look like a Mastodon server address.",
            permanent=True,
            code="bad_instance",
        )
    if parts.scheme == "http" and not _allow_loopback():
        raise BlockedDestination("A Mastodon server is reached over https only.")
    host_part = f"[{host}]" if ":" in host else host
    return f"{parts.scheme}://{host_part}{f':{port}' if port else ''}"


_DEFAULT_PORTS = {"https": 443, "http": 80}


def instance_host(instance_url: str) -> str:
    """The server an account id belongs to, as written in a qualified id: ``host[:port]``.

    The host is lowercased, an internationalized name is written in punycode (``xn--…``) and the
    port is kept only when it is not the scheme's default, so every spelling of one server's
    address gives the same string.
    """
    raw = (instance_url or "").strip()
    parts = urlsplit(raw if "://" in raw else f"https://{raw}")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise ProviderError(
            f"{instance_url!r} does not name a Mastodon server.",
            permanent=True,
            code="bad_instance",
        )
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError as exc:
            raise ProviderError(
                f"{instance_url!r} is not a valid server name.", permanent=True, code="bad_instance"
            ) from exc
    host = host.lower()
    if ":" in host:  # an IPv6 address
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError as exc:
        raise ProviderError(
            "The Mastodon server address has an invalid port.", permanent=True, code="bad_instance"
        ) from exc
    if port and port != _DEFAULT_PORTS.get(parts.scheme or "https"):
        host = f"{host}:{port}"
    return host


def qualified_account_id(account_id: str, instance_url: str) -> str:
    """A channel's external id: the account id and its server, ``109…@mastodon.social``.

    The one place a Mastodon external id is made (accounts listed at connect and at the health
    check, and the data migration that qualified the ids stored before).
    """
    return f"{account_id}@{instance_host(instance_url)}"


def split_account_id(external_id: str) -> tuple[str, str]:
    """``(account id, host)`` from a channel's external id; an unqualified (older) id gives host ``""``."""
    account_id, _, host = str(external_id or "").partition("@")
    return account_id, host.lower()


class MastodonProvider(Provider):
    key = "mastodon"
    name = "Mastodon"
    capabilities = Capabilities(
        text_limit=DEFAULT_MAX_CHARACTERS,  # per instance: see instance_limits()
        # Mastodon counts grapheme clusters, but every link as 23 and "@user@domain" as "@user".
        text_counting="graphemes",
        link_length=DEFAULT_CHARS_PER_URL,
        feed_cut_chars=None,  # the web and the apps show a post whole (long ones scroll)
        image=MediaSpec(
            max_bytes=DEFAULT_IMAGE_BYTES,
            mime_types=(
                "image/jpeg",
                "image/png",
                "image/gif",
                "image/webp",
                "image/heic",
                "image/heif",
                "image/avif",
            ),
        ),
        video=MediaSpec(
            max_bytes=DEFAULT_VIDEO_BYTES,
            mime_types=("video/mp4", "video/webm", "video/quicktime", "video/ogg"),
        ),
        max_images=DEFAULT_MAX_MEDIA,
        max_videos=1,
        mixed_media=False,  # "Cannot attach a video to a post that already contains images"
        link_posts=True,  # the link goes in the text; the server builds the preview card
        first_comment=True,  # a self-reply threaded under the post
        stories=False,
        reels=False,
        carousel=False,
        async_publish=False,  # media processing is awaited inside publish(); the status is immediate
        daily_publish_cap=None,
        comments_api=True,
        direct_messages=True,  # statuses with visibility "direct"
        hide_comments=False,  # no API hides someone else's reply (mute, block or report instead)
        # Other people's replies cannot be deleted; delete_comment() works on our own replies only.
        delete_comments=False,
        webhooks=False,  # instance webhooks are admin-only; accounts get streaming / Web Push
        auth_kind="instance_oauth2",
    )
    #: No global production server: the instance comes with each channel's credentials. Set
    #: ``ProviderConfig.urls["api"]`` only for a single-instance deployment (or a test fake).
    default_urls: ClassVar[dict[str, str]] = {}
    default_scopes = (
        "read:accounts",
        "read:statuses",
        "read:notifications",
        "write:statuses",
        "write:media",
    )

    @classmethod
    def count_text(cls, text: str) -> int:
        """Mastodon's own count (``status_length``): graphemes, links 23, remote mentions without domain."""
        return status_length(text)

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

    # --- Publishing ------------------------------------------------------------------------

    def publish(
        self, credentials: Credentials, account_id: str, request: PublishRequest
    ) -> PublishResult:
        if request.format != "post":
            raise ContentRejected(
                f"Mastodon has no {request.format}s; publish it as an ordinary post.",
                code="unsupported_format",
            )
        self._check_media(request.media)
        base = self._base(credentials)
        account_id = self._account_id(credentials, account_id)
        media_ids = [self._upload(credentials, account_id, item) for item in request.media]
        status = self._post_status(
            credentials,
            account_id,
            text=self._compose(request),
            media_ids=media_ids,
            visibility=self._visibility(),
            idempotency_key=request.idempotency_key,
        )
        result = self._result(status)
        log.info("Published Mastodon status %s on %s", result.external_id, urlsplit(base).hostname)
        if request.first_comment:
            # The post is out: a failed first comment must not make the caller publish it again.
            try:
                comment = self._post_status(
                    credentials,
                    account_id,
                    text=request.first_comment,
                    visibility=self._visibility(),
                    in_reply_to_id=result.external_id,
                    idempotency_key=f"{request.idempotency_key}:first-comment"
                    if request.idempotency_key
                    else None,
                )
                result.first_comment_id = str(comment["id"])
            except ProviderError as exc:
                log.warning(
                    "Mastodon first comment under %s failed: %s", result.external_id, exc.message
                )
                result.raw["first_comment_error"] = exc.message
        return result

    def find_existing(
        self, credentials: Credentials, account_id: str, request: PublishRequest, since: datetime
    ) -> PublishResult | None:
        """Scan the account's recent statuses for this request's text and media count.

        The Idempotency-Key cannot be looked up (re-sending it would post if nothing exists), so
        matching is by content: the status HTML turned back into text, compared with the text we
        would send (remote mentions shortened, whitespace collapsed).
        """
        account_id = self._account_id(credentials, account_id)
        expected = _comparable(self._compose(request))
        since = since if since.tzinfo else since.replace(tzinfo=UTC)
        oldest = since - timedelta(minutes=2)  # allow for clock skew between us and the instance
        params: dict[str, Any] = {"limit": 40, "exclude_reblogs": "true", "exclude_replies": "true"}
        for _ in range(int(self.config.extra.get("find_existing_pages", 5))):
            statuses = self._json(
                self._get(
                    credentials,
                    account_id,
                    f"/api/v1/accounts/{account_id}/statuses",
                    params=params,
                )
            )
            if not isinstance(statuses, list) or not statuses:
                return None
            for status in statuses:
                created = _parse_time(status.get("created_at"))
                if created is not None and created < oldest:
                    return None
                if _comparable(html_to_text(status.get("content"))) == expected and len(
                    status.get("media_attachments") or []
                ) == len(request.media):
                    result = self._result(status)
                    if request.first_comment:
                        result.first_comment_id = self._find_first_comment(
                            credentials, account_id, result.external_id, request.first_comment
                        )
                    return result
            params["max_id"] = str(statuses[-1]["id"])
        return None

    def delete_post(self, credentials: Credentials, account_id: str, external_id: str) -> None:
        """``DELETE /api/v1/statuses/:id``; a status that is already gone counts as deleted."""
        account_id = self._account_id(credentials, account_id)
        try:
            self._call(
                "DELETE",
                self._base(credentials),
                f"/api/v1/statuses/{external_id}",
                token=credentials.access_token,
                budgets=self._budgets(credentials, account_id, "delete"),
            )
        except ProviderError as exc:
            if exc.status != 404:
                raise

    # --- Engagement ------------------------------------------------------------------------

    def fetch_inbox(
        self, credentials: Credentials, account_id: str, cursor: str | None = None
    ) -> InboxPage:
        """Mentions (replies to our posts are "comment", direct ones "dm") and direct conversations.

        The cursor holds the newest notification id and conversation ``min_id`` seen; the next call
        asks for ``min_id`` = those, i.e. only what arrived since, oldest batch first (call again
        until a page comes back empty). The first call, without a cursor, returns the newest page.
        """
        account_id = self._account_id(credentials, account_id)
        state = {k: v[0] for k, v in parse_qs(cursor or "").items() if k in ("n", "c") and v}
        limit = int(self.config.extra.get("inbox_page_size", 40))

        params: list[tuple[str, Any]] = [("types[]", "mention"), ("limit", min(limit, 80))]
        if state.get("n"):
            params.append(("min_id", state["n"]))
        resp = self._get(credentials, account_id, "/api/v1/notifications", params=params)
        notifications = self._json(resp)
        if not isinstance(notifications, list):
            raise TransientError(
                "Mastodon answered the notifications request with something other than a list."
            )
        # A first fetch that finds nothing still sets a cursor ("0"): whatever comes later is new.
        state["n"] = (
            self._newest(resp, [str(n.get("id")) for n in notifications if n.get("id")])
            or state.get("n")
            or "0"
        )

        conv_params: list[tuple[str, Any]] = [("limit", min(limit, 40))]
        if state.get("c"):
            conv_params.append(("min_id", state["c"]))
        resp = self._get(credentials, account_id, "/api/v1/conversations", params=conv_params)
        conversations = self._json(resp)
        if not isinstance(conversations, list):
            raise TransientError(
                "Mastodon answered the conversations request with something other than a list."
            )
        state["c"] = (
            self._newest(
                resp, [str((c.get("last_status") or {}).get("id") or "") for c in conversations]
            )
            or state.get("c")
            or "0"
        )

        items: dict[str, InboxItem] = {}
        for notification in notifications:
            status = notification.get("status")
            if not status or str((status.get("account") or {}).get("id")) == str(account_id):
                continue
            item = self._inbox_item(status, account_id)
            item.raw = {**item.raw, "notification_id": str(notification.get("id"))}
            items.setdefault(item.external_id, item)
        for conversation in conversations:
            status = conversation.get("last_status")
            if not status or str((status.get("account") or {}).get("id")) == str(account_id):
                continue  # the last word is ours: nothing to answer
            item = self._inbox_item(status, account_id)
            item.kind = "dm"
            item.thread_id = str(conversation.get("id") or "")
            items[item.external_id] = item  # prefer this one: it knows the conversation
        ordered = sorted(items.values(), key=lambda i: _id_key(i.external_id))
        return InboxPage(items=ordered, cursor=urlencode(state))

    def reply(self, credentials: Credentials, account_id: str, item: InboxItem, text: str) -> str:
        """A status ``in_reply_to_id`` the item, addressed to its author (and, for DMs, kept direct).

        On Mastodon only mentioned accounts are notified, and a direct status reaches only the
        accounts it mentions, so the author's handle is put in front unless the text has it.
        """
        account_id = self._account_id(credentials, account_id)
        status = item.raw or {}
        if item.kind == "dm" or status.get("visibility") == "direct":
            visibility = "direct"
        else:
            visibility = (
                status.get("visibility") if status.get("visibility") in _VISIBILITIES else "public"
            )
        handles = [item.author_handle] if item.author_handle else []
        if visibility == "direct":  # keep every participant in the conversation
            handles += [
                m.get("acct", "")
                for m in status.get("mentions") or []
                if str(m.get("id")) != str(account_id)
            ]
        prefix = []
        for handle in dict.fromkeys(h for h in handles if h):
            mention = f"@{handle}"
            if not re.search(rf"(?<![\w@]){re.escape(mention)}(?![\w@])", text, re.IGNORECASE):
                prefix.append(mention)
        body = f"{' '.join(prefix)} {text}" if prefix else text
        # Same reply retried within the hour → the server returns the first one instead of a copy.
        key = hashlib.sha256(f"{account_id}:{item.external_id}:{text}".encode()).hexdigest()[:40]
        reply = self._post_status(
            credentials,
            account_id,
            text=body,
            visibility=visibility,
            in_reply_to_id=item.external_id,
            idempotency_key=f"reply-{key}",
        )
        return str(reply["id"])

    def hide_comment(
        self, credentials: Credentials, account_id: str, external_id: str, hidden: bool = True
    ) -> None:
        raise ProviderError(
            "Mastodon cannot hide someone else's reply. Mute, block or report the account instead.",
            permanent=True,
            code="unsupported",
        )

    def delete_comment(self, credentials: Credentials, account_id: str, external_id: str) -> None:
        """Delete one of our own replies; Mastodon lets nobody delete other people's statuses."""
        account_id = self._account_id(credentials, account_id)
        try:
            status = self._json(
                self._get(credentials, account_id, f"/api/v1/statuses/{external_id}")
            )
        except ProviderError as exc:
            if exc.status == 404:
                return  # already gone
            raise
        if str((status.get("account") or {}).get("id")) != str(account_id):
            raise ProviderError(
                "Mastodon only lets an account delete its own posts; this reply belongs to someone else.",
                permanent=True,
                status=403,
                code="not_own_status",
            )
        self.delete_post(credentials, account_id, external_id)

    # --- Metrics ---------------------------------------------------------------------------

    def fetch_account_metrics(
        self, credentials: Credentials, account_id: str, since: date, until: date
    ) -> list[DailyAccountMetrics]:
        """Mastodon has no history and no impressions: today's follower count, if today is asked for."""
        account_id = self._account_id(credentials, account_id)
        today = datetime.now(UTC).date()
        if not since <= today <= until:
            return []
        account = self._json(self._get(credentials, account_id, f"/api/v1/accounts/{account_id}"))
        return [DailyAccountMetrics(day=today, followers=account.get("followers_count"))]

    def fetch_post_metrics(
        self, credentials: Credentials, account_id: str, external_ids: list[str]
    ) -> list[PostMetrics]:
        """Favourites, boosts and replies per status (``GET /api/v1/statuses?id[]=``, 4.3+; else one by one)."""
        account_id = self._account_id(credentials, account_id)
        statuses: list[dict[str, Any]] = []
        ids = [str(i) for i in external_ids]
        for start in range(0, len(ids), 20):
            chunk = ids[start : start + 20]
            try:
                batch = self._json(
                    self._get(
                        credentials,
                        account_id,
                        "/api/v1/statuses",
                        params=[("id[]", i) for i in chunk],
                    )
                )
                statuses += batch if isinstance(batch, list) else []
            except ProviderError as exc:
                if exc.status not in (404, 405):
                    raise
                for status_id in chunk:  # older servers: no batch endpoint
                    try:
                        statuses.append(
                            self._json(
                                self._get(credentials, account_id, f"/api/v1/statuses/{status_id}")
                            )
                        )
                    except ProviderError as inner:
                        if inner.status != 404:
                            raise
        return [
            PostMetrics(
                external_id=str(s["id"]),
                likes=s.get("favourites_count"),
                shares=s.get("reblogs_count"),
                comments=s.get("replies_count"),
            )
            for s in statuses
            if isinstance(s, dict) and s.get("id")
        ]

    # --- Internals: requests and errors ----------------------------------------------------

    def _scopes(self) -> tuple[str, ...]:
        return tuple(self.config.extra.get("scopes") or self.default_scopes)

    def _visibility(self) -> str:
        visibility = self.config.extra.get("visibility", "public")
        return visibility if visibility in _VISIBILITIES else "public"

    def _client(self, extra: dict[str, Any]) -> tuple[str, str]:
        client_id = extra.get("client_id") or self.config.client_id
        client_secret = extra.get("client_secret") or self.config.client_secret
        if not client_id:
            raise ProviderError(
                "SocialOps is not registered on this Mastodon server yet (register_app).",
                permanent=True,
                code="no_client",
            )
        return str(client_id), str(client_secret or "")

    def _base_from(self, instance_url: str | None) -> str:
        value = instance_url or self.urls.get("api")
        if not value:
            raise ProviderError(
                "No Mastodon server was given for this connection.",
                permanent=True,
                code="no_instance",
            )
        return normalize_instance_url(value)

    def _base(self, credentials: Credentials) -> str:
        # Never fall back to another server for a token: it would hand the token to a stranger.
        instance = credentials.extra.get("instance_url")
        if not instance and not self.urls.get("api"):
            raise ProviderError(
                "These Mastodon credentials do not say which server they belong to.",
                permanent=True,
                code="no_instance",
            )
        return self._base_from(instance)

    def _account_id(self, credentials: Credentials, external_id: str) -> str:
        """The bare account id the API wants, from a channel's external id (qualified or older).

        A qualified id names its server: credentials for another server never act on it.
        """
        account_id, host = split_account_id(external_id)
        if host:
            ours = instance_host(self._base(credentials))
            if host != ours:
                raise AuthExpired(
                    f"This Mastodon channel is on {host} but its authorization is for {ours}; "
                    "connect the channel again."
                )
        return account_id

    def _budgets(
        self, credentials: Credentials, account_id: str, kind: str | None = None
    ) -> list[Budget]:
        host = urlsplit(self._base(credentials)).netloc
        budgets = [Budget(f"mastodon:{host}:{account_id}", 300, 300)]
        if kind in ("media", "delete"):
            budgets.append(Budget(f"mastodon:{host}:{account_id}:{kind}", 30, 1800))
        return budgets

    def _call(
        self,
        method: str,
        base: str,
        path: str,
        *,
        token: str | None = None,
        budgets: list[Budget] | tuple = (),
        unknown_on_failure: bool = False,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        host = urlsplit(base).hostname
        all_headers = {"Accept": "application/json", **(headers or {})}
        if token:
            all_headers["Authorization"] = f"Bearer {token}"
        try:
            response = self.http.request(
                method, base + path, headers=all_headers, budgets=budgets, **kwargs
            )
        except UnknownOutcome:
            raise
        except TransientError as exc:
            raise TransientError(
                f"The Mastodon server {host} could not be reached: {exc.message}"
            ) from exc
        if response.status_code >= 400:
            self._raise_for(response, host or "", unknown_on_failure)
        return response

    def _get(
        self, credentials: Credentials, account_id: str, path: str, **kwargs: Any
    ) -> httpx.Response:
        return self._call(
            "GET",
            self._base(credentials),
            path,
            token=credentials.access_token,
            budgets=self._budgets(credentials, account_id),
            **kwargs,
        )

    @staticmethod
    def _json(response: httpx.Response) -> Any:
        return json_or_error(response)

    @staticmethod
    def _error_message(response: httpx.Response) -> tuple[str, str | None]:
        try:
            body = response.json()
        except ValueError:
            return f"HTTP {response.status_code}", None
        if isinstance(body, dict) and isinstance(body.get("error"), str):
            # The instance is one a person typed: its words are bounded to one short line.
            error = remote_message(body["error"])
            description = body.get("error_description")
            code = (
                error if re.fullmatch(r"[a-z_]+", error) else None
            )  # OAuth codes: invalid_grant …
            return (
                f"{error}: {remote_message(description)}" if isinstance(description, str) else error
            ), code
        return f"HTTP {response.status_code}", None

    @staticmethod
    def _retry_after(response: httpx.Response) -> float:
        reset = _parse_time(response.headers.get("X-RateLimit-Reset"))
        if reset is not None:
            return float(max(1, math.ceil((reset - datetime.now(UTC)).total_seconds())))
        retry_after = response.headers.get("Retry-After", "")
        if retry_after.isdigit():
            return float(max(1, int(retry_after)))
        return 60.0

    def _raise_for(self, response: httpx.Response, host: str, unknown_on_failure: bool) -> None:
        status = response.status_code
        message, code = self._error_message(response)
        if status == 429:
            raise RateLimited(
                f"Mastodon ({host}) asks us to slow down: {message}",
                retry_after=self._retry_after(response),
                status=status,
            )
        if status == 401:
            raise AuthExpired(
                f"Mastodon ({host}) no longer accepts this authorization: {message}",
                status=status,
                code=code,
            )
        if status == 403 and re.search(r"scope|token|login|account", message, re.IGNORECASE):
            raise AuthExpired(
                f"Mastodon ({host}) refused this authorization: {message}", status=status, code=code
            )
        if status == 422:
            raise ContentRejected(message, status=status, code=code or "validation_failed")
        if status >= 500:
            cls = UnknownOutcome if unknown_on_failure else TransientError
            raise cls(
                f"Mastodon ({host}) had a server error (HTTP {status}): {message}", status=status
            )
        raise ProviderError(
            f"Mastodon ({host}) answered HTTP {status}: {message}",
            permanent=True,
            status=status,
            code=code or ("not_found" if status == 404 else None),
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

    # --- Internals: publishing -------------------------------------------------------------

    @staticmethod
    def _compose(request: PublishRequest) -> str:
        text = request.text or ""
        if request.link and request.link not in text:
            text = f"{text.rstrip()}\n\n{request.link}" if text.strip() else request.link
        return text

    def _check_media(self, media: list[MediaItem]) -> None:
        kinds = [m.kind for m in media]
        unknown = set(kinds) - {"image", "video"}
        if unknown:
            raise ContentRejected(
                f"Mastodon cannot attach {', '.join(sorted(unknown))} media.", code="bad_media"
            )
        if "video" in kinds and len(kinds) > 1:
            raise ContentRejected(
                "A Mastodon post carries either up to 4 images or a single video, not both.",
                code="mixed_media",
            )

    def _media_bytes(self, item: MediaItem) -> bytes:
        if item.read is not None:
            return item.read()
        if not item.url:
            raise ContentRejected("This media item has neither a file nor a URL.", code="bad_media")
        response = self.http.get(item.url)  # our own signed URL: never put it in a message
        if response.status_code != 200:
            raise TransientError(
                f"Could not fetch the {item.kind} to upload (HTTP {response.status_code})."
            )
        return response.content

    def _upload(self, credentials: Credentials, account_id: str, item: MediaItem) -> str:
        base = self._base(credentials)
        extension = mimetypes.guess_extension(item.mime_type) or ""
        files = {"file": (f"{item.kind}{extension}", self._media_bytes(item), item.mime_type)}
        form = {"description": item.alt_text} if item.alt_text else {}
        response = self._call(
            "POST",
            base,
            "/api/v2/media",
            token=credentials.access_token,
            budgets=self._budgets(credentials, account_id, "media"),
            files=files,
            data=form,
        )
        body = self._json(response)
        if not isinstance(body, dict) or not body.get("id"):
            raise TransientError("Mastodon's media upload answer has no id.")
        media_id = str(body["id"])
        if response.status_code == 200 and body.get("url"):
            return media_id
        # 202: the full-size file is processed in the background; the status must wait for it.
        interval = float(self.config.extra.get("poll_interval", 1.0))
        deadline = time.monotonic() + float(self.config.extra.get("media_timeout", 600))
        while True:
            if time.monotonic() > deadline:
                raise TransientError(
                    f"Mastodon was still processing the {item.kind} when we gave up; "
                    "nothing was posted."
                )
            time.sleep(interval)
            interval = max(interval, min(interval * 1.5, 10.0))  # back off to 10 s between polls
            polled = self._get(credentials, account_id, f"/api/v1/media/{media_id}")
            if polled.status_code == 200 and (self._json(polled) or {}).get("url"):
                return media_id

    def _post_status(
        self,
        credentials: Credentials,
        account_id: str,
        *,
        text: str,
        visibility: str,
        media_ids: list[str] | None = None,
        in_reply_to_id: str | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        form: dict[str, Any] = {"status": text, "visibility": visibility}
        if media_ids:
            form["media_ids[]"] = media_ids
        if in_reply_to_id:
            form["in_reply_to_id"] = in_reply_to_id
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        # Once the request is sent, a server error or a garbled answer leaves the outcome unknown.
        response = self._call(
            "POST",
            self._base(credentials),
            "/api/v1/statuses",
            token=credentials.access_token,
            budgets=self._budgets(credentials, account_id),
            unknown_on_failure=True,
            headers=headers,
            data=form,
        )
        try:
            status = self._json(response)
        except TransientError as exc:
            raise UnknownOutcome(
                f"Mastodon accepted the post request but its answer was unreadable: {exc.message}",
                status=response.status_code,
            ) from exc
        if not isinstance(status, dict) or not status.get("id"):
            raise UnknownOutcome(
                "Mastodon accepted the post request but its answer names no status.",
                status=response.status_code,
            )
        return status

    @staticmethod
    def _result(status: dict[str, Any]) -> PublishResult:
        return PublishResult(
            status="published",
            external_id=str(status["id"]),
            url=str(status.get("url") or status.get("uri") or ""),
            raw=status,
        )

    def _find_first_comment(
        self, credentials: Credentials, account_id: str, status_id: str, text: str
    ) -> str:
        context = self._json(
            self._get(credentials, account_id, f"/api/v1/statuses/{status_id}/context")
        )
        expected = _comparable(text)
        for status in (context or {}).get("descendants") or []:
            if (
                str(status.get("in_reply_to_id")) == status_id
                and str((status.get("account") or {}).get("id")) == str(account_id)
                and _comparable(html_to_text(status.get("content"))) == expected
            ):
                return str(status["id"])
        return ""

    # --- Internals: inbox ------------------------------------------------------------------

    @staticmethod
    def _newest(response: httpx.Response, ids: list[str]) -> str | None:
        """The ``min_id`` for "only newer next time": the Link header's prev link, else the top id."""
        prev = response.links.get("prev", {}).get("url")
        if prev:
            query = parse_qs(urlsplit(prev).query)
            for name in ("min_id", "since_id"):
                if query.get(name):
                    return query[name][0]
        ids = [i for i in ids if i]
        return max(ids, key=_id_key) if ids else None

    @staticmethod
    def _inbox_item(status: dict[str, Any], account_id: str) -> InboxItem:
        author = status.get("account") or {}
        in_reply_to = str(status.get("in_reply_to_id") or "")
        if status.get("visibility") == "direct":
            kind = "dm"
        elif in_reply_to and str(status.get("in_reply_to_account_id")) == str(account_id):
            kind = "comment"
        else:
            kind = "mention"
        return InboxItem(
            external_id=str(status["id"]),
            kind=kind,
            text=html_to_text(status.get("content")),
            author_id=str(author.get("id") or ""),
            author_name=str(author.get("display_name") or author.get("username") or ""),
            author_handle=str(author.get("acct") or ""),
            created_at=_parse_time(status.get("created_at")),
            post_external_id=in_reply_to if kind == "comment" else "",
            parent_external_id=in_reply_to,
            permalink=str(status.get("url") or status.get("uri") or ""),
            raw=status,
        )
