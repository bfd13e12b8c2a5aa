"""Re-encrypt every secret kept with the key ring (CHANNEL_CREDENTIALS_KEYS) with its first key."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from accounts.services import rotate_secret_keys
from channels_registry.services import rotate_credential_keys


class Command(BaseCommand):
    help = (
        "Re-encrypt every secret kept with CHANNEL_CREDENTIALS_KEYS (channel credentials, MFA "
        "secrets, unsent notification e-mails) with the first key. Put the new key first, run "
        "this, then remove the old key."
    )

    def handle(self, *args, **options):
        count = rotate_credential_keys() + rotate_secret_keys()
        self.stdout.write(
            self.style.SUCCESS(f"Re-encrypted {count} secret(s) with the current key.")
        )
