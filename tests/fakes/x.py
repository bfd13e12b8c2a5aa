"""A loopback fake of the X API v2 (API-NOTES.md §3, §11; docs.x.com), built on FakeServer.

What it models, as documented:
- OAuth 2.0 with PKCE: ``GET /i/oauth2/authorize`` (redirects with ``code`` and ``state``) and
  ``POST /2/oauth2/token`` (form, HTTP Basic for confidential clients, S256 verifier check,
  rotating refresh tokens, ``{"error", "error_description"}`` bodies).
- Bearer tokens on every ``/2/`` call; a wrong or expired one gets 401 problem JSON.
- Posts (``/2/tweets``): 201 with ``{"data": {"id", "text", "edit_history_tweet_ids"}}``,
  weighted length limit, duplicate-content 403, replies and conversation ids, t.co rewriting
  and ``&amp;`` escaping of stored text, a trailing t.co media link on posts with media,
  ``/hidden``, delete, lookup by ids with public / non-public metrics.
- Media: simple upload (multipart ``media`` + ``media_category``), the chunked
  ``initialize`` / ``{id}/append`` / ``{id}/finalize`` endpoints AND the older
  ``command=INIT|APPEND|FINALIZE`` form on ``/2/media/upload``, ``command=STATUS`` polling,
  ``/2/media/metadata`` alt text.
- Timelines: users/:id/tweets, users/:id/mentions (``since_id``, ``pagination_token``,
  ``expansions=author_id``), recent search (``conversation_id:`` OR terms, ``-from:``,
  ``next_token``), DM events and DM sends.
- Only the fields asked for in ``tweet.fields`` / ``user.fields`` / ``dm_event.fields`` come back.
- ``x-rate-limit-limit|remaining|reset`` headers on every API answer.
"""

from __future__ import annotations

import base64
import email.parser
import email.policy
import hashlib
import html
import itertools
import re
import secrets
import socket
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode

from .base import FakeRequest, FakeServer, route

TWITTER_EPOCH_MS = 1288834974657
UNAUTHORIZED = {
    "title": "Unauthorized",
    "type": "about:blank",
    "status": 401,
    "detail": "Unauthorized",
}
TOO_MANY = {
    "title": "Too Many Requests",
    "detail": "Too Many Requests",
    "type": "about:blank",
    "status": 429,
}
DUPLICATE = "You are not allowed to create a Tweet with duplicate content."
TOO_LONG = (
    "Your Tweet text is too long. For more information on how X determines text length see "
    "https://github.com/twitter/twitter-text."
)
URL_RE = re.compile(r"https?://[^\s]+")
TWEET_DEFAULT_FIELDS = ("id", "text", "edit_history_tweet_ids")
USER_DEFAULT_FIELDS = ("id", "name", "username")


def problem(
    status: int, title: str, detail: str, type_: str = "about:blank", **more: Any
) -> dict[str, Any]:
    return {"title": title, "type": type_, "status": status, "detail": detail, **more}


def invalid_request(message: str, **parameters: Any) -> tuple[int, dict[str, Any]]:
    return 400, {
        "errors": [{"parameters": parameters, "message": message}],
        "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid.",
        "type": "https://api.twitter.com/2/problems/invalid-request",
    }


def naive_weight(text: str) -> int:
    """The fake's own, deliberately simpler counting: URLs 23, code points above U+10FF count 2."""
    text = URL_RE.sub("x" * 23, text)
    return sum(1 if ord(c) <= 0x10FF else 2 for c in text)


def iso(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def parse_multipart(headers: dict[str, str], body: bytes) -> dict[str, bytes]:
    ctype = headers.get("content-type", "")
    if not ctype.startswith("multipart/form-data"):
        return {}
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + body
    )
    fields: dict[str, bytes] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if name:
            fields[str(name)] = part.get_payload(decode=True) or b""
    return fields


