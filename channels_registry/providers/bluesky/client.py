"""Bluesky: HTTP plumbing, error mapping and the pieces every other module of the package shares."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any, NoReturn
from urllib.parse import urlsplit

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
    retry_after_header,
)
from ..text import count_graphemes

POST = "app.bsky.feed.post"
THREADGATE = "app.bsky.feed.threadgate"

TEXT_GRAPHEMES = 300
TEXT_BYTES = 3000
IMAGE_MAX_BYTES = 1_000_000
VIDEO_MAX_BYTES = 100_000_000
VIDEO_MAX_SECONDS = 180
MAX_IMAGES = 4
HIDDEN_REPLIES_MAX = 300
INBOX_REASONS = ("reply", "mention", "quote")
GET_POSTS_MAX = 25
VIDEO_SERVICE_DID = "did:web:video.bsky.app"
#: what we ask an atproto OAuth server for: the account, the app-password-level API access, and
#: Bluesky chat (direct messages; ``transition:generic`` leaves ``chat.bsky.*`` out)
OAUTH_SCOPE = "atproto transition:generic transition:chat.bsky"

# Errors meaning "this session no longer works" (atproto.com/specs/xrpc; PDS auth verifier).
AUTH_ERRORS = {
    "ExpiredToken",
    "InvalidToken",
    "AuthenticationRequired",
    "AuthMissing",
    "AuthRequired",
    "BadJwt",
    "BadJwtSignature",
    "InvalidAuthorization",
}
ACCOUNT_ERRORS = {"AccountTakedown", "AccountDeactivated", "AccountSuspended"}
# Errors meaning "this access token no longer works, but a refresh may" (see _session_ran_out).
SESSION_ERRORS = {"ExpiredToken", "InvalidToken", "invalid_token"}
#: ``InvalidToken`` with these messages is not a dead session but a method the token may not call
#: (packages/pds/src/pipethrough.ts: chat with an app password made without DM access)
SCOPE_REFUSALS = {"Bad token method", "Bad token scope"}
#: renew a little before the token's own ``exp``, so it does not run out on the way
EXPIRY_MARGIN = timedelta(seconds=60)


# --- Record keys ---------------------------------------------------------------------------------

_S32 = "234567abcdefghijklmnopqrstuvwxyz"  # base32-sortable (atproto.com/specs/tid)
_TID_RE = re.compile(r"^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$")
_TID_BASE_US = 1_672_531_200 * 1_000_000  # 2023-01-01T00:00:00Z, before any key we derive


def tid_for_key(key: str) -> str:
    """A valid TID (the record-key type ``app.bsky.feed.post`` declares) derived from ``key``.

    Same key → same rkey, so a second createRecord with it hits the existing record instead of
    making a duplicate. 45 bits of the hash pick a microsecond in a fixed past window and 10 bits
    the clock id; the top bit stays 0 as the spec requires.
    """
    digest = hashlib.sha256(f"socialops:bluesky:{key}".encode()).digest()
    n = int.from_bytes(digest[:8], "big")
    timestamp = _TID_BASE_US + (n >> 10) % (1 << 45)
    value = (timestamp << 10) | (n & 0x3FF)
    return "".join(_S32[(value >> (5 * (12 - i))) & 31] for i in range(13))


# --- Small helpers ---------------------------------------------------------------------------------


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _parse_dt(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _jwt_claims(token: str | None) -> dict[str, Any]:
    """The payload of a JWT, decoded without verifying it (we only read ``exp`` and ``scope``)."""
    if not token or token.count(".") != 2:
        return {}
    payload = token.split(".")[1]
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (ValueError, UnicodeDecodeError):
        return {}
    return claims if isinstance(claims, dict) else {}


def _jwt_exp(token: str | None) -> datetime | None:
    exp = _jwt_claims(token).get("exp")
    if isinstance(exp, int | float):
        return datetime.fromtimestamp(exp, UTC)
    return None


@dataclass(frozen=True)
class AtUri:
    repo: str
    collection: str
    rkey: str

    @classmethod
    def parse(cls, uri: str) -> AtUri:
        if not uri.startswith("at://"):
            raise ProviderError(f"Not an AT URI: {uri!r}.", permanent=True)
        parts = uri[5:].split("/")
        if len(parts) != 3 or not all(parts):
            raise ProviderError(f"Not a record AT URI: {uri!r}.", permanent=True)
        return cls(*parts)

    def __str__(self) -> str:
        return f"at://{self.repo}/{self.collection}/{self.rkey}"


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _wants_dpop_nonce(response: httpx.Response) -> bool:
    """The server refused the proof for want of its nonce: 400 from an authorization server,
    401 with ``WWW-Authenticate: DPoP error="use_dpop_nonce"`` from a resource server (RFC 9449 §8–9)."""
    if response.status_code not in (400, 401):
        return False
    if 'error="use_dpop_nonce"' in response.headers.get("www-authenticate", ""):
        return True
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and body.get("error") == "use_dpop_nonce"


def normalize_service_url(value: str) -> str:
    """A PDS address as a person types it (``pds.example.org``) → ``https://pds.example.org``."""
    value = value.strip().rstrip("/")
    if "://" not in value:
        value = "https://" + value
    parts = urlsplit(value)
    loopback = parts.hostname in ("127.0.0.1", "localhost", "::1")
    if (
        not parts.hostname
        or parts.query
        or parts.fragment
        or parts.path not in ("", "/")
        or not (parts.scheme == "https" or (parts.scheme == "http" and loopback))
    ):
        raise ProviderError(
            f"{value!r} is not a server address like https://pds.example.org.",
            permanent=True,
            code="InvalidServiceUrl",
        )
    return f"{parts.scheme}://{parts.netloc}"


