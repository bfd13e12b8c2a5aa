"""A Mastodon instance on 127.0.0.1, following docs.joinmastodon.org (API-NOTES §7).

It keeps apps, authorization codes, tokens (with scopes), accounts, statuses, media attachments,
notifications and direct conversations in memory, so connect → publish → fetch → reply works.
Shapes follow the documented entities; errors are ``{"error": "..."}`` with the documented
status codes (401 bad token, 403 scope, 404, 422 ``Validation failed: …``), OAuth errors carry
``error`` + ``error_description``, and every API answer has ``X-RateLimit-*`` headers with the
reset as an ISO 8601 time.

Test helpers: ``issue_token``, ``add_account``, ``mention_owner`` (someone mentions, replies to or
DMs the owner), ``post_as``, ``add_notification``, ``serve_media``, ``throttle_next``.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
import secrets
import socket
from datetime import UTC, datetime, timedelta
from email import policy
from email.parser import BytesParser
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from .base import FakeRequest, FakeServer, route

INVALID_TOKEN = {"error": "The access token is invalid"}
REVOKED_TOKEN = {"error": "The access token was revoked"}
OUT_OF_SCOPE = {"error": "This action is outside the authorized scopes"}
NOT_FOUND = {"error": "Record not found"}

IMAGE_TYPES = (
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/webp",
    "image/heic",
    "image/heif",
    "image/avif",
)
VIDEO_TYPES = ("video/mp4", "video/webm", "video/quicktime", "video/ogg")
URL_RE = re.compile(r"https?://[^\s<]+[^\s<.,:;\"')\]!?]")
MENTION_RE = re.compile(r"(?<![\w@])@([A-Za-z0-9_]+)(?:@([A-Za-z0-9.\-]+[A-Za-z0-9]))?")
HASHTAG_RE = re.compile(r"(?<![\w#&])#(\w+)")
SCOPE_RE = re.compile(
    r"^(read|write|follow|push|profile)(:[a-z_]+)?$|^admin:(read|write)(:[a-z_]+)?$"
)


def iso(moment: datetime) -> str:
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


def countable_length(text: str, per_url: int = 23) -> int:
    """Mastodon's count: URLs as 23, "@user@domain" as "@user" (code points stand in for graphemes)."""
    text = URL_RE.sub("x" * per_url, text)
    text = MENTION_RE.sub(lambda m: f"@{m.group(1)}", text)
    return len(text)


