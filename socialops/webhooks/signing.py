"""Signatures as the Standard Webhooks specification describes them (www.standardwebhooks.com):
``webhook-id``, ``webhook-timestamp`` (Unix seconds) and ``webhook-signature`` =
``v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`` with the secret's bytes (``whsec_`` +
base64), several signatures separated by spaces. The ``standardwebhooks`` package (the
specification's own reference library) computes each signature."""

from __future__ import annotations

import base64
import secrets as _secrets
from datetime import datetime

from standardwebhooks.webhooks import Webhook

SECRET_PREFIX = "whsec_"  # noqa: S105 - the format's prefix, not a secret
SECRET_BYTES = 32  # the specification asks for 24 to 64 random bytes


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(_secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def signature_header(secrets: list[str], msg_id: str, at: datetime, body: bytes) -> str:
    """``v1,<sig>`` for each secret, space-separated (two during a rotation's overlap)."""
    return " ".join(Webhook(secret).sign(msg_id, at, body) for secret in secrets)


def headers(secrets: list[str], msg_id: str, at: datetime, body: bytes) -> dict[str, str]:
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature_header(secrets, msg_id, at, body),
        "content-type": "application/json",
    }
