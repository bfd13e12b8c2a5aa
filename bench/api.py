"""The API's conventions (issue 13): what the Idempotency-Key check costs a create.

The same create (``POST /api/v1/teams/``) is timed with and without an ``Idempotency-Key``, the two
interleaved so that both see the same machine; the row reports the difference of their p95.
"""

from __future__ import annotations

import json
import statistics
import time
import uuid

from django.test import Client

from .foundation import Row, _pct


def run() -> list[Row]:
    from django.conf import settings

    from accounts import services

    # the throttles still run (they are part of every call's cost) but do not stop 900 calls a minute
    settings.API_THROTTLE_RATES = {scope: "100000/minute" for scope in settings.API_THROTTLE_RATES}
    from accounts.models import Membership, User

    owner = User.objects.create_user("bench-api@example.test", "bench-password-123")
    org = services.create_organization(name="Bench API", slug="bench-api", owner=owner)
    by = Membership.objects.for_org(org).get(user=owner)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {services.create_api_token(by, name='bench-api').raw}")

    def create(i: int, key: str | None) -> float:
        headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
        t0 = time.monotonic()
        response = api.post(
            "/api/v1/teams/",
            json.dumps({"name": f"Team {i}"}),
            content_type="application/json",
            **headers,
        )
        elapsed = (time.monotonic() - t0) * 1000
        assert response.status_code == 201, response.content
        return elapsed

    for i in range(20):  # warm up
        create(-i - 1, None)
    plain, keyed, replayed = [], [], []
    for i in range(300):
        plain.append(create(2 * i, None))
        key = uuid.uuid4().hex
        keyed.append(create(2 * i + 1, key))
        t0 = time.monotonic()
        response = api.post(
            "/api/v1/teams/",
            json.dumps({"name": f"Team {2 * i + 1}"}),
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY=key,
        )
        replayed.append((time.monotonic() - t0) * 1000)
        assert response.status_code == 201 and response["Idempotent-Replayed"] == "true"
    added = _pct(keyed, 95) - _pct(plain, 95)
    return [
        (
            "API POST /api/v1/teams/ p50 / p95, no Idempotency-Key",
            f"{statistics.median(plain):.1f} / {_pct(plain, 95):.1f}",
            "ms",
            "",
        ),
        (
            "API POST /api/v1/teams/ p50 / p95, with Idempotency-Key",
            f"{statistics.median(keyed):.1f} / {_pct(keyed, 95):.1f}",
            "ms",
            "",
        ),
        ("API idempotency check: added to a create's p95", f"{added:.1f}", "ms", "≤ 2 ms"),
        (
            "API replay of a keyed create p50 / p95",
            f"{statistics.median(replayed):.1f} / {_pct(replayed, 95):.1f}",
            "ms",
            "",
        ),
    ]