class FakeX(FakeServer):
    client_id = "fake-x-client-id"
    client_secret = "fake-x-client-secret"
    consumer_secret = "fake-x-consumer-secret"
    # FakeServer.__init__ scans dir(self) with getattr, which evaluates ``url`` before the server
    # exists; a class-level None plus the guarded property below keep that scan harmless.
    _httpd = None

    @property
    def url(self) -> str:
        return FakeServer.url.fget(self) if self._httpd is not None else ""  # type: ignore[attr-defined]

    @staticmethod
    def _send(h: Any, status: int, payload: Any, headers: dict[str, str]) -> None:
        # headers and body leave in separate writes; without TCP_NODELAY each answer waits ~40 ms
        # for a delayed ACK (Nagle), which makes a multi-call test crawl
        h.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        FakeServer._send(h, status, payload, headers)

    def __init__(self) -> None:
        super().__init__()
        self._id_lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Forget everything (one server can serve a whole test module; teardown costs ~0.5 s)."""
        with self.lock:
            self.requests.clear()
            self.failures.clear()
        self._ids = itertools.count(1)
        self._last_snowflake = 0
        self.users: dict[str, dict[str, Any]] = {}
        self.tokens: dict[str, dict[str, Any]] = {}
        self.refresh_tokens: dict[str, dict[str, Any]] = {}
        self.codes: dict[str, dict[str, Any]] = {}
        self.tweets: dict[str, dict[str, Any]] = {}
        self.media: dict[str, dict[str, Any]] = {}
        self.dm_events: list[dict[str, Any]] = []
        #: how many STATUS polls a video stays "in_progress" before "succeeded"
        self.processing_polls = 2
        #: make video processing end in "failed" with this message
        self.processing_error: str | None = None
        self.rate_remaining: dict[str, int] = {}
        #: (status, body) answered to the next reply-creating POST /2/tweets (e.g. a 503 on a self-reply)
        self.reply_failure: tuple[int, dict[str, Any]] | None = None
        self.me_id = self.add_user("socialops_hq", "SocialOps HQ", followers=1234)

    # --- seeding (what the audience does) --------------------------------------------------------
    def snowflake(self, at: datetime | None = None) -> str:
        with self._id_lock:
            ms = int((at.timestamp() if at else time.time()) * 1000)
            value = ((ms - TWITTER_EPOCH_MS) << 22) | (next(self._ids) & 0xFFF)
            if at is None:
                value = max(value, self._last_snowflake + 1)
                self._last_snowflake = value
            return str(value)

    def add_user(self, username: str, name: str, *, followers: int = 0) -> str:
        user_id = str(1_000_000 + len(self.users) + 1)
        self.users[user_id] = {
            "id": user_id,
            "username": username,
            "name": name,
            "profile_image_url": f"https://pbs.twimg.com/profile_images/{user_id}/normal.jpg",
            "verified": False,
            "public_metrics": {
                "followers_count": followers,
                "following_count": 10,
                "tweet_count": 0,
                "listed_count": 0,
                "like_count": 0,
            },
        }
        return user_id

    def issue_token(
        self,
        user_id: str | None = None,
        *,
        expires_in: int = 7200,
        scopes: str = "tweet.read tweet.write users.read offline.access media.write",
    ) -> tuple[str, str]:
        user_id = user_id or self.me_id
        access = "at-" + secrets.token_urlsafe(16)
        refresh = "rt-" + secrets.token_urlsafe(16)
        self.tokens[access] = {
            "user_id": user_id,
            "expires_at": time.time() + expires_in,
            "scope": scopes,
        }
        self.refresh_tokens[refresh] = {"user_id": user_id, "scope": scopes}
        return access, refresh

    def expire_token(self, access: str) -> None:
        self.tokens[access]["expires_at"] = time.time() - 1

    def post_as(
        self,
        user_id: str,
        text: str,
        *,
        reply_to: str | None = None,
        created_at: datetime | None = None,
        media_keys: list[str] | None = None,
    ) -> str:
        return self._store_tweet(
            user_id, text, reply_to=reply_to, created_at=created_at, media_keys=media_keys
        )

    def send_dm(self, sender_id: str, recipient_id: str, text: str) -> str:
        pair = sorted([sender_id, recipient_id], key=int)
        event = {
            "id": self.snowflake(),
            "event_type": "MessageCreate",
            "text": text,
            "sender_id": sender_id,
            "dm_conversation_id": "-".join(pair),
            "created_at": iso(datetime.now(UTC)),
            "participant_ids": pair,
        }
        self.dm_events.append(event)
        return event["id"]

    def set_metrics(
        self,
        tweet_id: str,
        *,
        public: dict[str, int] | None = None,
        non_public: dict[str, int] | None = None,
    ) -> None:
        self.tweets[tweet_id]["public_metrics"].update(public or {})
        self.tweets[tweet_id]["non_public_metrics"].update(non_public or {})

    def tweets_by(self, user_id: str) -> list[dict[str, Any]]:
        return [t for t in self.tweets.values() if t["author_id"] == user_id]

    # --- internals ---------------------------------------------------------------------------
    def _rl(self, path: str, limit: int = 900) -> dict[str, str]:
        with self.lock:
            remaining = self.rate_remaining.get(path, limit) - 1
            self.rate_remaining[path] = remaining
        return {
            "x-rate-limit-limit": str(limit),
            "x-rate-limit-remaining": str(max(0, remaining)),
            "x-rate-limit-reset": str(int(time.time()) + 900),
        }

    def _user(self, req: FakeRequest) -> str | None:
        token = self.tokens.get(req.bearer or "")
        if not token or token["expires_at"] < time.time():
            return None
        return token["user_id"]

    def _stored_text(self, text: str, with_media: bool) -> str:
        shown = URL_RE.sub(
            lambda m: "https://t.co/" + hashlib.sha256(m.group(0).encode()).hexdigest()[:10], text
        )
        shown = html.escape(shown, quote=False)
        if with_media:
            shown = f"{shown} https://t.co/{secrets.token_hex(5)}".strip()
        return shown

    def _store_tweet(
        self,
        author_id: str,
        text: str,
        *,
        reply_to: str | None = None,
        created_at: datetime | None = None,
        media_keys: list[str] | None = None,
    ) -> str:
        tweet_id = self.snowflake(created_at)
        parent = self.tweets.get(reply_to) if reply_to else None
        mentioned = {
            u["id"] for u in self.users.values() if f"@{u['username'].lower()}" in text.lower()
        }
        if parent:
            mentioned.add(parent["author_id"])
        tweet = {
            "id": tweet_id,
            "text": self._stored_text(text, bool(media_keys)),
            "original_text": text,
            "edit_history_tweet_ids": [tweet_id],
            "author_id": author_id,
            "created_at": iso(created_at or datetime.now(UTC)),
            "conversation_id": parent["conversation_id"] if parent else tweet_id,
            "mentioned": mentioned - {author_id},
            "public_metrics": {
                "retweet_count": 0,
                "reply_count": 0,
                "like_count": 0,
                "quote_count": 0,
                "bookmark_count": 0,
                "impression_count": 0,
            },
            "non_public_metrics": {
                "impression_count": 0,
                "url_link_clicks": 0,
                "user_profile_clicks": 0,
            },
            "hidden": False,
        }
        if parent:
            tweet["in_reply_to_user_id"] = parent["author_id"]
            tweet["referenced_tweets"] = [{"type": "replied_to", "id": parent["id"]}]
            parent["public_metrics"]["reply_count"] += 1
        if media_keys:
            tweet["attachments"] = {"media_keys": list(media_keys)}
        self.tweets[tweet_id] = tweet
        self.users[author_id]["public_metrics"]["tweet_count"] += 1
        return tweet_id

    @staticmethod
    def _fields(req: FakeRequest, name: str) -> set[str]:
        return {f for f in (req.q(name) or "").split(",") if f}

    def _render_tweet(self, tweet: dict[str, Any], fields: set[str]) -> dict[str, Any]:
        out = {k: tweet[k] for k in TWEET_DEFAULT_FIELDS}
        for name in fields - {"non_public_metrics"}:
            if name in tweet and name not in ("original_text", "mentioned", "hidden"):
                out[name] = tweet[name]
        return out

    def _render_user(self, user: dict[str, Any], fields: set[str]) -> dict[str, Any]:
        out = {k: user[k] for k in USER_DEFAULT_FIELDS}
        for name in fields:
            if name in user:
                out[name] = user[name]
        return out

    def _includes_users(self, req: FakeRequest, user_ids: list[str]) -> dict[str, Any]:
        fields = self._fields(req, "user.fields")
        seen: list[str] = []
        for uid in user_ids:
            if uid not in seen and uid in self.users:
                seen.append(uid)
        return {"users": [self._render_user(self.users[u], fields) for u in seen]}

    def _timeline(
        self,
        req: FakeRequest,
        tweets: list[dict[str, Any]],
        *,
        token_param: str,
        min_results: int,
        max_results_cap: int = 100,
    ) -> tuple[int, Any, dict[str, str]]:
        headers = self._rl(req.path)
        try:
            max_results = int(req.q("max_results", "10") or 10)
        except ValueError:
            max_results = -1
        if not min_results <= max_results <= max_results_cap:
            status, body = invalid_request(
                f"The `max_results` query parameter value [{req.q('max_results')}] is not between "
                f"{min_results} and {max_results_cap}",
                max_results=[req.q("max_results")],
            )
            return status, body, headers
        since_id = req.q("since_id")
        start_time = req.q("start_time")
        if since_id:
            tweets = [t for t in tweets if int(t["id"]) > int(since_id)]
        if start_time:
            start = datetime.fromisoformat(start_time)
            tweets = [t for t in tweets if datetime.fromisoformat(t["created_at"]) >= start]
        tweets = sorted(tweets, key=lambda t: int(t["id"]), reverse=True)
        offset = int(req.q(token_param) or 0)
        page = tweets[offset : offset + max_results]
        fields = self._fields(req, "tweet.fields")
        body: dict[str, Any] = {"meta": {"result_count": len(page)}}
        if page:
            body["data"] = [self._render_tweet(t, fields) for t in page]
            body["meta"].update(newest_id=page[0]["id"], oldest_id=page[-1]["id"])
            if "author_id" in (req.q("expansions") or ""):
                body["includes"] = self._includes_users(req, [t["author_id"] for t in page])
        if offset + max_results < len(tweets):
            body["meta"]["next_token"] = str(offset + max_results)
        return 200, body, headers

    # --- OAuth ---------------------------------------------------------------------------------
    @route("GET", r"/i/oauth2/authorize")
    def authorize(self, req: FakeRequest):
        q = {k: v[0] for k, v in req.query.items()}
        if q.get("response_type") != "code" or q.get("client_id") != self.client_id:
            return 400, "Something went wrong: unknown client or response type."
        if q.get("code_challenge_method") != "S256" or not q.get("code_challenge"):
            return 400, "Something went wrong: PKCE code_challenge with S256 is required."
        if (
            not q.get("redirect_uri")
            or not q.get("state")
            or "users.read" not in q.get("scope", "").split()
        ):
            return 400, "Something went wrong: redirect_uri, state and scope are required."
        code = "code-" + secrets.token_urlsafe(12)
        self.codes[code] = {
            "challenge": q["code_challenge"],
            "redirect_uri": q["redirect_uri"],
            "user_id": self.me_id,
            "scope": q["scope"],
        }
        location = f"{q['redirect_uri']}?{urlencode({'state': q['state'], 'code': code})}"
        return 302, b"", {"Location": location}

    @route("POST", r"/2/oauth2/token")
    def token(self, req: FakeRequest):
        expected = (
            "Basic " + base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        )
        if req.headers.get("authorization") != expected:
            return 401, {
                "error": "unauthorized_client",
                "error_description": "Missing valid authorization header",
            }
        if not req.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            return 400, {
                "error": "invalid_request",
                "error_description": "Content-Type must be form-encoded",
            }
        form = req.form()
        invalid = (
            400,
            {
                "error": "invalid_request",
                "error_description": "Value passed for the token was invalid.",
            },
        )
        if form.get("grant_type") == "authorization_code":
            grant = self.codes.pop(form.get("code", ""), None)
            if grant is None or grant["redirect_uri"] != form.get("redirect_uri"):
                return invalid
            verifier = form.get("code_verifier", "")
            challenge = (
                base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
                .rstrip(b"=")
                .decode()
            )
            if challenge != grant["challenge"]:
                return invalid
            user_id, scope = grant["user_id"], grant["scope"]
        elif form.get("grant_type") == "refresh_token":
            grant = self.refresh_tokens.pop(
                form.get("refresh_token", ""), None
            )  # rotation: single use
            if grant is None:
                return invalid
            user_id, scope = grant["user_id"], grant["scope"]
        else:
            return 400, {
                "error": "unsupported_grant_type",
                "error_description": "grant_type is not supported",
            }
        access, refresh = self.issue_token(user_id, scopes=scope)
        body = {"token_type": "bearer", "expires_in": 7200, "access_token": access, "scope": scope}
        if "offline.access" in scope.split():
            body["refresh_token"] = refresh
        else:
            self.refresh_tokens.pop(refresh, None)
        return 200, body

    # --- users ---------------------------------------------------------------------------------
    @route("GET", r"/2/users/me")
    def users_me(self, req: FakeRequest):
        user_id = self._user(req)
        if user_id is None:
            return 401, UNAUTHORIZED
        return (
            200,
            {"data": self._render_user(self.users[user_id], self._fields(req, "user.fields"))},
            self._rl(req.path, 75),
        )

    @route("GET", r"/2/users/(?P<uid>\d+)/tweets")
    def user_tweets(self, req: FakeRequest, uid: str):
        if self._user(req) is None:
            return 401, UNAUTHORIZED
        exclude = set((req.q("exclude") or "").split(","))
        tweets = self.tweets_by(uid)
        if "replies" in exclude:
            tweets = [t for t in tweets if "in_reply_to_user_id" not in t]
        return self._timeline(req, tweets, token_param="pagination_token", min_results=5)

    @route("GET", r"/2/users/(?P<uid>\d+)/mentions")
    def mentions(self, req: FakeRequest, uid: str):
        if self._user(req) is None:
            return 401, UNAUTHORIZED
        tweets = [t for t in self.tweets.values() if uid in t["mentioned"]]
        return self._timeline(req, tweets, token_param="pagination_token", min_results=5)

    # --- tweets --------------------------------------------------------------------------------
    @route("POST", r"/2/tweets")
    def create_tweet(self, req: FakeRequest):
        user_id = self._user(req)
        if user_id is None:
            return 401, UNAUTHORIZED
        headers = self._rl(req.path, 100)
        try:
            body = req.json()
        except ValueError:
            return (*invalid_request("Request body is not valid JSON."), headers)
        text = body.get("text", "")
        media_ids = (body.get("media") or {}).get("media_ids") or []
        if not text and not media_ids:
            return (
                *invalid_request("You must specify either text or media.", text=[text]),
                headers,
            )
        if naive_weight(text) > 280:
            return (*invalid_request(TOO_LONG, text=[text]), headers)
        if len(media_ids) > 4:
            return (*invalid_request("Your media IDs are invalid.", media=["media_ids"]), headers)
        media_keys = []
        for media_id in media_ids:
            media = self.media.get(str(media_id))
            if media is None or media["owner"] != user_id or media["state"] != "succeeded":
                return (
                    *invalid_request("Your media IDs are invalid.", media_ids=[str(media_id)]),
                    headers,
                )
            media_keys.append(media["media_key"])
        reply_to = (body.get("reply") or {}).get("in_reply_to_tweet_id")
        if reply_to and self.reply_failure:
            status, failure = self.reply_failure
            self.reply_failure = None
            return status, failure, headers
        if reply_to and reply_to not in self.tweets:
            return (
                403,
                problem(
                    403,
                    "Forbidden",
                    "You attempted to reply to a Tweet that is deleted or not visible to you.",
                ),
                headers,
            )
        if not reply_to and any(
            t["original_text"] == text
            for t in self.tweets_by(user_id)
            if "in_reply_to_user_id" not in t
        ):
            return 403, problem(403, "Forbidden", DUPLICATE), headers
        tweet_id = self._store_tweet(user_id, text, reply_to=reply_to, media_keys=media_keys)
        tweet = self.tweets[tweet_id]
        return (
            201,
            {"data": {"id": tweet_id, "text": tweet["text"], "edit_history_tweet_ids": [tweet_id]}},
            headers,
        )

    @route("DELETE", r"/2/tweets/(?P<tid>\d+)")
    def delete_tweet(self, req: FakeRequest, tid: str):
        user_id = self._user(req)
        if user_id is None:
            return 401, UNAUTHORIZED
        headers = self._rl(req.path, 50)
        tweet = self.tweets.get(tid)
        if tweet is None:
            return (
                404,
                problem(
                    404,
                    "Not Found Error",
                    f"Could not find tweet with id: [{tid}].",
                    "https://api.twitter.com/2/problems/resource-not-found",
                ),
                headers,
            )
        if tweet["author_id"] != user_id:
            return (
                403,
                problem(
                    403, "Forbidden", "You are not allowed to delete a Tweet that is not yours."
                ),
                headers,
            )
        del self.tweets[tid]
        return 200, {"data": {"deleted": True}}, headers

    @route("POST", r"/2/users/(?P<uid>\d+)/likes")
    def like(self, req: FakeRequest, uid: str):
        """``POST /2/users/:id/likes {"tweet_id"}`` → ``{"data":{"liked":true}}`` (only as the
        token's own user)."""
        user_id = self._user(req)
        if user_id is None:
            return 401, UNAUTHORIZED
        if uid != user_id:
            return 403, problem(
                403, "Forbidden", "You are not permitted to like on behalf of this user."
            )
        tweet_id = str((req.json() or {}).get("tweet_id") or "")
        if tweet_id not in self.tweets:
            return 404, problem(
                404,
                "Not Found Error",
                f"Could not find tweet with tweet_id: [{tweet_id}].",
                "https://api.twitter.com/2/problems/resource-not-found",
            )
        self.tweets[tweet_id].setdefault("liked_by", set()).add(user_id)
        return 200, {"data": {"liked": True}}, self._rl(req.path, 50)

    @route("DELETE", r"/2/users/(?P<uid>\d+)/likes/(?P<tid>\d+)")
    def unlike(self, req: FakeRequest, uid: str, tid: str):
        user_id = self._user(req)
        if user_id is None:
            return 401, UNAUTHORIZED
        if uid != user_id:
            return 403, problem(
                403, "Forbidden", "You are not permitted to unlike on behalf of this user."
            )
        if tid in self.tweets:
            self.tweets[tid].setdefault("liked_by", set()).discard(user_id)
        return 200, {"data": {"liked": False}}, self._rl(req.path, 50)

    @route("PUT", r"/2/tweets/(?P<tid>\d+)/hidden")
    def hide(self, req: FakeRequest, tid: str):
        user_id = self._user(req)
        if user_id is None:
            return 401, UNAUTHORIZED
        tweet = self.tweets.get(tid)
        hidden = (req.json() or {}).get("hidden")
        if tweet is None:
            return 404, problem(
                404,
                "Not Found Error",
                f"Could not find tweet with id: [{tid}].",
                "https://api.twitter.com/2/problems/resource-not-found",
            )
        root = self.tweets.get(tweet["conversation_id"])
        if (
            root is None
            or root["author_id"] != user_id
            or tweet["author_id"] == user_id
            or tid == root["id"]
        ):
            return 403, problem(
                403, "Forbidden", "You can only hide replies to conversations you started."
            )
        if not isinstance(hidden, bool):
            return invalid_request("The `hidden` field must be a boolean.", hidden=[str(hidden)])
        tweet["hidden"] = hidden
        return 200, {"data": {"hidden": hidden}}, self._rl(req.path, 50)

    @route("GET", r"/2/tweets")
    def lookup(self, req: FakeRequest):
        user_id = self._user(req)
        if user_id is None:
            return 401, UNAUTHORIZED
        fields = self._fields(req, "tweet.fields")
        ids = [i for i in (req.q("ids") or "").split(",") if i]
        if not 1 <= len(ids) <= 100:
            return invalid_request(
                "The `ids` query parameter needs 1 to 100 ids.", ids=[req.q("ids")]
            )
        data, errors, keys = [], [], []
        cutoff = datetime.now(UTC) - timedelta(days=30)
        for tid in ids:
            tweet = self.tweets.get(tid)
            if tweet is None:
                errors.append(
                    {
                        "value": tid,
                        "detail": f"Could not find tweet with ids: [{tid}].",
                        "title": "Not Found Error",
                        "resource_type": "tweet",
                        "parameter": "ids",
                        "resource_id": tid,
                        "type": "https://api.twitter.com/2/problems/resource-not-found",
                    }
                )
                continue
            if "non_public_metrics" in fields and (
                tweet["author_id"] != user_id
                or datetime.fromisoformat(tweet["created_at"]) < cutoff
            ):
                errors.append(
                    {
                        "value": tid,
                        "detail": "Sorry, you are not authorized to access "
                        "'non_public_metrics' on the Tweet with id " + tid,
                        "title": "Field Authorization Error",
                        "resource_type": "tweet",
                        "field": "non_public_metrics",
                        "parameter": "non_public_metrics",
                        "resource_id": tid,
                        "type": "https://api.twitter.com/2/problems/not-authorized-for-field",
                    }
                )
                continue
            out = self._render_tweet(tweet, fields)
            if "non_public_metrics" in fields:
                out["non_public_metrics"] = tweet["non_public_metrics"]
            keys += (tweet.get("attachments") or {}).get("media_keys", [])
            data.append(out)
        body: dict[str, Any] = {}
        if data:
            body["data"] = data
        if errors:
            body["errors"] = errors
        if keys and "attachments.media_keys" in (req.q("expansions") or ""):
            media_fields = self._fields(req, "media.fields")
            by_key = {m["media_key"]: m for m in self.media.values()}
            body["includes"] = {
                "media": [
                    {
                        "media_key": k,
                        "type": by_key[k]["type"],
                        **(
                            {"public_metrics": {"view_count": by_key[k]["view_count"]}}
                            if "public_metrics" in media_fields and by_key[k]["type"] == "video"
                            else {}
                        ),
                    }
                    for k in keys
                    if k in by_key
                ]
            }
        return 200, body, self._rl(req.path, 900)

    @route("GET", r"/2/tweets/search/recent")
    def search_recent(self, req: FakeRequest):
        if self._user(req) is None:
            return 401, UNAUTHORIZED
        query = req.q("query") or ""
        if len(query) > 512:
            return invalid_request(
                "There were errors processing your request: query is too long.", query=[query]
            )
        if req.q("pagination_token"):
            return invalid_request(
                "The query parameter [pagination_token] is not one of [query,start_time,"
                "end_time,since_id,until_id,max_results,next_token,expansions,tweet.fields,"
                "media.fields,poll.fields,place.fields,user.fields,sort_order]"
            )
        conversations = set(re.findall(r"conversation_id:(\d+)", query))
        excluded = set(re.findall(r"-from:(\w+)", query))
        week_ago = datetime.now(UTC) - timedelta(days=7)
        tweets = [
            t
            for t in self.tweets.values()
            if t["conversation_id"] in conversations
            and t["author_id"] not in excluded
            and self.users[t["author_id"]]["username"] not in excluded
            and datetime.fromisoformat(t["created_at"]) >= week_ago
        ]
        since_id = req.q("since_id")
        if since_id:
            since_ms = (int(since_id) >> 22) + TWITTER_EPOCH_MS
            if since_ms / 1000 < week_ago.timestamp():
                return invalid_request(
                    f"Invalid 'since_id':'{since_id}'. 'since_id' must be a tweet id created "
                    "after the start of the last 7 days.",
                    since_id=[since_id],
                )
        return self._timeline(req, tweets, token_param="next_token", min_results=10)

    # --- media ---------------------------------------------------------------------------------
    def _new_media(self, owner: str, media_type: str, total: int, category: str) -> dict[str, Any]:
        media_id = self.snowflake()
        kind = (
            "video"
            if category == "tweet_video"
            else ("animated_gif" if category == "tweet_gif" else "photo")
        )
        prefix = {"video": "7", "animated_gif": "16", "photo": "3"}[kind]
        media = {
            "id": media_id,
            "media_key": f"{prefix}_{media_id}",
            "owner": owner,
            "media_type": media_type,
            "total_bytes": total,
            "category": category,
            "segments": {},
            "state": "uploading",
            "type": kind,
            "polls_left": self.processing_polls,
            "view_count": 0,
            "alt_text": "",
        }
        self.media[media_id] = media
        return media

    def _init(self, owner: str, fields: dict[str, Any]):
        try:
            total = int(fields.get("total_bytes") or 0)
        except ValueError:
            total = 0
        media_type = str(fields.get("media_type") or "")
        category = str(fields.get("media_category") or "")
        if total <= 0 or not media_type:
            return invalid_request(
                "total_bytes and media_type are required.", total_bytes=[str(total)]
            )
        if category not in ("tweet_video", "tweet_gif", "tweet_image"):
            return invalid_request(
                f"Unsupported media_category: {category}", media_category=[category]
            )
        if category == "tweet_video" and total > 512 * 1024 * 1024:
            return invalid_request("File size exceeds 536870912 bytes.", total_bytes=[str(total)])
        media = self._new_media(owner, media_type, total, category)
        return 200, {
            "data": {
                "id": media["id"],
                "media_key": media["media_key"],
                "expires_after_secs": 86400,
            }
        }

    def _append(self, owner: str, media_id: str, segment: Any, chunk: bytes | None):
        media = self.media.get(media_id)
        if media is None or media["owner"] != owner or media["state"] != "uploading":
            return invalid_request("Invalid media_id.", media_id=[media_id])
        if chunk is None or segment is None or not str(segment).isdigit():
            return invalid_request(
                "media and segment_index are required.", segment_index=[str(segment)]
            )
        if len(chunk) > 5 * 1024 * 1024:
            return invalid_request("Segment exceeds 5 MB.", media=["media"])
        media["segments"][int(segment)] = chunk
        return 200, {"data": {"expires_at": int(time.time()) + 86400}}

    def _finalize(self, owner: str, media_id: str):
        media = self.media.get(media_id)
        if media is None or media["owner"] != owner:
            return invalid_request("Invalid media_id.", media_id=[media_id])
        indexes = sorted(media["segments"])
        size = sum(len(media["segments"][i]) for i in indexes)
        if indexes != list(range(len(indexes))) or size != media["total_bytes"]:
            return invalid_request(
                f"File size mismatch: received {size} of {media['total_bytes']} bytes.",
                media_id=[media_id],
            )
        data: dict[str, Any] = {
            "id": media_id,
            "media_key": media["media_key"],
            "size": size,
            "expires_after_secs": 86400,
        }
        if media["category"] in ("tweet_video", "tweet_gif"):
            media["state"] = "pending"
            data["processing_info"] = {"state": "pending", "check_after_secs": 1}
        else:
            media["state"] = "succeeded"
        return 200, {"data": data}

    def _status(self, owner: str, media_id: str):
        media = self.media.get(media_id)
        if media is None or media["owner"] != owner:
            return invalid_request("Invalid media_id.", media_id=[media_id])
        data: dict[str, Any] = {"id": media_id, "media_key": media["media_key"]}
        if media["state"] in ("pending", "in_progress"):
            if media["polls_left"] > 0:
                media["polls_left"] -= 1
                media["state"] = "in_progress"
            elif self.processing_error:
                media["state"] = "failed"
            else:
                media["state"] = "succeeded"
        if media["state"] == "failed":
            data["processing_info"] = {
                "state": "failed",
                "progress_percent": 40,
                "error": {"code": 1, "name": "InvalidMedia", "message": self.processing_error},
            }
        elif media["state"] == "in_progress":
            data["processing_info"] = {
                "state": "in_progress",
                "check_after_secs": 1,
                "progress_percent": 50,
            }
        else:
            data["processing_info"] = {"state": "succeeded", "progress_percent": 100}
        return 200, {"data": data}

    @route("POST", r"/2/media/upload")
    def media_upload(self, req: FakeRequest):
        owner = self._user(req)
        if owner is None:
            return 401, UNAUTHORIZED
        parts = parse_multipart(req.headers, req.body)
        form = {k: v.decode(errors="replace") for k, v in parts.items() if k != "media"}
        if not parts and req.body and "json" not in req.headers.get("content-type", ""):
            form = req.form()
        form.update({k: v[0] for k, v in req.query.items()})
        command = form.get("command")
        # the older command form (INIT / APPEND / FINALIZE) on the same path
        if command == "INIT":
            return self._init(owner, form)
        if command == "APPEND":
            return self._append(
                owner, form.get("media_id", ""), form.get("segment_index"), parts.get("media")
            )
        if command == "FINALIZE":
            return self._finalize(owner, form.get("media_id", ""))
        if command:
            return invalid_request(f"Unknown command {command}.", command=[command])
        # simple (one request) upload
        blob = parts.get("media")
        category = form.get("media_category", "tweet_image")
        if blob is None:
            return invalid_request("The media field is required.", media=["media"])
        if category == "tweet_image" and len(blob) > 5 * 1024 * 1024:
            return invalid_request("File size exceeds 5242880 bytes.", media=["media"])
        media = self._new_media(owner, form.get("media_type", "image/jpeg"), len(blob), category)
        media["segments"][0] = blob
        media["state"] = "succeeded"
        return 200, {
            "data": {
                "id": media["id"],
                "media_key": media["media_key"],
                "size": len(blob),
                "expires_after_secs": 86400,
                "image": {"image_type": media["media_type"]},
            }
        }

    @route("GET", r"/2/media/upload")
    def media_status(self, req: FakeRequest):
        owner = self._user(req)
        if owner is None:
            return 401, UNAUTHORIZED
        if req.q("command") != "STATUS":
            return invalid_request("command must be STATUS.", command=[req.q("command")])
        return self._status(owner, req.q("media_id") or "")

    @route("POST", r"/2/media/upload/initialize")
    def media_initialize(self, req: FakeRequest):
        owner = self._user(req)
        if owner is None:
            return 401, UNAUTHORIZED
        return self._init(owner, req.json() or {})

    @route("POST", r"/2/media/upload/(?P<mid>\d+)/append")
    def media_append(self, req: FakeRequest, mid: str):
        owner = self._user(req)
        if owner is None:
            return 401, UNAUTHORIZED
        parts = parse_multipart(req.headers, req.body)
        if parts:
            segment = parts.get("segment_index", b"").decode() or None
            return self._append(owner, mid, segment, parts.get("media"))
        body = req.json() or {}  # JSON form: base64 media
        chunk = base64.b64decode(body["media"]) if body.get("media") else None
        return self._append(owner, mid, body.get("segment_index"), chunk)

    @route("POST", r"/2/media/upload/(?P<mid>\d+)/finalize")
    def media_finalize(self, req: FakeRequest, mid: str):
        owner = self._user(req)
        if owner is None:
            return 401, UNAUTHORIZED
        return self._finalize(owner, mid)

    @route("POST", r"/2/media/metadata")
    def media_metadata(self, req: FakeRequest):
        owner = self._user(req)
        if owner is None:
            return 401, UNAUTHORIZED
        body = req.json() or {}
        media = self.media.get(str(body.get("id")))
        alt = ((body.get("metadata") or {}).get("alt_text") or {}).get("text")
        if media is None or media["owner"] != owner or not isinstance(alt, str) or len(alt) > 1000:
            return invalid_request("Invalid media id or alt_text.", id=[str(body.get("id"))])
        media["alt_text"] = alt
        return 200, {
            "data": {"id": media["id"], "associated_metadata": {"alt_text": {"text": alt}}}
        }

    # --- direct messages -----------------------------------------------------------------------
    @route("GET", r"/2/dm_events")
    def dm_events_list(self, req: FakeRequest):
        user_id = self._user(req)
        if user_id is None:
            return 401, UNAUTHORIZED
        types = set(
            (req.q("event_types") or "MessageCreate,ParticipantsJoin,ParticipantsLeave").split(",")
        )
        try:
            max_results = int(req.q("max_results", "100") or 100)
        except ValueError:
            max_results = 0
        if not 1 <= max_results <= 100:
            return invalid_request(
                "max_results must be between 1 and 100.", max_results=[req.q("max_results")]
            )
        events = [
            e
            for e in self.dm_events
            if user_id in e["participant_ids"] and e["event_type"] in types
        ]
        events.sort(key=lambda e: int(e["id"]), reverse=True)
        offset = int(req.q("pagination_token") or 0)
        page = events[offset : offset + max_results]
        fields = self._fields(req, "dm_event.fields") | {"id", "event_type", "text"}
        body: dict[str, Any] = {"meta": {"result_count": len(page)}}
        if page:
            body["data"] = [{k: v for k, v in e.items() if k in fields} for e in page]
            if "sender_id" in (req.q("expansions") or ""):
                body["includes"] = self._includes_users(req, [e["sender_id"] for e in page])
        if offset + max_results < len(events):
            body["meta"]["next_token"] = str(offset + max_results)
        return 200, body, self._rl(req.path, 300)

    def _send_dm(self, req: FakeRequest, user_id: str, conversation: str):
        text = (req.json() or {}).get("text")
        if not text:
            return invalid_request("text is required.", text=[""])
        participants = conversation.split("-")
        if user_id not in participants:
            return 403, problem(403, "Forbidden", "You are not a participant in this conversation.")
        other = next(p for p in participants if p != user_id)
        event_id = self.send_dm(user_id, other, text)
        return 201, {"data": {"dm_conversation_id": conversation, "dm_event_id": event_id}}

    @route("POST", r"/2/dm_conversations/(?P<cid>\d+-\d+)/messages")
    def dm_send_conversation(self, req: FakeRequest, cid: str):
        user_id = self._user(req)
        if user_id is None:
            return 401, UNAUTHORIZED
        return self._send_dm(req, user_id, cid)

    @route("POST", r"/2/dm_conversations/with/(?P<pid>\d+)/messages")
    def dm_send_participant(self, req: FakeRequest, pid: str):
        user_id = self._user(req)
        if user_id is None:
            return 401, UNAUTHORIZED
        return self._send_dm(req, user_id, "-".join(sorted([user_id, pid], key=int)))


def query_of(req: FakeRequest) -> dict[str, str]:
    """A recorded request's query as a flat dict (tests assert on it)."""
    return {k: v[0] for k, v in req.query.items()}


def form_of(req: FakeRequest) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(req.body.decode()).items()}
