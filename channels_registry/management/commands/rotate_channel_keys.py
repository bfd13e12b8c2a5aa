"""Re-encrypt every channel credential with the first key of CHANNEL_CREDENTIALS_KEYS."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from channels_registry.services import rotate_credential_keys


class Command(BaseCommand):
    help = ("Re-encrypt stored channel credentials with the first CHANNEL_CREDENTIALS_KEYS key. "
            "Put the new key first, run this, then remove the old key.")

    def handle(self, *args, **options):
        count = rotate_credential_keys()
        self.stdout.write(self.style.SUCCESS(f"Re-encrypted {count} secret(s) with the current key."))
