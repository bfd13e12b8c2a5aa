"""X: HTTP plumbing, error mapping and the pieces every other module of the package shares."""

from __future__ import annotations

import base64
import hashlib
import html
import logging
import re
import time
import unicodedata
from datetime import UTC, datetime
from typing import Any, NoReturn

from ...http import Budget, json_or_error
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
    UnknownOutcome,
)
from ..text import find_links, x_weighted_length

log = logging.getLogger(__name__)

MAX_WEIGHTED_LENGTH = 280
IMAGE_MAX_BYTES = 5 * 1024 * 1024
GIF_MAX_BYTES = 15 * 1024 * 1024
VIDEO_MAX_BYTES = 512 * 1024 * 1024
#: documented APPEND limit is 5 MB per segment; stay a little under it
DEFAULT_CHUNK_BYTES = 4 * 1024 * 1024
#: X snowflake ids carry their creation time: (id >> 22) + this epoch = unix ms
TWITTER_EPOCH_MS = 1288834974657
#: recent search covers 7 days; non-public metrics 30 days
RECENT_SEARCH_DAYS = 7
NON_PUBLIC_METRICS_DAYS = 30
SEARCH_QUERY_MAX = 512

TWEET_FIELDS = "created_at,conversation_id,author_id,in_reply_to_user_id,referenced_tweets"
USER_FIELDS = "username,name,profile_image_url"


# --- helpers ----------------------------------------------------------------------------------


def snowflake_time(tweet_id: str | int | None) -> datetime | None:
    try:
        ms = (int(tweet_id) >> 22) + TWITTER_EPOCH_MS  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def _iso(dt: datetime) -> str:
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        pass
    try:  # Account Activity (v1.1 payloads): "Wed Oct 10 20:19:24 +0000 2018"
        return datetime.strptime(value, "%a %b %d %H:%M:%S %z %Y")
    except ValueError:
        return None


_TCO_OR_URL = re.compile(r"https?://\S+")


_URL_MARK = "\x00URL\x00"


def _comparable(text: str, *, has_media: bool = False) -> str:
    """Text as X stores it vs. as we sent it: entities unescaped, links (t.co) and whitespace folded.

    X rewrites every link to a t.co one and, for posts with media, appends one more t.co link
    pointing at the media; ``has_media`` drops that trailing link.
    """
    text = unicodedata.normalize("NFC", html.unescape(text or ""))
    spans = find_links(text)
    out, pos = [], 0
    for start, end in spans:
        out.append(text[pos:start])
        out.append(_URL_MARK)
        pos = end
    out.append(text[pos:])
    folded = " ".join(_TCO_OR_URL.sub(_URL_MARK, "".join(out)).split())
    if has_media and folded.endswith(_URL_MARK):
        folded = folded[: -len(_URL_MARK)].rstrip()
    return folded


def _max_id(*ids: str | None) -> str | None:
    known = [int(i) for i in ids if i and str(i).isdigit()]
    return str(max(known)) if known else None


def _shares(public: dict[str, Any]) -> int | None:
    """Reposts plus quote posts, or None when X sent neither."""
    if "retweet_count" not in public and "quote_count" not in public:
        return None
    return int(public.get("retweet_count") or 0) + int(public.get("quote_count") or 0)


def _problem_message(body: Any, *, prefer_errors: bool = False) -> str:
    if not isinstance(body, dict):
        return ""
    messages = [
        str(e.get("message") or e.get("detail") or "")
        for e in body.get("errors") or []
        if isinstance(e, dict)
    ]
    messages = [m for m in messages if m]
    detail = (
        body.get("detail")
        or body.get("error_description")
        or body.get("title")
        or body.get("error")
        or ""
    )
    if prefer_errors and messages:
        return "; ".join(messages)
    return str(detail) or "; ".join(messages)


