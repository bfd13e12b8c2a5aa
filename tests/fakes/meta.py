"""A loopback fake of Meta's Graph API serving both Facebook Pages and Instagram (API-NOTES §1, §2, §11).

It follows the documented shapes: versioned paths (``/v23.0/...``), OAuth endpoints of Facebook
Login and of Business Login for Instagram, the error object
``{"error":{"message","type","code","error_subcode","error_user_msg","fbtrace_id"}}`` (190 for bad
tokens, 100 for bad parameters, 506 duplicates, Instagram 2207xxx subcodes), the usage headers
``X-App-Usage`` / ``X-Business-Use-Case-Usage`` and the rupload host for reels. Media is *pulled*
the way Meta does: ``url`` / ``file_url`` / ``image_url`` / ``video_url`` are fetched over HTTP
(from the fake's own ``/media/<name>`` host in tests) and images are checked with Pillow.

State (Pages, Instagram users, posts, photos, videos, containers, media, comments, conversations)
is kept so publish → fetch → reply → hide → delete works end to end. Tokens are accepted the ways
Graph accepts them: ``Authorization: Bearer|OAuth <token>`` or an ``access_token`` parameter.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import itertools
import json
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from PIL import Image

from .base import FakeRequest, FakeServer, route

V = r"(?P<v>v\d+\.\d+)"
IMAGE_MIN_RATIO, IMAGE_MAX_RATIO = 4 / 5, 1.91

PAGE_METRICS = {
    "page_media_view",
    "page_total_media_view_unique",
    "page_post_engagements",
    "page_daily_follows_unique",
    "page_views_total",
}
POST_METRICS = {
    "post_media_view",
    "post_total_media_view_unique",
    "post_reactions_by_type_total",
    "post_clicks",
}
IG_MEDIA_METRICS = {
    "views",
    "reach",
    "likes",
    "comments",
    "shares",
    "saved",
    "total_interactions",
    "profile_visits",
    "follows",
    "ig_reels_avg_watch_time",
    "navigation",
}
IG_USER_SERIES = {"reach", "follower_count"}
IG_USER_TOTALS = {
    "views",
    "reach",
    "accounts_engaged",
    "total_interactions",
    "follows_and_unfollows",
    "profile_views",
    "likes",
    "comments",
    "shares",
    "saves",
    "replies",
}


def graph_time(ts: int) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def top_fields(fields: str | None) -> list[str]:
    """``id,comments.summary(true).limit(0),replies{id,text}`` → ``["id", "comments", "replies"]``."""
    if not fields:
        return []
    names, depth, current = [], 0, ""
    for ch in fields:
        if ch in "{(":
            depth += 1
        elif ch in "})":
            depth -= 1
        if ch == "," and depth == 0:
            names.append(current)
            current = ""
        else:
            current += ch
    names.append(current)
    return [n.split("{")[0].split(".")[0].strip() for n in names if n.strip()]


class MetaGraphFake(FakeServer):
    """One Graph API for both networks. Standing fixtures:

    - user ``10001`` (Alice Admin) who manages Page ``123`` "Alpha Foods" (linked to Instagram
      professional account ``17841400000000001`` @alphafoods) and Page ``456`` "Bravo Page"
      (no Instagram account);
    - Facebook Login code ``fb-code-ok`` and Instagram Login code ``ig-code-ok`` (single use).
    """

    CLIENT_ID = "app-123"
    CLIENT_SECRET = "app-secret-xyz"
    USER_ID = "10001"
    PAGE_ID = "123"
    PAGE_TOKEN = "EAAPage123"
    PAGE2_ID = "456"
    IG_ID = "17841400000000001"
    IG_LOGIN_TOKEN = "IGLongLived1"

    def __init__(self) -> None:
        super().__init__()
        self._ids = itertools.count(1000)
        self._clock = int(time.time()) - 120
        self.fetched: list[str] = []
        self.tokens: dict[str, dict[str, Any]] = {}
        self.codes: dict[str, dict[str, Any]] = {}
        self.users = {
            self.USER_ID: {
                "id": self.USER_ID,
                "name": "Alice Admin",
                "pages": [self.PAGE_ID, self.PAGE2_ID],
                "permissions": [
                    "pages_show_list",
                    "pages_manage_posts",
                    "pages_read_engagement",
                    "pages_manage_engagement",
                    "pages_read_user_content",
                    "pages_messaging",
                    "read_insights",
                    "instagram_basic",
                    "instagram_content_publish",
                    "instagram_manage_comments",
                    "instagram_manage_insights",
                ],
            }
        }
        self.pages = {
            self.PAGE_ID: {
                "id": self.PAGE_ID,
                "name": "Alpha Foods",
                "username": "alphafoods",
                "link": "https://www.facebook.com/alphafoods",
                "followers_count": 5120,
                "ig": self.IG_ID,
                "tasks": ["ANALYZE", "ADVERTISE", "MODERATE", "CREATE_CONTENT", "MANAGE"],
            },
            self.PAGE2_ID: {
                "id": self.PAGE2_ID,
                "name": "Bravo Page",
                "username": None,
                "link": "https://www.facebook.com/456",
                "followers_count": 12,
                "ig": None,
                "tasks": ["CREATE_CONTENT"],
            },
        }
        self.ig_users = {
            self.IG_ID: {
                "id": self.IG_ID,
                "username": "alphafoods",
                "name": "Alpha Foods",
                "followers_count": 9876,
                "page": self.PAGE_ID,
                "quota_usage": 0,
                "profile_picture_url": "https://scontent.example/alpha.jpg",
            }
        }
        #: every Graph object by id: posts, photos, videos, containers, IG media, comments, messages
        self.objects: dict[str, dict[str, Any]] = {}
        self.conversations: dict[str, dict[str, Any]] = {}
        self.media_files: dict[str, tuple[bytes, str]] = {}
        #: status reads a video container / reel needs before it is ready
        self.video_polls_until_ready = 1
        #: the next container ends in this state ("ERROR", "EXPIRED") instead of FINISHED
        self.next_container_outcome: tuple[str, str] | None = None
        self.add_token(self.PAGE_TOKEN, "page", self.PAGE_ID)
        self.add_token("EAAPage456", "page", self.PAGE2_ID)
        self.add_token(self.IG_LOGIN_TOKEN, "ig", self.IG_ID, issued=self._clock - 2 * 86400)
        self.codes["fb-code-ok"] = {"kind": "fb", "user": self.USER_ID, "redirect_uri": None}
        self.codes["ig-code-ok"] = {"kind": "ig", "ig": self.IG_ID, "redirect_uri": None}

    # --- fixtures and controls ---------------------------------------------------------------------
    def add_token(
        self,
        token: str,
        kind: str,
        subject: str,
        *,
        expires_in: int | None = None,
        issued: int | None = None,
    ) -> str:
        self.tokens[token] = {
            "kind": kind,
            "id": subject,
            "expired": False,
            "issued": issued or self._clock,
            "expires_in": expires_in,
        }
        return token

    def expire_token(self, token: str) -> None:
        self.tokens[token]["expired"] = True

    def add_media(self, name: str, data: bytes, content_type: str = "image/jpeg") -> str:
        self.media_files[name] = (data, content_type)
        return f"{self.url}/media/{name}"

    def add_image(self, name: str, width: int = 1080, height: int = 1350, fmt: str = "JPEG") -> str:
        buf = io.BytesIO()
        Image.new("RGB", (width, height), (200, 80, 40)).save(buf, fmt)
        return self.add_media(
            name, buf.getvalue(), "image/jpeg" if fmt == "JPEG" else f"image/{fmt.lower()}"
        )

    def add_video(self, name: str) -> str:
        return self.add_media(name, b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64, "video/mp4")

    def now(self) -> int:
        """A clock that moves one second per created object, so ordering is unambiguous."""
        with self.lock:
            self._clock += 1
            return self._clock

    def new_id(self) -> str:
        return str(next(self._ids))

    def add_visitor_comment(
        self,
        object_id: str,
        message: str,
        *,
        from_id: str = "99",
        from_name: str = "Ana",
        parent: str | None = None,
    ) -> str:
        """A comment by someone else on a Page post (or a reply when ``parent`` is a comment)."""
        target = self.objects[parent or object_id]
        post_id = target.get("post") or object_id
        cid = f"{post_id.split('_')[-1]}_{self.new_id()}"
        ts = self.now()
        self.objects[cid] = {
            "type": "comment",
            "id": cid,
            "post": post_id,
            "parent": parent or post_id,
            "message": message,
            "from": {"id": from_id, "name": from_name},
            "created": ts,
            "is_hidden": False,
            "network": "fb",
        }
        self.objects[post_id]["updated"] = ts
        return cid

    def add_ig_comment(
        self,
        media_id: str,
        text: str,
        *,
        username: str = "bob",
        from_id: str = "55",
        parent: str | None = None,
    ) -> str:
        cid = f"1790{self.new_id()}"
        self.objects[cid] = {
            "type": "ig_comment",
            "id": cid,
            "media": media_id,
            "parent": parent,
            "text": text,
            "from": {"id": from_id, "username": username},
            "created": self.now(),
            "hidden": False,
        }
        return cid

    def add_conversation(self, page_id: str, psid: str, name: str, text: str) -> str:
        conv = self.conversations.get(psid)
        if conv is None:
            conv = self.conversations[psid] = {
                "id": f"t_{self.new_id()}",
                "page": page_id,
                "psid": psid,
                "name": name,
                "messages": [],
                "updated": 0,
            }
        mid = f"m_{self.new_id()}"
        ts = self.now()
        conv["messages"].insert(
            0, {"id": mid, "message": text, "from": {"id": psid, "name": name}, "created": ts}
        )
        conv["updated"] = ts
        return mid

    def posts_of(self, page_id: str) -> list[dict[str, Any]]:
        return sorted(
            (o for o in self.objects.values() if o["type"] == "post" and o["page"] == page_id),
            key=lambda o: o["created"],
            reverse=True,
        )

    def ig_media_of(self, ig_id: str) -> list[dict[str, Any]]:
        return sorted(
            (o for o in self.objects.values() if o["type"] == "ig_media" and o["ig"] == ig_id),
            key=lambda o: o["created"],
            reverse=True,
        )

    # --- documented bodies ---------------------------------------------------------------------------
    @staticmethod
    def error_body(
        message: str,
        code: int,
        subcode: int | None = None,
        *,
        type_: str = "OAuthException",
        user_msg: str | None = None,
        user_title: str | None = None,
        transient: bool = False,
    ) -> dict:
        error: dict[str, Any] = {
            "message": message,
            "type": type_,
            "code": code,
            "fbtrace_id": "A" + hashlib.sha1(message.encode()).hexdigest()[:10],  # noqa: S324
        }
        if subcode:
            error["error_subcode"] = subcode
        if user_msg:
            error["error_user_msg"] = user_msg
            error["error_user_title"] = user_title or "Error"
        error["is_transient"] = transient
        return {"error": error}

    def error(self, status: int, message: str, code: int, subcode: int | None = None, **kw: Any):
        headers = {}
        if code == 190:
            headers["WWW-Authenticate"] = f'OAuth "Facebook Platform" "invalid_token" "{message}"'
        return status, self.error_body(message, code, subcode, **kw), headers

    def throttle_next(
        self,
        path_regex: str,
        *,
        code: int = 80001,
        minutes: int = 7,
        status: int = 400,
        object_id: str = PAGE_ID,
    ) -> None:
        """The next matching call is throttled the way Pages/Instagram BUC limits answer."""
        usage = {
            object_id: [
                {
                    "type": "pages" if code == 80001 else "instagram",
                    "call_count": 100,
                    "total_cputime": 20,
                    "total_time": 30,
                    "estimated_time_to_regain_access": minutes,
                }
            ]
        }
        body = self.error_body(
            f"(#{code}) There have been too many calls to this Page account. Wait a bit and "
            "try again.",
            code,
        )
        self.fail_next(
            path_regex,
            status,
            body,
            {
                "X-Business-Use-Case-Usage": json.dumps(usage),
                "X-App-Usage": json.dumps(
                    {"call_count": 100, "total_time": 40, "total_cputime": 30}
                ),
            },
        )

    def signed_webhook(
        self, payload: dict[str, Any], secret: str | None = None
    ) -> tuple[bytes, dict[str, str]]:
        body = json.dumps(payload).encode()
        digest = hmac.new((secret or self.CLIENT_SECRET).encode(), body, hashlib.sha256).hexdigest()
        return body, {"x-hub-signature-256": f"sha256={digest}", "content-type": "application/json"}

    # --- plumbing --------------------------------------------------------------------------------------
    @staticmethod
    def params(req: FakeRequest) -> dict[str, Any]:
        """Query, form and JSON parameters merged, as Graph reads them all."""
        merged: dict[str, Any] = {k: v[0] for k, v in req.query.items()}
        ctype = req.headers.get("content-type", "")
        if req.body and "json" in ctype:
            body = req.json()
            if isinstance(body, dict):
                merged.update(body)
        elif req.body and "x-www-form-urlencoded" in ctype:
            merged.update(req.form())
        for key in ("attached_media", "recipient", "message"):
            value = merged.get(key)
            if isinstance(value, str) and value[:1] in "[{":
                merged[key] = json.loads(value)
        return merged

    def token_of(self, req: FakeRequest) -> str | None:
        auth = req.headers.get("authorization", "")
        for scheme in ("bearer ", "oauth "):
            if auth.lower().startswith(scheme):
                return auth[len(scheme) :].strip()
        return self.params(req).get("access_token")

    def auth(self, req: FakeRequest):
        """(token info, None) or (None, documented 190 error response)."""
        token = self.token_of(req)
        info = self.tokens.get(token or "")
        if info is None:
            return None, self.error(
                400, "Invalid OAuth access token - Cannot parse access token", 190
            )
        if info["expired"]:
            return None, self.error(
                400,
                "Error validating access token: Session has expired on Friday, "
                "31-May-24 10:00:00 PDT.",
                190,
                463,
            )
        return info, None

    def usage_headers(self, info: dict[str, Any] | None) -> dict[str, str]:
        headers = {
            "X-App-Usage": json.dumps({"call_count": 3, "total_time": 2, "total_cputime": 1})
        }
        if info and info["kind"] in ("page", "ig"):
            headers["X-Business-Use-Case-Usage"] = json.dumps(
                {
                    info["id"]: [
                        {
                            "type": "pages" if info["kind"] == "page" else "instagram",
                            "call_count": 2,
                            "total_cputime": 1,
                            "total_time": 1,
                            "estimated_time_to_regain_access": 0,
                        }
                    ]
                }
            )
        return headers

    def ok(self, info: dict[str, Any] | None, body: Any, status: int = 200):
        return status, body, self.usage_headers(info)

    def acts_for(self, info: dict[str, Any], owner: str) -> bool:
        """A Page token acts for its Page and the Instagram account linked to it; an Instagram
        Login token acts for its Instagram account; a user token for the user."""
        if info["id"] == owner:
            return True
        if info["kind"] == "page":
            return self.pages.get(info["id"], {}).get("ig") == owner
        return False

    def owner(self, obj: dict[str, Any]) -> str:
        if obj["type"] in ("post", "photo", "video", "story"):
            return obj["page"]
        if obj["type"] == "comment":
            return self.objects[obj["post"]]["page"]
        if obj["type"] in ("container", "ig_media"):
            return obj["ig"]
        if obj["type"] == "ig_comment":
            return self.objects[obj["media"]]["ig"]
        return ""

    def pull(self, url: str | None) -> bytes | None:
        """Fetch media the way Meta does; only loopback URLs are fetched (tests stay offline)."""
        if not url:
            return None
        self.fetched.append(url)
        if urlsplit(url).hostname != "127.0.0.1":
            return b""
        try:
            with urllib.request.urlopen(url, timeout=3) as response:  # noqa: S310 - loopback media host only
                return response.read()
        except OSError:
            return None

    def page_of(
        self, items: list[dict[str, Any]], req: FakeRequest, default_limit: int = 25
    ) -> dict[str, Any]:
        """Cursor paging: ``{"data", "paging": {"cursors": {"before","after"}, "next"?}}``."""
        p = self.params(req)
        limit = int(p.get("limit") or default_limit)
        start = int(base64.b64decode(p["after"]).decode()) if p.get("after") else 0
        chunk = items[start : start + limit]
        body: dict[str, Any] = {"data": chunk}
        if items:
            body["paging"] = {
                "cursors": {
                    "before": base64.b64encode(str(start).encode()).decode(),
                    "after": base64.b64encode(str(start + len(chunk)).encode()).decode(),
                }
            }
            if start + limit < len(items):
                after = body["paging"]["cursors"]["after"]
                body["paging"]["next"] = f"{self.url}{req.path}?after={after}&limit={limit}"
        return body

    @staticmethod
    def pick(
        full: dict[str, Any], fields: str | None, default: tuple[str, ...] = ("id",)
    ) -> dict[str, Any]:
        wanted = top_fields(fields) or list(default)
        out = {k: full[k] for k in wanted if k in full and full[k] is not None}
        if "id" in full:
            out["id"] = full["id"]
        return out

    # --- media host ----------------------------------------------------------------------------------
    @route("GET", r"/media/(?P<name>.+)")
    def a_media(self, req: FakeRequest, name: str):
        if name not in self.media_files:
            return 404, b"not found", {"Content-Type": "text/plain"}
        data, ctype = self.media_files[name]
        return 200, data, {"Content-Type": ctype}

    # --- OAuth: Facebook Login -----------------------------------------------------------------------
    @route("GET", rf"/{V}/oauth/access_token")
    def a_oauth_token(self, req: FakeRequest, v: str):
        p = self.params(req)
        if p.get("client_id") != self.CLIENT_ID or p.get("client_secret") != self.CLIENT_SECRET:
            return self.error(400, "Error validating client secret.", 1, type_="OAuthException")
        if p.get("grant_type") == "fb_exchange_token":
            info = self.tokens.get(p.get("fb_exchange_token") or "")
            if not info or info["expired"] or info["kind"] != "user":
                return self.error(
                    400, "Error validating access token: The session is invalid.", 190, 467
                )
            token = self.add_token(
                f"EAALong{self.new_id()}", "user", info["id"], expires_in=5183944
            )
            return self.ok(
                None, {"access_token": token, "token_type": "bearer", "expires_in": 5183944}
            )
        code = self.codes.pop(p.get("code") or "", None)
        if not code or code["kind"] != "fb" or not p.get("redirect_uri"):
            return self.error(400, "This authorization code has been used.", 100, 36009)
        token = self.add_token(f"EAAShort{self.new_id()}", "user", code["user"], expires_in=5400)
        return self.ok(None, {"access_token": token, "token_type": "bearer", "expires_in": 5400})

    # --- OAuth: Business Login for Instagram ------------------------------------------------------------
    @route("POST", r"/oauth/access_token")
    def a_ig_code(self, req: FakeRequest):
        p = self.params(req)
        if p.get("client_id") != self.CLIENT_ID or p.get("client_secret") != self.CLIENT_SECRET:
            return (
                400,
                {
                    "error_type": "OAuthException",
                    "code": 400,
                    "error_message": "Invalid client_secret",
                },
                {},
            )
        code = self.codes.pop(p.get("code") or "", None)
        if (
            not code
            or code["kind"] != "ig"
            or p.get("grant_type") != "authorization_code"
            or not p.get("redirect_uri")
        ):
            return (
                400,
                {
                    "error_type": "OAuthException",
                    "code": 400,
                    "error_message": "This authorization code has been used",
                },
                {},
            )
        token = self.add_token(f"IGShort{self.new_id()}", "ig", code["ig"], expires_in=3600)
        return (
            200,
            {
                "data": [
                    {
                        "access_token": token,
                        "user_id": code["ig"],
                        "permissions": "instagram_business_basic,instagram_business_content_publish,"
                        "instagram_business_manage_comments",
                    }
                ]
            },
            {},
        )

    @route("GET", r"/access_token")
    def a_ig_exchange(self, req: FakeRequest):
        p = self.params(req)
        info = self.tokens.get(p.get("access_token") or "")
        if (
            p.get("grant_type") != "ig_exchange_token"
            or p.get("client_secret") != self.CLIENT_SECRET
        ):
            return self.error(400, "Invalid grant_type or client_secret", 100)
        if not info or info["expired"] or info["kind"] != "ig":
            return self.error(400, "Invalid OAuth access token - Cannot parse access token", 190)
        token = self.add_token(f"IGLong{self.new_id()}", "ig", info["id"], expires_in=5183944)
        return 200, {"access_token": token, "token_type": "bearer", "expires_in": 5183944}, {}

    @route("GET", r"/refresh_access_token")
    def a_ig_refresh(self, req: FakeRequest):
        p = self.params(req)
        info = self.tokens.get(p.get("access_token") or "")
        if p.get("grant_type") != "ig_refresh_token":
            return self.error(400, "Unsupported grant_type", 100)
        if not info or info["expired"] or info["kind"] != "ig":
            return self.error(400, "Error validating access token: Session has expired.", 190, 463)
        if self._clock - info["issued"] < 86400:
            return self.error(
                400, "The access token is too new to be refreshed (must be 24 hours old).", 100
            )
        token = self.add_token(f"IGLong{self.new_id()}", "ig", info["id"], expires_in=5183944)
        return 200, {"access_token": token, "token_type": "bearer", "expires_in": 5183944}, {}

    # --- rupload (reels, video stories) --------------------------------------------------------------
    @route("POST", rf"/video-upload/{V}/(?P<video_id>\d+)")
    def a_rupload(self, req: FakeRequest, v: str, video_id: str):
        auth = req.headers.get("authorization", "")
        video = self.objects.get(video_id)
        info = self.tokens.get(auth[6:].strip()) if auth.lower().startswith("oauth ") else None
        if not info or info["expired"] or not video or not self.acts_for(info, video["page"]):
            return (
                401,
                {
                    "debug_info": {
                        "retriable": False,
                        "type": "AuthorizationException",
                        "message": "Invalid OAuth access token.",
                    }
                },
                {},
            )
        file_url = req.headers.get("file_url")
        if not file_url:
            return (
                400,
                {
                    "debug_info": {
                        "retriable": False,
                        "type": "MissingParameter",
                        "message": "file_url or offset/file_size headers are required",
                    }
                },
                {},
            )
        if self.pull(file_url) is None:
            return (
                400,
                {
                    "debug_info": {
                        "retriable": False,
                        "type": "ProcessingFailedError",
                        "message": "Request processing failed: could not fetch the file_url",
                    }
                },
                {},
            )
        video["uploaded"] = True
        video["file_url"] = file_url
        return 200, {"success": True}, {}

    # --- reads ---------------------------------------------------------------------------------------
    @route("GET", rf"/{V}/(?P<node>[^/]+)")
    def z_get_node(self, req: FakeRequest, v: str, node: str):
        info, err = self.auth(req)
        if err:
            return err
        fields = self.params(req).get("fields")
        if node == "me":
            if info["kind"] == "user":
                user = self.users[info["id"]]
                return self.ok(info, self.pick({"id": user["id"], "name": user["name"]}, fields))
            if info["kind"] == "page":
                node = info["id"]
            else:
                ig = self.ig_users[info["id"]]
                return self.ok(
                    info,
                    self.pick(
                        {
                            "id": f"asid-{ig['id']}",
                            "user_id": ig["id"],
                            "username": ig["username"],
                            "name": ig["name"],
                            "account_type": "BUSINESS",
                            "profile_picture_url": ig["profile_picture_url"],
                        },
                        fields,
                    ),
                )
        if node in self.pages:
            if not self.acts_for(info, node):
                return self.error(
                    400, "(#10) This endpoint requires the 'pages_read_engagement' permission", 10
                )
            page = self.pages[node]
            full = {
                "id": node,
                "name": page["name"],
                "username": page["username"],
                "link": page["link"],
                "followers_count": page["followers_count"],
                "picture": {
                    "data": {"url": f"https://scontent.example/{node}.jpg", "is_silhouette": False}
                },
            }
            return self.ok(info, self.pick(full, fields, ("id", "name")))
        if node in self.ig_users:
            if not self.acts_for(info, node):
                return self.error(
                    400, "(#10) Application does not have permission for this action", 10
                )
            ig = self.ig_users[node]
            full = {
                k: ig[k]
                for k in ("id", "username", "name", "followers_count", "profile_picture_url")
            }
            return self.ok(info, self.pick(full, fields))
        obj = self.objects.get(node)
        if obj is None or not self.acts_for(info, self.owner(obj)):
            return self.error(
                400,
                f"Unsupported get request. Object with ID '{node}' does not exist, cannot be "
                "loaded due to missing permissions, or does not support this operation.",
                100,
                33,
            )
        return self.ok(info, self.pick(self.render(obj, req), fields))

    def render(self, obj: dict[str, Any], req: FakeRequest) -> dict[str, Any]:
        kind = obj["type"]
        if kind == "post":
            comments = [
                c
                for c in self.objects.values()
                if c["type"] == "comment" and c["post"] == obj["id"]
            ]
            return {
                "id": obj["id"],
                "message": obj.get("message"),
                "created_time": graph_time(obj["created"]),
                "updated_time": graph_time(obj.get("updated", obj["created"])),
                "permalink_url": f"https://www.facebook.com/{obj['page']}/posts/{obj['id'].split('_')[1]}",
                "from": {"id": obj["page"], "name": self.pages[obj["page"]]["name"]},
                "shares": {"count": obj.get("shares", 0)} if obj.get("shares") else None,
                "comments": {
                    "data": [],
                    "summary": {
                        "order": "ranked",
                        "total_count": len(comments),
                        "can_comment": True,
                    },
                },
            }
        if kind == "video":
            return {
                "id": obj["id"],
                "description": obj.get("description"),
                "permalink_url": f"/{obj['page']}/videos/{obj['id']}/",
                "status": self.video_status(obj),
            }
        if kind == "photo":
            return {"id": obj["id"], "link": f"https://www.facebook.com/photo/?fbid={obj['id']}"}
        if kind == "container":
            return {"id": obj["id"], **self.container_status(obj)}
        if kind == "ig_media":
            return {
                "id": obj["id"],
                "caption": obj.get("caption"),
                "media_type": obj["media_type"],
                "media_product_type": obj["product"],
                "permalink": obj["permalink"],
                "timestamp": graph_time(obj["created"]),
                "comments_count": self.ig_comment_count(obj["id"]),
                "like_count": 0,
            }
        if kind == "comment":
            return self.render_comment(obj)
        if kind == "ig_comment":
            return self.render_ig_comment(obj)
        return {"id": obj["id"]}

    def render_comment(self, c: dict[str, Any]) -> dict[str, Any]:
        out = {
            "id": c["id"],
            "message": c["message"],
            "from": c["from"],
            "created_time": graph_time(c["created"]),
            "like_count": 0,
            "is_hidden": c["is_hidden"],
            "permalink_url": f"https://www.facebook.com/{c['post']}?comment_id={c['id']}",
        }
        if c["parent"] != c["post"]:
            parent = self.objects[c["parent"]]
            out["parent"] = {
                "id": parent["id"],
                "message": parent["message"],
                "created_time": graph_time(parent["created"]),
                "from": parent["from"],
            }
        return out

    def render_ig_comment(self, c: dict[str, Any], *, with_replies: bool = False) -> dict[str, Any]:
        out = {
            "id": c["id"],
            "text": c["text"],
            "timestamp": graph_time(c["created"]),
            "username": c["from"]["username"],
            "from": c["from"],
            "like_count": 0,
            "hidden": c["hidden"],
        }
        if c.get("parent"):
            out["parent_id"] = c["parent"]
        if with_replies:
            replies = sorted(
                (
                    r
                    for r in self.objects.values()
                    if r["type"] == "ig_comment" and r.get("parent") == c["id"]
                ),
                key=lambda r: r["created"],
            )
            if replies:
                out["replies"] = {"data": [self.render_ig_comment(r) for r in replies]}
        return out

    def ig_comment_count(self, media_id: str) -> int:
        return sum(
            1 for o in self.objects.values() if o["type"] == "ig_comment" and o["media"] == media_id
        )

    def video_status(self, video: dict[str, Any]) -> dict[str, Any]:
        if not video.get("finished"):
            phase = "not_started" if not video.get("uploaded") else "in_progress"
            return {
                "video_status": "upload_complete" if video.get("uploaded") else "processing",
                "uploading_phase": {
                    "status": "complete" if video.get("uploaded") else "in_progress"
                },
                "processing_phase": {"status": phase},
                "publishing_phase": {"status": "not_started"},
            }
        if video.get("polls_left", 0) > 0:
            video["polls_left"] -= 1
            return {
                "video_status": "processing",
                "uploading_phase": {"status": "complete"},
                "processing_phase": {"status": "in_progress"},
                "publishing_phase": {"status": "not_started"},
            }
        if video.get("fail"):
            return {
                "video_status": "error",
                "uploading_phase": {"status": "complete"},
                "processing_phase": {
                    "status": "error",
                    "errors": [{"code": 1363008, "message": video["fail"]}],
                },
                "publishing_phase": {"status": "not_started"},
            }
        if not video.get("post"):
            self.publish_video_post(video)
        return {
            "video_status": "ready",
            "uploading_phase": {"status": "complete"},
            "processing_phase": {"status": "complete"},
            "publishing_phase": {
                "status": "complete",
                "publish_status": "published",
                "publish_time": video["published_at"],
            },
        }

    def publish_video_post(self, video: dict[str, Any]) -> None:
        ts = self.now()
        post_id = f"{video['page']}_{video['id']}"
        self.objects[post_id] = {
            "type": "post",
            "id": post_id,
            "page": video["page"],
            "message": video.get("description"),
            "created": ts,
            "video": video["id"],
        }
        video["post"] = post_id
        video["published_at"] = ts

    def container_status(self, c: dict[str, Any]) -> dict[str, Any]:
        if c["state"] == "IN_PROGRESS":
            if c["media_type"] == "CAROUSEL":
                child_states = [
                    self.container_status(self.objects[ch])["status_code"] for ch in c["children"]
                ]
                if all(s == "FINISHED" for s in child_states):
                    c["state"] = "FINISHED"
                elif any(s == "ERROR" for s in child_states):
                    c["state"], c["status"] = "ERROR", "ERROR: a carousel item failed"
            elif c["polls_left"] > 0:
                c["polls_left"] -= 1
            else:
                c["state"], c["status"] = c.get("outcome") or (
                    "FINISHED",
                    "Finished: Media has been uploaded and it is ready to be published.",
                )
        return {"status_code": c["state"], "status": c.get("status") or c["state"]}

    @route("GET", rf"/{V}/(?P<node>[^/]+)/(?P<edge>[^/]+)")
    def z_get_edge(self, req: FakeRequest, v: str, node: str, edge: str):
        info, err = self.auth(req)
        if err:
            return err
        p = self.params(req)
        if node == "me":
            if info["kind"] != "user":
                return self.error(
                    400,
                    f"(#100) Tried accessing nonexisting field ({edge}) on node type (Page)",
                    100,
                )
            user = self.users[info["id"]]
            if edge == "permissions":
                return self.ok(
                    info,
                    {
                        "data": [
                            {"permission": perm, "status": "granted"}
                            for perm in user["permissions"]
                        ]
                    },
                )
            if edge == "accounts":
                wanted = top_fields(p.get("fields")) or ["id", "name", "access_token"]
                rows = []
                for page_id in user["pages"]:
                    page = self.pages[page_id]
                    token = next(
                        t
                        for t, i in self.tokens.items()
                        if i["kind"] == "page" and i["id"] == page_id
                    )
                    full = {
                        "id": page_id,
                        "name": page["name"],
                        "access_token": token,
                        "username": page["username"],
                        "link": page["link"],
                        "tasks": page["tasks"],
                        "category": "Restaurant",
                        "picture": {"data": {"url": f"https://scontent.example/{page_id}.jpg"}},
                    }
                    if page["ig"]:
                        ig = self.ig_users[page["ig"]]
                        full["instagram_business_account"] = {
                            k: ig[k] for k in ("id", "username", "name", "profile_picture_url")
                        }
                    rows.append({k: full[k] for k in wanted if k in full})
                return self.ok(info, self.page_of(rows, req))
        owner = node
        if node in self.pages or node in self.ig_users:
            if not self.acts_for(info, node):
                return self.error(
                    403,
                    "(#200) The user hasn't authorized the application to perform this action",
                    200,
                )
        else:
            obj = self.objects.get(node)
            if obj is None:
                return self.error(
                    400,
                    f"Unsupported get request. Object with ID '{node}' does not exist.",
                    100,
                    33,
                )
            owner = self.owner(obj)
            if not self.acts_for(info, owner):
                return self.error(403, "(#10) Permission denied", 10)

        handler = getattr(self, f"read_{edge}", None)
        if handler is None:
            return self.error(400, f"(#100) Unknown edge {edge}", 100)
        return handler(req, info, node, p)

    def read_feed(self, req: FakeRequest, info: dict, page_id: str, p: dict):
        since = int(p["since"]) if p.get("since") else None
        posts = [
            self.render(o, req)
            for o in self.posts_of(page_id)
            if since is None or o["created"] >= since
        ]
        posts = [self.pick(o, p.get("fields"), ("id", "message", "created_time")) for o in posts]
        return self.ok(info, self.page_of(posts, req))

    def read_comments(self, req: FakeRequest, info: dict, node: str, p: dict):
        obj = self.objects.get(node)
        if obj and obj["type"] == "ig_media":
            rows = sorted(
                (
                    c
                    for c in self.objects.values()
                    if c["type"] == "ig_comment" and c["media"] == node and not c.get("parent")
                ),
                key=lambda c: c["created"],
                reverse=True,
            )
            data = [
                self.pick(
                    self.render_ig_comment(c, with_replies=True),
                    p.get("fields"),
                    ("id", "text", "timestamp"),
                )
                for c in rows
            ]
            return self.ok(info, self.page_of(data, req))
        stream = p.get("filter") == "stream"
        rows = [
            c
            for c in self.objects.values()
            if c["type"] == "comment" and (c["post"] == node if stream else c["parent"] == node)
        ]
        rows.sort(key=lambda c: c["created"], reverse=p.get("order") == "reverse_chronological")
        data = [
            self.pick(
                self.render_comment(c), p.get("fields"), ("id", "message", "created_time", "from")
            )
            for c in rows
        ]
        return self.ok(info, self.page_of(data, req))

    def read_conversations(self, req: FakeRequest, info: dict, page_id: str, p: dict):
        if p.get("platform") not in ("messenger", "instagram"):
            return self.error(400, "(#100) platform must be one of messenger, instagram", 100)
        rows = sorted(
            (c for c in self.conversations.values() if c["page"] == page_id),
            key=lambda c: c["updated"],
            reverse=True,
        )
        data = [
            {
                "id": c["id"],
                "updated_time": graph_time(c["updated"]),
                "messages": {
                    "data": [
                        {
                            "id": m["id"],
                            "message": m["message"],
                            "from": m["from"],
                            "created_time": graph_time(m["created"]),
                        }
                        for m in c["messages"]
                    ]
                },
            }
            for c in rows
        ]
        return self.ok(info, self.page_of(data, req))

    def read_insights(self, req: FakeRequest, info: dict, node: str, p: dict):
        metrics = [m for m in (p.get("metric") or "").split(",") if m]
        obj = self.objects.get(node)
        if node in self.pages:
            allowed, series = PAGE_METRICS, True
        elif node in self.ig_users:
            allowed = IG_USER_TOTALS if p.get("metric_type") == "total_value" else IG_USER_SERIES
            series = p.get("metric_type") != "total_value"
        elif obj and obj["type"] == "post":
            allowed, series = POST_METRICS, False
        elif obj and obj["type"] == "ig_media":
            allowed, series = IG_MEDIA_METRICS, False
        else:
            return self.error(400, "(#100) Insights are not available for this object", 100)
        bad = [m for m in metrics if m not in allowed]
        if not metrics or bad:
            return self.error(
                400,
                f"(#100) The value must be a valid insights metric: {', '.join(bad) or 'none'}",
                100,
                2108006,
            )
        data = []
        if series:
            if p.get("period") != "day" or not p.get("since") or not p.get("until"):
                return self.error(400, "(#100) period=day with since and until is required", 100)
            start = datetime.fromtimestamp(int(p["since"]), tz=UTC).date()
            end = datetime.fromtimestamp(int(p["until"]), tz=UTC).date()
            for n, metric in enumerate(metrics):
                values = []
                day = start
                while day < end:
                    end_time = datetime(day.year, day.month, day.day, 7, tzinfo=UTC) + timedelta(
                        days=1
                    )
                    values.append(
                        {
                            "value": 100 * (n + 1) + day.day,
                            "end_time": end_time.strftime("%Y-%m-%dT%H:%M:%S+0000"),
                        }
                    )
                    day += timedelta(days=1)
                data.append(
                    {
                        "name": metric,
                        "period": "day",
                        "values": values,
                        "title": metric,
                        "id": f"{node}/insights/{metric}/day",
                    }
                )
        elif node in self.ig_users:
            start = datetime.fromtimestamp(int(p.get("since") or 0), tz=UTC)
            for n, metric in enumerate(metrics):
                data.append(
                    {
                        "name": metric,
                        "period": "day",
                        "title": metric,
                        "total_value": {"value": 10 * (n + 1) + start.day},
                        "id": f"{node}/insights/{metric}/day",
                    }
                )
        else:
            for n, metric in enumerate(metrics):
                value: Any = 10 * (n + 1)
                if metric == "post_reactions_by_type_total":
                    value = {"like": 7, "love": 2, "wow": 1}
                data.append(
                    {
                        "name": metric,
                        "period": "lifetime",
                        "values": [{"value": value}],
                        "title": metric,
                        "id": f"{node}/insights/{metric}/lifetime",
                    }
                )
        return self.ok(info, {"data": data})

    def read_content_publishing_limit(self, req: FakeRequest, info: dict, ig_id: str, p: dict):
        ig = self.ig_users[ig_id]
        return self.ok(
            info,
            {
                "data": [
                    {
                        "quota_usage": ig["quota_usage"],
                        "config": {"quota_total": 100, "quota_duration": 86400},
                    }
                ]
            },
        )

    def read_media(self, req: FakeRequest, info: dict, ig_id: str, p: dict):
        since = int(p["since"]) if p.get("since") else None
        rows = [
            self.pick(self.render(m, req), p.get("fields"), ("id",))
            for m in self.ig_media_of(ig_id)
            if since is None or m["created"] >= since
        ]
        return self.ok(info, self.page_of(rows, req))

    # --- writes --------------------------------------------------------------------------------------
    @route("POST", rf"/{V}/(?P<node>[^/]+)/(?P<edge>[^/]+)")
    def z_post_edge(self, req: FakeRequest, v: str, node: str, edge: str):
        info, err = self.auth(req)
        if err:
            return err
        p = self.params(req)
        if node in self.pages or node in self.ig_users:
            if not self.acts_for(info, node):
                return self.error(
                    403,
                    "(#200) The user hasn't authorized the application to perform this action",
                    200,
                )
        else:
            obj = self.objects.get(node)
            if obj is None:
                return self.error(
                    400,
                    f"Unsupported post request. Object with ID '{node}' does not exist.",
                    100,
                    33,
                )
            if not self.acts_for(info, self.owner(obj)):
                return self.error(403, "(#200) Permissions error", 200)
        handler = getattr(self, f"write_{edge}", None)
        if handler is None:
            return self.error(400, f"(#100) Unknown edge {edge}", 100)
        return handler(req, info, node, p)

    def write_feed(self, req: FakeRequest, info: dict, page_id: str, p: dict):
        message, link = p.get("message"), p.get("link")
        attached = p.get("attached_media") or []
        if not message and not link and not attached:
            return self.error(400, "(#100) Missing message or attachment", 100)
        if message and len(message) > 63206:
            return self.error(
                400, "(#100) Param message must be at most 63206 characters long", 100
            )
        last = next(iter(self.posts_of(page_id)), None)
        if message and last and last.get("message") == message:
            return self.error(
                400,
                "Duplicate status message",
                506,
                1455006,
                type_="FacebookApiException",
                user_title="Duplicate Status Update",
                user_msg="This status update is identical to the last one you posted. Try posting "
                "something different, or delete your previous update.",
            )
        photos = []
        for item in attached:
            photo = self.objects.get(str(item.get("media_fbid")))
            if (
                not photo
                or photo["type"] != "photo"
                or photo["page"] != page_id
                or photo["published"]
            ):
                return self.error(
                    400, "(#100) attached_media must be unpublished photos of this Page", 100
                )
            photos.append(photo["id"])
        post_id = f"{page_id}_{self.new_id()}"
        self.objects[post_id] = {
            "type": "post",
            "id": post_id,
            "page": page_id,
            "message": message,
            "link": link,
            "photos": photos,
            "created": self.now(),
        }
        return self.ok(info, {"id": post_id})

    def write_photos(self, req: FakeRequest, info: dict, page_id: str, p: dict):
        if not p.get("url") and not p.get("source"):
            return self.error(400, "(#324) Requires upload file", 324)
        if self.pull(p.get("url")) is None:
            return self.error(400, "(#324) Missing or invalid image file", 324)
        photo_id = self.new_id()
        published = str(p.get("published", "true")).lower() != "false"
        self.objects[photo_id] = {
            "type": "photo",
            "id": photo_id,
            "page": page_id,
            "url": p.get("url"),
            "published": published,
            "created": self.now(),
        }
        if not published:
            return self.ok(info, {"id": photo_id})
        post_id = f"{page_id}_{self.new_id()}"
        self.objects[post_id] = {
            "type": "post",
            "id": post_id,
            "page": page_id,
            "message": p.get("message"),
            "photos": [photo_id],
            "created": self.now(),
        }
        return self.ok(info, {"id": photo_id, "post_id": post_id})

    def write_videos(self, req: FakeRequest, info: dict, page_id: str, p: dict):
        if not p.get("file_url") and not p.get("source"):
            return self.error(400, "(#100) file_url or source is required", 100)
        if self.pull(p.get("file_url")) is None:
            return self.error(
                400, "(#351) There was a problem with your video file. Please try again.", 351
            )
        video_id = self.new_id()
        video = {
            "type": "video",
            "id": video_id,
            "page": page_id,
            "description": p.get("description"),
            "uploaded": True,
            "finished": True,
            "polls_left": 0,
            "created": self.now(),
        }
        self.objects[video_id] = video
        self.publish_video_post(video)
        return self.ok(info, {"id": video_id})

    def _video_session(self, req: FakeRequest, info: dict, page_id: str, p: dict, edge: str):
        phase = p.get("upload_phase")
        if phase == "start":
            video_id = self.new_id()
            self.objects[video_id] = {
                "type": "video",
                "id": video_id,
                "page": page_id,
                "edge": edge,
                "uploaded": False,
                "finished": False,
                "created": self.now(),
                "polls_left": self.video_polls_until_ready,
            }
            return self.ok(
                info,
                {
                    "video_id": video_id,
                    "upload_url": f"{self.url}/video-upload/{req.path.split('/')[1]}/{video_id}",
                },
            )
        video = self.objects.get(str(p.get("video_id")))
        if phase != "finish" or not video or video.get("edge") != edge or video["page"] != page_id:
            return self.error(
                400, "(#100) upload_phase must be start or finish with a video_id of this Page", 100
            )
        if not video["uploaded"]:
            return self.error(
                400,
                "(#6000) There was a problem uploading your video file. Please try again with "
                "another file.",
                6000,
                1363019,
            )
        video["finished"] = True
        video["description"] = p.get("description")
        return video

    def write_video_reels(self, req: FakeRequest, info: dict, page_id: str, p: dict):
        result = self._video_session(req, info, page_id, p, "video_reels")
        if isinstance(result, tuple):
            return result
        if p.get("video_state") != "PUBLISHED":
            return self.error(400, "(#100) video_state must be PUBLISHED, DRAFT or SCHEDULED", 100)
        return self.ok(info, {"success": True})

    def write_video_stories(self, req: FakeRequest, info: dict, page_id: str, p: dict):
        result = self._video_session(req, info, page_id, p, "video_stories")
        if isinstance(result, tuple):
            return result
        result["polls_left"] = 0
        story = f"{page_id}_{self.new_id()}"
        self.objects[story] = {
            "type": "story",
            "id": story,
            "page": page_id,
            "video": result["id"],
            "created": self.now(),
        }
        return self.ok(info, {"success": True, "video_id": result["id"], "post_id": story})

    def write_photo_stories(self, req: FakeRequest, info: dict, page_id: str, p: dict):
        photo = self.objects.get(str(p.get("photo_id")))
        if not photo or photo["type"] != "photo" or photo["published"] or photo["page"] != page_id:
            return self.error(400, "(#100) photo_id must be an unpublished photo of this Page", 100)
        story = f"{page_id}_{self.new_id()}"
        self.objects[story] = {
            "type": "story",
            "id": story,
            "page": page_id,
            "photo": photo["id"],
            "created": self.now(),
        }
        return self.ok(info, {"success": True, "post_id": story})

    def write_comments(self, req: FakeRequest, info: dict, node: str, p: dict):
        if not p.get("message"):
            return self.error(400, "(#100) message is required", 100)
        obj = self.objects[node]
        if obj["type"] == "ig_media":
            cid = self.add_ig_comment(
                node, p["message"], username=self.ig_users[obj["ig"]]["username"], from_id=obj["ig"]
            )
            return self.ok(info, {"id": cid})
        if obj["type"] == "video" and obj.get("post"):
            node, obj = obj["post"], self.objects[obj["post"]]
        if obj["type"] not in ("post", "comment"):
            return self.error(400, "(#100) Cannot comment on this object", 100)
        page_id = self.owner(obj)
        cid = self.add_visitor_comment(
            node,
            p["message"],
            from_id=page_id,
            from_name=self.pages[page_id]["name"],
            parent=node if obj["type"] == "comment" else None,
        )
        return self.ok(info, {"id": cid})

    def write_replies(self, req: FakeRequest, info: dict, node: str, p: dict):
        parent = self.objects[node]
        if parent["type"] != "ig_comment" or parent.get("parent"):
            return self.error(400, "(#100) Replies can only be made to top-level comments", 100)
        if not p.get("message"):
            return self.error(400, "(#100) message is required", 100)
        media = self.objects[parent["media"]]
        cid = self.add_ig_comment(
            parent["media"],
            p["message"],
            username=self.ig_users[media["ig"]]["username"],
            from_id=media["ig"],
            parent=node,
        )
        return self.ok(info, {"id": cid})

    def write_messages(self, req: FakeRequest, info: dict, page_id: str, p: dict):
        recipient = (p.get("recipient") or {}).get("id")
        text = (p.get("message") or {}).get("text")
        if p.get("messaging_type") not in ("RESPONSE", "UPDATE", "MESSAGE_TAG"):
            return self.error(400, "(#100) messaging_type is required", 100)
        conv = self.conversations.get(str(recipient))
        if not conv or conv["page"] != page_id:
            return self.error(400, "(#100) No matching user found", 100, 2018001)
        mid = f"m_{self.new_id()}"
        conv["messages"].insert(
            0,
            {
                "id": mid,
                "message": text,
                "created": self.now(),
                "from": {"id": page_id, "name": self.pages[page_id]["name"]},
            },
        )
        return self.ok(info, {"recipient_id": recipient, "message_id": mid})

    def write_media(self, req: FakeRequest, info: dict, ig_id: str, p: dict):
        media_type = p.get("media_type") or "IMAGE"
        caption = p.get("caption") or ""
        if len(caption) > 2200:
            return self.error(
                400,
                "The caption is too long.",
                100,
                2207010,
                user_msg="The caption you entered is too long. Captions can have up to 2,200 characters.",
            )
        container = {
            "type": "container",
            "id": self.new_id(),
            "ig": ig_id,
            "media_type": media_type,
            "caption": caption,
            "carousel_item": str(p.get("is_carousel_item", "")).lower() == "true",
            "state": "IN_PROGRESS",
            "polls_left": 0,
            "created": self.now(),
            "alt_text": p.get("alt_text"),
        }
        if media_type == "CAROUSEL":
            children = [c for c in str(p.get("children") or "").split(",") if c]
            if not 2 <= len(children) <= 10 or any(
                self.objects.get(c, {}).get("type") != "container"
                or not self.objects[c]["carousel_item"]
                for c in children
            ):
                return self.error(
                    400,
                    "The carousel is invalid.",
                    100,
                    2207028,
                    user_msg="Carousels need 2 to 10 items created with is_carousel_item.",
                )
            container["children"] = children
        elif media_type in ("REELS", "VIDEO") or (media_type == "STORIES" and p.get("video_url")):
            if media_type == "VIDEO" and not container["carousel_item"]:
                return self.error(
                    400, "The VIDEO media type is no longer supported; use REELS.", 100, 2207023
                )
            if self.pull(p.get("video_url")) is None:
                return self.error(
                    400,
                    "Media download has failed.",
                    9004,
                    2207052,
                    user_msg="The media could not be fetched from this URI.",
                )
            container["video_url"] = p.get("video_url")
            container["polls_left"] = self.video_polls_until_ready
        elif media_type in ("IMAGE", "STORIES"):
            problem = self.check_image(p.get("image_url"), story=media_type == "STORIES")
            if problem:
                return problem
            container["image_url"] = p.get("image_url")
        else:
            return self.error(
                400, "Only photo or video can be accepted as media type.", 100, 2207023
            )
        if self.next_container_outcome:
            container["outcome"], self.next_container_outcome = self.next_container_outcome, None
        self.objects[container["id"]] = container
        return self.ok(info, {"id": container["id"]})

    def check_image(self, url: str | None, *, story: bool):
        data = self.pull(url)
        if data is None:
            return self.error(
                400,
                "Media download has failed.",
                9004,
                2207052,
                user_msg=f"The media could not be fetched from this URI: {url}",
            )
        if not data:
            return None  # a non-loopback URL: recorded, not fetched
        try:
            image = Image.open(io.BytesIO(data))
        except OSError:
            return self.error(
                400,
                "The image format is not supported.",
                36001,
                2207005,
                user_msg="Only JPEG images can be published.",
            )
        if image.format != "JPEG":
            return self.error(
                400,
                "The image format is not supported.",
                36001,
                2207005,
                user_msg="Only JPEG images can be published.",
            )
        ratio = image.width / image.height
        if not story and not IMAGE_MIN_RATIO <= ratio <= IMAGE_MAX_RATIO:
            return self.error(
                400,
                "The aspect ratio is not supported.",
                36003,
                2207009,
                user_title="Cannot create post",
                user_msg=f"The submitted image with aspect ratio ('{ratio:.2f}:1') cannot be "
                "published. Please submit an image with a valid aspect ratio.",
            )
        return None

    def write_media_publish(self, req: FakeRequest, info: dict, ig_id: str, p: dict):
        ig = self.ig_users[ig_id]
        if ig["quota_usage"] >= 100:
            return self.error(
                400,
                "Application request limit reached",
                9,
                2207042,
                user_msg="You have reached the maximum number of posts allowed in 24 hours.",
            )
        container = self.objects.get(str(p.get("creation_id")))
        if not container or container["type"] != "container" or container["ig"] != ig_id:
            return self.error(400, "Media ID is not available", 9007, 2207006)
        if container["state"] == "PUBLISHED":
            return self.error(400, "The media has already been published.", 9007, 2207008)
        if container["state"] != "FINISHED":
            return self.error(
                400,
                "Media ID is not available",
                9007,
                2207027,
                user_msg="The media is not ready for publishing, please wait for a moment.",
            )
        media_id = f"1790{self.new_id()}"
        product = {"REELS": "REELS", "STORIES": "STORY"}.get(container["media_type"], "FEED")
        self.objects[media_id] = {
            "type": "ig_media",
            "id": media_id,
            "ig": ig_id,
            "caption": container["caption"],
            "media_type": {"CAROUSEL": "CAROUSEL_ALBUM", "REELS": "VIDEO"}.get(
                container["media_type"], "IMAGE"
            ),
            "product": product,
            "created": self.now(),
            "container": container["id"],
            "permalink": f"https://www.instagram.com/p/FAKE{media_id[-6:]}/",
        }
        container["state"] = "PUBLISHED"
        ig["quota_usage"] += 1
        return self.ok(info, {"id": media_id})

    def write_likes(self, req: FakeRequest, info: dict, node: str, p: dict):
        """``POST /{object-id}/likes``: the Page (its token) likes a Page post or a comment on
        one; Instagram has no likes through the API."""
        obj = self.objects.get(node)
        if obj is None or obj["type"] not in ("comment", "post", "photo", "video"):
            return self.error(400, "(#100) This object does not support likes", 100)
        obj.setdefault("liked_by", set()).add(info["id"])
        return self.ok(info, {"success": True})

    @route("DELETE", rf"/{V}/(?P<node>[^/]+)/likes")
    def delete_like(self, req: FakeRequest, v: str, node: str):
        info, err = self.auth(req)
        if err:
            return err
        obj = self.objects.get(node)
        if obj is None or obj["type"] not in ("comment", "post", "photo", "video"):
            return self.error(400, "(#100) This object does not support likes", 100)
        if not self.acts_for(info, self.owner(obj)):
            return self.error(403, "(#200) Permissions error", 200)
        obj.setdefault("liked_by", set()).discard(info["id"])
        return self.ok(info, {"success": True})

    def write_mentions(self, req: FakeRequest, info: dict, ig_id: str, p: dict):
        if not p.get("comment_id") or not p.get("media_id") or not p.get("message"):
            return self.error(400, "(#100) media_id, comment_id and message are required", 100)
        return self.ok(info, {"id": f"1790{self.new_id()}"})

    @route("POST", rf"/{V}/(?P<node>[^/]+)")
    def z_post_node(self, req: FakeRequest, v: str, node: str):
        info, err = self.auth(req)
        if err:
            return err
        obj = self.objects.get(node)
        if obj is None:
            return self.error(
                400, f"Unsupported post request. Object with ID '{node}' does not exist.", 100, 33
            )
        if not self.acts_for(info, self.owner(obj)):
            return self.error(403, "(#200) Permissions error", 200)
        p = self.params(req)
        if obj["type"] == "comment" and "is_hidden" in p:
            obj["is_hidden"] = str(p["is_hidden"]).lower() == "true"
            return self.ok(info, {"success": True})
        if obj["type"] == "ig_comment" and "hide" in p:
            obj["hidden"] = str(p["hide"]).lower() == "true"
            return self.ok(info, {"success": True})
        return self.error(400, "(#100) Nothing to update on this object", 100)

    @route("DELETE", rf"/{V}/(?P<node>[^/]+)")
    def z_delete(self, req: FakeRequest, v: str, node: str):
        info, err = self.auth(req)
        if err:
            return err
        obj = self.objects.get(node)
        if obj is None:
            return self.error(
                400,
                f"(#100) Unsupported delete request. Object with ID '{node}' does not exist.",
                100,
                33,
            )
        if not self.acts_for(info, self.owner(obj)):
            return self.error(403, "(#200) Permissions error", 200)
        del self.objects[node]
        for other in [
            o for o in self.objects.values() if o.get("parent") == node or o.get("post") == node
        ]:
            self.objects.pop(other["id"], None)
        return self.ok(info, {"success": True})
