"""Encryption at rest for channel credentials, on the kernel's key ring (``socialops.crypto``).

Keys come from ``settings.CHANNEL_CREDENTIALS_KEYS`` (the first encrypts, all decrypt). Nothing
here logs or returns plaintext except to the caller that asked for it.
"""

from __future__ import annotations

import json
from typing import Any

from socialops import crypto as keyring

#: A blob that none of the configured keys can decrypt (wrong key, dropped key, tampering).
CredentialsUnreadable = keyring.SecretUnreadable


def encrypt_text(plaintext: str) -> str:
    return keyring.encrypt_text(plaintext)


def decrypt_text(token: str) -> str:
    return keyring.decrypt_text(token)


def encrypt_json(value: Any) -> str:
    return encrypt_text(json.dumps(value, separators=(",", ":"), sort_keys=True))


def decrypt_json(token: str) -> Any:
    return json.loads(decrypt_text(token))


def rotate(token: str) -> str:
    """Re-encrypt ``token`` with the first key (decrypting with any configured one)."""
    return keyring.rotate(token)
