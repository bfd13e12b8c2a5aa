"""Issue 13 (9): ``POST /api/v1/posts/bulk/`` with 200 posts and with its limit (500), and the same
rules run on 1,000 posts as a CSV file does (two sandbox channels each): seconds and statements per
post. A request must finish well inside gunicorn's 30 s timeout.

``python -m bench.bulk_schedule --profile`` prints the statements of a 20-post request, grouped.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from datetime import timedelta

from .foundation import Row


def _world(slug: str):
    from accounts import services
    from accounts.models import Membership, User
    from tests.channels.factories import connect_sandbox

    owner = User.objects.create_user(f"{slug}@example.test", "bench-password-123")
    org = services.create_organization(name=slug, slug=slug, owner=owner)
    by = Membership.objects.for_org(org).get(user=owner)
    channels = connect_sandbox(org, by, ["sbx-kitchen", "sbx-kopi"])
    token = services.create_api_token(by, name=slug).raw
    return org, channels, token


def _body(channels, n: int) -> str:
    from django.utils import timezone

    day = timezone.now() + timedelta(days=3)
    return json.dumps(
        {
            "posts": [
                {
                    "channels": [c.pk for c in channels],
                    "text": f"Bulk post {i} #kopi",
                    "at": (day + timedelta(minutes=i)).isoformat(),
                    "variant_texts": {str(channels[0].pk): f"Own text {i}"},
                }
                for i in range(n)
            ]
        }
    )


class _Counter:
    """Counts every statement (CaptureQueriesContext keeps only the last 9,000)."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def measure(n: int, *, capture: bool = False, through_api: bool = True):
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    settings.API_THROTTLE_RATES = {scope: "100000/minute" for scope in settings.API_THROTTLE_RATES}
    org, channels, token = _world(f"bench-bulk-{n}-{time.monotonic_ns()}")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    body = _body(channels, n)
    counter = _Counter()
    with CaptureQueriesContext(connection) as ctx, connection.execute_wrapper(counter):
        t0 = time.monotonic()
        if through_api:
            response = api.post("/api/v1/posts/bulk/", body, content_type="application/json")
            assert response.status_code == 201, response.content[:2000]
        else:  # the CSV import's way: the same module, without the HTTP request
            _schedule_directly(org, body)
        seconds = time.monotonic() - t0
    return seconds, counter.count, ctx.captured_queries if capture else None


def _schedule_directly(org, body: str) -> None:
    from accounts.models import Membership
    from publishing.posts import bulk_schedule

    by = Membership.objects.for_org(org).select_related("user").get()
    posts = [
        bulk_schedule.BulkPost(
            channels=p["channels"],
            text=p["text"],
            at=p["at"],
            variant_texts={int(k): v for k, v in p["variant_texts"].items()},
        )
        for p in json.loads(body)["posts"]
    ]
    bulk_schedule.schedule_posts(org, by=by, posts=posts)


def run() -> list[Row]:
    from publishing.posts.bulk_schedule import API_MAX_POSTS, MAX_POSTS

    rows = []
    for n, through_api in ((200, True), (API_MAX_POSTS, True), (MAX_POSTS, False)):
        seconds, queries, _ = measure(n, through_api=through_api)
        door = "API POST /api/v1/posts/bulk/" if through_api else "bulk schedule service (CSV)"
        rows.append(
            (
                f"{door} {n:,} posts x 2 channels: seconds / statements per post",
                f"{seconds:.1f} / {queries / n:.1f}",
                "s / q",
                "well under 30 s" if through_api else "",
            )
        )
    return rows


if __name__ == "__main__":
    import os
    import re
    import sys

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socialops.settings")
    import django

    django.setup()
    from django.test.utils import setup_databases, setup_test_environment, teardown_databases

    setup_test_environment()
    old = setup_databases(verbosity=0, interactive=False)
    try:
        n = int(sys.argv[2]) if len(sys.argv) > 2 else 20
        seconds, count, queries = measure(n, capture=True)
        print(f"{n} posts: {seconds:.2f} s, {count} queries ({count / n:.1f} per post)")
        shapes = Counter(
            re.sub(r"\d+", "N", re.sub(r"'[^']*'", "?", q["sql"]))[:160] for q in queries
        )
        for shape, c in shapes.most_common(45):
            print(f"{c:6d}  {shape}")
    finally:
        teardown_databases(old, verbosity=0)
