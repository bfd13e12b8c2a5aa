"""Coverage, rule 4: channels that need re-auth, or whose token expires within a week."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from channels_registry.models import Channel
from governance.coverage.selectors import coverage_report

from .coverage_factories import channel

pytestmark = pytest.mark.django_db


def test_needs_reauth_and_a_token_expiring_this_week_are_listed_the_rest_is_not(org_a, alice_m):
    now = timezone.now()
    reauth = channel(org_a, "reauth", status=Channel.Status.NEEDS_REAUTH)
    soon = channel(org_a, "soon", token_expires_at=now + timedelta(days=6))
    channel(org_a, "later", token_expires_at=now + timedelta(days=8))
    channel(org_a, "never")  # no expiry known
    channel(org_a, "gone", status=Channel.Status.ARCHIVED, token_expires_at=now + timedelta(days=1))
    channel(
        org_a,
        "off",
        status=Channel.Status.DISCONNECTED,
        token_expires_at=now + timedelta(days=1),
    )
    tokens = coverage_report(org_a, now=now).tokens
    assert [(t.channel.pk, t.reason) for t in tokens] == [
        (reauth.pk, "needs_reauth"),
        (soon.pk, "expires"),
    ]
