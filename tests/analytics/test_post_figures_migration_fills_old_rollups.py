"""analytics 0002: rollups stored before it get their likes, comments, shares and saves from the
raw rows they were made of (NULL stays NULL)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from .. import factories as f
from ..channels.factories import bulk_channels
from .post_world import publish

BEFORE = [("analytics", "0001_initial")]
AFTER = [("analytics", "0002_post_figures")]


@pytest.mark.django_db(transaction=True)
def test_old_rollups_get_their_engagement_parts():
    owner = f.make_user("amy@alpha.test", name="Amy")
    org = f.make_org("Alpha", owner=owner, slug="alpha")
    channel = bulk_channels(org, 1, provider="mastodon")[0]
    variant = publish(
        org, owner, channel, text="Old", at=datetime(2026, 11, 1, tzinfo=UTC), external_id="o"
    )
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    day = date(2026, 11, 2)
    common = {"organization_id": org.pk, "channel_id": channel.pk, "variant_id": variant.pk}
    old.get_model("analytics", "PostMetricSnapshot").objects.create(
        **common, day=day, likes=7, comments=2, shares=None, saves=0
    )
    old.get_model("analytics", "PostDay").objects.create(**common, day=day, engagements=9)

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps
    row = new.get_model("analytics", "PostDay").objects.get(variant_id=variant.pk)
    assert (row.likes, row.comments, row.shares, row.saves) == (7, 2, None, 0)
    assert row.engagements == 9 and row.fetched_at is None

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())  # leave the database as the others expect
