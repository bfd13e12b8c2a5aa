"""Encryption at rest for channel credentials (Fernet, with MultiFernet so keys can rotate).

Keys come from ``settings.CHANNEL_CREDENTIALS_KEYS`` (the first encrypts, all decrypt). Nothing
here logs or returns plaintext except to the caller that asked for it.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class CredentialsUnreadable(Exception):
    """A blob that none of the configured keys can decrypt (wrong key, dropped key, tampering)."""


@functools.lru_cache(maxsize=4)
def _multifernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("CHANNEL_CREDENTIALS_KEYS is empty.")
    try:
        return MultiFernet([Fernet(k.encode()) for k in keys])
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(
            "CHANNEL_CREDENTIALS_KEYS must hold Fernet keys (32 url-safe base64-encoded bytes each)."
        ) from exc


def _fernet() -> MultiFernet:
    return _multifernet(tuple(settings.CHANNEL_CREDENTIALS_KEYS))


def encrypt_text(plaintext: str) -> str:
    return _fernet().encrypt(plaintext.encode()).decode()


def decrypt_text(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise CredentialsUnreadable("No configured key can decrypt these credentials.") from None


def encrypt_json(value: Any) -> str:
    return encrypt_text(json.dumps(value, separators=(",", ":"), sort_keys=True))


def decrypt_json(token: str) -> Any:
    return json.loads(decrypt_text(token))


def rotate(token: str) -> str:
    """Re-encrypt ``token`` with the first key (decrypting with any configured one)."""
    try:
        return _fernet().rotate(token.encode()).decode()
    except InvalidToken:
        raise CredentialsUnreadable("No configured key can decrypt these credentials.") from None