class XClient(Provider):
    """What the X provider's modules share: its capabilities, URLs and HTTP calls."""

    key = "x"
    name = "X"
    capabilities = Capabilities(
        roles_page="https://x.com/settings/delegate",
        text_limit=MAX_WEIGHTED_LENGTH,
        text_counting="weighted",
        link_length=23,
        # the feed shows a post whole (longer posts of paying accounts are cut, "Show more")
        feed_cut_chars=None,
        image=MediaSpec(
            max_bytes=IMAGE_MAX_BYTES,
            mime_types=("image/jpeg", "image/png", "image/webp", "image/gif"),
        ),
        video=MediaSpec(
            max_bytes=VIDEO_MAX_BYTES,
            min_seconds=0.5,
            max_seconds=140,
            min_aspect=1 / 3,
            max_aspect=3.0,
            mime_types=("video/mp4", "video/quicktime"),
        ),
        max_images=4,
        max_videos=1,
        mixed_media=False,
        link_posts=True,
        first_comment=True,
        stories=False,
        reels=False,
        carousel=False,
        async_publish=False,
        # 100 / 15 min per user and 10,000 / 24 h per app; per-user daily caps depend on the tier
        daily_publish_cap=None,
        comments_api=True,
        direct_messages=True,
        hide_comments=True,
        # X lets you delete only your own posts (our replies), not other people's replies
        delete_comments=False,
        like_comments=True,  # POST /2/users/:id/likes (scope like.write)
        webhooks=True,
        auth_kind="oauth2_pkce",
        mark="X",
        link_in_text=True,
        webhook_headers=("x-twitter-webhooks-signature",),
        # engagement by weekday (Sprout Social and Hootsuite studies, 2024; see Capabilities.best_hours)
        best_hours=(
            (0, (9, 12)),
            (1, (9, 12, 17)),
            (2, (9, 12, 17)),
            (3, (9, 12)),
            (4, (9,)),
            (5, (10,)),
        ),
    )
    #: X's problem JSON as our typed errors; 429 waits for ``x-rate-limit-reset`` (see ``_retry_after``)
    status_errors = {
        400: StatusRule(
            ContentRejected,
            "{detail}",
            fallback="X refused the request as invalid.",
            code="invalid_request",
        ),
        401: StatusRule(AuthExpired, "X refused the token: {detail}.", fallback="Unauthorized"),
        # a 403 is about the request (a duplicate, a reply not allowed), not the token
        403: StatusRule(
            ContentRejected, "{detail}", fallback="X refused the request (403).", code="forbidden"
        ),
        404: StatusRule(ProviderError, "{detail}", fallback="Not found on X.", code="not_found"),
        429: StatusRule(RateLimited, "X rate limit reached."),
        "4xx": StatusRule(ProviderError, "{detail}", fallback="X answered HTTP {status}."),
        "5xx": StatusRule(TransientError, "X answered HTTP {status}; it may be over capacity."),
    }
    default_urls = {
        "api": "https://api.x.com",
        "auth": "https://x.com/i/oauth2/authorize",
        "token": "https://api.x.com/2/oauth2/token",
        "web": "https://x.com",
    }
    default_scopes = (
        "tweet.read",
        "tweet.write",
        "users.read",
        "offline.access",
        "media.write",
        "like.write",
        "tweet.moderate.write",
        "dm.read",
        "dm.write",
    )

    # --- small helpers -----------------------------------------------------------------------
    @classmethod
    def count_text(cls, text: str) -> int:
        """X's weighted length (twitter-text v3): links 23, CJK and emoji 2, the rest 1."""
        return x_weighted_length(text)

    @staticmethod
    def pkce_challenge(verifier: str) -> str:
        """RFC 7636 S256: base64url(sha256(verifier)) without padding."""
        digest = hashlib.sha256(verifier.encode("ascii")).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")

    def _extra(self, name: str, default: Any) -> Any:
        return self.config.extra.get(name, default)

    def _api(self, path: str) -> str:
        return self.urls["api"].rstrip("/") + path

    def _permalink(self, tweet_id: str, username: str | None = None) -> str:
        web = self.urls.get("web", "https://x.com").rstrip("/")
        return (
            f"{web}/{username}/status/{tweet_id}" if username else f"{web}/i/web/status/{tweet_id}"
        )

    def _max_length(self) -> int:
        return int(self._extra("max_weighted_length", MAX_WEIGHTED_LENGTH))

    def _check_text(self, text: str, *, what: str = "The post") -> None:
        length = self.count_text(text)
        limit = self._max_length()
        if length > limit:
            raise ContentRejected(
                f"{what} is {length} characters as X counts them (links 23, CJK and emoji 2); the limit is {limit}.",
                code="too_long",
            )

    # --- HTTP ----------------------------------------------------------------------------------
    @staticmethod
    def _retry_after(headers: Any) -> float:
        now = time.time()
        resets = []
        reset = headers.get("x-rate-limit-reset")
        if reset:
            resets.append(reset)
        # the 24-hour caps on POST /2/tweets come with their own headers
        for scope in ("user", "app"):
            if headers.get(f"x-{scope}-limit-24hour-remaining") == "0" and headers.get(
                f"x-{scope}-limit-24hour-reset"
            ):
                resets.append(headers[f"x-{scope}-limit-24hour-reset"])
        waits = []
        for value in resets:
            try:
                waits.append(float(value) - now)
            except ValueError:
                continue
        if not waits:
            return 60.0
        return float(max(1, round(max(waits))))

    def _handle(self, response: Any, *, creating: bool = False) -> dict[str, Any]:
        """Map X's answer onto a dict or the typed errors (never include tokens in messages)."""
        status = response.status_code
        if status == 429 or status >= 500:
            raise self.status_error(
                status, creating=creating, retry_after=lambda: self._retry_after(response.headers)
            )
        if not response.content:
            if 200 <= status < 300:
                return {}
            body: Any = {}
        else:
            try:
                body = json_or_error(response)
            except TransientError as exc:
                if creating and 200 <= status < 300:
                    raise UnknownOutcome(
                        "X confirmed the request with an unreadable answer; it may have been applied.",
                        status=status,
                    ) from exc
                raise
        if 200 <= status < 300:
            if not isinstance(body, dict):
                raise TransientError("X answered with JSON that is not an object.", status=status)
            return body
        self._raise_for(status, body)

    def _raise_for(self, status: int, body: Any) -> NoReturn:
        """X's problem JSON → the shared status table with X's rows (``status_errors``)."""
        message = _problem_message(body, prefer_errors=status == 400)
        problem_type = str(body.get("type", "")) if isinstance(body, dict) else ""
        if status == 403 and (
            "client-forbidden" in problem_type or "unsupported-authentication" in problem_type
        ):
            raise ProviderError(
                f"X refused this app's access level for the endpoint: {message}",
                permanent=True,
                status=403,
                code="client_forbidden",
            )
        raise self.status_error(status, detail=message)

    def _call(
        self,
        credentials: Credentials,
        method: str,
        path: str,
        *,
        creating: bool = False,
        budgets: tuple[Budget, ...] = (),
        **kwargs: Any,
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {credentials.access_token}"}
        response = self.http.request(
            method, self._api(path), headers=headers, budgets=budgets, **kwargs
        )
        body = self._handle(response, creating=creating)
        self._hold_when_spent(response.headers, budgets)
        return body

    def _hold_when_spent(self, headers: Any, budgets: tuple[Budget, ...]) -> None:
        """X counts every call in ``x-rate-limit-remaining`` (docs.x.com rate limits), calls made
        outside this product included: at 0, the endpoint's budgets hold until
        ``x-rate-limit-reset`` rather than spend a call on a certain 429."""
        if not budgets or headers.get("x-rate-limit-remaining") != "0":
            return
        wait = self._retry_after(headers)
        for budget in budgets:
            budget.hold(wait)
