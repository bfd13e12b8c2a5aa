"""Model fields of the kernel."""

from __future__ import annotations

from django.db import models

from . import crypto


class SealedTextField(models.TextField):
    """Text encrypted at rest with the key ring (``socialops.crypto``); Python code sees clear text.

    Every non-empty value is encrypted on its way to the database (``save``, ``bulk_create``,
    ``update``); ``""`` stays ``""``. A stored value that is not a Fernet token was written in
    clear before the column was sealed (or by a process of the previous release during a rolling
    deploy) and reads as it is. A token no configured key opens raises
    :class:`socialops.crypto.SecretUnreadable`. The ciphertext differs on every write, so the
    column cannot be searched or compared in SQL.
    """

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if not value:
            return value
        return crypto.encrypt_text(value)

    def from_db_value(self, value, expression, connection):
        if not value or not crypto.is_encrypted(value):
            return value
        return crypto.decrypt_text(value)
