"""LinkedIn organization pages through the versioned Community Management API (``/rest``).

Documented contract (Microsoft Learn, "LinkedIn Marketing" docs; API-NOTES §4):

- OAuth 2.0 authorization code at ``www.linkedin.com/oauth/v2``. Access tokens live 60 days;
  refresh tokens exist only for approved partner apps, everybody else re-consents.
- Every ``/rest`` call carries ``LinkedIn-Version: YYYYMM`` and ``X-Restli-Protocol-Version: 2.0.0``;
  URNs are URL-encoded wherever they sit in a path or a query.
- The channel is an organization the member administers (``organizationAcls``); posts, comments
  and statistics are made as ``urn:li:organization:{id}``.
- ``POST /rest/posts`` answers 201 with an empty body and the post URN in ``x-restli-id``.
- Images and videos are uploaded (``initializeUpload`` → PUT → poll until ``AVAILABLE``).
- Throttling is a bare 429 with no headers; the daily quotas reset at 00:00 UTC.
- Webhooks (organization social action notifications) are for approved partner apps only, so
  this connector polls comments instead and ``capabilities.webhooks`` is False.
"""

from __future__ import annotations

import logging
import re
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import httpx

from ..http import json_or_error
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
    ContentRejected,
    ProviderError,
    RateLimited,
    TransientError,
    UnknownOutcome,
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
_COMMENT_URN = re.compile(r"^urn:li:comment:\((?P<target>urn:li:[A-Za-z]+:[^,()]+),(?P<id>[^,()]+)\)$")


def escape_little_text(text: str) -> str:
    """Escape ``text`` for ``commentary`` ("little" format), keeping mentions and hashtags.

    Unescaped reserved characters make LinkedIn cut the post at the first one or read it as markup.
    """
    out: list[str] = []
    pos = 0
    for m in _MENTION.finditer(text):
        out.append(_escape_plain(text[pos:m.start()]))
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


