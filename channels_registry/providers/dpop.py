"""DPoP proofs (RFC 9449) with ES256 keys, as atproto OAuth requires them (atproto.com/specs/oauth).

A DPoP key is a fresh P-256 key pair per OAuth session. It is kept as a private JWK (a small dict
of base64url strings, so it can be stored encrypted with the rest of the session) and never
leaves us: the network only ever sees the public half in each proof's ``jwk`` header.

Each request to the authorization server or the PDS carries a proof: a JWT signed with the key,
naming the method (``htm``) and the URL without query (``htu``), with a unique ``jti``, ``iat``, the
server's latest ``DPoP-Nonce`` and, towards a resource server, ``ath`` (base64url SHA-256 of the
access token).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

PrivateJwk = dict[str, str]


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64url_int(value: str) -> int:
    return int.from_bytes(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)), "big")


def s256(value: str) -> str:
    """base64url(SHA-256(value)): the PKCE S256 challenge, and DPoP's ``ath`` of an access token."""
    return b64url(hashlib.sha256(value.encode()).digest())


def new_key() -> PrivateJwk:
    """A fresh P-256 key as a private JWK (kty, crv, x, y, d)."""
    key = ec.generate_private_key(ec.SECP256R1())
    numbers = key.private_numbers()
    pub = numbers.public_numbers
    return {
        "kty": "EC",
        "crv": "P-256",
        "x": b64url(pub.x.to_bytes(32, "big")),
        "y": b64url(pub.y.to_bytes(32, "big")),
        "d": b64url(numbers.private_value.to_bytes(32, "big")),
    }


def public_jwk(key: PrivateJwk) -> dict[str, str]:
    return {"kty": key["kty"], "crv": key["crv"], "x": key["x"], "y": key["y"]}


def thumbprint(key: dict[str, str]) -> str:
    """The RFC 7638 JWK thumbprint (``jkt``) tokens are bound to."""
    members = {k: key[k] for k in ("crv", "kty", "x", "y")}
    return b64url(
        hashlib.sha256(json.dumps(members, separators=(",", ":"), sort_keys=True).encode()).digest()
    )


def htu(url: str) -> str:
    """The URL as a proof names it: no query, no fragment."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def proof(
    key: PrivateJwk,
    *,
    method: str,
    url: str,
    nonce: str | None = None,
    access_token: str | None = None,
) -> str:
    """A signed DPoP proof JWT for one request."""
    header = {"typ": "dpop+jwt", "alg": "ES256", "jwk": public_jwk(key)}
    claims: dict[str, Any] = {
        "jti": secrets.token_urlsafe(16),
        "htm": method.upper(),
        "htu": htu(url),
        "iat": int(time.time()),
    }
    if nonce:
        claims["nonce"] = nonce
    if access_token:
        claims["ath"] = s256(access_token)
    signing_input = ".".join(
        b64url(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims)
    )
    private = ec.derive_private_key(_b64url_int(key["d"]), ec.SECP256R1())
    r, s = decode_dss_signature(private.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
    # JWS ES256 signatures are r || s, 32 bytes each (RFC 7518 §3.4), not DER.
    return f"{signing_input}.{b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


__all__ = ["PrivateJwk", "b64url", "htu", "new_key", "proof", "public_jwk", "s256", "thumbprint"]
