"""What channels_registry tells customers' systems through outgoing webhooks (socialops.webhooks):
the full channel in each event. Called from the services, inside their transaction."""

from __future__ import annotations

from django.urls import reverse

from socialops.webhooks.services import absolute_url, emit

from .models import Channel


def channel_payload(channel: Channel) -> dict:
    org = channel.organization
    return {
        "id": channel.pk,
        "organization": org.slug,
        "provider": channel.provider,
        "handle": channel.handle,
        "name": channel.name,
        "status": channel.status,
        "team": channel.team_id,
        "timezone": channel.timezone,
        "profile_url": channel.url,
        "token_expires_at": channel.token_expires_at,
        "last_synced_at": channel.last_synced_at,
        "reason": channel.last_error[:1000],
        "url": absolute_url(reverse("channel_detail", args=[org.slug, channel.pk])),
    }


def channel_needs_reauth(channel: Channel) -> None:
    emit(channel.organization, "channel.needs_reauth", channel.pk, channel_payload(channel))