class LinkedInProvider(Provider):
    key = "linkedin"
    name = "LinkedIn"
    capabilities = Capabilities(
        text_limit=TEXT_LIMIT,
        text_counting="chars",
        # the feed cuts a post behind "…see more" (about 210 characters or 3 lines)
        feed_cut_chars=210,
        feed_cut_lines=3,
        # Images API: JPG, PNG, GIF (≤ 250 frames), under 36,152,320 pixels; no byte limit documented.
        image=MediaSpec(mime_types=("image/jpeg", "image/png", "image/gif")),
        # Videos API: MP4, 75 KB – 500 MB, 3 s – 30 min, aspect 1:2.4 – 2.4:1.
        video=MediaSpec(max_bytes=500 * 1024 * 1024, min_seconds=3, max_seconds=30 * 60,
                        min_aspect=1 / 2.4, max_aspect=2.4, mime_types=("video/mp4",)),
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
        webhooks=False,  # organization social action notifications are for approved partners only
        auth_kind="oauth2",
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

    def _rest(self, method: str, path: str, credentials: Credentials, *, query: str = "",
              json_body: Any = None, extra_headers: dict[str, str] | None = None,
              ok: tuple[int, ...] = (200, 201, 204), allow_404: bool = False,
              on_403: type[ProviderError] = AuthExpired) -> httpx.Response:
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

    def _get_json(self, path: str, credentials: Credentials, *, query: str = "",
                  extra_headers: dict[str, str] | None = None) -> dict[str, Any]:
        response = self._rest("GET", path, credentials, query=query, extra_headers=extra_headers, ok=(200,))
        return self._json_dict(response)

    @staticmethod
    def _json_dict(response: httpx.Response) -> dict[str, Any]:
        data = json_or_error(response)
        if not isinstance(data, dict):
            raise TransientError(f"LinkedIn answered HTTP {response.status_code} with unexpected JSON.",
                                 status=response.status_code)
        return data

    def _seconds_to_utc_midnight(self) -> float:
        now = self._utcnow()
        midnight = datetime(now.year, now.month, now.day, tzinfo=UTC) + timedelta(days=1)
        return max(60.0, round((midnight - now).total_seconds()))

    def _raise_for(self, response: httpx.Response, *, on_403: type[ProviderError] = AuthExpired) -> None:
        """Map LinkedIn's ``{"status","serviceErrorCode","code","message"}`` errors onto our types."""
        status = response.status_code
        body: Any = None
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            if status >= 500 or 200 <= status < 300:
                raise TransientError(f"LinkedIn answered HTTP {status} with something that is not JSON.",
                                     status=status)
            body = {}
        message = str(body.get("message") or body.get("error_description") or f"HTTP {status}")
        code = body.get("code") or body.get("error")
        service_code = body.get("serviceErrorCode")
        code_s = str(code) if code else (str(service_code) if service_code is not None else None)
        if status == 401:
            raise AuthExpired(f"LinkedIn no longer accepts this channel's token: {message}", status=status, code=code_s)
        if status == 403:
            if on_403 is AuthExpired:
                raise AuthExpired(
                    f"LinkedIn refused access ({message}). The grant lacks a permission or the member is no "
                    "longer an administrator of the page; reconnect the channel.", status=status, code=code_s)
            raise on_403(f"LinkedIn refused the action: {message}", permanent=True, status=status, code=code_s)
        if status == 426:
            raise ProviderError(
                f"LinkedIn no longer serves API version {self.version} (HTTP 426: {message}). "
                "Set a newer LinkedIn-Version in the provider settings (extra['version']).",
                permanent=True, status=status, code=code_s)
        if status == 429:
            raise RateLimited(
                f"LinkedIn's daily quota for this app or member is spent ({message}); it resets at 00:00 UTC.",
                retry_after=self._seconds_to_utc_midnight(), status=status, code=code_s)
        if status in (400, 409, 413, 415, 422):
            raise ContentRejected(f"LinkedIn rejected the request: {message}", status=status, code=code_s)
        if status >= 500:
            raise TransientError(f"LinkedIn had a server error (HTTP {status}): {message}", status=status, code=code_s)
        raise ProviderError(f"LinkedIn answered HTTP {status}: {message}", permanent=True, status=status, code=code_s)

    # --- OAuth / connection -----------------------------------------------------------------
    def authorization_url(self, *, redirect_uri: str, state: str, code_verifier: str | None = None,
                          extra: dict[str, Any] | None = None) -> str:
        scopes = (extra or {}).get("scopes") or self.config.extra.get("scopes") or self.default_scopes
        params = {
            "response_type": "code",
            "client_id": self.config.client_id,
            "redirect_uri": redirect_uri,
            "state": state,
            "scope": " ".join(scopes),
        }
        return f"{self.urls['auth']}?{urlencode(params, quote_via=quote)}"

    def _token_request(self, form: dict[str, str]) -> dict[str, Any]:
        form = {**form, "client_id": self.config.client_id, "client_secret": self.config.client_secret}
        response = self.http.post(self.urls["token"], data=form,
                                  headers={"Content-Type": "application/x-www-form-urlencoded"})
        if response.status_code == 200:
            data = self._json_dict(response)
            if not data.get("access_token"):
                raise TransientError("LinkedIn's token endpoint answered without an access token.")
            return data
        if response.status_code in (400, 401):
            try:
                body = response.json()
            except ValueError:
                body = {}
            body = body if isinstance(body, dict) else {}
            error = str(body.get("error") or "invalid_request")
            description = str(body.get("error_description") or body.get("message") or "")
            raise AuthExpired(f"LinkedIn refused the authorization ({error}): {description}".rstrip(": "),
                              status=response.status_code, code=error)
        self._raise_for(response)
        raise AssertionError("unreachable")  # pragma: no cover

    def _credentials_from(self, data: dict[str, Any], previous: Credentials | None = None) -> Credentials:
        now = self._utcnow()
        expires_in = _int(data.get("expires_in"))
        refresh_in = _int(data.get("refresh_token_expires_in"))
        refresh_token = data.get("refresh_token") or (previous.refresh_token if previous else None)
        raw_scope = str(data.get("scope") or "")
        scopes = tuple(s for s in re.split(r"[\s,]+", raw_scope) if s) or (previous.scopes if previous else ())
        return Credentials(
            access_token=str(data["access_token"]),
            refresh_token=refresh_token,
            expires_at=now + timedelta(seconds=expires_in) if expires_in else None,
            refresh_expires_at=(now + timedelta(seconds=refresh_in) if refresh_in
                                else (previous.refresh_expires_at if previous else None)),
            scopes=scopes,
            extra=dict(previous.extra) if previous else {},
        )

    def exchange_code(self, *, code: str, redirect_uri: str, code_verifier: str | None = None,
                      extra: dict[str, Any] | None = None) -> list[Account]:
        data = self._token_request({"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri})
        credentials = self._credentials_from(data)
        org_ids = self._admin_organization_ids(credentials)
        orgs = self._organizations(credentials, org_ids)
        return [self._account(org_id, orgs.get(org_id, {}), credentials) for org_id in org_ids]

    def refresh(self, credentials: Credentials) -> Credentials:
        if not credentials.refresh_token:
            raise AuthExpired(
                "LinkedIn issues refresh tokens only to approved partner apps; this channel must be "
                "re-authorized (the member consents again) before its token expires.")
        data = self._token_request({"grant_type": "refresh_token", "refresh_token": credentials.refresh_token})
        return self._credentials_from(data, previous=credentials)

    def verify_credentials(self, credentials: Credentials, account_id: str) -> Account:
        org_id = self._org_id(account_id)
        if org_id not in self._admin_organization_ids(credentials):
            raise AuthExpired(
                f"The LinkedIn member who connected this channel is no longer an approved administrator of "
                f"organization {org_id}.")
        orgs = self._organizations(credentials, [org_id])
        return self._account(org_id, orgs.get(org_id, {}), credentials)

    def _admin_organization_ids(self, credentials: Credentials) -> list[str]:
        ids: list[str] = []
        start, count = 0, 100
        for _ in range(20):  # bounded paging
            query = f"q=roleAssignee&role=ADMINISTRATOR&state=APPROVED&start={start}&count={count}"
            data = self._get_json("organizationAcls", credentials, query=query)
            elements = data.get("elements") or []
            for acl in elements:
                if acl.get("role", "ADMINISTRATOR") != "ADMINISTRATOR" or acl.get("state", "APPROVED") != "APPROVED":
                    continue
                target = str(acl.get("organization") or acl.get("organizationalTarget") or "")
                if target.startswith("urn:li:organization:"):
                    org_id = target.rsplit(":", 1)[1]
                    if org_id not in ids:
                        ids.append(org_id)
            total = _int((data.get("paging") or {}).get("total"))
            start += len(elements)
            if not elements or len(elements) < count or (total is not None and start >= total):
                break
        return ids

    def _organizations(self, credentials: Credentials, org_ids: list[str]) -> dict[str, dict[str, Any]]:
        if not org_ids:
            return {}
        found: dict[str, dict[str, Any]] = {}
        for i in range(0, len(org_ids), 50):
            chunk = org_ids[i:i + 50]
            data = self._get_json("organizations", credentials, query=f"ids=List({','.join(chunk)})")
            for key, org in (data.get("results") or {}).items():
                if isinstance(org, dict):
                    found[str(key)] = org
        return found

    def _account(self, org_id: str, org: dict[str, Any], credentials: Credentials) -> Account:
        name = org.get("localizedName") or f"Organization {org_id}"
        vanity = org.get("vanityName") or ""
        web = self.urls["web"].rstrip("/")
        return Account(
            external_id=org_id,
            handle=vanity or org_id,
            name=str(name),
            credentials=credentials,
            url=f"{web}/company/{vanity or org_id}/",
            extra={"urn": self._org_urn(org_id)},
        )

    @staticmethod
    def _org_id(account_id: str) -> str:
        account_id = str(account_id)
        return account_id.rsplit(":", 1)[1] if account_id.startswith("urn:li:organization:") else account_id

    def _org_urn(self, account_id: str) -> str:
        return f"urn:li:organization:{self._org_id(account_id)}"

    # --- publishing -------------------------------------------------------------------------
    def post_url(self, urn: str) -> str:
        return f"{self.urls['web'].rstrip('/')}/feed/update/{urn}/"

    def _commentary_source(self, request: PublishRequest) -> str:
        """The post's text before escaping (a link that cannot be an article card is appended)."""
        text = request.text or ""
        images = [m for m in request.media if m.kind == "image"]
        videos = [m for m in request.media if m.kind == "video"]
        article_possible = not videos and len(images) <= 1
        if request.link and not article_possible and request.link not in text:
            text = f"{text}\n\n{request.link}" if text else request.link
        return text

    def _validate(self, request: PublishRequest) -> None:
        if request.format != "post":
            raise ContentRejected(f"LinkedIn organization pages have no {request.format}s; publish a post instead.")
        if len(self._commentary_source(request)) > TEXT_LIMIT:
            raise ContentRejected(f"LinkedIn posts are limited to {TEXT_LIMIT} characters.")
        kinds = {m.kind for m in request.media}
        if kinds - {"image", "video"}:
            raise ContentRejected("LinkedIn posts take images or a video only.")
        if "video" in kinds and len(request.media) > 1:
            raise ContentRejected("A LinkedIn post takes one video and nothing else.")
        if len(request.media) > MAX_IMAGES:
            raise ContentRejected(f"A LinkedIn post takes at most {MAX_IMAGES} images.")

    def publish(self, credentials: Credentials, account_id: str, request: PublishRequest) -> PublishResult:
        self._validate(request)
        org = self._org_urn(account_id)
        images = [m for m in request.media if m.kind == "image"]
        videos = [m for m in request.media if m.kind == "video"]

        content: dict[str, Any] | None = None
        if videos:
            video_urn = self._upload_video(credentials, org, videos[0])
            content = {"media": {"id": video_urn}}
        elif request.link and len(images) <= 1:
            article: dict[str, Any] = {"source": request.link, "title": self._article_title(request)}
            if images:
                article["thumbnail"] = self._upload_image(credentials, org, images[0])
                if images[0].alt_text:
                    article["thumbnailAltText"] = images[0].alt_text
            content = {"article": article}
        elif len(images) == 1:
            content = {"media": self._image_ref(self._upload_image(credentials, org, images[0]), images[0])}
        elif len(images) > 1:
            content = {"multiImage": {"images": [
                self._image_ref(self._upload_image(credentials, org, image), image) for image in images
            ]}}

        body: dict[str, Any] = {
            "author": org,
            "commentary": escape_little_text(self._commentary_source(request)),
            "visibility": "PUBLIC",
            "distribution": {"feedDistribution": "MAIN_FEED", "targetEntities": [],
                             "thirdPartyDistributionChannels": []},
            "lifecycleState": "PUBLISHED",
            "isReshareDisabledByAuthor": False,
        }
        if content is not None:
            body["content"] = content

        # Never retried here. A cut connection (HttpClient) or a 5xx after sending may still have
        # created the post: both are UnknownOutcome, which the caller settles with find_existing.
        try:
            response = self._rest("POST", "posts", credentials, json_body=body, ok=(200, 201),
                                  extra_headers={"Content-Type": "application/json"})
        except TransientError as exc:
            if isinstance(exc, UnknownOutcome) or (exc.status or 0) < 500:
                raise
            raise UnknownOutcome(f"{exc.message} The post may or may not have been created.",
                                 status=exc.status, code=exc.code) from exc
        urn = response.headers.get("x-restli-id") or response.headers.get("x-linkedin-id") or ""
        if not urn:
            raise UnknownOutcome("LinkedIn accepted the post but did not say its id (no x-restli-id header).")
        result = PublishResult(status="published", external_id=urn, url=self.post_url(urn),
                               raw={"id": urn, "content": content or {}})
        if request.first_comment:
            try:
                result.first_comment_id = self._create_comment(credentials, org, urn, urn, request.first_comment)
            except ProviderError as exc:  # the post is out; never fail (and so re-publish) over its comment
                log.warning("LinkedIn first comment failed for %s: %s", urn, exc.message)
                result.raw["first_comment_error"] = exc.message
        return result

    @staticmethod
    def _image_ref(urn: str, item: MediaItem) -> dict[str, str]:
        return {"id": urn, "altText": item.alt_text} if item.alt_text else {"id": urn}

    @staticmethod
    def _article_title(request: PublishRequest) -> str:
        # The Posts API does not scrape the link: the card shows the title we send.
        first_line = next((line.strip() for line in (request.text or "").splitlines() if line.strip()), "")
        title = first_line or urlsplit(request.link or "").netloc or (request.link or "")
        return title[:200]

    def _media_bytes(self, item: MediaItem) -> bytes:
        if item.read is not None:
            return item.read()
        response = self.http.get(item.url)
        if response.status_code != 200:
            raise TransientError(f"Could not read the media file to upload (HTTP {response.status_code}).")
        return response.content

    def _upload_headers(self, credentials: Credentials, upload_url: str, mime_type: str) -> dict[str, str]:
        headers = {"Content-Type": mime_type}
        host = urlsplit(upload_url).netloc
        # the bearer token goes only to LinkedIn's own upload hosts (or the configured API host)
        if host == urlsplit(self.urls["api"]).netloc or host.endswith(".linkedin.com") or host == "linkedin.com":
            headers["Authorization"] = f"Bearer {credentials.access_token}"
        return headers

    def _upload_image(self, credentials: Credentials, org: str, item: MediaItem) -> str:
        data = self._media_bytes(item)
        init = self._json_dict(self._rest(
            "POST", "images", credentials, query="action=initializeUpload", ok=(200,),
            json_body={"initializeUploadRequest": {"owner": org}},
            extra_headers={"Content-Type": "application/json"}))
        value = init.get("value") or {}
        upload_url, image_urn = value.get("uploadUrl"), value.get("image")
        if not upload_url or not image_urn:
            raise TransientError("LinkedIn did not return an upload URL for the image.")
        response = self.http.put(upload_url, content=data,
                                 headers=self._upload_headers(credentials, upload_url, item.mime_type or "image/jpeg"))
        if not response.is_success:
            self._raise_for(response)
        self._wait_available(credentials, "images", image_urn, timeout=self._opt("poll_timeout", 120))
        return image_urn

    def _upload_video(self, credentials: Credentials, org: str, item: MediaItem) -> str:
        data = self._media_bytes(item)
        init = self._json_dict(self._rest(
            "POST", "videos", credentials, query="action=initializeUpload", ok=(200,),
            json_body={"initializeUploadRequest": {"owner": org, "fileSizeBytes": len(data),
                                                   "uploadCaptions": False, "uploadThumbnail": False}},
            extra_headers={"Content-Type": "application/json"}))
        value = init.get("value") or {}
        video_urn = value.get("video")
        instructions = value.get("uploadInstructions") or []
        if not video_urn or not instructions:
            raise TransientError("LinkedIn did not return upload instructions for the video.")
        etags: list[str] = []
        for part in instructions:
            first, last = int(part["firstByte"]), int(part["lastByte"])
            upload_url = part["uploadUrl"]
            response = self.http.put(upload_url, content=data[first:last + 1],
                                     headers=self._upload_headers(credentials, upload_url, "application/octet-stream"))
            if not response.is_success:
                self._raise_for(response)
            etag = response.headers.get("etag")
            if not etag:
                raise TransientError("LinkedIn did not return an ETag for an uploaded video part.")
            etags.append(etag)
        self._rest("POST", "videos", credentials, query="action=finalizeUpload", ok=(200, 201, 204),
                   json_body={"finalizeUploadRequest": {"video": video_urn,
                                                        "uploadToken": value.get("uploadToken") or "",
                                                        "uploadedPartIds": etags}},
                   extra_headers={"Content-Type": "application/json"})
        self._wait_available(credentials, "videos", video_urn, timeout=self._opt("video_poll_timeout", 600))
        return video_urn

    def _wait_available(self, credentials: Credentials, resource: str, urn: str, *, timeout: float) -> None:
        interval = self._opt("poll_interval", 2.0)
        deadline = time.monotonic() + timeout
        while True:
            data = self._get_json(f"{resource}/{_enc(urn)}", credentials)
            status = data.get("status")
            if status == "AVAILABLE":
                return
            if status == "PROCESSING_FAILED":
                reason = data.get("processingFailureReason") or "processing failed"
                raise ContentRejected(f"LinkedIn could not process the {resource[:-1]}: {reason}")
            if time.monotonic() >= deadline:
                raise TransientError(f"LinkedIn is still processing the {resource[:-1]} ({status}); try again later.")
            time.sleep(interval)

    def check_publish(self, credentials: Credentials, account_id: str, pending_ref: str) -> PublishResult:
        raise ProviderError("LinkedIn publishes synchronously; there is nothing pending to check.", permanent=True)

    def _recent_posts(self, credentials: Credentials, org: str, count: int) -> list[dict[str, Any]]:
        query = f"author={_enc(org)}&q=author&count={count}&sortBy=LAST_MODIFIED"
        data = self._get_json("posts", credentials, query=query, extra_headers={"X-RestLi-Method": "FINDER"})
        return [p for p in (data.get("elements") or []) if isinstance(p, dict)]

    def find_existing(self, credentials: Credentials, account_id: str, request: PublishRequest,
                      since: datetime) -> PublishResult | None:
        """LinkedIn takes no idempotency key: scan the page's latest posts for this exact text."""
        org = self._org_urn(account_id)
        wanted = self._commentary_source(request).strip()
        since_ms = _ms(since) - 60_000  # clock skew between us and LinkedIn
        count = int(self._opt("find_existing_count", 20))
        matches = []
        for post in self._recent_posts(credentials, org, count):
            if post.get("lifecycleState") not in (None, "PUBLISHED", "PUBLISH_REQUESTED"):
                continue
            created = _int(post.get("publishedAt") or post.get("createdAt")) or 0
            if created and created < since_ms:
                continue
            commentary = str(post.get("commentary") or "")
            if unescape_little_text(commentary).strip() == wanted or commentary.strip() == escape_little_text(wanted):
                matches.append((created, post))
        if not matches:
            return None
        _, post = max(matches, key=lambda pair: pair[0])
        urn = str(post.get("id"))
        result = PublishResult(status="published", external_id=urn, url=self.post_url(urn), raw=post)
        if request.first_comment:
            for comment in self._comments(credentials, urn, max_pages=2):
                if comment.get("actor") == org and (comment.get("message") or {}).get("text") == request.first_comment:
                    result.first_comment_id = self._comment_urn(comment, urn)
                    break
        return result

    def delete_post(self, credentials: Credentials, account_id: str, external_id: str) -> None:
        # 404: already gone, which is what the caller wanted.
        self._rest("DELETE", f"posts/{_enc(external_id)}", credentials, ok=(200, 204), allow_404=True,
                   extra_headers={"X-RestLi-Method": "DELETE"})

    # --- comments ---------------------------------------------------------------------------
    @staticmethod
    def _comment_urn(comment: dict[str, Any], target: str) -> str:
        urn = comment.get("commentUrn") or comment.get("$URN")
        if urn:
            return str(urn)
        obj = comment.get("object") or target
        return f"urn:li:comment:({obj},{comment.get('id')})"

    def _create_comment(self, credentials: Credentials, org: str, target: str, obj: str, text: str,
                        parent: str | None = None) -> str:
        body: dict[str, Any] = {"actor": org, "object": obj, "message": {"text": text}}
        if parent:
            body["parentComment"] = parent
        response = self._rest("POST", f"socialActions/{_enc(target)}/comments", credentials, json_body=body,
                              ok=(200, 201), extra_headers={"Content-Type": "application/json"},
                              on_403=ContentRejected)
        data: dict[str, Any] = {}
        if response.content:
            try:
                parsed = response.json()
                data = parsed if isinstance(parsed, dict) else {}
            except ValueError:
                data = {}
        if data.get("commentUrn") or data.get("$URN"):
            return str(data.get("commentUrn") or data.get("$URN"))
        comment_id = data.get("id") or response.headers.get("x-restli-id")
        if not comment_id:
            raise UnknownOutcome("LinkedIn accepted the comment but did not say its id.")
        if str(comment_id).startswith("urn:li:comment:"):
            return str(comment_id)
        return f"urn:li:comment:({data.get('object') or obj},{comment_id})"

    def _comments(self, credentials: Credentials, target: str, *, max_pages: int | None = None) -> list[dict[str, Any]]:
        page_size = int(self._opt("comments_page_size", 50))
        pages = max_pages or int(self._opt("comments_max_pages", 10))
        out: list[dict[str, Any]] = []
        start = 0
        for _ in range(pages):
            data = self._get_json(f"socialActions/{_enc(target)}/comments", credentials,
                                  query=f"start={start}&count={page_size}")
            elements = [c for c in (data.get("elements") or []) if isinstance(c, dict)]
            out.extend(elements)
            total = _int((data.get("paging") or {}).get("total"))
            start += len(elements)
            if not elements or (total is not None and start >= total) or (total is None and len(elements) < page_size):
                break
        return out

    def _inbox_item(self, comment: dict[str, Any], post_urn: str, kind: str, parent: str = "") -> InboxItem:
        urn = self._comment_urn(comment, post_urn)
        created = comment.get("created") or {}
        parent_urn = str(comment.get("parentComment") or parent or "")
        web = self.urls["web"].rstrip("/")
        return InboxItem(
            external_id=urn,
            kind=kind,
            text=str((comment.get("message") or {}).get("text") or ""),
            author_id=str(comment.get("actor") or created.get("actor") or ""),
            created_at=_from_ms(created.get("time")),
            post_external_id=post_urn,
            parent_external_id=parent_urn,
            thread_id=parent_urn or urn,
            permalink=f"{web}/feed/update/{post_urn}/?commentUrn={_enc(urn)}",
            raw=comment,
        )

    def fetch_inbox(self, credentials: Credentials, account_id: str, cursor: str | None = None) -> InboxPage:
        """Comments (and replies to them) on the page's recent posts, newer than the cursor.

        The cursor is the newest comment time seen (ms); LinkedIn has no mentions-by-poll for
        comments beyond this, and no DM API for pages.
        """
        org = self._org_urn(account_id)
        since = 0
        if cursor and cursor.startswith("t:"):
            since = _int(cursor[2:]) or 0
        newest = since
        items: list[InboxItem] = []
        posts = self._recent_posts(credentials, org, int(self._opt("inbox_posts", 10)))
        for post in posts:
            post_urn = str(post.get("id") or "")
            if not post_urn:
                continue
            for comment in self._comments(credentials, post_urn):
                created = _int((comment.get("created") or {}).get("time")) or 0
                newest = max(newest, created)
                comment_urn = self._comment_urn(comment, post_urn)
                if created > since and comment.get("actor") != org:
                    items.append(self._inbox_item(comment, post_urn, "comment"))
                replies = _int((comment.get("commentsSummary") or {}).get("totalFirstLevelComments")) or 0
                if replies:
                    for reply in self._comments(credentials, comment_urn, max_pages=2):
                        r_created = _int((reply.get("created") or {}).get("time")) or 0
                        newest = max(newest, r_created)
                        if r_created > since and reply.get("actor") != org:
                            items.append(self._inbox_item(reply, post_urn, "reply", parent=comment_urn))
        items.sort(key=lambda i: i.created_at or datetime.min.replace(tzinfo=UTC))
        return InboxPage(items=items, cursor=f"t:{newest}")

    def reply(self, credentials: Credentials, account_id: str, item: InboxItem, text: str) -> str:
        if item.kind == "dm":
            raise ContentRejected("LinkedIn has no messaging API for organization pages.")
        org = self._org_urn(account_id)
        # LinkedIn nests one level: a reply to a reply goes under the same top-level comment.
        parent = item.parent_external_id if item.kind == "reply" and item.parent_external_id else item.external_id
        match = _COMMENT_URN.match(parent)
        if not match:
            raise ContentRejected(f"Not a LinkedIn comment URN: {parent!r}")
        obj = str(item.raw.get("object") or match.group("target")) if item.raw else match.group("target")
        return self._create_comment(credentials, org, parent, obj, text, parent=parent)

    def hide_comment(self, credentials: Credentials, account_id: str, external_id: str, hidden: bool = True) -> None:
        raise ProviderError("LinkedIn's API cannot hide comments; delete the page's own comments instead.",
                            permanent=True)

    def delete_comment(self, credentials: Credentials, account_id: str, external_id: str) -> None:
        match = _COMMENT_URN.match(external_id)
        if not match:
            raise ContentRejected(f"Not a LinkedIn comment URN: {external_id!r}")
        org = self._org_urn(account_id)
        self._rest("DELETE", f"socialActions/{_enc(match.group('target'))}/comments/{quote(match.group('id'), safe='')}",
                   credentials, query=f"actor={_enc(org)}", ok=(200, 204), allow_404=True, on_403=ContentRejected)

    # --- metrics ----------------------------------------------------------------------------
    @staticmethod
    def _time_intervals(start_ms: int, end_ms: int) -> str:
        return f"timeIntervals=(timeRange:(start:{start_ms},end:{end_ms}),timeGranularityType:DAY)"

    def fetch_account_metrics(self, credentials: Credentials, account_id: str, since: date,
                              until: date) -> list[DailyAccountMetrics]:
        org = self._org_urn(account_id)
        start_ms, end_ms = _day_start_ms(since), _day_start_ms(until + timedelta(days=1))
        data = self._get_json(
            "organizationalEntityShareStatistics", credentials,
            query=f"q=organizationalEntity&organizationalEntity={_enc(org)}&{self._time_intervals(start_ms, end_ms)}")
        by_day: dict[date, DailyAccountMetrics] = {}
        for element in data.get("elements") or []:
            start = _from_ms((element.get("timeRange") or {}).get("start"))
            if start is None:
                continue
            day = start.date()
            stats = element.get("totalShareStatistics") or {}
            parts = [_int(stats.get(k)) for k in ("clickCount", "likeCount", "commentCount", "shareCount")]
            by_day[day] = DailyAccountMetrics(
                day=day,
                impressions=_int(stats.get("impressionCount")),
                reach=_int(stats.get("uniqueImpressionsCount")),
                engagements=sum(p for p in parts if p is not None) if any(p is not None for p in parts) else None,
            )
        day = since
        while day <= until:
            by_day.setdefault(day, DailyAccountMetrics(day=day))
            day += timedelta(days=1)
        self._fill_followers(credentials, org, by_day, since)
        return [by_day[d] for d in sorted(by_day)]

    def _fill_followers(self, credentials: Credentials, org: str, by_day: dict[date, DailyAccountMetrics],
                        since: date) -> None:
        """Followers at the end of each day = today's network size minus the gains after that day."""
        size = self._get_json(f"networkSizes/{_enc(org)}", credentials, query="edgeType=COMPANY_FOLLOWED_BY_MEMBER")
        current = _int(size.get("firstDegreeSize"))
        if current is None:
            return
        today = self._utcnow().date()
        gains: dict[date, int] = {}
        if since < today:
            data = self._get_json(
                "organizationalEntityFollowerStatistics", credentials,
                query=(f"q=organizationalEntity&organizationalEntity={_enc(org)}&"
                       f"{self._time_intervals(_day_start_ms(since), _day_start_ms(today + timedelta(days=1)))}"))
            for element in data.get("elements") or []:
                start = _from_ms((element.get("timeRange") or {}).get("start"))
                if start is None:
                    continue
                g = element.get("followerGains") or {}
                gains[start.date()] = (_int(g.get("organicFollowerGain")) or 0) + (_int(g.get("paidFollowerGain")) or 0)
        for day, metrics in by_day.items():
            if day > today:
                continue
            later = sum(n for d, n in gains.items() if d > day)
            metrics.followers = current - later

    def fetch_post_metrics(self, credentials: Credentials, account_id: str,
                           external_ids: list[str]) -> list[PostMetrics]:
        org = self._org_urn(account_id)
        groups = {"shares": [u for u in external_ids if u.startswith("urn:li:share:")],
                  "ugcPosts": [u for u in external_ids if u.startswith("urn:li:ugcPost:")]}
        found: dict[str, PostMetrics] = {}
        for param, urns in groups.items():
            for i in range(0, len(urns), 20):
                chunk = urns[i:i + 20]
                listed = ",".join(_enc(u) for u in chunk)
                data = self._get_json(
                    "organizationalEntityShareStatistics", credentials,
                    query=f"q=organizationalEntity&organizationalEntity={_enc(org)}&{param}=List({listed})")
                for element in data.get("elements") or []:
                    urn = element.get("share") or element.get("ugcPost")
                    if not urn:
                        continue
                    stats = element.get("totalShareStatistics") or {}
                    found[str(urn)] = PostMetrics(
                        external_id=str(urn),
                        impressions=_int(stats.get("impressionCount")),
                        reach=_int(stats.get("uniqueImpressionsCount")),
                        likes=_int(stats.get("likeCount")),
                        comments=_int(stats.get("commentCount")),
                        shares=_int(stats.get("shareCount")),
                        clicks=_int(stats.get("clickCount")),
                    )
        return [found[u] for u in external_ids if u in found]
