from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from accounts.models import Organization
from channels_registry.models import Channel, SandboxPost

pytestmark = pytest.mark.django_db


def test_the_demo_gets_sandbox_channels_in_several_teams_idempotently():
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())
    org = Organization.objects.get(slug="demo")
    assert org.sandbox_network  # the demo opts in, so it works in production too
    channels = list(Channel.objects.for_org(org).select_related("team"))
    assert len(channels) == 5 and {c.provider for c in channels} == {"sandbox"}
    assert len({c.team.name for c in channels}) == 5
    assert all(c.status == Channel.Status.ACTIVE and c.token_expires_at for c in channels)
    assert SandboxPost.objects.for_org(org).count() == 5
