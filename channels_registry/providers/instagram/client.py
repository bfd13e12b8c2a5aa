"""Instagram: HTTP plumbing, error mapping and the pieces every other module of the package shares."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from django.utils.translation import gettext_lazy

from ..base import (
    Capabilities,
    Credentials,
    InboxItem,
    MediaItem,
    MediaSpec,
)
from ..errors import ProviderError
from ..meta import (
    MetaGraphProvider,
    parse_time,
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
COMMENT_FIELDS = (
    "id,text,timestamp,username,from,like_count,hidden,"
    "replies{id,text,timestamp,username,from,like_count,hidden}"
)
MEDIA_INSIGHTS = "views,reach,likes,comments,shares,saved,total_interactions"
#: documented caption limits besides length
MAX_HASHTAGS = 30
MAX_MENTIONS = 20
HASHTAG = re.compile(r"(?<!\w)#\w+")
MENTION = re.compile(r"(?<![\w@])@[\w.]+")


class InstagramClient(MetaGraphProvider):
    """What the Instagram provider's modules share: its capabilities, URLs and HTTP calls."""

    key = "instagram"
    name = "Instagram"
    network_label = "Instagram"
    capabilities = Capabilities(
        roles_page="https://business.facebook.com/settings/people",
        text_limit=2200,
        text_counting="chars",
        # the feed shows the first 125 characters of a caption, then "… more"
        feed_cut_chars=125,
        # JPEG only, ≤ 8 MB, 4:5 … 1.91:1, 320–1440 px wide (content publishing guide).
        image=MediaSpec(
            max_bytes=8 * MB,
            min_width=320,
            max_width=1440,
            min_aspect=4 / 5,
            max_aspect=1.91,
            mime_types=("image/jpeg",),
        ),
        # Reels: MP4/MOV, 3 s – 15 min, ≤ 300 MB (docs disagree: 300 MB vs 1 GB), 0.01:1 … 10:1 (9:16 best).
        video=MediaSpec(
            max_bytes=300 * MB,
            min_seconds=3,
            max_seconds=15 * 60,
            min_aspect=0.01,
            max_aspect=10,
            mime_types=("video/mp4", "video/quicktime"),
        ),
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
        mark="IG",
        webhook_headers=("x-hub-signature-256",),
        # engagement by weekday (Sprout Social and Hootsuite studies, 2024; see Capabilities.best_hours)
        best_hours=(
            (0, (11, 19)),
            (1, (11, 13, 19)),
            (2, (11, 13, 19)),
            (3, (11, 13)),
            (4, (10, 13)),
            (5, (10,)),
            (6, (19,)),
        ),
        media_required_message=gettext_lazy(
            "%(variant)s: an Instagram post needs an image or a video."
        ),
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
            raise ProviderError(
                f"Unknown Instagram login {login!r}; use 'facebook' or 'instagram'.", permanent=True
            )
        return login

    def _login_of(self, credentials: Credentials) -> str:
        return str(credentials.extra.get("login") or self.login)

    def _api(self, credentials: Credentials) -> str:
        return (
            self.urls["ig_api"] if self._login_of(credentials) == "instagram" else self.urls["api"]
        )

    def _scopes(self) -> tuple[str, ...]:
        if self.config.extra.get("scopes"):
            return tuple(self.config.extra["scopes"])
        return INSTAGRAM_LOGIN_SCOPES if self.login == "instagram" else FACEBOOK_LOGIN_SCOPES


def _source(item: MediaItem) -> dict[str, Any]:
    return {"video_url": item.url} if item.kind == "video" else {"image_url": item.url}


def _comment_item(node: dict[str, Any], media: dict[str, Any], parent: str) -> InboxItem:
    author = node.get("from") or {}
    username = node.get("username") or author.get("username") or ""
    return InboxItem(
        external_id=str(node["id"]),
        kind="reply" if parent else "comment",
        text=node.get("text") or "",
        author_id=str(author.get("id", "")),
        author_name=username,
        author_handle=username,
        created_at=parse_time(node.get("timestamp")),
        post_external_id=str(media["id"]),
        parent_external_id=parent,
        thread_id=str(media["id"]),
        permalink=media.get("permalink") or "",
        is_hidden=bool(node.get("hidden")),
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
