"""publishing.media.fetch: a file for the media library fetched from a URL, through the egress guard.

Only :func:`services.upload_media_from_url` calls it; what it returns is then checked and stored
exactly like an upload (:func:`services.upload_media`).

- Every connection goes through :class:`socialops.egress.HttpClient`: the host is resolved once,
  every answer must be a public address (``OUTBOUND_ALLOW_LOOPBACK`` lets the test servers on
  127.0.0.1 in), and the socket is opened to the checked address.
- Redirects are followed by hand, at most :data:`MAX_REDIRECTS`, each new URL checked again the same
  way (a public page that redirects to 169.254.169.254 is refused).
- The body is read in chunks into a temporary file and stopped as soon as it passes the upload's
  size cap (a ``Content-Length`` over it is refused before reading); the whole fetch has a
  deadline (``MEDIA_FETCH_TIMEOUT`` seconds) besides httpx's per-read time-out.
- Errors carry stable codes and never repeat what the remote sent (an HTTP error says its status
  only): ``destination_not_allowed``, ``media_too_large``, ``fetch_timeout``, ``remote_error``,
  ``fetch_failed``.
"""

from __future__ import annotations

import time
from urllib.parse import unquote, urlsplit

import httpx
from django.conf import settings
from django.core.files.uploadedfile import TemporaryUploadedFile
from django.utils.translation import gettext as _

from socialops import egress
from socialops.errors import ValidationFailed

#: redirects followed (each one checked like the first URL)
MAX_REDIRECTS = 3
DEFAULT_TIMEOUT = 30.0


def _refuse(message: str, code: str) -> ValidationFailed:
    return ValidationFailed(message, fields={"url": [message]}, code=code)


def _timeout() -> float:
    return float(getattr(settings, "MEDIA_FETCH_TIMEOUT", DEFAULT_TIMEOUT))


def _name_of(url: str) -> str:
    path = urlsplit(url).path
    return unquote(path.rstrip("/").rsplit("/", 1)[-1]) or _("file from the web")


def _read_body(
    response: httpx.Response, *, url: str, max_bytes: int, deadline: float
) -> TemporaryUploadedFile:
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise too_large(max_bytes)
    content_type = response.headers.get("Content-Type", "application/octet-stream")
    out = TemporaryUploadedFile(_name_of(url), content_type.split(";")[0], 0, None)
    size = 0
    try:
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > max_bytes:
                raise too_large(max_bytes)
            if time.monotonic() > deadline:
                raise timed_out()
            out.write(chunk)
        out.size = size
        out.seek(0)
    except BaseException:
        out.close()
        raise
    return out


def too_large(max_bytes: int) -> ValidationFailed:
    return _refuse(
        _("The file is larger than %(limit)d MB, the most an upload may be.")
        % {"limit": max_bytes // (1024 * 1024) or 1},
        "media_too_large",
    )


def timed_out() -> ValidationFailed:
    return _refuse(_("The server did not send the file in time."), "fetch_timeout")


def fetch_file(url: str, *, max_bytes: int) -> TemporaryUploadedFile:
    """The body of ``url`` as an uploaded file (named after the URL's last path segment).

    Raises ValidationFailed (field ``url``) with one of the codes in the module's docstring.
    """
    timeout = _timeout()
    deadline = time.monotonic() + timeout
    client = egress.HttpClient(timeout=httpx.Timeout(timeout, connect=min(5.0, timeout)))
    try:
        for _hop in range(MAX_REDIRECTS + 1):
            with client.stream("GET", url, headers={"Accept": "image/*, video/*"}) as response:
                if response.is_redirect:  # a 3xx with a Location; the next hop is checked again
                    url = str(response.url.join(response.headers["Location"]))
                    if time.monotonic() > deadline:
                        raise timed_out()
                    continue
                if not 200 <= response.status_code < 300:
                    raise _refuse(
                        _("The server answered HTTP %(status)d instead of the file.")
                        % {"status": response.status_code},
                        "remote_error",
                    )
                return _read_body(response, url=url, max_bytes=max_bytes, deadline=deadline)
        raise _refuse(
            _("The URL redirects too many times (at most %(n)d are followed).")
            % {"n": MAX_REDIRECTS},
            "fetch_failed",
        )
    except egress.BlockedDestination:
        raise _refuse(
            _(
                "The URL points at a private or local address (or is not http or https); "
                "only addresses on the internet are fetched."
            ),
            "destination_not_allowed",
        ) from None
    except egress.OutboundError as exc:
        if isinstance(exc.__cause__, httpx.TimeoutException):
            raise timed_out() from None
        raise _refuse(
            _("The file could not be fetched: the server could not be reached."), "fetch_failed"
        ) from None
    finally:
        client.close()
