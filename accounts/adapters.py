"""allauth adapters: who may sign up, and how MFA secrets are kept at rest."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter

from socialops import crypto


class AccountAdapter(DefaultAccountAdapter):
    """Accounts are created by invitation (or SSO later), never by open sign-up."""

    def is_open_for_signup(self, request):
        return False


class MFAAdapter(DefaultMFAAdapter):
    """TOTP secrets and recovery-code seeds are encrypted with the key ring (``socialops.crypto``).

    allauth calls ``encrypt`` before it stores them in ``Authenticator.data`` and ``decrypt``
    whenever it reads them. A value that is not a Fernet token is a secret stored in clear before
    this adapter (or by a process of the previous release during a rolling deploy): it is read as
    it is. Migration ``accounts.0004_encrypt_mfa_secrets`` sealed the existing ones and
    ``manage.py rotate_channel_keys`` seals any that appeared since.
    """

    def encrypt(self, text: str) -> str:
        return crypto.encrypt_text(text)

    def decrypt(self, encrypted_text: str) -> str:
        if crypto.is_encrypted(encrypted_text):
            return crypto.decrypt_text(encrypted_text)
        return encrypted_text


#: the secret-bearing entries of ``Authenticator.data``, per authenticator type
_SECRET_KEYS = {"totp": ("secret",), "recovery_codes": ("seed",)}
_SECRET_LISTS = {"recovery_codes": ("migrated_codes",)}


def seal_authenticator_data(kind: str, data: dict, *, rotate: bool = False) -> dict | None:
    """``data`` with every secret encrypted (clear ones sealed; with ``rotate``, encrypted ones
    re-encrypted with the first key), or None when nothing needed to change."""

    def seal(value):
        if not isinstance(value, str) or not value:
            return value
        if crypto.is_encrypted(value):
            return crypto.rotate(value) if rotate else value
        return crypto.encrypt_text(value)

    new = dict(data)
    for key in _SECRET_KEYS.get(kind, ()):
        if key in new:
            new[key] = seal(new[key])
    for key in _SECRET_LISTS.get(kind, ()):
        if isinstance(new.get(key), list):
            new[key] = [seal(v) for v in new[key]]
    return new if new != data else None


def seal_mfa_secrets(authenticator_model, *, rotate: bool = False) -> int:
    """Encrypt every clear MFA secret (and with ``rotate`` re-encrypt the others with the first
    key). Takes the model so the data migration can pass its historical one. Returns rows changed.

    Every user's rows, on purpose: key rotation is system work.
    """
    changed = 0
    rows = authenticator_model.objects.filter(type__in=list(_SECRET_KEYS)).only(
        "pk", "type", "data"
    )
    for row in rows.iterator():
        new = seal_authenticator_data(row.type, row.data or {}, rotate=rotate)
        if new is not None:
            authenticator_model.objects.filter(pk=row.pk).update(data=new)
            changed += 1
    return changed
