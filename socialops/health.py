"""/healthz: JSON with the database's and the broker's state; 200 when both answer, else 503."""

from __future__ import annotations

import time

from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .celery import app as celery_app
from .heartbeat import HEARTBEAT_KEY


def _check_database() -> dict:
    started = time.monotonic()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any failure means unhealthy
        return {"ok": False, "error": exc.__class__.__name__}
    return {
        "ok": True,
        "ms": round((time.monotonic() - started) * 1000, 1),
        "vendor": connection.vendor,
    }


def _check_broker() -> dict:
    started = time.monotonic()
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
            transport = conn.transport_cls
    except Exception as exc:  # noqa: BLE001
        return {"ok": False, "error": exc.__class__.__name__}
    return {
        "ok": True,
        "ms": round((time.monotonic() - started) * 1000, 1),
        "transport": str(transport),
    }


@never_cache
@require_GET
def healthz(request):
    database = _check_database()
    broker = _check_broker()
    healthy = database["ok"] and broker["ok"]
    body = {
        "status": "ok" if healthy else "unhealthy",
        "database": database,
        "broker": broker,
        "worker_heartbeat": cache.get(HEARTBEAT_KEY),
    }
    return JsonResponse(body, status=200 if healthy else 503)
