"""The key ring for secrets at rest (Fernet, with MultiFernet so keys can rotate).

Every app that keeps a secret it must read back (channel credentials, TOTP secrets and recovery
code seeds, unsent notification e-mails) encrypts it here, with the keys of
``settings.CHANNEL_CREDENTIALS_KEYS``: the first key encrypts, every key decrypts. Rotating is
putting a new key first, running ``manage.py rotate_channel_keys`` (which re-encrypts every kind
of secret) and then dropping the old key.

The kernel owns the ring so that ``accounts`` (below ``channels_registry``) can use it too.
"""

from __future__ import annotations

import base64
import binascii
import functools

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

__all__ = ["SecretUnreadable", "decrypt_text", "encrypt_text", "is_encrypted", "rotate"]

#: a Fernet token is url-safe base64 of: version 0x80, 8-byte time, 16-byte IV, >=16 bytes of
#: ciphertext, 32-byte HMAC, so it is never shorter than this many bytes once decoded
_MIN_TOKEN_BYTES = 1 + 8 + 16 + 16 + 32


class SecretUnreadable(Exception):
    """A value that none of the configured keys can decrypt (wrong key, dropped key, tampering)."""


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
        raise SecretUnreadable("No configured key can decrypt this value.") from None


def rotate(token: str) -> str:
    """Re-encrypt ``token`` with the first key (decrypting with any configured one)."""
    try:
        return _fernet().rotate(token.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable("No configured key can decrypt this value.") from None


def is_encrypted(value: str) -> bool:
    """Whether ``value`` has the shape of a Fernet token (not whether a key can open it).

    Lets readers of columns that held clear text before they were encrypted tell the two apart:
    a TOTP secret is base32 (upper case), a recovery-code seed hex, an e-mail body prose; none of
    them decodes to a version-0x80 token of at least 73 bytes.
    """
    if not value or not value.startswith("gAAAA"):
        return False
    try:
        raw = base64.urlsafe_b64decode(value.encode("ascii"))
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return False
    return len(raw) >= _MIN_TOKEN_BYTES and raw[0] == 0x80
