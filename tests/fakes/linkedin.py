"""A loopback fake of LinkedIn's versioned Community Management API, as documented.

Follows the documented shapes (Microsoft Learn LinkedIn Marketing docs; API-NOTES §4):

- ``POST /oauth/v2/accessToken`` (form) → ``access_token``/``expires_in``/``scope``; refresh tokens
  only when ``partner`` is set (approved partner apps).
- Every ``/rest`` call needs a live bearer token (else 401 ``{"status","serviceErrorCode","code","message"}``),
  ``LinkedIn-Version: YYYYMM`` (missing → 400, sunset → 426) and ``X-Restli-Protocol-Version: 2.0.0``.
  URNs in paths must be URL-encoded (a raw ``:`` in a path segment is a 400).
- ``POST /rest/posts`` → 201, empty body, ``x-restli-id``; commentary is parsed as "little" text: an
  unescaped reserved character silently cuts the post there, as the docs warn.
- Images/videos: ``initializeUpload`` → PUT to ``uploadUrl`` → ``GET`` shows PROCESSING then AVAILABLE;
  video parts answer with an ``ETag`` that ``finalizeUpload`` must list in order.
- Comments under ``/rest/socialActions/{urn}/comments`` with ``urn:li:comment:(urn:li:activity:…,id)`` ids,
  statistics, follower statistics and network sizes.
- Reactions (the Reactions API, which replaces the likes of ``socialActions``): ``POST
  /rest/reactions?actor=<urn>`` with ``{"root": <post or comment urn>, "reactionType": "LIKE"|…}`` →
  201 and ``x-restli-id: urn:li:reaction:(<actor>,<root>)``; one reaction per actor and entity (a
  second one replaces the first); ``DELETE /rest/reactions/(actor:<urn>,entity:<urn>)`` (the URNs
  encoded inside the key) → 204, 404 when there is none. Reacting as an organization needs its
  admin.
"""

from __future__ import annotations

import re
import threading
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import unquote

from .base import FakeRequest, FakeServer, route

RESERVED = set("\\|{}@[]()<>#*_~")
MENTION = re.compile(r"@\[[^\]\n]+\]\(urn:li:(?:person|organization):[^)\s]+\)")
HASHTAG = re.compile(r"#\w+")
INTERVAL = re.compile(r"\(timeRange:\(start:(\d+),end:(\d+)\),timeGranularityType:(DAY|MONTH)\)")


def error(
    status: int, code: str, message: str, service_code: int | None = None
) -> tuple[int, dict[str, Any]]:
    body: dict[str, Any] = {"status": status, "code": code, "message": message}
    if service_code is not None:
        body["serviceErrorCode"] = service_code
    return status, body


def render_little(commentary: str) -> str:
    """What LinkedIn shows for ``commentary``: escapes removed, cut at an unescaped reserved character."""
    out: list[str] = []
    i = 0
    while i < len(commentary):
        ch = commentary[i]
        if ch == "\\" and i + 1 < len(commentary) and commentary[i + 1] in RESERVED:
            out.append(commentary[i + 1])
            i += 2
            continue
        if ch == "@":
            m = MENTION.match(commentary, i)
            if m:
                out.append(m.group(0).split("]", 1)[0][2:])
                i = m.end()
                continue
        if ch == "#":
            m = HASHTAG.match(commentary, i)
            if m:
                out.append(m.group(0))
                i = m.end()
                continue
        if ch in RESERVED:
            break  # silently truncated, as documented
        out.append(ch)
        i += 1
    return "".join(out)


def day_ms(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() * 1000)