class MastodonFake(FakeServer):
    def __init__(self, *, domain: str = "brand.example") -> None:
        super().__init__()
        self.domain = domain
        self.apps: dict[str, dict[str, Any]] = {}
        self.codes: dict[str, dict[str, Any]] = {}
        self.tokens: dict[str, dict[str, Any]] = {}
        self.accounts: dict[str, dict[str, Any]] = {}
        self.statuses: dict[str, dict[str, Any]] = {}
        self.media: dict[str, dict[str, Any]] = {}
        self.notifications: list[dict[str, Any]] = []
        self.conversations: dict[str, dict[str, Any]] = {}
        self.idempotency: dict[tuple[str, str], str] = {}
        self.media_sources: dict[str, tuple[bytes, str]] = {}
        # Instance configuration (GET /api/v2/instance)
        self.max_characters = 500
        self.max_media_attachments = 4
        self.image_size_limit = 16 * 1024 * 1024
        self.video_size_limit = 99 * 1024 * 1024
        #: how many GET /api/v1/media/:id polls answer 206 before the file is processed, per kind;
        #: kinds with a count > 0 are answered 202 with "url": null on upload
        self.processing_polls = {"image": 0, "video": 2, "gifv": 2, "audio": 2}
        self.has_v2_instance = True  # False: an older server (404 → fall back to v1)
        self.has_status_batch = True  # False: a server before 4.3 (no GET /api/v1/statuses?id[]=)
        self.rate_remaining = 300
        self._next_id = 110_000_000_000_000_000
        self.owner = self.add_account("brand", "Brand Team", followers=1234)
        self.owner_id = self.owner["id"]

    def _dispatch(self, h) -> None:
        # Headers and body go out in two writes; without TCP_NODELAY each answer waits ~40 ms.
        h.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super()._dispatch(h)

    # --- helpers for tests -------------------------------------------------------------------

    def new_id(self) -> str:
        with self.lock:
            self._next_id += 1
            return str(self._next_id)

    def add_account(
        self, acct: str, display_name: str = "", *, followers: int = 0
    ) -> dict[str, Any]:
        username, _, domain = acct.partition("@")
        host = domain or self.domain
        account = {
            "id": self.new_id(),
            "username": username,
            "acct": acct,
            "display_name": display_name or username,
            "locked": False,
            "bot": False,
            "discoverable": True,
            "group": False,
            "created_at": iso(datetime.now(UTC) - timedelta(days=400)),
            "note": "",
            "url": f"https://{host}/@{username}",
            "uri": f"https://{host}/users/{username}",
            "avatar": f"https://files.{host}/avatars/{username}.png",
            "avatar_static": f"https://files.{host}/avatars/{username}.png",
            "header": "",
            "header_static": "",
            "followers_count": followers,
            "following_count": 10,
            "statuses_count": 0,
            "last_status_at": None,
            "emojis": [],
            "fields": [],
        }
        self.accounts[account["id"]] = account
        return account

    def issue_token(self, account_id: str | None = None, scopes: str = "read write") -> str:
        token = secrets.token_urlsafe(32)
        self.tokens[token] = {
            "account_id": account_id or self.owner_id,
            "scopes": scopes.split(),
            "revoked": False,
        }
        return token

    def revoke(self, token: str) -> None:
        self.tokens[token]["revoked"] = True

    def post_as(
        self,
        account: dict[str, Any],
        text: str,
        *,
        in_reply_to_id: str | None = None,
        visibility: str = "public",
        created_at: datetime | None = None,
        media_ids: list[str] | None = None,
    ) -> dict[str, Any]:
        with self.lock:
            parent = self.statuses.get(in_reply_to_id) if in_reply_to_id else None
            status = {
                "id": self.new_id(),
                "account_id": account["id"],
                "text": text,
                "visibility": visibility,
                "created_at": created_at or datetime.now(UTC),
                "in_reply_to_id": in_reply_to_id,
                "in_reply_to_account_id": parent["account_id"] if parent else None,
                "media_ids": list(media_ids or []),
                "favourites_count": 0,
                "reblogs_count": 0,
                "replies_count": 0,
                "mentions": self._mentioned_accounts(text),
            }
            self.statuses[status["id"]] = status
            if parent:
                parent["replies_count"] += 1
            for media_id in status["media_ids"]:
                self.media[media_id]["status_id"] = status["id"]
            account["statuses_count"] += 1
            account["last_status_at"] = status["created_at"].date().isoformat()
            if visibility == "direct":
                self._touch_conversation(status)
            return status

    def mention_owner(
        self,
        author: dict[str, Any],
        text: str,
        *,
        in_reply_to_id: str | None = None,
        visibility: str = "public",
    ) -> dict[str, Any]:
        """``author`` mentions the owner (a reply to the owner's post, a mention or a DM) → notification."""
        status = self.post_as(
            author,
            f"@{self.owner['acct']} {text}",
            in_reply_to_id=in_reply_to_id,
            visibility=visibility,
        )
        self.add_notification("mention", author, status)
        return status

    def add_notification(
        self, kind: str, account: dict[str, Any], status: dict[str, Any] | None
    ) -> dict[str, Any]:
        notification = {
            "id": self.new_id(),
            "type": kind,
            "created_at": datetime.now(UTC),
            "account_id": account["id"],
            "status_id": status["id"] if status else None,
        }
        with self.lock:
            self.notifications.append(notification)
        return notification

    def serve_media(self, name: str, data: bytes, content_type: str = "image/jpeg") -> str:
        """A stand-in for our signed media URL (the connector pulls it before uploading)."""
        self.media_sources[name] = (data, content_type)
        return f"{self.url}/_media/{name}"

    def throttle_next(self, path_regex: str, *, seconds: int = 120) -> datetime:
        """The next matching request gets the documented 429 with an ISO 8601 X-RateLimit-Reset."""
        reset = datetime.now(UTC) + timedelta(seconds=seconds)
        self.fail_next(
            path_regex,
            429,
            {"error": "Too many requests"},
            {
                "X-RateLimit-Limit": "300",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": iso(reset),
            },
        )
        return reset

    def statuses_by(self, account_id: str) -> list[dict[str, Any]]:
        return [s for s in self.statuses.values() if s["account_id"] == account_id]

    # --- rendering ---------------------------------------------------------------------------

    def _mentioned_accounts(self, text: str) -> list[str]:
        found = []
        for match in MENTION_RE.finditer(text):
            acct = match.group(0)[1:]
            for account in self.accounts.values():
                if account["acct"].lower() == acct.lower() or (
                    not match.group(2) and account["acct"].lower() == match.group(1).lower()
                ):
                    found.append(account["id"])
        return list(dict.fromkeys(found))

    def _linkify(self, escaped: str) -> str:
        def link(m: re.Match) -> str:
            url = html.unescape(m.group(0))
            scheme, _, rest = url.partition("://")
            shown, hidden = (rest[:30], rest[30:]) if len(rest) > 30 else (rest, "")
            cls = "ellipsis" if hidden else ""
            return (
                f'<a href="{html.escape(url)}" target="_blank" rel="nofollow noopener" translate="no">'
                f'<span class="invisible">{scheme}://</span><span class="{cls}">{html.escape(shown)}</span>'
                f'<span class="invisible">{html.escape(hidden)}</span></a>'
            )

        def mention(m: re.Match) -> str:
            username, domain = m.group(1), m.group(2) or self.domain
            return (
                f'<span class="h-card" translate="no"><a href="https://{domain}/@{username}" '
                f'class="u-url mention">@<span>{username}</span></a></span>'
            )

        def hashtag(m: re.Match) -> str:
            return (
                f'<a href="https://{self.domain}/tags/{m.group(1)}" class="mention hashtag" rel="tag">'
                f"#<span>{m.group(1)}</span></a>"
            )

        parts = re.split(r"(https?://[^\s<]+[^\s<.,:;\"')\]!?])", escaped)
        out = []
        for i, part in enumerate(parts):
            if i % 2:
                out.append(URL_RE.sub(link, part))
            else:
                out.append(HASHTAG_RE.sub(hashtag, MENTION_RE.sub(mention, part)))
        return "".join(out)

    def render(self, text: str) -> str:
        """Status HTML as Mastodon makes it: paragraphs, <br />, linkified URLs, mentions and tags."""
        paragraphs = [p for p in re.split(r"\n{2,}", text.strip()) if p]
        return "".join(
            f"<p>{self._linkify(html.escape(p, quote=False)).replace(chr(10), '<br />')}</p>"
            for p in paragraphs
        )

    def account_entity(self, account_id: str) -> dict[str, Any]:
        return dict(self.accounts[account_id])

    def media_entity(self, media: dict[str, Any]) -> dict[str, Any]:
        ready = media["polls_left"] <= 0
        return {
            "id": media["id"],
            "type": media["type"],
            "url": f"https://files.{self.domain}/media/{media['id']}/original" if ready else None,
            "preview_url": f"https://files.{self.domain}/media/{media['id']}/small",
            "remote_url": None,
            "text_url": None,
            "meta": {"focus": {"x": 0.0, "y": 0.0}},
            "description": media["description"],
            "blurhash": "UFBWY:8_0Jxv4mx]t8t64.%M-:IUWGWAt6M}",
        }

    def status_entity(self, status: dict[str, Any], *, with_source: bool = False) -> dict[str, Any]:
        account = self.accounts[status["account_id"]]
        entity = {
            "id": status["id"],
            "created_at": iso(status["created_at"]),
            "in_reply_to_id": status["in_reply_to_id"],
            "in_reply_to_account_id": status["in_reply_to_account_id"],
            "sensitive": False,
            "spoiler_text": "",
            "visibility": status["visibility"],
            "language": "en",
            "uri": f"{account['uri']}/statuses/{status['id']}",
            "url": f"{account['url']}/{status['id']}",
            "replies_count": status["replies_count"],
            "reblogs_count": status["reblogs_count"],
            "favourites_count": status["favourites_count"],
            "edited_at": None,
            "favourited": False,
            "reblogged": False,
            "muted": False,
            "bookmarked": False,
            "pinned": False,
            "content": self.render(status["text"]),
            "filtered": [],
            "reblog": None,
            "application": {"name": "SocialOps", "website": None},
            "account": self.account_entity(status["account_id"]),
            "media_attachments": [self.media_entity(self.media[m]) for m in status["media_ids"]],
            "mentions": [
                {
                    "id": a,
                    "username": self.accounts[a]["username"],
                    "acct": self.accounts[a]["acct"],
                    "url": self.accounts[a]["url"],
                }
                for a in status["mentions"]
            ],
            "tags": [],
            "emojis": [],
            "card": None,
            "poll": None,
        }
        if with_source:
            entity["text"] = status["text"]
        return entity

    def _touch_conversation(self, status: dict[str, Any]) -> None:
        participants = frozenset([status["account_id"], *status["mentions"]])
        for conversation in self.conversations.values():
            if conversation["participants"] == participants:
                conversation["last_status_id"] = status["id"]
                conversation["unread"] = status["account_id"] != self.owner_id
                return
        conversation_id = str(len(self.conversations) + 418_000)
        self.conversations[conversation_id] = {
            "id": conversation_id,
            "participants": participants,
            "last_status_id": status["id"],
            "unread": status["account_id"] != self.owner_id,
        }

    # --- request plumbing --------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        self.rate_remaining = max(0, self.rate_remaining - 1)
        return {
            "X-RateLimit-Limit": "300",
            "X-RateLimit-Remaining": str(self.rate_remaining),
            "X-RateLimit-Reset": iso(datetime.now(UTC) + timedelta(minutes=5)),
        }

    def _ok(self, body: Any, status: int = 200, headers: dict[str, str] | None = None):
        return status, body, {**self._headers(), **(headers or {})}

    def _error(self, status: int, body: dict[str, Any]):
        return status, body, self._headers()

    @staticmethod
    def params(req: FakeRequest) -> dict[str, list[Any]]:
        """Form, JSON or multipart parameters as lists (Rails accepts all three)."""
        ctype = req.headers.get("content-type", "")
        if "application/json" in ctype:
            data = req.json() or {}
            return {k: v if isinstance(v, list) else [v] for k, v in data.items()}
        if "multipart/form-data" in ctype:
            message = BytesParser(policy=policy.HTTP).parsebytes(
                b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + req.body
            )
            out: dict[str, list[Any]] = {}
            for part in message.iter_parts():
                name = part.get_param("name", header="content-disposition")
                payload = part.get_payload(decode=True) or b""
                if part.get_filename() is not None:
                    out.setdefault(name, []).append(
                        {
                            "filename": part.get_filename(),
                            "content_type": part.get_content_type(),
                            "data": payload,
                        }
                    )
                else:
                    out.setdefault(name, []).append(payload.decode())
            return out
        return parse_qs(req.body.decode(), keep_blank_values=True)

    @staticmethod
    def _first(params: dict[str, list[Any]], name: str, default: Any = None) -> Any:
        values = params.get(name)
        return values[0] if values else default

    @staticmethod
    def _scope_ok(granted: list[str], needed: tuple[str, ...]) -> bool:
        for scope in needed:
            if scope in granted or scope.split(":")[0] in granted:
                return True
        return False

    def _auth(self, req: FakeRequest, *needed: str):
        """(token info, None) or (None, error response) — 401 for a bad token, 403 for a missing scope."""
        info = self.tokens.get(req.bearer or "")
        if info is None:
            return None, self._error(401, INVALID_TOKEN)
        if info["revoked"]:
            return None, self._error(401, REVOKED_TOKEN)
        if needed and not self._scope_ok(info["scopes"], needed):
            return None, self._error(403, OUT_OF_SCOPE)
        return info, None

    def _page(
        self,
        req: FakeRequest,
        rows: list[dict[str, Any]],
        key: str,
        path: str,
        *,
        default: int,
        maximum: int,
        extra: list[tuple[str, str]] = (),
    ):
        """Mastodon paging on snowflake ids: max_id / since_id / min_id, newest first, Link header."""
        limit = min(int(req.q("limit") or default), maximum)
        rows = sorted(rows, key=lambda r: int(r[key]), reverse=True)
        if req.q("max_id"):
            rows = [r for r in rows if int(r[key]) < int(req.q("max_id"))]
        if req.q("since_id"):
            rows = [r for r in rows if int(r[key]) > int(req.q("since_id"))]
        if req.q("min_id"):  # the page immediately newer than min_id
            rows = [r for r in rows if int(r[key]) > int(req.q("min_id"))][-limit:]
        else:
            rows = rows[:limit]
        headers = {}
        if rows:
            base = f"{self.url}{path}"
            nxt = urlencode([*extra, ("max_id", rows[-1][key])])
            prev = urlencode([*extra, ("min_id", rows[0][key])])
            headers["Link"] = f'<{base}?{nxt}>; rel="next", <{base}?{prev}>; rel="prev"'
        return rows, headers

    # --- apps and OAuth ----------------------------------------------------------------------

    @route("POST", r"/api/v1/apps")
    def create_app(self, req: FakeRequest):
        p = self.params(req)
        name = self._first(p, "client_name")
        redirect_uris = [
            u for v in p.get("redirect_uris", []) for u in str(v).split("\n") if u.strip()
        ]
        scopes = str(self._first(p, "scopes", "read")).split()
        if not name:
            return self._error(422, {"error": "Validation failed: Application name can't be blank"})
        if not redirect_uris or any(
            u != "urn:ietf:wg:oauth:2.0:oob" and not urlsplit(u).scheme for u in redirect_uris
        ):
            return self._error(
                422, {"error": "Validation failed: Redirect URI must be an absolute URI."}
            )
        if not all(SCOPE_RE.match(s) for s in scopes):
            return self._error(422, {"error": "Validation failed: Scopes are invalid"})
        client_id, client_secret = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        with self.lock:
            self.apps[client_id] = {
                "client_secret": client_secret,
                "redirect_uris": redirect_uris,
                "scopes": scopes,
                "name": name,
                "website": self._first(p, "website"),
            }
        return self._ok(
            {
                "id": self.new_id(),
                "name": name,
                "website": self._first(p, "website"),
                "scopes": scopes,
                "redirect_uri": "\n".join(redirect_uris),
                "redirect_uris": redirect_uris,
                "client_id": client_id,
                "client_secret": client_secret,
                "client_secret_expires_at": 0,
            }
        )

    def add_app(self, redirect_uri: str, scopes: str = "read write") -> tuple[str, str]:
        client_id, client_secret = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
        self.apps[client_id] = {
            "client_secret": client_secret,
            "redirect_uris": [redirect_uri],
            "scopes": scopes.split(),
            "name": "test",
            "website": None,
        }
        return client_id, client_secret

    @route("GET", r"/oauth/authorize")
    def authorize(self, req: FakeRequest):
        """The signed-in owner approves at once: 302 to redirect_uri with code and state."""
        app = self.apps.get(req.q("client_id") or "")
        if req.q("response_type") != "code":
            return 400, {
                "error": "unsupported_response_type",
                "error_description": "The authorization server does not support this response type.",
            }
        if app is None:
            return 401, {
                "error": "invalid_client",
                "error_description": "Client authentication failed due to "
                "unknown client, no client authentication included, or unsupported authentication method.",
            }
        if req.q("redirect_uri") not in app["redirect_uris"]:
            return 400, {
                "error": "invalid_redirect_uri",
                "error_description": "The requested redirect uri is malformed or doesn't match client redirect URI.",
            }
        scopes = (req.q("scope") or "read").split()
        if not set(scopes) <= set(app["scopes"]):
            return 400, {
                "error": "invalid_scope",
                "error_description": "The requested scope is invalid, unknown, or malformed.",
            }
        if req.q("code_challenge") and req.q("code_challenge_method") != "S256":
            return 400, {
                "error": "invalid_request",
                "error_description": "Only S256 code challenges are supported.",
            }
        code = secrets.token_urlsafe(24)
        with self.lock:
            self.codes[code] = {
                "client_id": req.q("client_id"),
                "redirect_uri": req.q("redirect_uri"),
                "scopes": scopes,
                "account_id": self.owner_id,
                "code_challenge": req.q("code_challenge"),
            }
        query = {"code": code, **({"state": req.q("state")} if req.q("state") is not None else {})}
        return 302, "", {"Location": f"{req.q('redirect_uri')}?{urlencode(query)}"}

    @route("POST", r"/oauth/token")
    def token(self, req: FakeRequest):
        p = self.params(req)
        app = self.apps.get(self._first(p, "client_id") or "")
        if app is None or app["client_secret"] != self._first(p, "client_secret"):
            return 401, {
                "error": "invalid_client",
                "error_description": "Client authentication failed due to "
                "unknown client, no client authentication included, or unsupported authentication method.",
            }
        grant = self._first(p, "grant_type")
        invalid_grant = {
            "error": "invalid_grant",
            "error_description": "The provided authorization grant is "
            "invalid, expired, revoked, does not match the redirection URI used in the authorization "
            "request, or was issued to another client.",
        }
        if grant == "client_credentials":
            token = self.issue_token(account_id="", scopes=" ".join(app["scopes"]))
            return 200, {
                "access_token": token,
                "token_type": "Bearer",
                "scope": " ".join(app["scopes"]),
                "created_at": int(datetime.now(UTC).timestamp()),
            }
        if grant != "authorization_code":
            return 400, {
                "error": "unsupported_grant_type",
                "error_description": "The authorization grant type is not supported by the authorization server.",
            }
        with self.lock:
            code = self.codes.pop(self._first(p, "code") or "", None)
        if (
            code is None
            or code["client_id"] != self._first(p, "client_id")
            or code["redirect_uri"] != self._first(p, "redirect_uri")
        ):
            return 400, invalid_grant
        if code["code_challenge"]:
            verifier = self._first(p, "code_verifier") or ""
            digest = (
                base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
                .rstrip(b"=")
                .decode()
            )
            if digest != code["code_challenge"]:
                return 400, invalid_grant
        if self._first(p, "scope") and self._first(p, "scope").split() != code["scopes"]:
            return 400, {
                "error": "invalid_scope",
                "error_description": "The requested scope is invalid, unknown, or malformed.",
            }
        token = self.issue_token(code["account_id"], " ".join(code["scopes"]))
        return 200, {
            "access_token": token,
            "token_type": "Bearer",
            "scope": " ".join(code["scopes"]),
            "created_at": int(datetime.now(UTC).timestamp()),
        }

    # --- accounts and instance ---------------------------------------------------------------

    @route("GET", r"/api/v1/accounts/verify_credentials")
    def verify_credentials(self, req: FakeRequest):
        info, error = self._auth(req, "read:accounts", "profile")
        if error:
            return error
        if not info["account_id"]:
            return self._error(422, {"error": "This method requires an authenticated user"})
        account = self.account_entity(info["account_id"])
        account["source"] = {
            "privacy": "public",
            "sensitive": False,
            "language": "en",
            "note": "",
            "fields": [],
        }
        return self._ok(account)

    @route("GET", r"/api/v1/accounts/(?P<account_id>\d+)")
    def get_account(self, req: FakeRequest, account_id: str):
        if account_id not in self.accounts:
            return self._error(404, NOT_FOUND)
        return self._ok(self.account_entity(account_id))

    @route("GET", r"/api/v1/accounts/(?P<account_id>\d+)/statuses")
    def account_statuses(self, req: FakeRequest, account_id: str):
        _, error = self._auth(req, "read:statuses")
        if error:
            return error
        if account_id not in self.accounts:
            return self._error(404, NOT_FOUND)
        with self.lock:
            rows = [s for s in self.statuses_by(account_id) if s["visibility"] != "direct"]
            if req.q("exclude_replies") in ("true", "1"):  # replies to others go; self-threads stay
                rows = [s for s in rows if s["in_reply_to_account_id"] in (None, account_id)]
            rows, headers = self._page(
                req, rows, "id", f"/api/v1/accounts/{account_id}/statuses", default=20, maximum=40
            )
            return self._ok([self.status_entity(s) for s in rows], headers=headers)

    def _instance_configuration(self) -> dict[str, Any]:
        return {
            "statuses": {
                "max_characters": self.max_characters,
                "max_media_attachments": self.max_media_attachments,
                "characters_reserved_per_url": 23,
            },
            "media_attachments": {
                "supported_mime_types": [*IMAGE_TYPES, *VIDEO_TYPES],
                "description_limit": 1500,
                "image_size_limit": self.image_size_limit,
                "image_matrix_limit": 33177600,
                "video_size_limit": self.video_size_limit,
                "video_frame_rate_limit": 120,
                "video_matrix_limit": 8294400,
            },
            "polls": {
                "max_options": 4,
                "max_characters_per_option": 50,
                "min_expiration": 300,
                "max_expiration": 2629746,
            },
        }

    @route("GET", r"/api/v2/instance")
    def instance_v2(self, req: FakeRequest):
        if not self.has_v2_instance:
            return self._error(404, NOT_FOUND)
        return self._ok(
            {
                "domain": self.domain,
                "title": "Brand Social",
                "version": "4.3.0",
                "source_url": "https://github.com/mastodon/mastodon",
                "description": "A fake instance",
                "usage": {"users": {"active_month": 12}},
                "languages": ["en"],
                "configuration": {
                    "urls": {"streaming": f"wss://{self.domain}"},
                    "accounts": {"max_featured_tags": 10},
                    **self._instance_configuration(),
                    "translation": {"enabled": False},
                },
                "registrations": {"enabled": False, "approval_required": False, "message": None},
                "contact": {"email": f"admin@{self.domain}", "account": None},
                "rules": [],
            }
        )

    @route("GET", r"/api/v1/instance")
    def instance_v1(self, req: FakeRequest):
        return self._ok(
            {
                "uri": self.domain,
                "title": "Brand Social",
                "version": "3.5.5",
                "configuration": self._instance_configuration(),
                "languages": ["en"],
            }
        )

    # --- media -------------------------------------------------------------------------------

    @route("POST", r"/api/v2/media")
    def upload_media(self, req: FakeRequest):
        info, error = self._auth(req, "write:media")
        if error:
            return error
        p = self.params(req)
        upload = self._first(p, "file")
        if not isinstance(upload, dict):
            return self._error(422, {"error": "Validation failed: File can't be blank"})
        ctype = upload["content_type"]
        if ctype in IMAGE_TYPES:
            kind, limit = ("gifv" if ctype == "image/gif" else "image"), self.image_size_limit
        elif ctype in VIDEO_TYPES:
            kind, limit = "video", self.video_size_limit
        else:
            return self._error(
                422, {"error": "Validation failed: File content type is invalid, File is invalid"}
            )
        if len(upload["data"]) > limit:
            return self._error(
                422,
                {
                    "error": f"Validation failed: File file size must be less than "
                    f"{limit // (1024 * 1024)} MB"
                },
            )
        media = {
            "id": self.new_id(),
            "type": kind,
            "account_id": info["account_id"],
            "status_id": None,
            "description": self._first(p, "description"),
            "focus": self._first(p, "focus"),
            "filename": upload["filename"],
            "content_type": ctype,
            "size": len(upload["data"]),
            "polls_left": self.processing_polls.get(kind, 0),
        }
        with self.lock:
            self.media[media["id"]] = media
        return self._ok(self.media_entity(media), 202 if media["polls_left"] > 0 else 200)

    @route("GET", r"/api/v1/media/(?P<media_id>\d+)")
    def get_media(self, req: FakeRequest, media_id: str):
        info, error = self._auth(req, "write:media")
        if error:
            return error
        with self.lock:
            media = self.media.get(media_id)
            if media is None or media["account_id"] != info["account_id"]:
                return self._error(404, NOT_FOUND)
            if media["polls_left"] > 0:
                media["polls_left"] -= 1
                return self._ok(self.media_entity(media), 206)
            return self._ok(self.media_entity(media))

    @route("GET", r"/_media/(?P<name>.+)")
    def media_source(self, req: FakeRequest, name: str):
        """Not Mastodon: stands in for our own signed media URL."""
        if name not in self.media_sources:
            return 404, b"", {}
        data, ctype = self.media_sources[name]
        return 200, data, {"Content-Type": ctype}

    # --- statuses ----------------------------------------------------------------------------

    @route("POST", r"/api/v1/statuses")
    def create_status(self, req: FakeRequest):
        info, error = self._auth(req, "write:statuses")
        if error:
            return error
        p = self.params(req)
        account = self.accounts[info["account_id"]]
        key = req.headers.get("idempotency-key")
        with self.lock:
            if key and (account["id"], key) in self.idempotency:  # same status back, no duplicate
                return self._ok(
                    self.status_entity(self.statuses[self.idempotency[(account["id"], key)]])
                )
            text = str(self._first(p, "status", "") or "")
            media_ids = [str(m) for m in p.get("media_ids[]", p.get("media_ids", []))]
            visibility = self._first(p, "visibility") or "public"
            in_reply_to_id = self._first(p, "in_reply_to_id")
            if in_reply_to_id and in_reply_to_id not in self.statuses:
                return self._error(
                    404, {"error": "The post you are trying to reply to does not appear to exist."}
                )
            if visibility not in ("public", "unlisted", "private", "direct"):
                return self._error(
                    422, {"error": "Validation failed: Visibility is not included in the list"}
                )
            if len(media_ids) > self.max_media_attachments:
                return self._error(
                    422, {"error": f"Cannot attach more than {self.max_media_attachments} files"}
                )
            media = [self.media.get(m) for m in media_ids]
            if any(m is None or m["account_id"] != account["id"] or m["status_id"] for m in media):
                return self._error(
                    422, {"error": "Validation failed: Media attachments are invalid"}
                )
            if any(m["polls_left"] > 0 for m in media):
                return self._error(
                    422,
                    {
                        "error": "Cannot attach files that have not finished processing. "
                        "Try again in a moment!"
                    },
                )
            if len(media) > 1 and any(m["type"] in ("video", "gifv", "audio") for m in media):
                return self._error(
                    422, {"error": "Cannot attach a video to a post that already contains images"}
                )
            if not text.strip() and not media:
                return self._error(422, {"error": "Validation failed: Text can't be blank"})
            if countable_length(text) > self.max_characters:
                return self._error(
                    422,
                    {
                        "error": f"Validation failed: Text character limit of "
                        f"{self.max_characters} exceeded"
                    },
                )
            status = self.post_as(
                account,
                text,
                in_reply_to_id=in_reply_to_id,
                visibility=visibility,
                media_ids=media_ids,
            )
            if key:
                self.idempotency[(account["id"], key)] = status["id"]
            return self._ok(self.status_entity(status))

    @route("GET", r"/api/v1/statuses")
    def get_statuses(self, req: FakeRequest):
        if not self.has_status_batch:
            return self._error(404, NOT_FOUND)
        _, error = self._auth(req, "read:statuses")
        if error:
            return error
        ids = req.query.get("id[]", [])
        if len(ids) > 20:
            return self._error(422, {"error": "Too many ids"})
        return self._ok([self.status_entity(self.statuses[i]) for i in ids if i in self.statuses])

    @route("GET", r"/api/v1/statuses/(?P<status_id>\d+)")
    def get_status(self, req: FakeRequest, status_id: str):
        _, error = self._auth(req, "read:statuses")
        if error:
            return error
        if status_id not in self.statuses:
            return self._error(404, NOT_FOUND)
        return self._ok(self.status_entity(self.statuses[status_id]))

    @route("GET", r"/api/v1/statuses/(?P<status_id>\d+)/context")
    def get_context(self, req: FakeRequest, status_id: str):
        _, error = self._auth(req, "read:statuses")
        if error:
            return error
        if status_id not in self.statuses:
            return self._error(404, NOT_FOUND)
        ancestors, parent = [], self.statuses[status_id]["in_reply_to_id"]
        while parent and parent in self.statuses:
            ancestors.insert(0, self.statuses[parent])
            parent = self.statuses[parent]["in_reply_to_id"]
        descendants, frontier = [], [status_id]
        while frontier:
            children = sorted(
                (s for s in self.statuses.values() if s["in_reply_to_id"] in frontier),
                key=lambda s: int(s["id"]),
            )
            descendants += children
            frontier = [s["id"] for s in children]
        return self._ok(
            {
                "ancestors": [self.status_entity(s) for s in ancestors],
                "descendants": [self.status_entity(s) for s in descendants],
            }
        )

    @route("POST", r"/api/v1/statuses/(?P<status_id>\d+)/(?P<verb>favourite|unfavourite)")
    def favourite(self, req: FakeRequest, status_id: str, verb: str):
        """Favourite (or take it back) as the token's account; answers the status, with
        ``favourited`` from the account's view."""
        info, error = self._auth(req, "write:favourites")
        if error:
            return error
        with self.lock:
            status = self.statuses.get(status_id)
            if status is None:
                return self._error(404, NOT_FOUND)
            fans = status.setdefault("favourited_by", set())
            if verb == "favourite" and info["account_id"] not in fans:
                fans.add(info["account_id"])
                status["favourites_count"] += 1
            elif verb == "unfavourite" and info["account_id"] in fans:
                fans.discard(info["account_id"])
                status["favourites_count"] -= 1
            entity = self.status_entity(status)
            entity["favourited"] = info["account_id"] in fans
            return self._ok(entity)

    @route("DELETE", r"/api/v1/statuses/(?P<status_id>\d+)")
    def delete_status(self, req: FakeRequest, status_id: str):
        info, error = self._auth(req, "write:statuses")
        if error:
            return error
        with self.lock:
            status = self.statuses.get(status_id)
            if status is None or status["account_id"] != info["account_id"]:  # scoped to one's own
                return self._error(404, NOT_FOUND)
            entity = self.status_entity(status, with_source=True)
            del self.statuses[status_id]
            parent = self.statuses.get(status["in_reply_to_id"] or "")
            if parent:
                parent["replies_count"] -= 1
            return self._ok(entity)

    # --- notifications and conversations -----------------------------------------------------

    @route("GET", r"/api/v1/notifications")
    def get_notifications(self, req: FakeRequest):
        info, error = self._auth(req, "read:notifications")
        if error:
            return error
        with self.lock:
            mine = [
                n
                for n in self.notifications
                if n["status_id"] is None or n["status_id"] in self.statuses
            ]
            types = req.query.get("types[]")
            if types:
                mine = [n for n in mine if n["type"] in types]
            excluded = req.query.get("exclude_types[]", [])
            mine = [n for n in mine if n["type"] not in excluded]
            extra = [("types[]", t) for t in types or []]
            rows, headers = self._page(
                req, mine, "id", "/api/v1/notifications", default=40, maximum=80, extra=extra
            )
            body = [
                {
                    "id": n["id"],
                    "type": n["type"],
                    "created_at": iso(n["created_at"]),
                    "account": self.account_entity(n["account_id"]),
                    **(
                        {"status": self.status_entity(self.statuses[n["status_id"]])}
                        if n["status_id"]
                        else {}
                    ),
                }
                for n in rows
            ]
            return self._ok(body, headers=headers)

    @route("GET", r"/api/v1/conversations")
    def get_conversations(self, req: FakeRequest):
        info, error = self._auth(req, "read:statuses")
        if error:
            return error
        with self.lock:
            rows = [
                {**c, "key": c["last_status_id"]}
                for c in self.conversations.values()
                if info["account_id"] in c["participants"] and c["last_status_id"] in self.statuses
            ]
            rows, headers = self._page(
                req, rows, "key", "/api/v1/conversations", default=20, maximum=40
            )
            body = [
                {
                    "id": c["id"],
                    "unread": c["unread"],
                    "accounts": [
                        self.account_entity(a)
                        for a in sorted(c["participants"])
                        if a != info["account_id"]
                    ],
                    "last_status": self.status_entity(self.statuses[c["last_status_id"]]),
                }
                for c in rows
            ]
            return self._ok(body, headers=headers)
