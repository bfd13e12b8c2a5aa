"""Signed, expiring URLs for media that networks pull (Instagram, Threads, Facebook ``url`` uploads …).

A URL names one stored file of one organization and stops working after ``ttl`` seconds. It is
signed with the project's secret (``django.core.signing``, salted for this purpose only), so it
cannot be forged or pointed at another file; files live under ``org/<organization_id>/`` in the
default storage and a signature is only honoured for a path inside its own organization's folder.
"""

from __future__ import annotations

import mimetypes
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.urls import reverse
from django.views.decorators.http import require_GET

SALT = "socialops.media.signed-url"
DEFAULT_TTL = timedelta(hours=24)


def org_media_path(organization_id: int, name: str) -> str:
    return f"org/{organization_id}/{name.lstrip('/')}"


def signed_media_url(
    storage_path: str, *, organization_id: int, ttl: timedelta = DEFAULT_TTL
) -> str:
    if not storage_path.startswith(f"org/{organization_id}/") or ".." in storage_path.split("/"):
        raise ValueError(
            "A signed media URL can only name a file inside its organization's folder."
        )
    token = signing.dumps(
        {"p": storage_path, "o": organization_id, "t": int(ttl.total_seconds())},
        salt=SALT,
        compress=True,
    )
    return settings.SITE_URL + reverse("signed_media", args=[token])


def resolve_signed(token: str) -> str:
    """The storage path a token names, or Http404 when it is forged, expired or out of bounds."""
    try:
        unverified = signing.loads(token, salt=SALT)  # verifies the signature
        data = signing.loads(token, salt=SALT, max_age=int(unverified["t"]))  # and then the age
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise Http404("This media link is not valid or has expired.") from exc
    path, org_id = data.get("p", ""), data.get("o")
    if not path.startswith(f"org/{org_id}/") or ".." in path.split("/"):
        raise Http404("This media link is not valid.")
    return path


@require_GET
def signed_media(request, signed):
    path = resolve_signed(signed)
    if not default_storage.exists(path):
        raise Http404("This media file no longer exists.")
    content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
    response = FileResponse(default_storage.open(path, "rb"), content_type=content_type)
    response["Cache-Control"] = "private, max-age=300"
    response["X-Content-Type-Options"] = "nosniff"
    return response
