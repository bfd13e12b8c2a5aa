"""Polling a channel's inbox: the provider's cursor is kept in ``PollState``; a rate limit or a
failure pushes the next poll out (the network's ``retry_after``, else doubling waits)."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from channels_registry.providers.errors import AuthExpired, ProviderError, RateLimited
from channels_registry.selectors import (
    active_channel_ids_unscoped,
    channels_by_id_unscoped,
    credentials_for,
    provider_for,
)
from socialops.errors import ApplicationError

from ..models import PollState
from .ingest import IngestResult, ingest

log = logging.getLogger(__name__)

#: pages read per poll at most (the rest waits for the next poll)
MAX_PAGES = 5
MAX_BACKOFF = timedelta(hours=1)
#: how long a claimed poll may run before the sweep hands it out again
CLAIM = timedelta(minutes=2)


def poll_interval() -> timedelta:
    return timedelta(seconds=getattr(settings, "INBOX_POLL_SECONDS", 60))


def backoff(failures: int, retry_after: float | None = None) -> timedelta:
    """The wait after the ``failures``-th failure in a row: the network's word, else 1, 2, 4 … min."""
    doubling = timedelta(minutes=2 ** max(0, failures - 1))
    wait = timedelta(seconds=retry_after) if retry_after else doubling
    return min(max(wait, timedelta(seconds=1)), MAX_BACKOFF)


def claim_due_channels(*, now=None, limit: int = 200) -> list[int]:
    """Channels whose inbox is due for a poll (every organization: a system sweep), claimed so a
    second sweep does not hand them out twice. Active channels without a state get one."""
    now = now or timezone.now()
    ids = active_channel_ids_unscoped()
    have = set(
        PollState.objects.unscoped().filter(channel_id__in=ids).values_list("channel_id", flat=True)
    )
    missing = [i for i in ids if i not in have]
    if missing:
        channels = channels_by_id_unscoped(missing)
        PollState.objects.bulk_create(
            [
                PollState(organization_id=c.organization_id, channel=c, next_poll_at=now)
                for c in channels.values()
            ],
            ignore_conflicts=True,
        )
    due = list(
        PollState.objects.unscoped()
        .filter(channel_id__in=ids, next_poll_at__lte=now)
        .order_by("next_poll_at")
        .values_list("pk", "channel_id")[:limit]
    )
    claimed = []
    for pk, channel_id in due:
        # conditional update: only one sweep wins the row
        won = (
            PollState.objects.unscoped()
            .filter(pk=pk, next_poll_at__lte=now)
            .update(next_poll_at=now + CLAIM)
        )
        if won:
            claimed.append(channel_id)
    return claimed


def poll_channel(channel, *, now=None) -> IngestResult:
    """Fetch what is new on ``channel`` since the stored cursor and ingest it."""
    now = now or timezone.now()
    state, _ = PollState.objects.for_org(channel.organization_id).get_or_create(
        channel=channel, defaults={"organization_id": channel.organization_id}
    )
    total = IngestResult()
    if not channel.is_usable:
        return total
    provider = provider_for(channel)
    cursor = state.cursor or None
    try:
        credentials = credentials_for(channel)
        for _page in range(MAX_PAGES):
            page = provider.fetch_inbox(credentials, channel.external_id, cursor)
            result = ingest(channel, page.items)
            total.received += result.received
            total.created += result.created
            total.duplicates += result.duplicates
            total.conversations_created += result.conversations_created
            advanced = page.cursor and page.cursor != cursor
            cursor = page.cursor or cursor
            # the cursor is stored after each page: a failure later does not fetch it again
            PollState.objects.for_org(channel.organization_id).filter(pk=state.pk).update(
                cursor=cursor or ""
            )
            if not page.items or not advanced:
                break
    except NotImplementedError:
        _settle(state, next_at=now + timedelta(days=1), error="This network offers no inbox.")
        return total
    except RateLimited as exc:
        failures = state.failures + 1
        wait = backoff(failures, exc.retry_after)
        log.info("Inbox poll of channel %s rate limited; next in %s.", channel.pk, wait)
        _settle(state, next_at=now + wait, error=exc.message, failures=failures)
        return total
    except (AuthExpired, ProviderError, ApplicationError) as exc:
        failures = state.failures + 1
        message = getattr(exc, "message", "") or str(exc)
        log.warning("Inbox poll of channel %s failed: %s", channel.pk, message)
        _settle(state, next_at=now + backoff(failures), error=message, failures=failures)
        return total
    _settle(state, next_at=now + poll_interval(), error="", failures=0, polled_at=now)
    return total


def _settle(state, *, next_at, error: str, failures: int | None = None, polled_at=None) -> None:
    fields = {"next_poll_at": next_at, "last_error": error[:1000]}
    if failures is not None:
        fields["failures"] = failures
    if polled_at is not None:
        fields["last_polled_at"] = polled_at
    with transaction.atomic():
        PollState.objects.for_org(state.organization_id).filter(pk=state.pk).update(**fields)


def ingest_webhook_events(events: list[dict]) -> None:
    """The webhook handler (registered with ``channels_registry.hooks``): each event's item goes
    to ``ingest`` for every channel connected to its account."""
    from datetime import datetime

    from channels_registry.providers.base import InboxItem

    per_channel: dict[int, list[InboxItem]] = {}
    for event in events:
        data = dict(event["item"])
        created = data.get("created_at")
        if isinstance(created, str):
            data["created_at"] = datetime.fromisoformat(created.replace("Z", "+00:00"))
        fields = {k: v for k, v in data.items() if k in InboxItem.__dataclass_fields__}
        for target in event.get("channels") or []:
            per_channel.setdefault(target["channel_id"], []).append(InboxItem(**fields))
    if not per_channel:
        log.info("Inbox: a webhook's %d item(s) name no channel here; dropped.", len(events))
        return
    channels = channels_by_id_unscoped(per_channel)
    for channel_id, items in per_channel.items():
        ingest(channels.get(channel_id), items)
