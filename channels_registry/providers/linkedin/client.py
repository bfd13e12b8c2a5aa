"""LinkedIn: HTTP plumbing, error mapping and the pieces every other module of the package shares."""

from __future__ import annotations

import logging
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx

from ...http import json_or_error
from ..base import (
    Capabilities,
    Credentials,
    MediaSpec,
    Provider,
)
from ..errors import (
    AuthExpired,
    ContentRejected,
    ProviderError,
    RateLimited,
    StatusRule,
    TransientError,
)

log = logging.getLogger(__name__)

#: A version LinkedIn documents as active; each version is served for about a year, then 426.
DEFAULT_VERSION = "202605"
TEXT_LIMIT = 3000
MAX_IMAGES = 20

#: characters reserved by the "little" text format of ``commentary``
_RESERVED = set("\\|{}@[]()<>#*_~")
#: ``@[Name](urn:li:organization:123)`` mentions pass through untouched (a documented element)
_MENTION = re.compile(r"@\[[^\]\n]+\]\(urn:li:(?:person|organization):[^)\s]+\)")
#: ``#word`` stays a hashtag (a documented element); any other ``#`` is escaped
_HASHTAG = re.compile(r"#[^\W\d_]\w*")
_UNESCAPE = re.compile(r"\\([\\|{}@\[\]()<>#*_~])")
_COMMENT_URN = re.compile(
    r"^urn:li:comment:\((?P<target>urn:li:[A-Za-z]+:[^,()]+),(?P<id>[^,()]+)\)$"
)


def escape_little_text(text: str) -> str:
    """Escape ``text`` for ``commentary`` ("little" format), keeping mentions and hashtags.

    Unescaped reserved characters make LinkedIn cut the post at the first one or read it as markup.
    """
    out: list[str] = []
    pos = 0
    for m in _MENTION.finditer(text):
        out.append(_escape_plain(text[pos : m.start()]))
        out.append(m.group(0))
        pos = m.end()
    out.append(_escape_plain(text[pos:]))
    return "".join(out)


