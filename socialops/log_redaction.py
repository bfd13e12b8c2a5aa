"""Bearer secrets never reach a log line: they are replaced by a short hash of themselves.

Some URLs *are* credentials: whoever holds one acts with it. Request logs (runserver's
``django.server``, gunicorn's access and error logs, Django's ``django.request`` "Not Found: …"
warnings, a CSRF refusal, a traceback) would otherwise keep them, readable by anyone with the logs
and in every log archive. The hashed form (``h:`` + the first 12 hex digits of SHA-256) still lets
an operator tell whether two lines name the same link, and cannot be turned back into it.

Covered: approval links ``/a/<token>/``, calendar share links ``/calendar/shared/<token>/``,
dashboard share links ``/shared/dashboards/<token>/``,
signed media ``/media/s/<signed>/``, invitations ``/invitations/<token>/``, e-mail confirmation
and password-reset keys under ``/accounts/``, secret-bearing query parameters (OAuth ``code`` and
``state``, webhook challenges, ``token``, ``key``, ``signature``) and API tokens (``sop_…``).

``RedactSecretsFilter`` sits on every handler of ``settings.LOGGING``; gunicorn gets it through
``socialops.gunicorn_logger.GunicornLogger`` (``gunicorn.conf.py``).
"""

from __future__ import annotations

import hashlib
import logging
import re

#: the path segment right after one of these prefixes is a bearer secret
_SECRET_PATH_PREFIXES = (
    "a",
    "calendar/shared",
    "shared/dashboards",
    "media/s",
    "invitations",
    "accounts/confirm-email",
    "accounts/password/reset/key",
)
# A secret may also appear percent-encoded inside another URL (``/accounts/login/?next=%2Fa%2F…``).
_SLASH = r"(?:/|%2F)"
#: a secret runs until a delimiter, plain or percent-encoded
_UNTIL_DELIMITER = r"""(?:(?!%2F|%26|%23|%3F|%3B)[^/?#&;\s"'])+"""
_PATH_SECRET = re.compile(
    # what may stand before the path: start, whitespace, a quote or bracket, "=", or a scheme+host
    r"""(?P<before>^|[\s"'(\[=]|//[^/\s"'?#]+|%2F%2F(?:(?!%2F)[^/\s"'?#&])+)"""
    r"(?P<prefix>"
    + _SLASH
    + "(?:"
    + "|".join(re.escape(p).replace("/", _SLASH) for p in _SECRET_PATH_PREFIXES)
    + ")"
    + _SLASH
    + ")"
    r"(?P<secret>" + _UNTIL_DELIMITER + ")",
    re.IGNORECASE,
)
_SECRET_PARAMS = (
    "code",
    "state",
    "token",
    "key",
    "secret",
    "signature",
    "sig",
    "challenge",
    "crc_token",
    "hub.verify_token",
    "hub.challenge",
    "oauth_token",
    "oauth_verifier",
    "access_token",
    "refresh_token",
    "id_token",
    "client_secret",
    "password",
)
_QUERY_SECRET = re.compile(
    r"(?P<before>(?:[?&;]|%3F|%26|%3B)(?:"
    + "|".join(re.escape(p) for p in _SECRET_PARAMS)
    + r")(?:=|%3D))"
    r"(?P<secret>" + _UNTIL_DELIMITER + ")",
    re.IGNORECASE,
)
_API_TOKEN = re.compile(r"\bsop_[A-Za-z0-9_\-]{8,}")


def hashed(secret: str) -> str:
    return "h:" + hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()[:12]


def redact(text: str) -> str:
    """``text`` with every bearer secret replaced by its hashed form."""
    if not text or ("/" not in text and "=" not in text and "%" not in text and "sop_" not in text):
        return text
    text = _PATH_SECRET.sub(lambda m: m["before"] + m["prefix"] + hashed(m["secret"]), text)
    text = _QUERY_SECRET.sub(lambda m: m["before"] + hashed(m["secret"]), text)
    return _API_TOKEN.sub(lambda m: hashed(m.group(0)), text)


class RedactSecretsFilter(logging.Filter):
    """Rewrite a record's message (and traceback) with its secrets hashed; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed record is the handler's problem, not ours
            return True
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True
