"""Mastodon channels' external ids name their server: ``<account id>@<host>``.

Mastodon account ids are unique per server only, so a bare id could not tell two servers'
accounts apart. The server is the instance stored with the channel's (encrypted) credentials;
a channel without readable credentials (disconnected, archived) falls back to the server in its
handle (``@me@host``, written from the instance's address at connect). A row whose server
cannot be determined is left as it is and logged: the connector still accepts a bare id, and a
reconnect then adds the qualified channel. Nothing here raises; reversing strips the server
again unless that would give two channels of one organization the same id.
"""

import logging

from django.db import IntegrityError, migrations, transaction

log = logging.getLogger("channels_registry.migrations")


def _instance_of(channel, credential_model) -> tuple[str, str]:
    """``(instance address or host, where it was found)``, or ``("", "")``."""
    from channels_registry import crypto

    row = credential_model._base_manager.filter(channel_id=channel.pk).only("blob").first()
    if row is not None:
        try:
            extra = (crypto.decrypt_json(row.blob) or {}).get("extra") or {}
        except Exception:  # noqa: BLE001 - unreadable credentials: try the handle
            extra = {}
        if isinstance(extra, dict) and extra.get("instance_url"):
            return str(extra["instance_url"]), "credentials"
    handle = (channel.handle or "").lstrip("@")
    if "@" in handle:
        host = handle.rsplit("@", 1)[1].strip()
        if host:
            return host, "handle"
    return "", ""


def _rewrite(channel_model, channel, new_id: str) -> bool:
    taken = channel_model._base_manager.filter(
        organization_id=channel.organization_id, provider=channel.provider, external_id=new_id
    ).exclude(pk=channel.pk)
    if taken.exists():
        log.warning(
            "Mastodon channel %s: another channel of its organization already has the id %r; left as %r.",
            channel.pk,
            new_id,
            channel.external_id,
        )
        return False
    try:
        with transaction.atomic():
            channel_model._base_manager.filter(pk=channel.pk).update(external_id=new_id)
    except IntegrityError:
        log.warning(
            "Mastodon channel %s: could not change its id to %r; left as %r.",
            channel.pk,
            new_id,
            channel.external_id,
        )
        return False
    return True


def qualify_mastodon_ids(apps, schema_editor) -> int:
    """Rewrite bare Mastodon account ids as ``<id>@<host>``; returns how many rows changed."""
    from channels_registry.providers.mastodon import qualified_account_id

    channel_model = apps.get_model("channels_registry", "Channel")
    credential_model = apps.get_model("channels_registry", "ChannelCredential")
    changed = 0
    rows = channel_model._base_manager.filter(provider="mastodon").exclude(
        external_id__contains="@"
    )
    for channel in rows.order_by("pk").iterator():
        try:
            instance, source = _instance_of(channel, credential_model)
            if not instance:
                log.warning(
                    "Mastodon channel %s (%r): no server stored with it; its id %r is left unqualified.",
                    channel.pk,
                    channel.handle,
                    channel.external_id,
                )
                continue
            new_id = qualified_account_id(channel.external_id, instance)
            if _rewrite(channel_model, channel, new_id):
                changed += 1
                log.info(
                    "Mastodon channel %s: id %r → %r (server from its %s).",
                    channel.pk,
                    channel.external_id,
                    new_id,
                    source,
                )
        except Exception:  # noqa: BLE001 - one odd row must not stop the migration
            log.warning(
                "Mastodon channel %s: its id %r could not be qualified; left as it is.",
                channel.pk,
                channel.external_id,
                exc_info=True,
            )
    return changed


def unqualify_mastodon_ids(apps, schema_editor) -> int:
    """Back to bare ids, except where two servers' accounts of one organization share the id."""
    channel_model = apps.get_model("channels_registry", "Channel")
    changed = 0
    rows = channel_model._base_manager.filter(provider="mastodon", external_id__contains="@")
    for channel in rows.order_by("pk").iterator():
        bare = channel.external_id.split("@", 1)[0]
        if bare and _rewrite(channel_model, channel, bare):
            changed += 1
    return changed


class Migration(migrations.Migration):
    dependencies = [
        ("channels_registry", "0002_channel_metadata"),
    ]

    operations = [
        migrations.RunPython(qualify_mastodon_ids, unqualify_mastodon_ids, elidable=False),
    ]
