"""The demo organization's inbox: the Sandbox audience's comments, DMs and mentions (English and
Indonesian), taken in through the same poll and ``ingest`` as in production."""

from __future__ import annotations

from channels_registry import services as channel_services
from channels_registry.providers import SANDBOX
from channels_registry.selectors import channels_of

from .services import poll_channel


def seed_demo_inbox(org, *, by) -> int:
    created = 0
    for channel in channels_of(org).filter(provider=SANDBOX, status="active"):
        channel_services.play_sandbox_audience(channel, minutes=45)
        created += poll_channel(channel).created
    return created