def _escape_plain(text: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "#":
            m = _HASHTAG.match(text, i)
            if m and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
                out.append(m.group(0).replace("_", "\\_"))
                i = m.end()
                continue
        out.append("\\" + ch if ch in _RESERVED else ch)
        i += 1
    return "".join(out)


def unescape_little_text(text: str) -> str:
    return _UNESCAPE.sub(r"\1", text)


def _enc(urn: str) -> str:
    """URL-encode a URN for a path segment or query value (``:`` → ``%3A``, ``(`` → ``%28`` …)."""
    return quote(urn, safe="")


def _ms(moment: datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def _day_start_ms(day: date) -> int:
    return _ms(datetime(day.year, day.month, day.day, tzinfo=UTC))


def _from_ms(value: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(value) / 1000, tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _int(value: Any) -> int | None:
    try:
        return None if value is None else int(value)
    except (TypeError, ValueError):
        return None


class LinkedInClient(Provider):
    """What the LinkedIn provider's modules share: its capabilities, URLs and HTTP calls."""

    key = "linkedin"
    name = "LinkedIn"
    #: LinkedIn's errors as our typed errors; its 429 is a daily quota that resets at 00:00 UTC
    status_errors = {
        401: StatusRule(AuthExpired, "LinkedIn no longer accepts this channel's token: {detail}"),
        403: StatusRule(
            AuthExpired,
            "LinkedIn refused access ({detail}). The grant lacks a permission or the "
            "member is no longer an administrator of the page; reconnect the channel.",
        ),
        **dict.fromkeys(
            (400, 409, 413, 415, 422),
            StatusRule(ContentRejected, "LinkedIn rejected the request: {detail}"),
        ),
        426: StatusRule(
            ProviderError,
            "LinkedIn no longer serves API version {version} (HTTP 426: {detail}). "
            "Set a newer LinkedIn-Version in the provider settings (extra['version']).",
        ),
        429: StatusRule(
            RateLimited,
            "LinkedIn's daily quota for this app or member is spent ({detail}); "
            "it resets at 00:00 UTC.",
        ),
        "4xx": StatusRule(ProviderError, "LinkedIn answered HTTP {status}: {detail}"),
        "5xx": StatusRule(TransientError, "LinkedIn had a server error (HTTP {status}): {detail}"),
    }
    capabilities = Capabilities(
        roles_page="https://www.linkedin.com/help/linkedin/answer/a541981",
        text_limit=TEXT_LIMIT,
        text_counting="chars",
        # the feed cuts a post behind "…see more" (about 210 characters or 3 lines)
        feed_cut_chars=210,
        feed_cut_lines=3,
        # Images API: JPG, PNG, GIF (≤ 250 frames), under 36,152,320 pixels; no byte limit documented.
        image=MediaSpec(mime_types=("image/jpeg", "image/png", "image/gif")),
        # Videos API: MP4, 75 KB – 500 MB, 3 s – 30 min, aspect 1:2.4 – 2.4:1.
        video=MediaSpec(
            max_bytes=500 * 1024 * 1024,
            min_seconds=3,
            max_seconds=30 * 60,
            min_aspect=1 / 2.4,
            max_aspect=2.4,
            mime_types=("video/mp4",),
        ),
        max_images=MAX_IMAGES,  # multiImage: 2–20 images
        max_videos=1,
        mixed_media=False,
        link_posts=True,
        first_comment=True,
        stories=False,
        reels=False,
        carousel=False,  # multiImage is a grid; document "carousels" need the Documents API
        async_publish=False,  # media is polled to AVAILABLE inside publish; the post itself is synchronous
        daily_publish_cap=None,  # daily quotas exist but are only shown in the developer portal
        comments_api=True,
        direct_messages=False,  # no messaging API for organization pages
        hide_comments=False,  # the API has no hide
        delete_comments=True,  # only the organization's own comments
        like_comments=True,  # the Reactions API: POST /rest/reactions?actor=<org>, reactionType LIKE
        webhooks=False,  # organization social action notifications are for approved partners only
        auth_kind="oauth2",
        mark="in",
        # engagement by weekday (Sprout Social and Hootsuite studies, 2024; see Capabilities.best_hours)
        best_hours=((0, (10,)), (1, (8, 10, 12)), (2, (8, 10, 12)), (3, (8, 10)), (4, (9,))),
    )
    default_urls = {
        "api": "https://api.linkedin.com",
        "auth": "https://www.linkedin.com/oauth/v2/authorization",
        "token": "https://www.linkedin.com/oauth/v2/accessToken",
        "web": "https://www.linkedin.com",
    }
    default_scopes = ("r_organization_social", "w_organization_social", "rw_organization_admin")

    # --- configuration ----------------------------------------------------------------------
    @property
    def version(self) -> str:
        return str(self.config.extra.get("version") or DEFAULT_VERSION)

    def _opt(self, name: str, default: float) -> float:
        value = self.config.extra.get(name)
        return default if value is None else float(value)

    def _utcnow(self) -> datetime:
        return datetime.now(UTC)

    # --- HTTP plumbing ----------------------------------------------------------------------
    def _headers(self, credentials: Credentials) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {credentials.access_token}",
            "LinkedIn-Version": self.version,
            "X-Restli-Protocol-Version": "2.0.0",
        }

    def _rest(
        self,
        method: str,
        path: str,
        credentials: Credentials,
        *,
        query: str = "",
        json_body: Any = None,
        extra_headers: dict[str, str] | None = None,
        ok: tuple[int, ...] = (200, 201, 204),
        allow_404: bool = False,
        on_403: type[ProviderError] = AuthExpired,
    ) -> httpx.Response:
        url = f"{self.urls['api'].rstrip('/')}/rest/{path}" + (f"?{query}" if query else "")
        headers = self._headers(credentials)
        if extra_headers:
            headers.update(extra_headers)
        kwargs: dict[str, Any] = {"headers": headers}
        if json_body is not None:
            kwargs["json"] = json_body
        response = self.http.request(method, url, **kwargs)
        if response.status_code in ok or (allow_404 and response.status_code == 404):
            return response
        self._raise_for(response, on_403=on_403)
        raise AssertionError("unreachable")  # pragma: no cover

    def _get_json(
        self,
        path: str,
        credentials: Credentials,
        *,
        query: str = "",
        extra_headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        response = self._rest(
            "GET", path, credentials, query=query, extra_headers=extra_headers, ok=(200,)
        )
        return self._json_dict(response)

    @staticmethod
    def _json_dict(response: httpx.Response) -> dict[str, Any]:
        data = json_or_error(response)
        if not isinstance(data, dict):
            raise TransientError(
                f"LinkedIn answered HTTP {response.status_code} with unexpected JSON.",
                status=response.status_code,
            )
        return data

    def _seconds_to_utc_midnight(self) -> float:
        now = self._utcnow()
        midnight = datetime(now.year, now.month, now.day, tzinfo=UTC) + timedelta(days=1)
        return max(60.0, round((midnight - now).total_seconds()))

    def _raise_for(
        self, response: httpx.Response, *, on_403: type[ProviderError] = AuthExpired
    ) -> None:
        """Map LinkedIn's ``{"status","serviceErrorCode","code","message"}`` errors onto our types.

        ``on_403``: where a 403 is about the action rather than the grant (commenting as a page that
        does not allow it), the caller names the error it means instead of "reconnect"."""
        status = response.status_code
        body: Any = None
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            if status >= 500 or 200 <= status < 300:
                raise TransientError(
                    f"LinkedIn answered HTTP {status} with something that is not JSON.",
                    status=status,
                )
            body = {}
        message = str(body.get("message") or body.get("error_description") or f"HTTP {status}")
        code = body.get("code") or body.get("error")
        service_code = body.get("serviceErrorCode")
        code_s = str(code) if code else (str(service_code) if service_code is not None else None)
        if status == 403 and on_403 is not AuthExpired:
            raise on_403(
                f"LinkedIn refused the action: {message}",
                permanent=True,
                status=status,
                code=code_s,
            )
        raise self.status_error(
            status,
            detail=message,
            code=code_s,
            version=self.version,
            retry_after=self._seconds_to_utc_midnight,
        )
