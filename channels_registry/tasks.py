"""Background work of channels_registry. Tasks take ids, re-read the row and call one service."""

from __future__ import annotations

import logging

from celery import shared_task
from django.utils import timezone

from .models import Channel
from .providers.errors import ProviderError

log = logging.getLogger(__name__)


def _channel(channel_id: int) -> Channel | None:
    # Unscoped by id: the task was enqueued for one channel; its organization comes with the row.
    return Channel.objects.unscoped().select_related("organization").filter(pk=channel_id).first()


def expiring_channel_ids(*, now=None) -> list[int]:
    """Active channels (every organization: a system sweep) whose token expires within 24 h."""
    from .services import REFRESH_AHEAD

    now = now or timezone.now()
    return list(
        Channel.objects.unscoped()
        .filter(
            status=Channel.Status.ACTIVE,
            token_expires_at__isnull=False,
            token_expires_at__lte=now + REFRESH_AHEAD,
        )
        .values_list("pk", flat=True)
    )


MAX_COUNTDOWN = 300  # seconds; far below the broker's visibility timeout


@shared_task(name="channels_registry.tasks.refresh_expiring_credentials", ignore_result=True)
def refresh_expiring_credentials() -> int:
    ids = expiring_channel_ids()
    for channel_id in ids:
        refresh_channel_credentials.delay(channel_id)
    return len(ids)


@shared_task(
    name="channels_registry.tasks.refresh_channel_credentials",
    bind=True,
    ignore_result=True,
    acks_late=True,
    max_retries=5,
)
def refresh_channel_credentials(self, channel_id: int) -> None:
    from . import services

    channel = _channel(channel_id)
    if channel is None:
        return
    try:
        services.refresh_channel_credentials(channel)
    except ProviderError as exc:
        if exc.permanent:
            log.warning("Refreshing channel %s failed permanently: %s", channel_id, exc.message)
            return
        countdown = exc.retry_after or 60 * (2**self.request.retries)
        if countdown > MAX_COUNTDOWN:
            # Never park a task in the broker longer than its visibility timeout: the beat sweep
            # (every 10 minutes) picks the channel up again once the network lets us.
            log.info(
                "Channel %s: network asks to wait %ss; the next sweep retries.",
                channel_id,
                countdown,
            )
            return
        raise self.retry(countdown=countdown) from None


@shared_task(name="channels_registry.tasks.check_channels_health", ignore_result=True)
def check_channels_health() -> int:
    ids = list(
        Channel.objects.unscoped().filter(status=Channel.Status.ACTIVE).values_list("pk", flat=True)
    )
    for channel_id in ids:
        check_channel_health.delay(channel_id)
    return len(ids)


@shared_task(
    name="channels_registry.tasks.check_channel_health", ignore_result=True, acks_late=True
)
def check_channel_health(channel_id: int) -> None:
    from . import services

    channel = _channel(channel_id)
    if channel is not None:
        services.check_channel_health(channel)


@shared_task(
    name="channels_registry.tasks.process_webhook_delivery", ignore_result=True, acks_late=True
)
def process_webhook_delivery(delivery_id: int) -> None:
    from . import services

    services.process_webhook_delivery(delivery_id)


@shared_task(name="channels_registry.tasks.resume_unprocessed_webhooks", ignore_result=True)
def resume_unprocessed_webhooks() -> int:
    """Beat: pushes stored but never processed are queued again."""
    from . import services

    return len(services.resume_unprocessed_webhook_deliveries())


@shared_task(name="channels_registry.tasks.simulate_sandbox_audience", ignore_result=True)
def simulate_sandbox_audience() -> int:
    from .simulation import sandbox_channel_ids, simulate_channel

    now = timezone.now()
    count = 0
    for channel_id in sandbox_channel_ids():
        channel = _channel(channel_id)
        if channel is not None:
            count += simulate_channel(channel, now=now)
    return count
