"""Mastodon: HTTP plumbing, error mapping and the pieces every other module of the package shares."""

from __future__ import annotations

import html
import logging
import math
import re
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import urlsplit

import httpx
from django.conf import settings

from ...http import Budget, json_or_error, remote_message
from ..base import (
    Capabilities,
    Credentials,
    MediaSpec,
    Provider,
)
from ..errors import (
    AuthExpired,
    BlockedDestination,
    ContentRejected,
    ProviderError,
    RateLimited,
    StatusRule,
    TransientError,
    UnknownOutcome,
    retry_after_header,
)
from ..text import count_graphemes, find_links

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


class MastodonClient(Provider):
    """What the Mastodon provider's modules share: its capabilities, URLs and HTTP calls."""

    key = "mastodon"
    name = "Mastodon"
    #: Mastodon's ``{"error", "error_description"}`` as our typed errors; every message names the
    #: instance (a person typed it). 429 waits for ``X-RateLimit-Reset``, else ``Retry-After``.
    status_errors = {
        401: StatusRule(
            AuthExpired, "{network} ({host}) no longer accepts this authorization: {detail}"
        ),
        # a 403 that names the token, a scope, the login or the account is an AuthExpired (_raise_for)
        403: StatusRule(ProviderError, "{network} ({host}) answered HTTP {status}: {detail}"),
        404: StatusRule(
            ProviderError, "{network} ({host}) answered HTTP {status}: {detail}", code="not_found"
        ),
        422: StatusRule(ContentRejected, "{detail}", code="validation_failed"),
        429: StatusRule(RateLimited, "{network} ({host}) asks us to slow down: {detail}"),
        "4xx": StatusRule(ProviderError, "{network} ({host}) answered HTTP {status}: {detail}"),
        "5xx": StatusRule(
            TransientError, "{network} ({host}) had a server error (HTTP {status}): {detail}"
        ),
    }
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
        like_comments=True,  # POST /api/v1/statuses/:id/favourite (scope write:favourites)
        webhooks=False,  # instance webhooks are admin-only; accounts get streaming / Web Push
        auth_kind="instance_oauth2",
        mark="M",
        link_in_text=True,
        # engagement by weekday (Sprout Social and Hootsuite studies, 2024; see Capabilities.best_hours)
        best_hours=(
            (0, (9, 13)),
            (1, (9, 13, 18)),
            (2, (9, 13, 18)),
            (3, (9, 13)),
            (4, (10,)),
            (5, (11,)),
            (6, (11,)),
        ),
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
        "write:favourites",
    )

    @classmethod
    def count_text(cls, text: str) -> int:
        """Mastodon's own count (``status_length``): graphemes, links 23, remote mentions without domain."""
        return status_length(text)

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
    def _retry_after(response: httpx.Response) -> float | None:
        reset = _parse_time(response.headers.get("X-RateLimit-Reset"))
        if reset is not None:
            return float(max(1, math.ceil((reset - datetime.now(UTC)).total_seconds())))
        return retry_after_header(response.headers)

    def _raise_for(self, response: httpx.Response, host: str, unknown_on_failure: bool) -> None:
        status = response.status_code
        message, code = self._error_message(response)
        if status == 403 and re.search(r"scope|token|login|account", message, re.IGNORECASE):
            raise AuthExpired(
                f"Mastodon ({host}) refused this authorization: {message}", status=status, code=code
            )
        raise self.status_error(
            status,
            detail=message,
            code=None if status == 429 or status >= 500 else code,
            retry_after=lambda: self._retry_after(response),
            creating=unknown_on_failure,
            host=host,
        )
