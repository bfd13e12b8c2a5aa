from celery import shared_task

from . import services


@shared_task(name="socialops.idempotency.tasks.purge_expired_keys")
def purge_expired_keys() -> int:
    return services.purge_expired()