class FakeLinkedIn(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        self._seq_lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Forget all state, recorded requests and pending failures (one server can serve many tests)."""
        with self.lock:
            self.requests = []
            self.failures = []
            self.client_id = "li-client"
            self.client_secret = "li-secret"
            self.partner = False  # approved partner apps get refresh tokens
            self.codes: dict[str, str] = {"good-code": "member-1"}
            self.tokens: dict[str, dict[str, Any]] = {}
            self.refresh_tokens: dict[str, str] = {}
            self.members: dict[str, dict[str, Any]] = {
                "member-1": {
                    "urn": "urn:li:person:AbC123",
                    "admin_of": ["1001", "1002"],
                    "analyst_of": ["3003"],
                },
            }
            self.orgs: dict[str, dict[str, Any]] = {
                "1001": {"id": 1001, "localizedName": "Alpha Foods", "vanityName": "alpha-foods"},
                "1002": {"id": 1002, "localizedName": "Alpha Labs", "vanityName": "alpha-labs"},
                "3003": {"id": 3003, "localizedName": "Other Co", "vanityName": "other-co"},
            }
            self.sunset_versions: set[str] = set()
            self.processing_polls = 1  # GETs answering PROCESSING before AVAILABLE
            self.fail_processing = False
            self.video_part_size = 4 * 1024 * 1024
            self.images: dict[str, dict[str, Any]] = {}
            self.videos: dict[str, dict[str, Any]] = {}
            self.uploads: dict[str, dict[str, Any]] = {}
            self.posts: dict[str, dict[str, Any]] = {}
            self.comments: dict[str, dict[str, Any]] = {}
            #: (actor, entity) -> reactionType
            self.reactions: dict[tuple[str, str], str] = {}
            self.post_stats: dict[str, dict[str, int]] = {}
            self.daily_stats: dict[date, dict[str, int]] = {}
            self.follower_gains: dict[date, tuple[int, int]] = {}
            self.followers: dict[str, int] = {}
            self._seq = 7_100_000_000_000_000_000

    @property
    def url(self) -> str:
        # FakeServer.__init__ getattr()s every attribute before ``_httpd`` exists; answer "" until started.
        httpd = getattr(self, "_httpd", None)
        return f"http://127.0.0.1:{httpd.server_address[1]}" if httpd else ""

    # helpers for tests ------------------------------------------------------------------------
    def issue_token(self, token: str, member: str = "member-1", *, revoked: bool = False) -> str:
        self.tokens[token] = {"member": member, "revoked": revoked}
        return token

    def next_id(self) -> int:
        with self._seq_lock:
            self._seq += 1
            return self._seq

    @staticmethod
    def now_ms() -> int:
        return int(time.time() * 1000)

    def add_comment(
        self,
        post_urn: str,
        text: str,
        *,
        actor: str = "urn:li:person:Visitor1",
        at_ms: int | None = None,
        parent: str | None = None,
    ) -> str:
        post = self._post_for(post_urn)
        assert post is not None, post_urn
        return self._store_comment(post, actor, text, at_ms or self.now_ms(), parent)

    def throttle_next(self, path_regex: str = r"^/rest/", times: int = 1) -> None:
        """LinkedIn's daily quota: a bare 429, no rate-limit headers."""
        self.fail_next(
            path_regex,
            429,
            {
                "status": 429,
                "serviceErrorCode": 101,
                "code": "TOO_MANY_REQUESTS",
                "message": "Resource level throttle APPLICATION DAY limit for calls to "
                "this resource is reached.",
            },
            times=times,
        )

    # guards -----------------------------------------------------------------------------------
    def _auth(self, req: FakeRequest) -> tuple[Any, dict[str, Any] | None]:
        info = self.tokens.get(req.bearer or "")
        if info is None:
            return error(401, "INVALID_ACCESS_TOKEN", "Invalid access token", 65600), None
        if info["revoked"]:
            return error(
                401,
                "REVOKED_ACCESS_TOKEN",
                "The token used in the request has been revoked by the user",
                65601,
            ), None
        version = req.headers.get("linkedin-version")
        if not version:
            return error(
                400,
                "VERSION_MISSING",
                "A version must be present. Please specify a version by adding "
                "the LinkedIn-Version header.",
            ), None
        if not re.fullmatch(r"20\d{4}", version):
            return error(400, "INVALID_VERSION", f"Invalid version {version}; use YYYYMM."), None
        if version in self.sunset_versions:
            return error(
                426, "NONEXISTENT_VERSION", f"Requested version {version} is not active"
            ), None
        if req.headers.get("x-restli-protocol-version") != "2.0.0":
            return error(
                400, "ILLEGAL_ARGUMENT", "X-Restli-Protocol-Version 2.0.0 is required."
            ), None
        return None, self.members[info["member"]]

    @staticmethod
    def _decode_segment(raw: str) -> tuple[str | None, Any]:
        if ":" in raw or "(" in raw or "," in raw:
            return None, error(
                400,
                "ILLEGAL_ARGUMENT",
                f"Syntax exception in path variables: {raw} must be URL-encoded",
            )
        return unquote(raw), None

    @staticmethod
    def _admin(member: dict[str, Any], org_urn: str | None) -> bool:
        return (
            bool(org_urn)
            and org_urn.startswith("urn:li:organization:")
            and org_urn.rsplit(":", 1)[1] in member["admin_of"]
        )

    @staticmethod
    def _denied(what: str) -> tuple[int, dict[str, Any]]:
        return error(403, "ACCESS_DENIED", f"Not enough permissions to access: {what}", 100)

    # OAuth ------------------------------------------------------------------------------------
    @route("POST", r"/oauth/v2/accessToken")
    def token(self, req: FakeRequest):
        form = req.form()
        if (
            form.get("client_id") != self.client_id
            or form.get("client_secret") != self.client_secret
        ):
            return 401, {
                "error": "invalid_client",
                "error_description": "Client authentication failed",
            }
        grant = form.get("grant_type")
        if grant == "authorization_code":
            member = self.codes.pop(form.get("code", ""), None)
            if member is None or not form.get("redirect_uri"):
                return 400, {
                    "error": "invalid_request",
                    "error_description": "Unable to retrieve access token: appid/redirect uri/code verifier "
                    "does not match authorization code. Or authorization code expired.",
                }
            return self._grant(member)
        if grant == "refresh_token":
            member = self.refresh_tokens.get(form.get("refresh_token", ""))
            if member is None:
                return 400, {
                    "error": "invalid_request",
                    "error_description": "The provided authorization grant or refresh token is invalid, "
                    "expired or revoked.",
                }
            return self._grant(member, refresh=form["refresh_token"])
        return 400, {
            "error": "unsupported_grant_type",
            "error_description": "grant_type is not supported",
        }

    def _grant(self, member: str, refresh: str | None = None):
        token = f"tok-{self.next_id()}"
        self.issue_token(token, member)
        body: dict[str, Any] = {
            "access_token": token,
            "expires_in": 5_184_000,
            "scope": "r_organization_social,rw_organization_admin,w_organization_social",
        }
        if self.partner:
            refresh = refresh or f"ref-{self.next_id()}"
            self.refresh_tokens[refresh] = member
            body.update(refresh_token=refresh, refresh_token_expires_in=31_536_000)
        return 200, body

    # organizations ----------------------------------------------------------------------------
    @route("GET", r"/rest/organizationAcls")
    def acls(self, req: FakeRequest):
        err, member = self._auth(req)
        if err:
            return err
        assert member is not None
        if req.q("q") != "roleAssignee":
            return error(400, "ILLEGAL_ARGUMENT", "Unsupported finder")
        elements = []
        for role, ids in (
            ("ADMINISTRATOR", member["admin_of"]),
            ("ANALYST", member.get("analyst_of", [])),
        ):
            for org_id in ids:
                elements.append(
                    {
                        "roleAssignee": member["urn"],
                        "state": "APPROVED",
                        "role": role,
                        "organization": f"urn:li:organization:{org_id}",
                    }
                )
        if req.q("role"):
            elements = [e for e in elements if e["role"] == req.q("role")]
        if req.q("state"):
            elements = [e for e in elements if e["state"] == req.q("state")]
        start, count = int(req.q("start", "0") or 0), int(req.q("count", "10") or 10)
        return 200, {
            "elements": elements[start : start + count],
            "paging": {"start": start, "count": count, "total": len(elements), "links": []},
        }

    @route("GET", r"/rest/organizations")
    def organizations_batch(self, req: FakeRequest):
        err, _ = self._auth(req)
        if err:
            return err
        m = re.fullmatch(r"List\(([\d,]*)\)", req.q("ids", "") or "")
        if not m:
            return error(400, "ILLEGAL_ARGUMENT", "ids must be List(...)")
        results, statuses, errors = {}, {}, {}
        for org_id in filter(None, m.group(1).split(",")):
            if org_id in self.orgs:
                results[org_id] = self.orgs[org_id]
                statuses[org_id] = 200
            else:
                statuses[org_id] = 404
                errors[org_id] = {"status": 404, "message": "Not found"}
        return 200, {"results": results, "statuses": statuses, "errors": errors}

    @route("GET", r"/rest/organizations/(?P<org_id>\d+)")
    def organization(self, req: FakeRequest, org_id: str):
        err, _ = self._auth(req)
        if err:
            return err
        if org_id not in self.orgs:
            return error(404, "NOT_FOUND", f"Organization {org_id} not found")
        return 200, self.orgs[org_id]

    # media ------------------------------------------------------------------------------------
    @route("POST", r"/rest/images")
    def images_action(self, req: FakeRequest):
        err, member = self._auth(req)
        if err:
            return err
        assert member is not None
        if req.q("action") != "initializeUpload":
            return error(400, "ILLEGAL_ARGUMENT", "Unsupported action")
        owner = ((req.json() or {}).get("initializeUploadRequest") or {}).get("owner")
        if not self._admin(member, owner):
            return self._denied("images.initializeUpload")
        urn = f"urn:li:image:C4E10AQ{self.next_id()}"
        token = f"img{self.next_id()}"
        self.images[urn] = {
            "owner": owner,
            "status": "WAITING_UPLOAD",
            "polls": self.processing_polls,
            "bytes": b"",
        }
        self.uploads[token] = {"kind": "image", "urn": urn}
        return 200, {
            "value": {
                "uploadUrlExpiresAt": self.now_ms() + 86_400_000,
                "uploadUrl": f"{self.url}/dms-uploads/{token}",
                "image": urn,
            }
        }

    @route("GET", r"/rest/images/(?P<raw>[^/]+)")
    def image_get(self, req: FakeRequest, raw: str):
        return self._media_get(req, raw, self.images)

    @route("POST", r"/rest/videos")
    def videos_action(self, req: FakeRequest):
        err, member = self._auth(req)
        if err:
            return err
        assert member is not None
        action = req.q("action")
        body = req.json() or {}
        if action == "initializeUpload":
            init = body.get("initializeUploadRequest") or {}
            if not self._admin(member, init.get("owner")):
                return self._denied("videos.initializeUpload")
            size = init.get("fileSizeBytes")
            if not isinstance(size, int) or size <= 0:
                return error(400, "ILLEGAL_ARGUMENT", "fileSizeBytes is required")
            urn = f"urn:li:video:C5505AQ{self.next_id()}"
            parts = []
            for first in range(0, size, self.video_part_size):
                token = f"vid{self.next_id()}"
                last = min(size, first + self.video_part_size) - 1
                self.uploads[token] = {"kind": "video", "urn": urn, "first": first, "last": last}
                parts.append(
                    {
                        "uploadUrl": f"{self.url}/dms-uploads/{token}",
                        "firstByte": first,
                        "lastByte": last,
                    }
                )
            upload_token = f"up{self.next_id()}" if len(parts) > 1 else ""
            self.videos[urn] = {
                "owner": init["owner"],
                "status": "WAITING_UPLOAD",
                "size": size,
                "parts": {},
                "order": [p["uploadUrl"].rsplit("/", 1)[1] for p in parts],
                "uploadToken": upload_token,
                "polls": self.processing_polls,
            }
            return 200, {
                "value": {
                    "uploadUrlsExpireAt": self.now_ms() + 86_400_000,
                    "video": urn,
                    "uploadInstructions": parts,
                    "uploadToken": upload_token,
                }
            }
        if action == "finalizeUpload":
            fin = body.get("finalizeUploadRequest") or {}
            video = self.videos.get(fin.get("video", ""))
            if video is None:
                return error(404, "NOT_FOUND", "Video not found")
            if fin.get("uploadToken", None) != video["uploadToken"]:
                return error(400, "ILLEGAL_ARGUMENT", "uploadToken does not match")
            expected = [video["parts"].get(t, {}).get("etag") for t in video["order"]]
            if None in expected or fin.get("uploadedPartIds") != expected:
                return error(
                    400, "ILLEGAL_ARGUMENT", "uploadedPartIds do not match the uploaded parts"
                )
            data = b"".join(video["parts"][t]["bytes"] for t in video["order"])
            if len(data) != video["size"]:
                return error(400, "ILLEGAL_ARGUMENT", "Uploaded size differs from fileSizeBytes")
            video["status"] = "PROCESSING"
            return 200, None
        return error(400, "ILLEGAL_ARGUMENT", "Unsupported action")

    @route("GET", r"/rest/videos/(?P<raw>[^/]+)")
    def video_get(self, req: FakeRequest, raw: str):
        return self._media_get(req, raw, self.videos)

    def _media_get(self, req: FakeRequest, raw: str, store: dict[str, dict[str, Any]]):
        err, _ = self._auth(req)
        if err:
            return err
        urn, bad = self._decode_segment(raw)
        if bad:
            return bad
        item = store.get(urn or "")
        if item is None:
            return error(404, "NOT_FOUND", f"{urn} not found")
        if item["status"] == "PROCESSING":
            if self.fail_processing:
                item["status"] = "PROCESSING_FAILED"
            elif item["polls"] > 0:
                item["polls"] -= 1
            else:
                item["status"] = "AVAILABLE"
        body = {"id": urn, "owner": item["owner"], "status": item["status"]}
        if item["status"] == "PROCESSING_FAILED":
            body["processingFailureReason"] = "Media could not be decoded"
        return 200, body

    @route("PUT", r"/dms-uploads/(?P<token>[^/]+)")
    def upload(self, req: FakeRequest, token: str):
        upload = self.uploads.get(token)
        if upload is None:
            return 404, {"message": "Unknown upload"}
        if upload["kind"] == "image":
            image = self.images[upload["urn"]]
            if not req.body:
                return 400, {"message": "Empty upload"}
            image.update(
                bytes=req.body, status="PROCESSING", content_type=req.headers.get("content-type")
            )
            return 201, None
        video = self.videos[upload["urn"]]
        if len(req.body) != upload["last"] - upload["first"] + 1:
            return 400, {"message": "Part size does not match the byte range"}
        etag = f"/ama/part-{token}"
        video["parts"][token] = {"bytes": req.body, "etag": etag}
        return 200, None, {"ETag": etag}

    # posts ------------------------------------------------------------------------------------
    def _post_for(self, urn: str) -> dict[str, Any] | None:
        if urn in self.posts:
            return self.posts[urn]
        for post in self.posts.values():
            if post["activity"] == urn:
                return post
        return None

    def _media_ok(self, urn: str, owner: str) -> str | None:
        store = (
            self.images
            if urn.startswith("urn:li:image:")
            else self.videos
            if urn.startswith("urn:li:video:")
            else None
        )
        item = store.get(urn) if store is not None else None
        if item is None:
            return f"Media {urn} does not exist"
        if item["owner"] != owner:
            return f"Media {urn} is not owned by {owner}"
        if item["status"] != "AVAILABLE":
            return f"Media {urn} is not ready (status {item['status']})"
        return None

    @route("POST", r"/rest/posts")
    def create_post(self, req: FakeRequest):
        err, member = self._auth(req)
        if err:
            return err
        assert member is not None
        body = req.json() or {}
        for field in ("author", "visibility", "distribution", "lifecycleState"):
            if field not in body:
                return error(
                    422,
                    "UNPROCESSABLE_ENTITY",
                    f"/{field} :: field is required but not found and has no default value",
                )
        author = body["author"]
        if not self._admin(member, author):
            return self._denied("partnerApiPostsExternal.CREATE")
        commentary = body.get("commentary", "")
        if len(commentary) > 3000:
            return error(
                422,
                "UNPROCESSABLE_ENTITY",
                f"/commentary :: length {len(commentary)} exceeds the maximum of 3000 characters",
            )
        content = body.get("content") or {}
        kind = "share"
        if "media" in content:
            problem = self._media_ok(content["media"].get("id", ""), author)
            if problem:
                return error(422, "UNPROCESSABLE_ENTITY", problem)
            if content["media"]["id"].startswith("urn:li:video:"):
                kind = "ugcPost"
        if "multiImage" in content:
            images = content["multiImage"].get("images") or []
            if not 2 <= len(images) <= 20:
                return error(
                    422,
                    "UNPROCESSABLE_ENTITY",
                    "/content/multiImage/images :: must hold 2 to 20 images",
                )
            for image in images:
                problem = self._media_ok(image.get("id", ""), author)
                if problem:
                    return error(422, "UNPROCESSABLE_ENTITY", problem)
            kind = "ugcPost"
        if "article" in content:
            article = content["article"]
            if not article.get("source") or not article.get("title"):
                return error(
                    422, "UNPROCESSABLE_ENTITY", "/content/article :: source and title are required"
                )
            if article.get("thumbnail"):
                problem = self._media_ok(article["thumbnail"], author)
                if problem:
                    return error(422, "UNPROCESSABLE_ENTITY", problem)
        for urn, post in self.posts.items():
            if (
                post["author"] == author
                and post["commentary"] == commentary
                and post["content"] == content
            ):
                return error(422, "DUPLICATE_POST", f"Content is a duplicate of {urn}")
        number = self.next_id()
        urn = f"urn:li:{kind}:{number}"
        now = self.now_ms()
        self.posts[urn] = {
            "id": urn,
            "activity": f"urn:li:activity:{number + 5}",
            "author": author,
            "commentary": commentary,
            "text": render_little(commentary),
            "visibility": body["visibility"],
            "distribution": body["distribution"],
            "content": content,
            "lifecycleState": body["lifecycleState"],
            "isReshareDisabledByAuthor": body.get("isReshareDisabledByAuthor", False),
            "createdAt": now,
            "publishedAt": now,
            "lastModifiedAt": now,
        }
        return 201, None, {"x-restli-id": urn}

    @route("GET", r"/rest/posts")
    def find_posts(self, req: FakeRequest):
        err, member = self._auth(req)
        if err:
            return err
        assert member is not None
        if req.q("q") != "author" or not req.q("author"):
            return error(400, "ILLEGAL_ARGUMENT", "The author finder needs q=author and author")
        author = req.q("author")
        if not self._admin(member, author):
            return self._denied("partnerApiPostsExternal.FINDER-author")
        posts = sorted(
            (p for p in self.posts.values() if p["author"] == author),
            key=lambda p: p["lastModifiedAt"],
            reverse=True,
        )
        start, count = int(req.q("start", "0") or 0), int(req.q("count", "10") or 10)
        keys = (
            "id",
            "author",
            "commentary",
            "visibility",
            "distribution",
            "content",
            "lifecycleState",
            "isReshareDisabledByAuthor",
            "createdAt",
            "publishedAt",
            "lastModifiedAt",
        )
        return 200, {
            "elements": [{k: p[k] for k in keys} for p in posts[start : start + count]],
            "paging": {"start": start, "count": count, "total": len(posts), "links": []},
        }

    @route("DELETE", r"/rest/posts/(?P<raw>[^/]+)")
    def delete_post(self, req: FakeRequest, raw: str):
        err, member = self._auth(req)
        if err:
            return err
        assert member is not None
        urn, bad = self._decode_segment(raw)
        if bad:
            return bad
        post = self.posts.get(urn or "")
        if post is None:
            return error(404, "NOT_FOUND", f"Post {urn} not found")
        if not self._admin(member, post["author"]):
            return self._denied("partnerApiPostsExternal.DELETE")
        del self.posts[urn or ""]
        return 204, None

    # comments ---------------------------------------------------------------------------------
    def _store_comment(
        self, post: dict[str, Any], actor: str, text: str, at_ms: int, parent: str | None
    ) -> str:
        comment_id = str(self.next_id())
        urn = f"urn:li:comment:({post['activity']},{comment_id})"
        comment = {
            "id": comment_id,
            "commentUrn": urn,
            "$URN": urn,
            "actor": actor,
            "object": post["activity"],
            "message": {"text": text, "attributes": []},
            "created": {"actor": actor, "time": at_ms},
            "lastModified": {"actor": actor, "time": at_ms},
            "_post": post["id"],
        }
        if parent:
            comment["parentComment"] = parent
        self.comments[urn] = comment
        return urn

    @staticmethod
    def _public(comment: dict[str, Any], replies: int) -> dict[str, Any]:
        out = {k: v for k, v in comment.items() if not k.startswith("_")}
        out["commentsSummary"] = {
            "totalFirstLevelComments": replies,
            "aggregatedTotalComments": replies,
            "selectedComments": [],
        }
        return out

    def _replies_to(self, urn: str) -> list[dict[str, Any]]:
        return [c for c in self.comments.values() if c.get("parentComment") == urn]

    def _resolve_target(self, raw: str) -> tuple[Any, dict[str, Any] | None, dict[str, Any] | None]:
        target, bad = self._decode_segment(raw)
        if bad:
            return bad, None, None
        assert target is not None
        if target.startswith("urn:li:comment:"):
            parent = self.comments.get(target)
            if parent is None:
                return error(404, "NOT_FOUND", f"Comment {target} not found"), None, None
            return None, self.posts.get(parent["_post"]), parent
        post = self._post_for(target)
        if post is None:
            return error(404, "NOT_FOUND", f"{target} not found"), None, None
        return None, post, None

    @route("POST", r"/rest/socialActions/(?P<raw>[^/]+)/comments")
    def create_comment(self, req: FakeRequest, raw: str):
        err, member = self._auth(req)
        if err:
            return err
        assert member is not None
        bad, post, parent = self._resolve_target(raw)
        if bad:
            return bad
        assert post is not None
        body = req.json() or {}
        actor = body.get("actor")
        if not self._admin(member, actor):
            return self._denied("comments.CREATE")
        if body.get("object") not in (post["id"], post["activity"]):
            return error(400, "ILLEGAL_ARGUMENT", "object must be the post the comment belongs to")
        text = (body.get("message") or {}).get("text")
        if not text:
            return error(422, "UNPROCESSABLE_ENTITY", "/message/text :: field is required")
        if len(text) > 1250:
            return error(
                422, "UNPROCESSABLE_ENTITY", "/message/text :: length exceeds 1250 characters"
            )
        if parent is not None and body.get("parentComment") != parent["commentUrn"]:
            return error(400, "ILLEGAL_ARGUMENT", "parentComment must name the comment in the path")
        if parent is not None and parent.get("parentComment"):
            return error(422, "UNPROCESSABLE_ENTITY", "Comments nest one level only")
        urn = self._store_comment(post, actor, text, self.now_ms(), body.get("parentComment"))
        return 201, self._public(self.comments[urn], 0)

    @route("GET", r"/rest/socialActions/(?P<raw>[^/]+)/comments")
    def list_comments(self, req: FakeRequest, raw: str):
        err, _ = self._auth(req)
        if err:
            return err
        bad, post, parent = self._resolve_target(raw)
        if bad:
            return bad
        assert post is not None
        if parent is not None:
            found = self._replies_to(parent["commentUrn"])
        else:
            found = [
                c
                for c in self.comments.values()
                if c["_post"] == post["id"] and not c.get("parentComment")
            ]
        found.sort(key=lambda c: c["created"]["time"], reverse=True)
        start, count = int(req.q("start", "0") or 0), int(req.q("count", "10") or 10)
        page = [
            self._public(c, len(self._replies_to(c["commentUrn"])))
            for c in found[start : start + count]
        ]
        return 200, {
            "elements": page,
            "paging": {"start": start, "count": count, "total": len(found), "links": []},
        }

    @route("DELETE", r"/rest/socialActions/(?P<raw>[^/]+)/comments/(?P<comment_id>[^/]+)")
    def delete_comment(self, req: FakeRequest, raw: str, comment_id: str):
        err, member = self._auth(req)
        if err:
            return err
        assert member is not None
        bad, post, _ = self._resolve_target(raw)
        if bad:
            return bad
        assert post is not None
        actor = req.q("actor")
        if not self._admin(member, actor):
            return self._denied("comments.DELETE")
        comment = next(
            (
                c
                for c in self.comments.values()
                if c["id"] == comment_id and c["_post"] == post["id"]
            ),
            None,
        )
        if comment is None:
            return error(404, "NOT_FOUND", f"Comment {comment_id} not found")
        if comment["actor"] != actor:
            return self._denied("comments.DELETE (only the comment's author can delete it)")
        for reply in self._replies_to(comment["commentUrn"]):
            del self.comments[reply["commentUrn"]]
        del self.comments[comment["commentUrn"]]
        return 204, None

    # reactions --------------------------------------------------------------------------------
    REACTION_TYPES = ("LIKE", "PRAISE", "EMPATHY", "INTEREST", "APPRECIATION", "ENTERTAINMENT")

    def _entity_exists(self, urn: str) -> bool:
        if urn.startswith("urn:li:comment:"):
            return urn in self.comments
        return self._post_for(urn) is not None

    @route("POST", r"/rest/reactions")
    def create_reaction(self, req: FakeRequest):
        err, member = self._auth(req)
        if err:
            return err
        assert member is not None
        actor = req.q("actor")
        if not actor:
            return error(400, "ILLEGAL_ARGUMENT", "The actor query parameter is required")
        if actor.startswith("urn:li:organization:") and not self._admin(member, actor):
            return self._denied("reactions.CREATE")
        body = req.json() or {}
        root, kind = body.get("root"), body.get("reactionType")
        if kind not in self.REACTION_TYPES:
            return error(422, "UNPROCESSABLE_ENTITY", f"/reactionType :: invalid value {kind!r}")
        if not root or not self._entity_exists(str(root)):
            return error(404, "NOT_FOUND", f"{root} not found")
        self.reactions[(actor, str(root))] = kind
        now = self.now_ms()
        return (
            201,
            {
                "root": root,
                "reactionType": kind,
                "created": {"actor": actor, "time": now},
                "lastModified": {"actor": actor, "time": now},
            },
            {"x-restli-id": f"urn:li:reaction:({actor},{root})"},
        )

    @route("DELETE", r"/rest/reactions/\(actor:(?P<actor>[^,()]+),entity:(?P<entity>[^,()]+)\)")
    def delete_reaction(self, req: FakeRequest, actor: str, entity: str):
        err, member = self._auth(req)
        if err:
            return err
        assert member is not None
        actor_urn, bad = self._decode_segment(actor)
        if bad:
            return bad
        entity_urn, bad = self._decode_segment(entity)
        if bad:
            return bad
        assert actor_urn is not None and entity_urn is not None
        if actor_urn.startswith("urn:li:organization:") and not self._admin(member, actor_urn):
            return self._denied("reactions.DELETE")
        if self.reactions.pop((actor_urn, entity_urn), None) is None:
            return error(404, "NOT_FOUND", f"No reaction of {actor_urn} on {entity_urn}")
        return 204, None

    # statistics -------------------------------------------------------------------------------
    def _stats_guard(self, req: FakeRequest):
        err, member = self._auth(req)
        if err:
            return err, None
        assert member is not None
        if req.q("q") != "organizationalEntity":
            return error(400, "ILLEGAL_ARGUMENT", "q=organizationalEntity is required"), None
        org = req.q("organizationalEntity")
        if not self._admin(member, org):
            return self._denied("organizationalEntityShareStatistics"), None
        return None, org

    @staticmethod
    def _intervals(req: FakeRequest) -> tuple[list[date] | None, Any]:
        raw = req.q("timeIntervals")
        if raw is None:
            return None, None
        m = INTERVAL.fullmatch(raw)
        if not m:
            return None, error(400, "ILLEGAL_ARGUMENT", f"Invalid timeIntervals {raw}")
        start = datetime.fromtimestamp(int(m.group(1)) / 1000, tz=UTC).date()
        end = datetime.fromtimestamp(int(m.group(2)) / 1000, tz=UTC).date()
        days = []
        while start < end:
            days.append(start)
            start += timedelta(days=1)
        return days, None

    @route("GET", r"/rest/organizationalEntityShareStatistics")
    def share_statistics(self, req: FakeRequest):
        err, org = self._stats_guard(req)
        if err:
            return err
        for param, key in (("shares", "share"), ("ugcPosts", "ugcPost")):
            raw = req.q(param)
            if raw is None:
                continue
            m = re.fullmatch(r"List\((.*)\)", raw)
            if not m:
                return error(400, "ILLEGAL_ARGUMENT", f"{param} must be List(...)")
            elements = []
            for urn in filter(None, m.group(1).split(",")):
                if urn in self.post_stats:
                    elements.append(
                        {
                            "organizationalEntity": org,
                            key: urn,
                            "totalShareStatistics": self.post_stats[urn],
                        }
                    )
            return 200, {"elements": elements, "paging": {"start": 0, "count": 10, "links": []}}
        days, bad = self._intervals(req)
        if bad:
            return bad
        if days is None:
            totals: dict[str, int] = {}
            for stats in self.daily_stats.values():
                for k, v in stats.items():
                    totals[k] = totals.get(k, 0) + v
            return 200, {
                "elements": [{"organizationalEntity": org, "totalShareStatistics": totals}]
            }
        elements = []
        for day in days:
            if day in self.daily_stats:
                stats = {
                    k: v for k, v in self.daily_stats[day].items() if k != "uniqueImpressionsCount"
                }
                elements.append(
                    {
                        "organizationalEntity": org,
                        "totalShareStatistics": stats,
                        "timeRange": {"start": day_ms(day), "end": day_ms(day + timedelta(days=1))},
                    }
                )
        return 200, {"elements": elements, "paging": {"start": 0, "count": 10, "links": []}}

    @route("GET", r"/rest/organizationalEntityFollowerStatistics")
    def follower_statistics(self, req: FakeRequest):
        err, org = self._stats_guard(req)
        if err:
            return err
        days, bad = self._intervals(req)
        if bad:
            return bad
        elements = []
        for day in days or []:
            organic, paid = self.follower_gains.get(day, (0, 0))
            elements.append(
                {
                    "organizationalEntity": org,
                    "followerGains": {"organicFollowerGain": organic, "paidFollowerGain": paid},
                    "timeRange": {"start": day_ms(day), "end": day_ms(day + timedelta(days=1))},
                }
            )
        return 200, {"elements": elements, "paging": {"start": 0, "count": 10, "links": []}}

    @route("GET", r"/rest/networkSizes/(?P<raw>[^/]+)")
    def network_size(self, req: FakeRequest, raw: str):
        err, member = self._auth(req)
        if err:
            return err
        assert member is not None
        urn, bad = self._decode_segment(raw)
        if bad:
            return bad
        if req.q("edgeType") != "COMPANY_FOLLOWED_BY_MEMBER":
            return error(400, "ILLEGAL_ARGUMENT", "edgeType must be COMPANY_FOLLOWED_BY_MEMBER")
        return 200, {"firstDegreeSize": self.followers.get(urn or "", 0)}
