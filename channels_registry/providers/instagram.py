"""Instagram professional accounts through the Graph API (API-NOTES §2, §11).

Two logins are documented and both are supported; ``ProviderConfig.extra["login"]`` picks one for
new connections and each channel's credentials remember theirs (``Credentials.extra["login"]``):

- ``"facebook"`` (default): Facebook Login, host ``graph.facebook.com``. The Instagram account is
  found through its Page: ``GET /me/accounts?fields=…,instagram_business_account{id,username}``.
  We keep that Page's token: it does not expire (long-lived user tokens last 60 days and cannot be
  refreshed) and it is the token the Page-linked Instagram endpoints accept.
- ``"instagram"``: Business Login for Instagram, host ``graph.instagram.com``. code →
  ``POST api.instagram.com/oauth/access_token`` → ``GET /access_token?grant_type=ig_exchange_token``
  (60 days) → ``GET /refresh_access_token?grant_type=ig_refresh_token`` before expiry.

Publishing is container → status → publish, so ``async_publish`` is on: :meth:`publish` checks the
24 h quota, creates the container(s) and publishes at once only if the container is already
``FINISHED``; otherwise it answers ``pending`` with the container id as ``pending_ref`` and
:meth:`check_publish` polls once per call and publishes when ready.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

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
    PublishRequest,
    PublishResult,
    WebhookEvent,
    WebhookRequest,
)
from .errors import ContentRejected, ProviderError, RateLimited, TransientError, UnknownOutcome
from .meta import (
    CursorTracker,
    MetaGraphProvider,
    day_start,
    make_pending_ref,
    parse_time,
    split_pending_ref,
)

MB = 1024 * 1024

FACEBOOK_LOGIN_SCOPES = (
    "instagram_basic",
    "instagram_content_publish",
    "instagram_manage_comments",
    "instagram_manage_insights",
    "pages_show_list",
    "pages_read_engagement",
    "business_management",
)
INSTAGRAM_LOGIN_SCOPES = (
    "instagram_business_basic",
    "instagram_business_content_publish",
    "instagram_business_manage_comments",
    "instagram_business_manage_insights",
)
COMMENT_FIELDS = ("id,text,timestamp,username,from,like_count,hidden,"
                  "replies{id,text,timestamp,username,from,like_count,hidden}")
MEDIA_INSIGHTS = "views,reach,likes,comments,shares,saved,total_interactions"
#: documented caption limits besides length
MAX_HASHTAGS = 30
MAX_MENTIONS = 20
HASHTAG = re.compile(r"(?<!\w)#\w+")
MENTION = re.compile(r"(?<![\w@])@[\w.]+")


class InstagramProvider(MetaGraphProvider):
    key = "instagram"
    name = "Instagram"
    network_label = "Instagram"
    capabilities = Capabilities(
        text_limit=2200,
        text_counting="chars",
        # the feed shows the first 125 characters of a caption, then "… more"
        feed_cut_chars=125,
        # JPEG only, ≤ 8 MB, 4:5 … 1.91:1, 320–1440 px wide (content publishing guide).
        image=MediaSpec(max_bytes=8 * MB, min_width=320, max_width=1440, min_aspect=4 / 5, max_aspect=1.91,
                        mime_types=("image/jpeg",)),
        # Reels: MP4/MOV, 3 s – 15 min, ≤ 300 MB (docs disagree: 300 MB vs 1 GB), 0.01:1 … 10:1 (9:16 best).
        video=MediaSpec(max_bytes=300 * MB, min_seconds=3, max_seconds=15 * 60, min_aspect=0.01, max_aspect=10,
                        mime_types=("video/mp4", "video/quicktime")),
        max_images=10,
        max_videos=10,
        mixed_media=True,  # carousels mix photos and videos
        link_posts=False,  # captions do not make links clickable
        first_comment=True,
        stories=True,
        reels=True,
        carousel=True,
        async_publish=True,
        daily_publish_cap=100,  # content_publishing_limit quota_total (older docs: 25 or 50)
        comments_api=True,
        direct_messages=False,
        hide_comments=True,
        delete_comments=True,
        webhooks=True,
        auth_kind="oauth2",
    )
    default_urls = {
        # Facebook Login
        "api": "https://graph.facebook.com",
        "auth": "https://www.facebook.com",
        "token": "https://graph.facebook.com",
        # Business Login for Instagram
        "ig_api": "https://graph.instagram.com",
        "ig_auth": "https://www.instagram.com",
        "ig_token": "https://api.instagram.com",
    }
    default_scopes = FACEBOOK_LOGIN_SCOPES

    # --- which login, which host ---------------------------------------------------------------
    @property
    def login(self) -> str:
        login = str(self.config.extra.get("login") or "facebook")
        if login not in ("facebook", "instagram"):
            raise ProviderError(f"Unknown Instagram login {login!r}; use 'facebook' or 'instagram'.", permanent=True)
        return login

    def _login_of(self, credentials: Credentials) -> str:
        return str(credentials.extra.get("login") or self.login)

    def _api(self, credentials: Credentials) -> str:
        return self.urls["ig_api"] if self._login_of(credentials) == "instagram" else self.urls["api"]

    def _scopes(self) -> tuple[str, ...]:
        if self.config.extra.get("scopes"):
            return tuple(self.config.extra["scopes"])
        return INSTAGRAM_LOGIN_SCOPES if self.login == "instagram" else FACEBOOK_LOGIN_SCOPES

    # --- OAuth ---------------------------------------------------------------------------------
    def authorization_url(self, *, redirect_uri: str, state: str, code_verifier: str | None = None,
                          extra: dict[str, Any] | None = None) -> str:
        if self.login == "facebook":
            return self.facebook_dialog_url(redirect_uri=redirect_uri, state=state, scopes=self._scopes(), extra=extra)
        query = {"client_id": self.config.client_id, "redirect_uri": redirect_uri, "response_type": "code",
                 "scope": ",".join(self._scopes()), "state": state}
        return f"{self.urls['ig_auth'].rstrip('/')}/oauth/authorize?{urlencode(query, quote_via=quote)}"

    def exchange_code(self, *, code: str, redirect_uri: str, code_verifier: str | None = None,
                      extra: dict[str, Any] | None = None) -> list[Account]:
        if self.login == "instagram":
            return [self._exchange_instagram_login(code=code, redirect_uri=redirect_uri)]
        api = self.urls["api"]
        user_token, _expiry = self.facebook_user_token(code=code, redirect_uri=redirect_uri)
        scopes = self.granted_permissions(api, user_token)
        accounts = []
        for page in self.graph_pages(api, "me/accounts", user_token, {
            "fields": "id,name,access_token,instagram_business_account{id,username,name,profile_picture_url}",
            "limit": 100,
        }):
            ig = page.get("instagram_business_account") or {}
            if not ig.get("id") or not page.get("access_token"):
                continue  # a Page without a linked professional Instagram account
            username = ig.get("username") or ""
            accounts.append(Account(
                external_id=str(ig["id"]), handle=username or str(ig["id"]), name=ig.get("name") or username,
                avatar_url=ig.get("profile_picture_url") or "",
                url=f"https://www.instagram.com/{username}/" if username else "",
                credentials=Credentials(
                    access_token=page["access_token"], expires_at=None, scopes=scopes,
                    extra={"login": "facebook", "ig_user_id": str(ig["id"]), "page_id": str(page["id"]),
                           "username": username},
                ),
                extra={"page_id": str(page["id"]), "page_name": page.get("name", "")},
            ))
        return accounts

    def _exchange_instagram_login(self, *, code: str, redirect_uri: str) -> Account:
        short = self._send("POST", f"{self.urls['ig_token'].rstrip('/')}/oauth/access_token", form_body={
            "client_id": self.config.client_id, "client_secret": self.config.client_secret,
            "grant_type": "authorization_code", "redirect_uri": redirect_uri, "code": code,
        })
        if isinstance(short, dict) and isinstance(short.get("data"), list) and short["data"]:
            short = short["data"][0]  # newer answers wrap the token in "data"
        if not isinstance(short, dict) or not short.get("access_token"):
            raise TransientError("Instagram answered the code exchange without an access token.")
        permissions = short.get("permissions") or ()
        if isinstance(permissions, str):
            permissions = [p for p in permissions.split(",") if p]
        long = self._send("GET", f"{self.urls['ig_api'].rstrip('/')}/access_token", params={
            "grant_type": "ig_exchange_token", "client_secret": self.config.client_secret,
            "access_token": short["access_token"],
        })
        if not long.get("access_token"):
            raise TransientError("Instagram answered the token exchange without an access token.")
        token = long["access_token"]
        me = self.graph_get(self.urls["ig_api"], "me", token,
                            {"fields": "user_id,username,name,profile_picture_url,account_type"})
        ig_id = str(me.get("user_id") or short.get("user_id") or me.get("id"))
        username = me.get("username") or ""
        return Account(
            external_id=ig_id, handle=username or ig_id, name=me.get("name") or username,
            avatar_url=me.get("profile_picture_url") or "",
            url=f"https://www.instagram.com/{username}/" if username else "",
            credentials=Credentials(
                access_token=token, expires_at=_expiry(long.get("expires_in")), scopes=tuple(permissions),
                extra={"login": "instagram", "ig_user_id": ig_id, "username": username},
            ),
            extra={"account_type": me.get("account_type", "")},
        )

    def refresh(self, credentials: Credentials) -> Credentials:
        if self._login_of(credentials) == "instagram":
            # Documented: the long-lived token must be at least 24 h old and not yet expired.
            body = self._send("GET", f"{self.urls['ig_api'].rstrip('/')}/refresh_access_token",
                              params={"grant_type": "ig_refresh_token", "access_token": credentials.access_token})
            if not body.get("access_token"):
                raise TransientError("Instagram answered the refresh without an access token.")
            return Credentials(access_token=body["access_token"], refresh_token=None,
                               expires_at=_expiry(body.get("expires_in")), scopes=credentials.scopes,
                               extra=dict(credentials.extra))
        # Facebook Login: a Page token never expires and has no refresh grant; confirm it still works.
        self.graph_get(self.urls["api"], "me", credentials.access_token, {"fields": "id"})
        return credentials

    def verify_credentials(self, credentials: Credentials, account_id: str) -> Account:
        me = self.graph_get(self._api(credentials), account_id, credentials.access_token,
                            {"fields": "id,username,name,profile_picture_url,followers_count"})
        username = me.get("username") or credentials.extra.get("username") or ""
        return Account(external_id=account_id, handle=username or account_id, name=me.get("name") or username,
                       avatar_url=me.get("profile_picture_url") or "",
                       url=f"https://www.instagram.com/{username}/" if username else "",
                       credentials=credentials)

    # --- publishing ----------------------------------------------------------------------------
    @staticmethod
    def _caption(request: PublishRequest) -> str:
        """Instagram has no link posts: a link is written at the end of the caption (not clickable)."""
        text = request.text or ""
        if request.link and request.link not in text:
            text = f"{text}\n\n{request.link}".strip()
        return text

    def _check_caption(self, caption: str) -> None:
        if len(caption) > self.capabilities.text_limit:
            raise ContentRejected(f"Instagram captions are limited to {self.capabilities.text_limit} characters.")
        if len(HASHTAG.findall(caption)) > MAX_HASHTAGS:
            raise ContentRejected(f"Instagram captions may have at most {MAX_HASHTAGS} hashtags.")
        if len(MENTION.findall(caption)) > MAX_MENTIONS:
            raise ContentRejected(f"Instagram captions may mention at most {MAX_MENTIONS} accounts.")

    def publishing_quota(self, credentials: Credentials, account_id: str) -> tuple[int, int]:
        """(used, total) of the rolling 24 h publishing quota (carousels count once)."""
        body = self.graph_get(self._api(credentials), f"{account_id}/content_publishing_limit",
                              credentials.access_token, {"fields": "quota_usage,config"})
        row = (body.get("data") or [{}])[0]
        total = int((row.get("config") or {}).get("quota_total") or self.capabilities.daily_publish_cap or 0)
        return int(row.get("quota_usage") or 0), total

    def publish(self, credentials: Credentials, account_id: str, request: PublishRequest) -> PublishResult:
        caption = self._caption(request)
        if request.format != "story":
            self._check_caption(caption)
        media = request.media
        if not media:
            raise ContentRejected("Instagram posts need a photo or a video.")
        if request.format in ("story", "reel") and len(media) != 1:
            raise ContentRejected(f"An Instagram {request.format} takes exactly one photo or video.")
        if request.format == "reel" and media[0].kind != "video":
            raise ContentRejected("An Instagram reel needs a video.")
        if len(media) > 10:
            raise ContentRejected("An Instagram carousel takes at most 10 photos and videos.")

        used, total = self.publishing_quota(credentials, account_id)
        if total and used >= total:
            # The quota is a moving 24 h window and the API does not say when the oldest post
            # leaves it: try again in an hour (configurable) rather than guess a reset time.
            raise RateLimited(f"Instagram's publishing limit is used up ({used} of {total} posts in 24 hours).",
                              retry_after=float(self.config.extra.get("quota_retry_after", 3600)))

        api, token = self._api(credentials), credentials.access_token
        if request.format == "story":
            container = self._container(api, token, account_id, {"media_type": "STORIES", **_source(media[0])})
        elif request.format == "reel" or (len(media) == 1 and media[0].kind == "video"):
            # Feed videos are published as reels; media_type VIDEO is retired.
            container = self._container(api, token, account_id, {
                "media_type": "REELS", "video_url": media[0].url, "caption": caption or None, "share_to_feed": True,
            })
        elif len(media) == 1:
            container = self._container(api, token, account_id, {
                "image_url": media[0].url, "caption": caption or None, "alt_text": media[0].alt_text or None,
            })
        else:
            children = []
            for item in media:
                child = {"is_carousel_item": True, **_source(item)}
                if item.kind == "video":
                    child["media_type"] = "VIDEO"
                children.append(self._container(api, token, account_id, child))
            container = self._container(api, token, account_id, {
                "media_type": "CAROUSEL", "children": ",".join(children), "caption": caption or None,
            })

        first_comment = request.first_comment if request.format != "story" else None
        pending_ref = make_pending_ref(container, first_comment)
        return self._advance(credentials, account_id, container, pending_ref, first_comment)

    def _container(self, api: str, token: str, account_id: str, body: dict[str, Any]) -> str:
        created = self.graph_post(api, f"{account_id}/media", token, body, publishing=True)
        if not created.get("id"):
            raise TransientError("Instagram created no media container.")
        return str(created["id"])

    def _advance(self, credentials: Credentials, account_id: str, container: str, pending_ref: str,
                 first_comment: str | None) -> PublishResult:
        api, token = self._api(credentials), credentials.access_token
        state = self.graph_get(api, container, token, {"fields": "status_code,status"})
        code = state.get("status_code")
        if code == "FINISHED":
            return self._publish_container(credentials, account_id, container, first_comment)
        if code == "IN_PROGRESS" or code is None:
            return PublishResult(status="pending", pending_ref=pending_ref, raw=state)
        if code == "PUBLISHED":
            # Published by an earlier attempt whose answer we lost; the container does not name
            # the media, so the caller settles it with find_existing.
            raise UnknownOutcome("Instagram already published this container; look the post up to settle it.")
        if code == "EXPIRED":
            raise ContentRejected("Instagram's media container expired (not published within 24 hours).")
        raise ContentRejected(f"Instagram could not process the media: {state.get('status') or code}.")

    def _publish_container(self, credentials: Credentials, account_id: str, container: str,
                           first_comment: str | None) -> PublishResult:
        api, token = self._api(credentials), credentials.access_token
        body = self.graph_post(api, f"{account_id}/media_publish", token, {"creation_id": container},
                               publishing=True)
        media_id = str(body.get("id") or "")
        if not media_id:
            raise UnknownOutcome("Instagram accepted media_publish but returned no media id.")
        result = PublishResult(status="published", external_id=media_id, raw={**body, "creation_id": container})
        try:  # best effort: the post is out, a failed look-up must not fail the publish
            result.url = self.graph_get(api, media_id, token, {"fields": "permalink"}).get("permalink") or ""
        except ProviderError as exc:
            result.raw["permalink_error"] = exc.message
        if first_comment:
            try:
                comment = self.graph_post(api, f"{media_id}/comments", token, {"message": first_comment})
                result.first_comment_id = str(comment.get("id", ""))
            except ProviderError as exc:  # reported, never raised: the post itself succeeded
                result.raw["first_comment_error"] = exc.message
        return result

    def check_publish(self, credentials: Credentials, account_id: str, pending_ref: str) -> PublishResult:
        container, first_comment = split_pending_ref(pending_ref)
        return self._advance(credentials, account_id, container, pending_ref, first_comment)

    def find_existing(self, credentials: Credentials, account_id: str, request: PublishRequest,
                      since: datetime) -> PublishResult | None:
        caption = self._caption(request).strip()
        if not caption:
            return None  # stories and caption-less posts cannot be told apart
        since_ts = int(since.timestamp()) - 60  # clock skew
        for media in self.graph_pages(self._api(credentials), f"{account_id}/media", credentials.access_token,
                                      {"fields": "id,caption,permalink,timestamp", "since": since_ts, "limit": 50}):
            created = parse_time(media.get("timestamp"))
            if created is not None and created.timestamp() < since_ts:
                break
            if (media.get("caption") or "").strip() == caption:
                return PublishResult(status="published", external_id=str(media["id"]),
                                     url=media.get("permalink") or "", raw=media)
        return None

    def delete_post(self, credentials: Credentials, account_id: str, external_id: str) -> None:
        self.graph_delete(self._api(credentials), external_id, credentials.access_token)

    # --- engagement ----------------------------------------------------------------------------
    def fetch_inbox(self, credentials: Credentials, account_id: str, cursor: str | None = None) -> InboxPage:
        """New comments and replies on the account's recent media, oldest first."""
        api, token = self._api(credentials), credentials.access_token
        own_username = str(credentials.extra.get("username") or "").lower()
        tracker = CursorTracker(cursor)
        items: list[InboxItem] = []
        media_list = self.graph_get(api, f"{account_id}/media", token, {
            "fields": "id,caption,permalink,timestamp,comments_count",
            "limit": int(self.config.extra.get("inbox_posts", 25)),
        }).get("data") or []
        for media in media_list:
            if media.get("comments_count") == 0:
                continue
            for comment in self.graph_pages(api, f"{media['id']}/comments", token,
                                            {"fields": COMMENT_FIELDS, "limit": 50}):
                thread = [(comment, "")] + [(r, str(comment["id"]))
                                            for r in (comment.get("replies") or {}).get("data") or []]
                for node, parent in thread:
                    author = node.get("from") or {}
                    if str(author.get("id", "")) == str(account_id) or (
                            own_username and str(node.get("username", "")).lower() == own_username):
                        continue  # our own replies
                    created = parse_time(node.get("timestamp"))
                    if tracker.is_new(str(node["id"]), created):
                        items.append(_comment_item(node, media, parent))
                    tracker.note(str(node["id"]), created)
        items.sort(key=lambda i: i.created_at or datetime.min.replace(tzinfo=UTC))
        return InboxPage(items=items, cursor=tracker.cursor() or cursor)

    def reply(self, credentials: Credentials, account_id: str, item: InboxItem, text: str) -> str:
        api, token = self._api(credentials), credentials.access_token
        if item.kind == "dm":
            raise ProviderError("Instagram direct messages are not handled by this connector.", permanent=True)
        if item.kind == "mention":
            # A comment that @mentions us on someone else's media: answered through the mentions edge.
            body = self.graph_post(api, f"{account_id}/mentions", token, {
                "media_id": item.post_external_id, "comment_id": item.external_id, "message": text,
            }, publishing=True)
            return str(body.get("id", ""))
        # Instagram threads are one level deep: an answer to a reply goes under its top comment.
        target = item.parent_external_id if item.kind == "reply" and item.parent_external_id else item.external_id
        body = self.graph_post(api, f"{target}/replies", token, {"message": text}, publishing=True)
        return str(body.get("id", ""))

    def hide_comment(self, credentials: Credentials, account_id: str, external_id: str, hidden: bool = True) -> None:
        self.graph_post(self._api(credentials), external_id, credentials.access_token, {"hide": hidden})

    def delete_comment(self, credentials: Credentials, account_id: str, external_id: str) -> None:
        self.graph_delete(self._api(credentials), external_id, credentials.access_token)

    # --- metrics -------------------------------------------------------------------------------
    def fetch_account_metrics(self, credentials: Credentials, account_id: str, since: date,
                              until: date) -> list[DailyAccountMetrics]:
        """Daily reach (time series), then per day views / total_interactions / profile_views as
        ``metric_type=total_value`` (that form sums a range, so one call per day); followers now."""
        api, token = self._api(credentials), credentials.access_token
        max_days = int(self.config.extra.get("max_metric_days", 31))
        if (until - since).days + 1 > max_days:
            since = until - timedelta(days=max_days - 1)
        days = {since + timedelta(days=i): DailyAccountMetrics(day=since + timedelta(days=i))
                for i in range((until - since).days + 1)}
        series = self.graph_get(api, f"{account_id}/insights", token, {
            "metric": "reach", "period": "day", "since": day_start(since), "until": day_start(until + timedelta(days=1)),
        })
        for metric in series.get("data") or []:
            if metric.get("name") != "reach":
                continue
            for value in metric.get("values") or []:
                moment = parse_time(value.get("end_time"))
                day = (moment - timedelta(days=1)).date() if moment else None
                if day in days:
                    days[day].reach = _int(value.get("value"))
        for day, row in days.items():
            totals = self.graph_get(api, f"{account_id}/insights", token, {
                "metric": "views,total_interactions,profile_views", "metric_type": "total_value", "period": "day",
                "since": day_start(day), "until": day_start(day + timedelta(days=1)),
            })
            for metric in totals.get("data") or []:
                value = _int((metric.get("total_value") or {}).get("value"))
                if metric.get("name") == "views":
                    row.impressions = value
                elif metric.get("name") == "total_interactions":
                    row.engagements = value
                elif metric.get("name") == "profile_views":
                    row.profile_views = value
        profile = self.graph_get(api, account_id, token, {"fields": "followers_count"})
        if profile.get("followers_count") is not None:
            days[until].followers = int(profile["followers_count"])
        return [days[d] for d in sorted(days)]

    def fetch_post_metrics(self, credentials: Credentials, account_id: str,
                           external_ids: list[str]) -> list[PostMetrics]:
        """``views`` (which replaced impressions and plays in 2025) is reported as impressions."""
        api, token = self._api(credentials), credentials.access_token
        results = []
        for media_id in external_ids:
            body = self.graph_get(api, f"{media_id}/insights", token, {"metric": MEDIA_INSIGHTS})
            values: dict[str, int | None] = {}
            for metric in body.get("data") or []:
                if metric.get("total_value") is not None:
                    values[metric.get("name")] = _int((metric.get("total_value") or {}).get("value"))
                else:
                    values[metric.get("name")] = _int(((metric.get("values") or [{}])[0]).get("value"))
            results.append(PostMetrics(
                external_id=media_id, impressions=values.get("views"), reach=values.get("reach"),
                likes=values.get("likes"), comments=values.get("comments"), shares=values.get("shares"),
                saves=values.get("saved"),
            ))
        return results

    # --- webhooks ------------------------------------------------------------------------------
    def parse_webhook(self, request: WebhookRequest) -> list[WebhookEvent]:
        """``object: instagram``: ``comments`` (``{id,text,from,media,parent_id?}``) and
        ``mentions`` (``{media_id, comment_id}``); anything else is passed on as "other"."""
        payload = self.webhook_payload(request)
        if not payload or payload.get("object") != "instagram":
            return []
        events: list[WebhookEvent] = []
        for entry in payload.get("entry") or []:
            account = str(entry.get("id", ""))
            for change in entry.get("changes") or []:
                field, value = change.get("field"), change.get("value") or {}
                if field in ("comments", "live_comments"):
                    author = value.get("from") or {}
                    if str(author.get("id", "")) == account:
                        continue  # our own reply echoed back
                    parent = str(value.get("parent_id") or "")
                    media_id = str((value.get("media") or {}).get("id", ""))
                    events.append(WebhookEvent(account_external_id=account, kind="inbox_item", raw=change,
                                               item=InboxItem(
                        external_id=str(value.get("id", "")), kind="reply" if parent else "comment",
                        text=value.get("text") or "", author_id=str(author.get("id", "")),
                        author_handle=author.get("username", ""), author_name=author.get("username", ""),
                        created_at=parse_time(entry.get("time")), post_external_id=media_id,
                        parent_external_id=parent, thread_id=media_id, raw=value,
                    )))
                elif field == "mentions":
                    events.append(WebhookEvent(account_external_id=account, kind="inbox_item", raw=change,
                                               item=InboxItem(
                        external_id=str(value.get("comment_id") or value.get("media_id") or ""), kind="mention",
                        text=value.get("text") or "", author_id="", created_at=parse_time(entry.get("time")),
                        post_external_id=str(value.get("media_id", "")), thread_id=str(value.get("media_id", "")),
                        raw=value,
                    )))
                else:
                    events.append(WebhookEvent(account_external_id=account, kind="other", raw=change))
            for messaging in entry.get("messaging") or []:
                events.append(WebhookEvent(account_external_id=account, kind="other", raw=messaging))
        return events


def _source(item: MediaItem) -> dict[str, Any]:
    return {"video_url": item.url} if item.kind == "video" else {"image_url": item.url}


def _comment_item(node: dict[str, Any], media: dict[str, Any], parent: str) -> InboxItem:
    author = node.get("from") or {}
    username = node.get("username") or author.get("username") or ""
    return InboxItem(
        external_id=str(node["id"]), kind="reply" if parent else "comment", text=node.get("text") or "",
        author_id=str(author.get("id", "")), author_name=username, author_handle=username,
        created_at=parse_time(node.get("timestamp")), post_external_id=str(media["id"]), parent_external_id=parent,
        thread_id=str(media["id"]), permalink=media.get("permalink") or "", is_hidden=bool(node.get("hidden")),
        raw=node,
    )


def _int(value: Any) -> int | None:
    if isinstance(value, dict):
        return int(sum(v for v in value.values() if isinstance(v, int | float)))
    return int(value) if isinstance(value, int | float) else None


def _expiry(expires_in: Any) -> datetime | None:
    try:
        return datetime.now(UTC) + timedelta(seconds=int(expires_in)) if expires_in else None
    except (TypeError, ValueError):
        return None


__all__ = ["InstagramProvider"]
