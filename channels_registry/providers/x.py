"""X (Twitter) API v2 (API-NOTES.md §3 and §11; docs.x.com).

- Auth: OAuth 2.0 Authorization Code with PKCE (S256). We are a confidential client, so the
  token endpoint gets HTTP Basic with the client id and secret. Access tokens live 2 h; the
  ``offline.access`` scope brings a refresh token, and refresh tokens ROTATE: every refresh
  returns a new one and the old one stops working, so callers must store what we return.
- Publish: ``POST /2/tweets`` → 201 ``{"data": {"id", "text"}}``. Text is counted the
  twitter-text way (weighted: links 23, CJK and emoji 2; ``XProvider.count_text``, from the
  packaged twitter-text in ``text.py``).
  Images go through ``POST /2/media/upload`` (multipart); videos and GIFs through the chunked
  initialize / append / finalize endpoints, then ``STATUS`` polling until ``succeeded``.
  A first comment is a self-reply. X has no idempotency key, so ``find_existing`` scans the
  account's recent posts for the same text.
- Inbox: mentions (``since_id`` cursor), replies in our recent conversations (recent search on
  ``conversation_id``) and DMs (``/2/dm_events``). Webhooks: Account Activity (CRC + signature).
- Errors: problem JSON ``{"title", "type", "status", "detail", "errors"?}``; 429 carries
  ``x-rate-limit-reset`` (unix seconds), no Retry-After.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import logging
import re
import time
import unicodedata
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, quote, urlencode

from ..http import Budget, json_or_error
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
    WebhookEvent,
    WebhookRequest,
)
from .errors import (
    AuthExpired,
    ContentRejected,
    ProviderError,
    RateLimited,
    TransientError,
    UnknownOutcome,
)
from .text import find_links, x_weighted_length

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


class XProvider(Provider):
    key = "x"
    name = "X"
    capabilities = Capabilities(
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
        webhooks=True,
        auth_kind="oauth2_pkce",
    )
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
        if status == 429:
            raise RateLimited(
                "X rate limit reached.", retry_after=self._retry_after(response.headers), status=429
            )
        if status >= 500:
            cls = UnknownOutcome if creating else TransientError
            raise cls(f"X answered HTTP {status}; it may be over capacity.", status=status)
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
        message = _problem_message(body, prefer_errors=status == 400)
        problem_type = str(body.get("type", "")) if isinstance(body, dict) else ""
        if status == 401:
            raise AuthExpired(f"X refused the token: {message or 'Unauthorized'}.", status=401)
        if status == 403:
            if "client-forbidden" in problem_type or "unsupported-authentication" in problem_type:
                raise ProviderError(
                    f"X refused this app's access level for the endpoint: {message}",
                    permanent=True,
                    status=403,
                    code="client_forbidden",
                )
            raise ContentRejected(
                message or "X refused the request (403).", status=403, code="forbidden"
            )
        if status == 400:
            raise ContentRejected(
                message or "X refused the request as invalid.", status=400, code="invalid_request"
            )
        if status == 404:
            raise ProviderError(
                message or "Not found on X.", permanent=True, status=404, code="not_found"
            )
        raise ProviderError(message or f"X answered HTTP {status}.", permanent=True, status=status)

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
        return self._handle(response, creating=creating)

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

    # --- Publishing ----------------------------------------------------------------------------
    def _compose_text(self, request: PublishRequest) -> str:
        text = request.text or ""
        if request.link and request.link not in text:
            text = f"{text.rstrip()}\n\n{request.link}" if text.strip() else request.link
        return text

    def _validate_media(self, media: list[MediaItem]) -> None:
        videos = [m for m in media if m.kind == "video"]
        gifs = [m for m in media if m.kind == "image" and m.mime_type == "image/gif"]
        images = [m for m in media if m.kind == "image" and m.mime_type != "image/gif"]
        if any(m.kind not in ("image", "video") for m in media):
            raise ContentRejected("X accepts images, GIFs and videos only.")
        if (videos or gifs) and len(media) > 1:
            raise ContentRejected(
                "X allows one video or one GIF per post, not combined with other media."
            )
        if len(images) > self.capabilities.max_images:
            raise ContentRejected(
                f"X allows at most {self.capabilities.max_images} images per post."
            )
        for m in images:
            if m.size_bytes and m.size_bytes > IMAGE_MAX_BYTES:
                raise ContentRejected("X accepts images up to 5 MB.")
        for m in gifs:
            if m.size_bytes and m.size_bytes > GIF_MAX_BYTES:
                raise ContentRejected("X accepts GIFs up to 15 MB.")
        for m in videos:
            if m.size_bytes and m.size_bytes > VIDEO_MAX_BYTES:
                raise ContentRejected("X accepts videos up to 512 MB.")
            if m.duration_seconds is not None and not 0.5 <= m.duration_seconds <= 140:
                raise ContentRejected("X accepts videos from 0.5 to 140 seconds long.")
            if m.width and m.height and not 1 / 3 <= m.width / m.height <= 3:
                raise ContentRejected("X accepts video aspect ratios between 1:3 and 3:1.")

    def _media_bytes(self, item: MediaItem) -> bytes:
        if item.read is not None:
            return item.read()
        response = self.http.get(item.url)
        if response.status_code != 200:
            raise TransientError(
                f"Could not read the media file to upload (HTTP {response.status_code})."
            )
        return response.content

    def _upload(self, credentials: Credentials, item: MediaItem) -> str:
        blob = self._media_bytes(item)
        is_gif = item.mime_type == "image/gif"
        if item.kind == "image" and not is_gif:
            if len(blob) > IMAGE_MAX_BYTES:
                raise ContentRejected("X accepts images up to 5 MB.")
            body = self._call(
                credentials,
                "POST",
                "/2/media/upload",
                files={"media": ("media", blob, item.mime_type)},
                data={"media_category": "tweet_image", "media_type": item.mime_type},
            )
            media_id = str((body.get("data") or {}).get("id") or "")
            if not media_id:
                raise TransientError("X accepted the image upload but returned no media id.")
        else:
            media_id = self._upload_chunked(
                credentials, blob, item.mime_type, "tweet_gif" if is_gif else "tweet_video"
            )
        if item.alt_text:
            self._call(
                credentials,
                "POST",
                "/2/media/metadata",
                json={"id": media_id, "metadata": {"alt_text": {"text": item.alt_text[:1000]}}},
            )
        return media_id

    def _upload_chunked(
        self, credentials: Credentials, blob: bytes, mime_type: str, category: str
    ) -> str:
        init = self._call(
            credentials,
            "POST",
            "/2/media/upload/initialize",
            json={"media_type": mime_type, "total_bytes": len(blob), "media_category": category},
        )
        media_id = str((init.get("data") or {}).get("id") or "")
        if not media_id:
            raise TransientError("X did not return a media id for the upload.")
        chunk = int(self._extra("chunk_size", DEFAULT_CHUNK_BYTES))
        for index, offset in enumerate(range(0, len(blob), chunk)):
            self._call(
                credentials,
                "POST",
                f"/2/media/upload/{media_id}/append",
                files={
                    "media": ("chunk", blob[offset : offset + chunk], "application/octet-stream")
                },
                data={"segment_index": str(index)},
            )
        final = self._call(credentials, "POST", f"/2/media/upload/{media_id}/finalize")
        info = (final.get("data") or {}).get("processing_info")
        self._wait_for_processing(credentials, media_id, info)
        return media_id

    def _wait_for_processing(
        self, credentials: Credentials, media_id: str, info: dict[str, Any] | None
    ) -> None:
        """Poll STATUS until succeeded; no processing_info means ready."""
        deadline = time.monotonic() + float(self._extra("media_max_wait", 600))
        interval_override = self._extra("poll_interval", None)
        while info:
            state = info.get("state")
            if state == "succeeded":
                return
            if state == "failed":
                error = info.get("error") or {}
                detail = error.get("message") or error.get("name") or "processing failed"
                raise ContentRejected(
                    f"X could not process the media: {detail}", code="media_failed"
                )
            if time.monotonic() > deadline:
                # nothing was posted: safe to retry later
                raise TransientError("X is still processing the media; try again later.")
            wait = (
                interval_override
                if interval_override is not None
                else info.get("check_after_secs", 5)
            )
            time.sleep(max(0.0, float(wait)))
            status = self._call(
                credentials,
                "GET",
                "/2/media/upload",
                params={"command": "STATUS", "media_id": media_id},
            )
            info = (status.get("data") or {}).get("processing_info")

    def _create_tweet(
        self, credentials: Credentials, account_id: str, body: dict[str, Any]
    ) -> dict[str, Any]:
        budget = Budget(
            f"x:tweets:{account_id}", capacity=100, per_seconds=900
        )  # documented per-user window
        answer = self._call(
            credentials, "POST", "/2/tweets", json=body, creating=True, budgets=(budget,)
        )
        data = answer.get("data") or {}
        if not data.get("id"):
            raise UnknownOutcome("X answered without the new post's id; it may have been created.")
        return answer

    def publish(
        self, credentials: Credentials, account_id: str, request: PublishRequest
    ) -> PublishResult:
        if request.format != "post":
            raise ContentRejected(f"X has no {request.format}s; publish it as a post.")
        text = self._compose_text(request)
        if not text.strip() and not request.media:
            raise ContentRejected("An X post needs text or media.")
        self._check_text(text)
        if request.first_comment:
            self._check_text(request.first_comment, what="The first comment")
        self._validate_media(request.media)

        media_ids = [self._upload(credentials, item) for item in request.media]
        body: dict[str, Any] = {}
        if text:
            body["text"] = text
        if media_ids:
            body["media"] = {"media_ids": media_ids}
        answer = self._create_tweet(credentials, account_id, body)
        tweet_id = str(answer["data"]["id"])
        result = PublishResult(
            status="published",
            external_id=tweet_id,
            url=self._permalink(tweet_id, credentials.extra.get("username")),
            raw=answer,
        )
        if request.first_comment:
            # the post is out: a failed self-reply must not make the caller retry the post
            try:
                reply = self._create_tweet(
                    credentials,
                    account_id,
                    {
                        "text": request.first_comment,
                        "reply": {"in_reply_to_tweet_id": tweet_id},
                    },
                )
                result.first_comment_id = str(reply["data"]["id"])
            except ProviderError as exc:
                log.warning(
                    "X post %s published but its first comment failed: %s", tweet_id, exc.message
                )
                result.raw = {**answer, "first_comment_error": exc.message}
        return result

    def check_publish(
        self, credentials: Credentials, account_id: str, pending_ref: str
    ) -> PublishResult:
        raise ProviderError("X publishes synchronously; there is nothing to poll.", permanent=True)

    def _recent_tweets(
        self, credentials: Credentials, account_id: str, since: datetime, max_pages: int = 5
    ) -> list[dict[str, Any]]:
        tweets: list[dict[str, Any]] = []
        params: dict[str, Any] = {
            "max_results": 100,
            "start_time": _iso(since),
            "exclude": "retweets",
            "tweet.fields": "created_at,conversation_id,referenced_tweets,attachments",
        }
        for _ in range(max_pages):
            body = self._call(credentials, "GET", f"/2/users/{account_id}/tweets", params=params)
            tweets.extend(body.get("data") or [])
            token = (body.get("meta") or {}).get("next_token")
            if not token:
                break
            params["pagination_token"] = token
        return tweets

    def find_existing(
        self, credentials: Credentials, account_id: str, request: PublishRequest, since: datetime
    ) -> PublishResult | None:
        wanted = _comparable(self._compose_text(request))
        tweets = self._recent_tweets(credentials, account_id, since - timedelta(seconds=5))
        roots = []
        for tweet in tweets:
            replied = any(
                r.get("type") == "replied_to" for r in tweet.get("referenced_tweets") or []
            )
            has_media = bool((tweet.get("attachments") or {}).get("media_keys"))
            if replied or bool(request.media) != has_media:
                continue
            if _comparable(tweet.get("text", ""), has_media=has_media) != wanted:
                continue
            created = _parse_time(tweet.get("created_at")) or snowflake_time(tweet.get("id"))
            if created and created < since - timedelta(seconds=5):
                continue
            roots.append(tweet)
        if not roots:
            return None
        root = min(roots, key=lambda t: int(t["id"]))  # the earliest attempt is the one that counts
        result = PublishResult(
            status="published",
            external_id=str(root["id"]),
            url=self._permalink(str(root["id"]), credentials.extra.get("username")),
            raw={"data": root},
        )
        if request.first_comment:
            comment = _comparable(request.first_comment)
            for tweet in tweets:
                refs = tweet.get("referenced_tweets") or []
                if (
                    any(
                        r.get("type") == "replied_to" and str(r.get("id")) == str(root["id"])
                        for r in refs
                    )
                    and _comparable(tweet.get("text", "")) == comment
                ):
                    result.first_comment_id = str(tweet["id"])
                    break
        return result

    def delete_post(self, credentials: Credentials, account_id: str, external_id: str) -> None:
        budget = Budget(f"x:delete:{account_id}", capacity=50, per_seconds=900)
        try:
            self._call(credentials, "DELETE", f"/2/tweets/{external_id}", budgets=(budget,))
        except ProviderError as exc:
            if exc.status == 404:  # already gone
                return
            raise

    # --- Engagement ----------------------------------------------------------------------------
    @staticmethod
    def _parse_cursor(cursor: str | None) -> dict[str, str]:
        if not cursor:
            return {}
        return {k: v[0] for k, v in parse_qs(cursor).items() if v and v[0].isdigit()}

    def _tweet_item(
        self,
        tweet: dict[str, Any],
        users: dict[str, dict[str, Any]],
        account_id: str,
        default_kind: str,
    ) -> InboxItem:
        author = users.get(str(tweet.get("author_id")), {})
        parent = next(
            (
                str(r["id"])
                for r in tweet.get("referenced_tweets") or []
                if r.get("type") == "replied_to"
            ),
            "",
        )
        kind = default_kind
        if parent and str(tweet.get("in_reply_to_user_id")) == str(account_id):
            kind = "comment"  # a direct answer to one of our posts or replies
        elif parent and default_kind == "reply":
            kind = "reply"
        return InboxItem(
            external_id=str(tweet["id"]),
            kind=kind,
            text=html.unescape(tweet.get("text", "")),
            author_id=str(tweet.get("author_id", "")),
            author_name=author.get("name", ""),
            author_handle=author.get("username", ""),
            created_at=_parse_time(tweet.get("created_at")),
            # only replies in our own conversations belong to one of our posts
            post_external_id=str(tweet.get("conversation_id") or "")
            if kind in ("comment", "reply")
            else "",
            parent_external_id=parent,
            thread_id=str(tweet.get("conversation_id") or ""),
            permalink=self._permalink(str(tweet["id"]), author.get("username")),
            raw=tweet,
        )

    @staticmethod
    def _users(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
        return {
            str(u["id"]): u for u in (body.get("includes") or {}).get("users") or [] if u.get("id")
        }

    def _mentions(
        self, credentials: Credentials, account_id: str, since_id: str | None, max_pages: int
    ) -> tuple[list[InboxItem], str | None]:
        params: dict[str, Any] = {
            "max_results": 100,
            "tweet.fields": TWEET_FIELDS,
            "expansions": "author_id",
            "user.fields": USER_FIELDS,
        }
        if since_id:
            params["since_id"] = since_id
        items: list[InboxItem] = []
        newest = since_id
        for _ in range(max_pages):
            body = self._call(credentials, "GET", f"/2/users/{account_id}/mentions", params=params)
            users = self._users(body)
            meta = body.get("meta") or {}
            newest = _max_id(
                newest, meta.get("newest_id"), *[t.get("id") for t in body.get("data") or []]
            )
            items.extend(
                self._tweet_item(t, users, account_id, "mention")
                for t in body.get("data") or []
                if str(t.get("author_id")) != str(account_id)
            )
            token = meta.get("next_token")
            if not token:
                break
            params["pagination_token"] = token
        return items, newest

    def _conversation_replies(
        self, credentials: Credentials, account_id: str, since_id: str | None, max_pages: int
    ) -> tuple[list[InboxItem], str | None]:
        """Replies anywhere in our recent conversations, through recent search (7 days)."""
        window_start = datetime.now(UTC) - timedelta(days=RECENT_SEARCH_DAYS) + timedelta(minutes=1)
        count = max(5, min(100, int(self._extra("reply_conversations", 10))))
        own = self._call(
            credentials,
            "GET",
            f"/2/users/{account_id}/tweets",
            params={
                "max_results": count,
                "exclude": "retweets,replies",
                "start_time": _iso(window_start),
                "tweet.fields": "created_at,conversation_id",
            },
        )
        conversations = []
        for tweet in own.get("data") or []:
            cid = str(tweet.get("conversation_id") or tweet["id"])
            if cid not in conversations:
                conversations.append(cid)
        if not conversations:
            return [], since_id
        suffix = f") -from:{account_id}"
        query = ""
        for cid in conversations:
            term = f"conversation_id:{cid}"
            candidate = f"({term}" if not query else f"{query} OR {term}"
            if len(candidate) + len(suffix) > SEARCH_QUERY_MAX:
                break
            query = candidate
        params: dict[str, Any] = {
            "query": query + suffix,
            "max_results": 100,
            "tweet.fields": TWEET_FIELDS,
            "expansions": "author_id",
            "user.fields": USER_FIELDS,
        }
        since_time = snowflake_time(since_id)
        if since_id and since_time and since_time > window_start:
            params["since_id"] = since_id
        else:
            params["start_time"] = _iso(window_start)
        items: list[InboxItem] = []
        newest = since_id
        for _ in range(max_pages):
            body = self._call(credentials, "GET", "/2/tweets/search/recent", params=params)
            users = self._users(body)
            meta = body.get("meta") or {}
            newest = _max_id(
                newest, meta.get("newest_id"), *[t.get("id") for t in body.get("data") or []]
            )
            items.extend(
                self._tweet_item(t, users, account_id, "reply")
                for t in body.get("data") or []
                if str(t.get("author_id")) != str(account_id)
            )
            token = meta.get("next_token")
            if not token:
                break
            params["next_token"] = (
                token  # search paginates with next_token, timelines with pagination_token
            )
        return items, newest

    def _direct_messages(
        self, credentials: Credentials, account_id: str, after_id: str | None, max_pages: int
    ) -> tuple[list[InboxItem], str | None]:
        params: dict[str, Any] = {
            "event_types": "MessageCreate",
            "max_results": 100,
            "dm_event.fields": "id,text,event_type,created_at,sender_id,dm_conversation_id",
            "expansions": "sender_id",
            "user.fields": USER_FIELDS,
        }
        items: list[InboxItem] = []
        newest = after_id
        floor = int(after_id) if after_id else None
        for _ in range(max_pages):
            body = self._call(credentials, "GET", "/2/dm_events", params=params)
            users = self._users(body)
            reached_old = False
            for event in body.get("data") or []:  # newest first
                event_id = str(event.get("id", ""))
                if not event_id.isdigit():
                    continue
                if floor is not None and int(event_id) <= floor:
                    reached_old = True
                    continue
                newest = _max_id(newest, event_id)
                if event.get("event_type", "MessageCreate") != "MessageCreate":
                    continue
                if str(event.get("sender_id")) == str(account_id):
                    continue
                sender = users.get(str(event.get("sender_id")), {})
                items.append(
                    InboxItem(
                        external_id=event_id,
                        kind="dm",
                        text=event.get("text", ""),
                        author_id=str(event.get("sender_id", "")),
                        author_name=sender.get("name", ""),
                        author_handle=sender.get("username", ""),
                        created_at=_parse_time(event.get("created_at")),
                        thread_id=str(event.get("dm_conversation_id") or ""),
                        raw=event,
                    )
                )
            token = (body.get("meta") or {}).get("next_token")
            if reached_old or not token:
                break
            params["pagination_token"] = token
        return items, newest

    def fetch_inbox(
        self, credentials: Credentials, account_id: str, cursor: str | None = None
    ) -> InboxPage:
        state = self._parse_cursor(cursor)
        max_pages = int(self._extra("max_pages", 3))
        items, mentions_newest = self._mentions(credentials, account_id, state.get("m"), max_pages)
        replies_newest = state.get("c")
        if self._extra("search_replies", True):
            try:
                replies, replies_newest = self._conversation_replies(
                    credentials, account_id, state.get("c"), max_pages
                )
            except ProviderError as exc:
                if exc.status != 403:
                    raise
                log.warning(
                    "X recent search unavailable for this app (%s); replies come via mentions only.",
                    exc.code,
                )
                replies = []
            seen = {i.external_id for i in items}
            items.extend(r for r in replies if r.external_id not in seen)
        dms_newest = state.get("d")
        if self._extra("direct_messages", True):
            try:
                dms, dms_newest = self._direct_messages(
                    credentials, account_id, state.get("d"), max_pages
                )
            except ProviderError as exc:
                if exc.status != 403:
                    raise
                log.warning("X DMs unavailable for this grant or app (%s).", exc.code)
                dms = []
            items.extend(dms)
        items.sort(key=lambda i: int(i.external_id) if i.external_id.isdigit() else 0)
        new_state = {
            k: v for k, v in (("m", mentions_newest), ("c", replies_newest), ("d", dms_newest)) if v
        }
        return InboxPage(items=items, cursor=urlencode(new_state) if new_state else cursor)

    def reply(self, credentials: Credentials, account_id: str, item: InboxItem, text: str) -> str:
        if item.kind == "dm":
            if len(text) > 10000:
                raise ContentRejected("X direct messages are limited to 10,000 characters.")
            path = (
                f"/2/dm_conversations/{item.thread_id}/messages"
                if item.thread_id
                else f"/2/dm_conversations/with/{item.author_id}/messages"
            )
            body = self._call(credentials, "POST", path, json={"text": text}, creating=True)
            event_id = (body.get("data") or {}).get("dm_event_id")
            if not event_id:
                raise UnknownOutcome("X answered without the message id; it may have been sent.")
            return str(event_id)
        self._check_text(text, what="The reply")
        answer = self._create_tweet(
            credentials,
            account_id,
            {
                "text": text,
                "reply": {"in_reply_to_tweet_id": item.external_id},
            },
        )
        return str(answer["data"]["id"])

    def hide_comment(
        self, credentials: Credentials, account_id: str, external_id: str, hidden: bool = True
    ) -> None:
        body = self._call(
            credentials, "PUT", f"/2/tweets/{external_id}/hidden", json={"hidden": bool(hidden)}
        )
        if (body.get("data") or {}).get("hidden") is not bool(hidden):
            raise TransientError("X did not confirm the reply's hidden state.")

    def delete_comment(self, credentials: Credentials, account_id: str, external_id: str) -> None:
        """Delete one of OUR replies (X cannot delete other people's; hide those instead)."""
        self.delete_post(credentials, account_id, external_id)

    # --- Metrics -------------------------------------------------------------------------------
    def fetch_account_metrics(
        self, credentials: Credentials, account_id: str, since: date, until: date
    ) -> list[DailyAccountMetrics]:
        """X v2 gives a snapshot of now (followers); no daily history on the standard API."""
        today = datetime.now(UTC).date()
        if not since <= today <= until:
            return []
        user = self._me(credentials, fields="public_metrics")
        metrics = user.get("public_metrics") or {}
        return [DailyAccountMetrics(day=today, followers=metrics.get("followers_count"))]

    def _lookup_metrics(
        self, credentials: Credentials, ids: list[str], fields: str
    ) -> tuple[dict, dict]:
        body = self._call(
            credentials,
            "GET",
            "/2/tweets",
            params={
                "ids": ",".join(ids),
                "tweet.fields": f"{fields},attachments",
                "expansions": "attachments.media_keys",
                "media.fields": "public_metrics,type",
            },
        )
        tweets = {str(t["id"]): t for t in body.get("data") or [] if t.get("id")}
        media = {
            m["media_key"]: m
            for m in (body.get("includes") or {}).get("media") or []
            if m.get("media_key")
        }
        return tweets, media

    def fetch_post_metrics(
        self, credentials: Credentials, account_id: str, external_ids: list[str]
    ) -> list[PostMetrics]:
        cutoff = datetime.now(UTC) - timedelta(days=NON_PUBLIC_METRICS_DAYS) + timedelta(minutes=5)
        tweets: dict[str, dict] = {}
        media: dict[str, dict] = {}
        ids = [str(i) for i in external_ids]
        for start in range(0, len(ids), 100):
            batch = ids[start : start + 100]
            recent = [i for i in batch if (snowflake_time(i) or cutoff) >= cutoff]
            older = [i for i in batch if i not in recent]
            if recent:
                found, found_media = self._lookup_metrics(
                    credentials, recent, "public_metrics,non_public_metrics"
                )
                tweets.update(found)
                media.update(found_media)
                # non-public metrics are refused for posts that are not ours or too old: ask again without
                older += [i for i in recent if i not in found]
            if older:
                found, found_media = self._lookup_metrics(credentials, older, "public_metrics")
                tweets.update(found)
                media.update(found_media)
        results = []
        for tweet_id in ids:
            tweet = tweets.get(tweet_id)
            if tweet is None:
                continue
            public = tweet.get("public_metrics") or {}
            private = tweet.get("non_public_metrics") or {}
            views = [
                (media[k].get("public_metrics") or {}).get("view_count")
                for k in (tweet.get("attachments") or {}).get("media_keys") or []
                if k in media
            ]
            views = [v for v in views if v is not None]
            results.append(
                PostMetrics(
                    external_id=tweet_id,
                    impressions=private.get("impression_count", public.get("impression_count")),
                    likes=public.get("like_count"),
                    comments=public.get("reply_count"),
                    shares=_shares(public),
                    saves=public.get("bookmark_count"),
                    clicks=private.get("url_link_clicks"),
                    video_views=sum(views) if views else None,
                )
            )
        return results

    # --- Webhooks (Account Activity) ----------------------------------------------------------
    def _webhook_secret(self) -> str:
        return str(self.config.extra.get("consumer_secret") or self.config.client_secret or "")

    def _signature(self, payload: bytes) -> str:
        digest = hmac.new(self._webhook_secret().encode(), payload, hashlib.sha256).digest()
        return "sha256=" + base64.b64encode(digest).decode()

    # X's documented CRC answer is base64 HMAC-SHA256(consumer_secret, crc_token), and a delivery's
    # x-twitter-webhooks-signature is the same HMAC over the body: answering any crc_token would
    # sign any body an attacker picks (GET ?crc_token=<their JSON>, then POST that JSON with the
    # answer). So the two inputs are kept apart on our side:
    # - a CRC is answered only for a token of the shape X sends: a short run of base64 / url-safe
    #   base64 characters (X's tokens are random base64 strings);
    # - a delivery whose body has that shape is refused. Our deliveries are JSON objects ("{…}"),
    #   which contain "{", '"' and ":"; no such body can have been signed by a CRC answer.
    # The two sets are disjoint, so no CRC answer is ever a valid signature for a delivery we accept.
    _CRC_TOKEN = re.compile(r"[A-Za-z0-9+/=_-]{1,256}")

    def webhook_handshake(self, request: WebhookRequest) -> tuple[int, str, str] | None:
        crc_token = request.query.get("crc_token")
        if request.method.upper() != "GET" or not crc_token or not self._webhook_secret():
            return None
        if not self._CRC_TOKEN.fullmatch(crc_token):
            return None  # 400: not a token X would send, and signing it could mint a delivery
        body = json.dumps({"response_token": self._signature(crc_token.encode())})
        return 200, "application/json", body

    def verify_webhook(self, request: WebhookRequest) -> bool:
        given = request.headers.get("x-twitter-webhooks-signature", "")
        if not given or not self._webhook_secret():
            return False
        if self._CRC_TOKEN.fullmatch(request.body.decode("latin-1")):
            return False  # a body a CRC answer could have signed (see above)
        return hmac.compare_digest(given.encode(), self._signature(request.body).encode())

    def parse_webhook(self, request: WebhookRequest) -> list[WebhookEvent]:
        try:
            payload = json.loads(request.body or b"{}")
        except ValueError:
            return []
        if not isinstance(payload, dict):
            return []
        me = str(payload.get("for_user_id", ""))
        events: list[WebhookEvent] = []
        for tweet in payload.get("tweet_create_events") or []:
            events.append(self._webhook_tweet(me, tweet))
        users = payload.get("users") or {}
        for dm in payload.get("direct_message_events") or []:
            events.append(self._webhook_dm(me, dm, users))
        user_event = payload.get("user_event") or {}
        if "revoke" in user_event:
            events.append(WebhookEvent(account_external_id=me, kind="deauthorized", raw=user_event))
        for name in ("favorite_events", "tweet_delete_events", "follow_events"):
            for event in payload.get(name) or []:
                events.append(WebhookEvent(account_external_id=me, kind="other", raw={name: event}))
        return events

    def _webhook_tweet(self, me: str, tweet: dict[str, Any]) -> WebhookEvent:
        user = tweet.get("user") or {}
        author_id = str(user.get("id_str") or user.get("id") or "")
        if author_id == me:  # our own post or reply
            return WebhookEvent(account_external_id=me, kind="other", raw=tweet)
        extended = tweet.get("extended_tweet") or {}
        text = extended.get("full_text") or tweet.get("full_text") or tweet.get("text", "")
        tweet_id = str(tweet.get("id_str") or tweet.get("id"))
        parent = str(tweet.get("in_reply_to_status_id_str") or "")
        kind = (
            "comment" if parent and str(tweet.get("in_reply_to_user_id_str")) == me else "mention"
        )
        item = InboxItem(
            external_id=tweet_id,
            kind=kind,
            text=html.unescape(text),
            author_id=author_id,
            author_name=user.get("name", ""),
            author_handle=user.get("screen_name", ""),
            created_at=_parse_time(tweet.get("created_at")),
            parent_external_id=parent,
            post_external_id=parent if kind == "comment" else "",
            permalink=self._permalink(tweet_id, user.get("screen_name")),
            raw=tweet,
        )
        return WebhookEvent(account_external_id=me, kind="inbox_item", item=item, raw=tweet)

    def _webhook_dm(self, me: str, event: dict[str, Any], users: dict[str, Any]) -> WebhookEvent:
        create = event.get("message_create") or {}
        sender = str(create.get("sender_id", ""))
        if event.get("type") != "message_create" or sender == me:
            return WebhookEvent(account_external_id=me, kind="other", raw=event)
        recipient = str((create.get("target") or {}).get("recipient_id", ""))
        pair = sorted([sender, recipient], key=lambda v: int(v) if v.isdigit() else 0)
        profile = users.get(sender) or {}
        timestamp = event.get("created_timestamp")
        created = (
            datetime.fromtimestamp(int(timestamp) / 1000, tz=UTC)
            if str(timestamp).isdigit()
            else None
        )
        item = InboxItem(
            external_id=str(event.get("id", "")),
            kind="dm",
            text=(create.get("message_data") or {}).get("text", ""),
            author_id=sender,
            author_name=profile.get("name", ""),
            author_handle=profile.get("screen_name", ""),
            created_at=created,
            thread_id="-".join(pair),
            raw=event,
        )
        return WebhookEvent(account_external_id=me, kind="inbox_item", item=item, raw=event)
