"""Bluesky: publishing, finding an earlier attempt again, deleting."""

from __future__ import annotations

import time
import unicodedata
from datetime import datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from ..base import (
    Credentials,
    MediaItem,
    PublishRequest,
    PublishResult,
)
from ..errors import AuthExpired, ContentRejected, ProviderError, RateLimited, TransientError
from ..text import count_graphemes
from .client import (
    _HANDLE_RE,
    _MENTION_RE,
    _TAG_RE,
    _URL_RE,
    IMAGE_MAX_BYTES,
    MAX_IMAGES,
    POST,
    TEXT_BYTES,
    TEXT_GRAPHEMES,
    VIDEO_MAX_BYTES,
    VIDEO_MAX_SECONDS,
    VIDEO_SERVICE_DID,
    AtUri,
    _byte_span,
    _CardParser,
    _fit_image,
    _image_size,
    _now_iso,
    _parse_dt,
    _trim_url,
    tid_for_key,
)


class BlueskyPublishing:
    """Bluesky's publishing: publish, find an earlier attempt again, delete (a part of ``BlueskyProvider``)."""

    # ===== Publishing ====================================================================================

    def publish(
        self, credentials: Credentials, account_id: str, request: PublishRequest
    ) -> PublishResult:
        if request.format != "post":
            raise ContentRejected(f"Bluesky has no {request.format}s; only regular posts.")
        images = [m for m in request.media if m.kind == "image"]
        videos = [m for m in request.media if m.kind == "video"]
        if len(images) + len(videos) != len(request.media):
            raise ContentRejected("Bluesky posts take images or a video only.")
        if images and videos:
            raise ContentRejected("A Bluesky post holds either images or one video, not both.")
        if len(images) > MAX_IMAGES:
            raise ContentRejected(f"A Bluesky post holds at most {MAX_IMAGES} images.")
        if len(videos) > 1:
            raise ContentRejected("A Bluesky post holds one video.")
        for item in videos:
            self._check_video(item)

        text = request.text
        if request.link and request.media and request.link not in text:
            # An embed is either media or a link card: keep the link visible in the text.
            text = f"{text.rstrip()}\n\n{request.link}" if text.strip() else request.link
        self._check_text(text)
        if request.first_comment:
            self._check_text(request.first_comment)

        did = self._did(credentials, account_id)
        rkey = tid_for_key(request.idempotency_key) if request.idempotency_key else None
        if rkey:
            # This attempt may already have gone out (a re-run task): answer with it, upload nothing.
            existing = self._get_record(credentials, did, POST, rkey)
            if existing is not None:
                result = self._result(
                    credentials,
                    existing["uri"],
                    existing.get("cid", ""),
                    raw={**existing, "existing": True},
                )
                if request.first_comment:
                    comment = self._get_record(
                        credentials,
                        did,
                        POST,
                        tid_for_key(f"{request.idempotency_key}:first-comment"),
                    )
                    result.first_comment_id = comment["uri"] if comment else ""
                return result

        facets = self._facets(credentials, text)
        embed: dict[str, Any] | None = None
        if images:
            embed = {
                "$type": "app.bsky.embed.images",
                "images": [self._image_embed(credentials, item) for item in images],
            }
        elif videos:
            embed = self._video_embed(credentials, did, videos[0])
        elif request.link:
            embed = self._link_card(credentials, request.link)

        record: dict[str, Any] = {"$type": POST, "text": text, "createdAt": _now_iso()}
        if facets:
            record["facets"] = facets
        if embed:
            record["embed"] = embed
        langs = self.config.extra.get("langs")
        if langs:
            record["langs"] = list(langs)[:3]

        created = self._create_post(credentials, did, record, rkey)
        result = self._result(credentials, created["uri"], created.get("cid", ""), raw=created)

        if request.first_comment:
            comment_key = (
                f"{request.idempotency_key}:first-comment" if request.idempotency_key else None
            )
            ref = {"uri": created["uri"], "cid": created.get("cid", "")}
            try:
                comment = self._post_reply(
                    credentials,
                    did,
                    request.first_comment,
                    root=ref,
                    parent=ref,
                    rkey=tid_for_key(comment_key) if comment_key else None,
                )
                result.first_comment_id = comment["uri"]
            except ProviderError as exc:
                # The post is out; never fail (and so invite a re-publish) because of the comment.
                result.raw["first_comment_error"] = exc.message
        return result

    def _create_post(
        self, credentials: Credentials, did: str, record: dict[str, Any], rkey: str | None
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"repo": did, "collection": POST, "record": record}
        if rkey:
            body["rkey"] = rkey
        try:
            return self._xrpc(
                credentials, "POST", "com.atproto.repo.createRecord", json=body, write=True
            )
        except (AuthExpired, RateLimited):
            raise
        except ProviderError as exc:
            if not rkey:
                raise
            # A write under an rkey that already exists fails (400 or 500 depending on the PDS), and a
            # 5xx may hide a write that went through: ask the repo before reporting a failure.
            if (
                isinstance(exc, ContentRejected)
                and "exist" not in exc.message.lower()
                and exc.status != 409
            ):
                raise
            try:
                existing = self._get_record(credentials, did, POST, rkey)
            except ProviderError:
                existing = None
            if existing is None:
                raise exc from None
            return {"uri": existing["uri"], "cid": existing.get("cid", ""), "existing": True}

    def find_existing(
        self, credentials: Credentials, account_id: str, request: PublishRequest, since: datetime
    ) -> PublishResult | None:
        did = self._did(credentials, account_id)
        if request.idempotency_key:
            found = self._get_record(credentials, did, POST, tid_for_key(request.idempotency_key))
            if found is None:
                return None
            return self._result(credentials, found["uri"], found.get("cid", ""), raw=found)
        # No key: walk the account's newest posts back to ``since`` looking for the same text.
        cursor: str | None = None
        for _ in range(int(self.config.extra.get("find_max_pages", 5))):
            params: dict[str, Any] = {"repo": did, "collection": POST, "limit": 100}
            if cursor:
                params["cursor"] = cursor
            page = self._xrpc(credentials, "GET", "com.atproto.repo.listRecords", params=params)
            records = page.get("records") or []
            oldest_seen = None
            for rec in records:
                value = rec.get("value") or {}
                created = _parse_dt(value.get("createdAt"))
                oldest_seen = (
                    created
                    if oldest_seen is None or (created and created < oldest_seen)
                    else oldest_seen
                )
                if created and created < since:
                    continue
                if value.get("text", "").strip() == request.text.strip() and not value.get("reply"):
                    return self._result(credentials, rec["uri"], rec.get("cid", ""), raw=rec)
            # The PDS hands out a cursor with every non-empty page (listRecords.ts), so a short page is the end.
            cursor = page.get("cursor")
            if (
                not cursor
                or len(records) < params["limit"]
                or (oldest_seen and oldest_seen < since)
            ):
                break
        return None

    def delete_post(self, credentials: Credentials, account_id: str, external_id: str) -> None:
        did = self._did(credentials, account_id)
        uri = self._post_uri(did, external_id)
        if uri.repo != did:
            raise ContentRejected("Only the account's own posts can be deleted on Bluesky.")
        self._xrpc(
            credentials,
            "POST",
            "com.atproto.repo.deleteRecord",
            json={"repo": did, "collection": uri.collection, "rkey": uri.rkey},
            write=True,
        )

    def _result(
        self, credentials: Credentials, uri: str, cid: str, *, raw: dict[str, Any]
    ) -> PublishResult:
        at = AtUri.parse(uri)
        who = credentials.extra.get("handle") or at.repo
        return PublishResult(
            status="published",
            external_id=uri,
            url=f"{self.urls['web']}/profile/{who}/post/{at.rkey}",
            raw={**raw, "uri": uri, "cid": cid, "rkey": at.rkey},
        )

    # --- Text and facets --------------------------------------------------------------------------

    def _check_text(self, text: str) -> None:
        graphemes = count_graphemes(text)
        if graphemes > TEXT_GRAPHEMES:
            raise ContentRejected(
                f"Bluesky posts are limited to {TEXT_GRAPHEMES} characters (graphemes); this one has {graphemes}.",
                code="TextTooLong",
            )
        if len(text.encode("utf-8")) > TEXT_BYTES:
            raise ContentRejected(
                f"Bluesky posts are limited to {TEXT_BYTES} bytes of text.", code="TextTooLong"
            )

    def _facets(self, credentials: Credentials, text: str) -> list[dict[str, Any]]:
        facets: list[dict[str, Any]] = []
        for m in _URL_RE.finditer(text):
            url = _trim_url(m.group(1))
            if len(url) <= len("https://"):
                continue
            facets.append(
                {
                    "index": _byte_span(text, m.start(1), m.start(1) + len(url)),
                    "features": [{"$type": "app.bsky.richtext.facet#link", "uri": url}],
                }
            )
        resolved: dict[str, str | None] = {}
        for m in _MENTION_RE.finditer(text):
            handle = m.group(1).rstrip(".-")
            if not _HANDLE_RE.match(handle):
                continue
            key = handle.lower()
            if key not in resolved:
                resolved[key] = self._resolve_handle(credentials, key)
            if not resolved[key]:
                continue  # like the reference client: an unknown handle stays plain text
            facets.append(
                {
                    "index": _byte_span(text, m.start(), m.start(1) + len(handle)),
                    "features": [
                        {"$type": "app.bsky.richtext.facet#mention", "did": resolved[key]}
                    ],
                }
            )
        for m in _TAG_RE.finditer(text):
            tag = m.group(1)
            while tag and unicodedata.category(tag[-1]).startswith("P"):
                tag = tag[:-1]
            if not tag or tag.isdigit() or count_graphemes(tag) > 64 or len(tag.encode()) > 640:
                continue
            facets.append(
                {
                    "index": _byte_span(text, m.start(), m.start(1) + len(tag)),
                    "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": tag}],
                }
            )
        facets.sort(key=lambda f: f["index"]["byteStart"])
        return facets

    def _resolve_handle(self, credentials: Credentials, handle: str) -> str | None:
        try:
            body = self._xrpc(
                credentials, "GET", "com.atproto.identity.resolveHandle", params={"handle": handle}
            )
        except (AuthExpired, RateLimited, TransientError):
            raise
        except ProviderError:
            return None
        did = body.get("did")
        return did if isinstance(did, str) and did.startswith("did:") else None

    # --- Media --------------------------------------------------------------------------------------

    @staticmethod
    def _bytes_of(item: MediaItem) -> bytes:
        if item.read is None:
            raise ProviderError(
                "Bluesky takes uploads: the media item has no bytes to read.", permanent=True
            )
        data = item.read()
        if not data:
            raise ContentRejected("The media file is empty.")
        return data

    def _upload_blob(self, credentials: Credentials, data: bytes, mime: str) -> dict[str, Any]:
        body = self._xrpc(
            credentials,
            "POST",
            "com.atproto.repo.uploadBlob",
            content=data,
            headers={"Content-Type": mime},
            write=True,
        )
        blob = body.get("blob")
        if not isinstance(blob, dict) or "ref" not in blob:
            raise TransientError("Bluesky answered the upload without a blob reference.")
        return blob

    def _image_embed(self, credentials: Credentials, item: MediaItem) -> dict[str, Any]:
        data = self._bytes_of(item)
        mime = (item.mime_type or "image/jpeg").lower()
        size = (item.width, item.height) if item.width and item.height else None
        if len(data) > IMAGE_MAX_BYTES or mime not in self.capabilities.image.mime_types:  # type: ignore[union-attr]
            data, mime, size = _fit_image(data, IMAGE_MAX_BYTES)
        elif size is None:
            size = _image_size(data)
        blob = self._upload_blob(credentials, data, mime)
        image: dict[str, Any] = {"alt": item.alt_text or "", "image": blob}
        if size:
            image["aspectRatio"] = {"width": size[0], "height": size[1]}
        return image

    @staticmethod
    def _check_video(item: MediaItem) -> None:
        if (item.mime_type or "").lower() != "video/mp4":
            raise ContentRejected("Bluesky takes videos as MP4 only.")
        if item.duration_seconds and item.duration_seconds > VIDEO_MAX_SECONDS:
            raise ContentRejected(
                f"Bluesky videos can be at most {VIDEO_MAX_SECONDS // 60} minutes long."
            )
        if item.size_bytes and item.size_bytes > VIDEO_MAX_BYTES:
            raise ContentRejected(
                f"Bluesky videos can be at most {VIDEO_MAX_BYTES // 1_000_000} MB."
            )

    def _video_embed(self, credentials: Credentials, did: str, item: MediaItem) -> dict[str, Any]:
        data = self._bytes_of(item)
        if len(data) > VIDEO_MAX_BYTES:
            raise ContentRejected(
                f"Bluesky videos can be at most {VIDEO_MAX_BYTES // 1_000_000} MB."
            )
        if self.config.extra.get("video_upload", "service") == "blob":
            blob = self._upload_blob(credentials, data, "video/mp4")
        else:
            blob = self._process_video(credentials, did, data, item)
        embed: dict[str, Any] = {"$type": "app.bsky.embed.video", "video": blob}
        if item.alt_text:
            embed["alt"] = item.alt_text
        if item.width and item.height:
            embed["aspectRatio"] = {"width": item.width, "height": item.height}
        return embed

    def _service_token(self, credentials: Credentials, aud: str, lxm: str, ttl: int) -> str:
        body = self._xrpc(
            credentials,
            "GET",
            "com.atproto.server.getServiceAuth",
            params={"aud": aud, "lxm": lxm, "exp": int(time.time()) + ttl},
        )
        token = body.get("token")
        if not token:
            raise TransientError("Bluesky did not hand out a service token.")
        return token

    def _process_video(
        self, credentials: Credentials, did: str, data: bytes, item: MediaItem
    ) -> dict[str, Any]:
        """The recommended flow (docs.bsky.app/docs/tutorials/video): the video service transcodes
        the file, stores it on the PDS with a service token, and returns the blob to embed."""
        video = self.urls["video"].rstrip("/")
        limits_token = self._service_token(
            credentials, VIDEO_SERVICE_DID, "app.bsky.video.getUploadLimits", 60
        )
        limits = self._ok(
            self.http.get(
                f"{video}/xrpc/app.bsky.video.getUploadLimits",
                headers={"Authorization": f"Bearer {limits_token}"},
            ),
            write=False,
        )
        if (
            limits.get("canUpload") is False
            or limits.get("remainingDailyVideos") == 0
            or (
                isinstance(limits.get("remainingDailyBytes"), int)
                and limits["remainingDailyBytes"] < len(data)
            )
        ):
            raise ContentRejected(
                limits.get("message")
                or limits.get("error")
                or "Bluesky will not take another video from this account today.",
                code="VideoUploadLimit",
            )

        pds_host = urlsplit(self._pds(credentials)).netloc
        upload_token = self._service_token(
            credentials,
            f"did:web:{pds_host.replace(':', '%3A')}",
            "com.atproto.repo.uploadBlob",
            1800,
        )
        name = (urlsplit(item.url).path.rsplit("/", 1)[-1] if item.url else "") or "video.mp4"
        response = self.http.post(
            f"{video}/xrpc/app.bsky.video.uploadVideo",
            params={"did": did, "name": name},
            content=data,
            headers={"Authorization": f"Bearer {upload_token}", "Content-Type": "video/mp4"},
        )
        if response.status_code == 409 or (
            400 <= response.status_code < 500 and response.status_code != 429
        ):
            status = self._job_status(self._error_body(response))
            if not status.get("blob") and not status.get("jobId"):
                raise ContentRejected(
                    status.get("message")
                    or status.get("error")
                    or f"Bluesky's video service refused the upload (HTTP {response.status_code}).",
                    status=response.status_code,
                    code=status.get("error"),
                )
        else:
            status = self._job_status(self._ok(response, write=True))

        interval = float(self.config.extra.get("poll_interval", 1.0))
        deadline = time.monotonic() + float(self.config.extra.get("video_poll_timeout", 300))
        while True:
            if status.get("blob"):
                return status["blob"]  # also the answer for "already_exists"
            if status.get("state") == "JOB_STATE_FAILED":
                raise ContentRejected(
                    status.get("message")
                    or status.get("error")
                    or "Bluesky could not process the video.",
                    code=status.get("failureCode"),
                )
            job_id = status.get("jobId")
            if not job_id:
                raise TransientError("Bluesky's video service answered without a job id.")
            if time.monotonic() > deadline:
                raise TransientError("Bluesky is still processing the video; try again later.")
            if interval > 0:
                time.sleep(interval)
            polled = self._ok(
                self.http.get(
                    f"{video}/xrpc/app.bsky.video.getJobStatus", params={"jobId": job_id}
                ),
                write=False,
            )
            status = self._job_status(polled)

    @staticmethod
    def _job_status(body: dict[str, Any]) -> dict[str, Any]:
        # The lexicon wraps it in {"jobStatus": …}; uploadVideo answers it bare (atproto#3026).
        inner = body.get("jobStatus")
        return inner if isinstance(inner, dict) else body

    def _link_card(self, credentials: Credentials, link: str) -> dict[str, Any]:
        external: dict[str, Any] = {"uri": link, "title": "", "description": ""}
        if self.config.extra.get("link_preview", True):
            page = self._fetch_page(link)
            if page:
                parser = _CardParser()
                try:
                    parser.feed(page[1])
                except Exception:  # noqa: BLE001, S110 - a broken page only costs the card its text
                    pass
                meta = parser.meta
                external["title"] = (
                    meta.get("og:title") or meta.get("twitter:title") or parser.title
                ).strip()[:300]
                external["description"] = (
                    meta.get("og:description")
                    or meta.get("description")
                    or meta.get("twitter:description")
                    or ""
                ).strip()[:1000]
                image_url = meta.get("og:image") or meta.get("twitter:image")
                if image_url:
                    thumb = self._thumb(credentials, urljoin(page[0], image_url))
                    if thumb:
                        external["thumb"] = thumb
        if not external["title"]:
            external["title"] = link
        return {"$type": "app.bsky.embed.external", "external": external}

    def _fetch_page(self, url: str) -> tuple[str, str] | None:
        """The HTML behind a link (following a few redirects), or None; a card is best effort."""
        for _ in range(4):
            try:
                response = self.http.get(url, headers={"Accept": "text/html"})
            except ProviderError:
                return None
            if response.status_code in (301, 302, 303, 307, 308) and response.headers.get(
                "location"
            ):
                url = urljoin(url, response.headers["location"])
                continue
            if response.status_code != 200 or "html" not in response.headers.get(
                "content-type", "html"
            ):
                return None
            return url, response.text[:500_000]
        return None

    def _thumb(self, credentials: Credentials, url: str) -> dict[str, Any] | None:
        try:
            response = self.http.get(url)
        except ProviderError:
            return None
        if (
            response.status_code != 200
            or not response.content
            or len(response.content) > 20_000_000
        ):
            return None
        data, mime = (
            response.content,
            response.headers.get("content-type", "image/jpeg").split(";")[0].strip(),
        )
        try:
            if len(data) > IMAGE_MAX_BYTES or mime not in self.capabilities.image.mime_types:  # type: ignore[union-attr]
                data, mime, _ = _fit_image(data, IMAGE_MAX_BYTES)
            return self._upload_blob(credentials, data, mime)
        except ContentRejected:
            return None  # the card goes out without a picture
