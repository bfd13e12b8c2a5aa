"""Mastodon: publishing, finding an earlier attempt again, deleting."""

from __future__ import annotations

import mimetypes
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from ..base import (
    Credentials,
    MediaItem,
    PublishRequest,
    PublishResult,
)
from ..errors import (
    ContentRejected,
    ProviderError,
    TransientError,
    UnknownOutcome,
)
from .client import (
    _comparable,
    _parse_time,
    html_to_text,
    log,
)


class MastodonPublishing:
    """Mastodon's publishing: publish, find an earlier attempt again, delete (a part of ``MastodonProvider``)."""

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
