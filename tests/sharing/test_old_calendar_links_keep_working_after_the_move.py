"""publishing 0004: every calendar share link moves into the kernel's table with its id and token
hash, so a token sent out before the move still opens the calendar (and a revoked one stays off)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import signing
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from socialops.sharing import services

from .. import factories as f

BEFORE = [("publishing", "0003_variant_lease_owner"), ("sharing", "0001_share_links")]
AFTER = [("publishing", "0004_calendar_share_links_move_to_the_kernel")]


@pytest.mark.django_db(transaction=True)
def test_a_token_made_before_the_move_still_resolves():
    owner = f.make_user("amy@alpha.test", name="Amy")
    org = f.make_org("Alpha", owner=owner, slug="alpha")
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps.get_model("publishing", "CalendarShareLink")
    now = timezone.now()
    tokens = {}
    for name, revoked in (("Agency", None), ("Old agency", now)):
        secret = f"{name}-secret-part".replace(" ", "-")
        row = old._base_manager.create(
            organization_id=org.pk,
            name=name,
            token_hash=services.token_hash(secret),
            filters={"status": "scheduled"},
            timezone="Asia/Jakarta",
            created_by_id=owner.pk,
            expires_at=now + timedelta(days=30),
            revoked_at=revoked,
        )
        # the token format and salt the calendar signed with before the move
        tokens[name] = (row.pk, signing.Signer(salt="publishing.calendar-share").sign(secret))

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())  # leave the database as the others expect

    pk, token = tokens["Agency"]
    link = services.resolve(token, kind="calendar")
    assert (link.pk, link.kind, link.name, link.filters, link.timezone, link.created_by_id) == (
        pk,
        "calendar",
        "Agency",
        {"status": "scheduled"},
        "Asia/Jakarta",
        owner.pk,
    )
    with pytest.raises(services.ShareLinkGone):
        services.resolve(tokens["Old agency"][1], kind="calendar")
    # the id sequence moved past the copied ids
    new, _token = services.create_link(org, kind="calendar", by=owner, name="After the move")
    assert new.pk > max(pk for pk, _t in tokens.values())
