"""Encrypt the TOTP secrets and recovery-code seeds allauth stored in clear (see
``accounts.adapters.MFAAdapter``). Reversible: going back decrypts them for the older release."""

from django.db import migrations


def encrypt_clear_mfa_secrets(apps, schema_editor):
    from accounts.adapters import seal_mfa_secrets

    seal_mfa_secrets(apps.get_model("mfa", "Authenticator"))


def decrypt_mfa_secrets(apps, schema_editor):
    from accounts.adapters import MFAAdapter

    adapter = MFAAdapter()
    Authenticator = apps.get_model("mfa", "Authenticator")
    for row in Authenticator.objects.filter(type__in=["totp", "recovery_codes"]).iterator():
        data = dict(row.data or {})
        for key in ("secret", "seed"):
            if isinstance(data.get(key), str):
                data[key] = adapter.decrypt(data[key])
        if isinstance(data.get("migrated_codes"), list):
            data["migrated_codes"] = [adapter.decrypt(c) for c in data["migrated_codes"]]
        Authenticator.objects.filter(pk=row.pk).update(data=data)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_notification_outbox"),
        ("mfa", "0003_authenticator_type_uniq"),
    ]

    operations = [migrations.RunPython(encrypt_clear_mfa_secrets, decrypt_mfa_secrets)]