def _check_issuer_url(issuer: str) -> None:
    """An atproto authorization server is an https origin (plain http only for loopback test servers)."""
    parts = urlsplit(issuer)
    loopback = parts.hostname in ("127.0.0.1", "localhost", "::1")
    if (
        (parts.scheme != "https" and not (parts.scheme == "http" and loopback))
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
    ):
        raise ProviderError(
            f"{issuer!r} is not a valid atproto authorization server.", permanent=True
        )


def _pds_from_did_doc(did_doc: Any) -> str | None:
    """The ``#atproto_pds`` service endpoint of a DID document (atproto.com/specs/did)."""
    if not isinstance(did_doc, dict):
        return None
    for service in did_doc.get("service") or []:
        if not isinstance(service, dict):
            continue
        sid = str(service.get("id", ""))
        if sid == "#atproto_pds" or sid.endswith("#atproto_pds"):
            endpoint = service.get("serviceEndpoint")
            if isinstance(endpoint, str) and endpoint.startswith(("https://", "http://")):
                return endpoint.rstrip("/")
    return None


class _CardParser(HTMLParser):
    """Open Graph / <title> metadata for a link card."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): (v or "") for k, v in attrs}
        if tag == "meta":
            key = (a.get("property") or a.get("name") or "").lower()
            if key and "content" in a and key not in self.meta:
                self.meta[key] = a["content"].strip()
        elif tag == "title":
            self._in_title = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data


# --- Facets ------------------------------------------------------------------------------------------
# Detection follows the reference RichText (packages/api/src/rich-text/detection.ts): explicit
# http(s) URLs, @handles that look like domains, and #tags; offsets are UTF-8 byte offsets.

_URL_RE = re.compile(r"(?:^|(?<=[\s(]))(https?://[^\s]+)", re.IGNORECASE)
_MENTION_RE = re.compile(r"(?:^|(?<=[\s(]))@([a-zA-Z0-9.-]+)")
_HANDLE_RE = re.compile(
    r"^([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$"
)
_TAG_RE = re.compile(
    r"(?:^|(?<=\s))[#\uFF03]([^\s\u00AD\u2060\u200A\u200B\u200C\u200D\u20E2#\uFF03]+)"
)


def _byte_span(text: str, start: int, end: int) -> dict[str, int]:
    byte_start = len(text[:start].encode("utf-8"))
    return {"byteStart": byte_start, "byteEnd": byte_start + len(text[start:end].encode("utf-8"))}


def _trim_url(url: str) -> str:
    while url and url[-1] in ".,;:!?\"'":
        url = url[:-1]
    if url.endswith(")") and "(" not in url:
        url = url[:-1]
    return url


#: a write (a record, a blob) the PDS refuses as invalid is content the network rejected
WRITE_STATUS_ERRORS = {
    **dict.fromkeys((400, 409, 422), StatusRule(ContentRejected, "{detail}")),
    413: StatusRule(
        ContentRejected, "{detail}", fallback="Bluesky refused the upload as too large."
    ),
}


# --- The provider -----------------------------------------------------------------------------------------


class BlueskyClient(Provider):
    """What the Bluesky provider's modules share: its capabilities, URLs and HTTP calls."""

    key = "bluesky"
    name = "Bluesky"
    #: XRPC errors by status (``_raise_for`` reads the error name first); 429 waits for
    #: ``ratelimit-reset`` (unix seconds), else ``Retry-After``
    status_errors = {
        401: StatusRule(
            AuthExpired,
            "Bluesky no longer accepts this session ({reason}); "
            "refresh it or log in again with an app password.",
        ),
        403: StatusRule(ProviderError, "Bluesky: {detail}"),
        429: StatusRule(
            RateLimited,
            "Bluesky rate limit: {detail}",
            fallback="Rate Limit Exceeded",
            code="RateLimitExceeded",
        ),
        "4xx": StatusRule(ProviderError, "Bluesky: {detail}"),
        "5xx": StatusRule(
            TransientError,
            "Bluesky answered HTTP {status}{error_note}: {detail}",
            fallback="server error",
        ),
    }
    capabilities = Capabilities(
        roles_page="https://bsky.app/settings/app-passwords",
        text_limit=TEXT_GRAPHEMES,
        text_counting="graphemes",
        feed_cut_chars=None,  # the feed shows a post whole
        image=MediaSpec(
            max_bytes=IMAGE_MAX_BYTES,
            mime_types=("image/jpeg", "image/png", "image/webp", "image/gif"),
        ),
        video=MediaSpec(
            max_bytes=VIDEO_MAX_BYTES, max_seconds=VIDEO_MAX_SECONDS, mime_types=("video/mp4",)
        ),
        max_images=MAX_IMAGES,
        max_videos=1,
        mixed_media=False,
        link_posts=True,
        first_comment=True,  # posted as a self-reply to the new post
        stories=False,
        reels=False,
        carousel=False,
        async_publish=False,  # video processing is polled inside publish (see video_poll_timeout)
        daily_publish_cap=None,  # write budget: 5,000 points/h, 35,000/day (create = 3) per account
        comments_api=True,
        direct_messages=True,  # Bluesky chat, when the app password or OAuth grant allows it
        hide_comments=True,  # threadgate hiddenReplies, only in threads the account started
        delete_comments=False,  # only one's own records can be deleted
        like_comments=True,  # an app.bsky.feed.like record in the account's repo
        webhooks=False,
        auth_kind="atproto",
        mark="BS",
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
    default_urls = {
        "api": "https://bsky.social",  # entryway: createSession / refreshSession
        "video": "https://video.bsky.app",  # video processing service
        "web": "https://bsky.app",  # permalinks
        "plc": "https://plc.directory",  # did:plc documents
        "did_web": "https://{host}/.well-known/did.json",  # did:web documents
        "handle_well_known": "https://{handle}/.well-known/atproto-did",  # handle → DID over HTTPS
    }
    default_scopes = ()

    # Settings (ProviderConfig.extra): poll_interval (s, default 1.0), video_poll_timeout (s, 300),
    # video_upload ("service" | "blob"), link_preview (bool, True), inbox_max_pages (5), langs (list),
    # direct_messages (bool, True), dm_max_pages (3), dm_backfill (50), dm_backfill_convos (20),
    # dm_recheck_hours (6).

    @classmethod
    def count_text(cls, text: str) -> int:
        """Bluesky counts extended grapheme clusters (``maxGraphemes: 300`` in app.bsky.feed.post)."""
        return count_graphemes(text)

    # ===== XRPC plumbing ====================================================================================

    def _pds(self, credentials: Credentials) -> str:
        return (
            credentials.extra.get("pds_url")
            or credentials.extra.get("service_url")
            or self.urls["api"]
        ).rstrip("/")

    @staticmethod
    def _did(credentials: Credentials, account_id: str) -> str:
        did = account_id or credentials.extra.get("did")
        if not did:
            raise ProviderError("The Bluesky account's DID is unknown.", permanent=True)
        return did

    @staticmethod
    def _post_uri(did: str, external_id: str) -> AtUri:
        if external_id.startswith("at://"):
            return AtUri.parse(external_id)
        return AtUri(did, POST, external_id)  # a bare rkey

    def _get_record(
        self, credentials: Credentials, did: str, collection: str, rkey: str
    ) -> dict[str, Any] | None:
        try:
            return self._xrpc(
                credentials,
                "GET",
                "com.atproto.repo.getRecord",
                params={"repo": did, "collection": collection, "rkey": rkey},
            )
        except ProviderError as exc:
            if exc.code == "RecordNotFound" or (exc.status == 404 and exc.code is None):
                return None
            raise

    def _xrpc(
        self,
        credentials: Credentials,
        method: str,
        nsid: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
        write: bool = False,
    ) -> dict[str, Any]:
        """Every call made as the account. An access token lives two hours; when it has run out (we
        know from its ``exp``, or the PDS answers ``ExpiredToken``/``invalid_token``) the session is
        renewed once and the call sent again: the PDS checks the token before it acts on anything, so
        the retry cannot write twice. Only a refused refresh means the account must sign in again."""
        if self._expired(credentials):
            self._renew(credentials)
        response = self._authorized(
            credentials,
            method,
            f"{self._pds(credentials)}/xrpc/{nsid}",
            params=params,
            json=json,
            content=content,
            headers=headers,
        )
        if self._session_ran_out(response) and credentials.refresh_token:
            self._renew(credentials)
            response = self._authorized(
                credentials,
                method,
                f"{self._pds(credentials)}/xrpc/{nsid}",
                params=params,
                json=json,
                content=content,
                headers=headers,
            )
        return self._ok(response, write=write)

    @staticmethod
    def _expired(credentials: Credentials) -> bool:
        return bool(
            credentials.refresh_token
            and credentials.expires_at is not None
            and credentials.expires_at <= datetime.now(UTC) + EXPIRY_MARGIN
        )

    def _session_ran_out(self, response: httpx.Response) -> bool:
        """The PDS refused the access token itself: 400 ``ExpiredToken``/``InvalidToken`` for a session
        JWT (packages/pds/src/auth-verifier.ts, verifyBearerJwt), 401 ``invalid_token`` for a DPoP one
        (the OAuth verifier's error, passed through by the same file)."""
        if response.status_code not in (400, 401):
            return False
        body = self._error_body(response)
        return body.get("error") in SESSION_ERRORS and body.get("message") not in SCOPE_REFUSALS

    def _renew(self, credentials: Credentials) -> None:
        """Refresh the session in place. With a ``refresher`` (a stored channel) the refresh happens under
        the channel's lock and is saved; a second worker then gets the already-fresh credentials."""
        fresh = (
            credentials.refresher(credentials)
            if credentials.refresher
            else self.refresh(credentials)
        )
        credentials.replace_with(fresh)

    def _ok(self, response: httpx.Response, *, write: bool) -> dict[str, Any]:
        if 200 <= response.status_code < 300:
            if not response.content:
                return {}
            body = json_or_error(response)
            if not isinstance(body, dict):
                raise TransientError(
                    f"Bluesky answered HTTP {response.status_code} with an unexpected body.",
                    status=response.status_code,
                )
            return body
        self._raise_for(response, write=write)

    @staticmethod
    def _error_body(response: httpx.Response) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError:
            return {}
        return body if isinstance(body, dict) else {}

    def _raise_for(self, response: httpx.Response, *, write: bool) -> NoReturn:
        status = response.status_code
        body = self._error_body(response)
        error = body.get("error") if isinstance(body.get("error"), str) else None
        message = body.get("message") if isinstance(body.get("message"), str) else ""

        def typed(row: int | str | None = None, detail: str = message) -> ProviderError:
            return self.status_error(
                status,
                row=row,
                detail=detail,
                code=error,
                extra_rows=WRITE_STATUS_ERRORS if write else None,
                retry_after=lambda: self._retry_after(response),
                reason=error or status,
                error_note=f" ({error})" if error else "",
            )

        # an XRPC error name says more than the status it came with
        if (error == "InvalidToken" and message in SCOPE_REFUSALS) or error == "ScopeMissingError":
            # the session works, but not for this method: signing in again would not change that
            raise ProviderError(
                f"Bluesky: this connection is not allowed to do that ({message or error}).",
                status=status,
                code="ScopeMissing",
                permanent=True,
            )
        if status == 429 or error == "RateLimitExceeded":
            raise typed(429)
        if status == 401 or error in AUTH_ERRORS:
            raise typed(401)
        if error in ACCOUNT_ERRORS:
            raise typed("4xx", detail=message or error or "")
        if status >= 500 or (status == 413 and write):
            raise typed()
        if not body:
            json_or_error(response)  # non-JSON error page → TransientError naming what came back
            raise TransientError(
                f"Bluesky answered HTTP {status} without an error body.", status=status
            )
        text = message or error or f"HTTP {status}"
        if error in ("InvalidSwap", "ConcurrentWrites"):
            raise TransientError(f"Bluesky: {text}", status=status, code=error)
        raise typed(detail=text)

    @staticmethod
    def _retry_after(response: httpx.Response) -> float | None:
        reset = response.headers.get("ratelimit-reset")
        if reset:
            try:
                return max(1.0, float(reset) - time.time())
            except ValueError:
                pass
        return retry_after_header(response.headers)


# --- Images ------------------------------------------------------------------------------------------------


def _image_size(data: bytes) -> tuple[int, int] | None:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as img:
            return img.size
    except (UnidentifiedImageError, OSError):
        return None


def _fit_image(data: bytes, limit: int) -> tuple[bytes, str, tuple[int, int]]:
    """Re-encode as JPEG under ``limit`` bytes: lower the quality first, then downscale."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as opened:
            img = ImageOps.exif_transpose(opened)
            img.load()
    except (UnidentifiedImageError, OSError) as exc:
        raise ContentRejected("The image could not be read to fit Bluesky's 1 MB limit.") from exc
    if img.mode in ("RGBA", "LA", "P"):
        img = img.convert("RGBA")
        flat = Image.new("RGB", img.size, (255, 255, 255))
        flat.paste(img, mask=img.getchannel("A"))
        img = flat
    elif img.mode != "RGB":
        img = img.convert("RGB")
    width, height = img.size
    for scale in (1.0, 0.85, 0.7, 0.55, 0.4, 0.3, 0.2, 0.1):
        candidate = (
            img
            if scale == 1.0
            else img.resize(
                (max(1, round(width * scale)), max(1, round(height * scale))),
                Image.Resampling.LANCZOS,
            )
        )
        for quality in (90, 82, 75, 65, 55, 45):
            buf = io.BytesIO()
            candidate.save(buf, "JPEG", quality=quality, optimize=True, progressive=True)
            if buf.tell() <= limit:
                return buf.getvalue(), "image/jpeg", candidate.size
    raise ContentRejected("The image could not be made small enough for Bluesky (1 MB).")
