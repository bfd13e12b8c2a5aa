"""Each app emits its events where the change happens, with the full object: times in ISO 8601
with their offset, the organization's slug, links to the pages. (The rows are read from the
outbox: sending is tests/webhooks/test_deliveries.py's subject.)"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from approvals import services as approval_services
from channels_registry.providers import errors
from channels_registry.providers.sandbox import SandboxProvider
from channels_registry.services import mark_needs_reauth
from publishing.scheduler import services as scheduling
from socialops.webhooks import services
from socialops.webhooks.models import WebhookDelivery

from ..approvals.conftest import make_workflow, person, stage
from ..factories import add_member, make_user
from ..publishing.scheduler_factories import make_post, sandbox_channels, tick

pytestmark = pytest.mark.django_db

ISO_WITH_OFFSET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


@pytest.fixture
def listening(org_a, settings):
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    settings.SITE_URL = "https://socialops.example"
    # Port 9 (discard): nothing listens, so an attempt fails fast; the rows are what is checked.
    return services.create_endpoint(
        org_a,
        url="http://127.0.0.1:9/hooks",
        events=[
            "post.scheduled",
            "post.published",
            "post.failed",
            "approval.requested",
            "approval.decided",
            "channel.needs_reauth",
        ],
    )


def _events(org, event_type):
    rows = WebhookDelivery.objects.for_org(org).filter(event_type=event_type).order_by("pk")
    return [(row.object_key, json.loads(row.body)) for row in rows]


def _iso(value):
    assert ISO_WITH_OFFSET.match(value), value
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_scheduling_and_publishing_a_post_emit_the_post(org_a, alice, alice_m, listening):
    (kitchen,) = sandbox_channels(org_a, alice_m)
    post = make_post(org_a, alice, [kitchen], text="Fresh bread at 7")
    at = timezone.now() + timedelta(hours=1)
    scheduling.schedule_post(post, by=alice_m, at=at, timezone_name="Asia/Jakarta")

    ((key, body),) = _events(org_a, "post.scheduled")
    assert (
        key == f"post:{post.pk}"
        and body["type"] == "post.scheduled"
        and body["organization"] == "alpha"
    )
    data = body["data"]
    assert (
        data["id"] == post.pk
        and data["status"] == "scheduled"
        and data["text"] == "Fresh bread at 7"
    )
    assert _iso(data["scheduled_at"]) == at.replace(microsecond=at.microsecond // 1000 * 1000)
    assert data["schedule_timezone"] == "Asia/Jakarta"
    assert data["url"] == f"https://socialops.example/o/alpha/posts/{post.pk}/"
    (variant,) = data["variants"]
    assert variant["channel"]["handle"] == kitchen.handle and variant["status"] == "scheduled"

    tick(at + timedelta(seconds=1))
    ((key, body),) = _events(org_a, "post.published")
    assert key == f"post:{post.pk}"  # ordered with the post's other events
    data = body["data"]
    assert (
        data["post"] == post.pk
        and data["status"] == "published"
        and data["post_status"] == "published"
    )
    assert data["external_url"] and _iso(data["published_at"])


def test_a_failed_publish_emits_post_failed(org_a, alice, alice_m, listening, monkeypatch):
    (kitchen,) = sandbox_channels(org_a, alice_m)
    post = make_post(org_a, alice, [kitchen])
    at = timezone.now() + timedelta(hours=1)
    scheduling.schedule_post(post, by=alice_m, at=at, timezone_name="UTC")

    def publish(self, credentials, account_id, request):
        raise errors.ContentRejected("Too many hashtags.")

    monkeypatch.setattr(SandboxProvider, "publish", publish)
    tick(at + timedelta(seconds=1))
    ((key, body),) = _events(org_a, "post.failed")
    assert key == f"post:{post.pk}"
    assert body["data"]["status"] == "failed" and "hashtags" in body["data"]["failure_reason"]


def test_a_channel_that_needs_reconnecting_is_emitted(org_a, alice_m, listening):
    (kitchen,) = sandbox_channels(org_a, alice_m)
    mark_needs_reauth(kitchen, reason="The token was revoked.")
    ((key, body),) = _events(org_a, "channel.needs_reauth")
    assert key == f"channel:{kitchen.pk}"
    assert (
        body["data"]["status"] == "needs_reauth"
        and body["data"]["reason"] == "The token was revoked."
    )
    assert body["data"]["url"] == f"https://socialops.example/o/alpha/channels/{kitchen.pk}/"
    mark_needs_reauth(kitchen, reason="again")  # already flagged: not emitted twice
    assert len(_events(org_a, "channel.needs_reauth")) == 1


def test_approval_requested_and_decided_are_emitted(org_a, alice_m, listening):
    from publishing.posts import services as authoring

    amy = add_member(org_a, make_user("amy@alpha.test", name="Amy Approver"), "manager")
    (kitchen,) = sandbox_channels(org_a, alice_m)
    make_workflow(org_a, alice_m, stage("Brand", person(amy)))
    post = authoring.create_post(org_a, by=alice_m, text="Launch day", channels=[kitchen])
    request = approval_services.submit_for_approval(post, by=alice_m)
    ((key, body),) = _events(org_a, "approval.requested")
    assert key == f"approval:{request.pk}"
    assert body["data"]["status"] == "pending" and body["data"]["post"] == post.pk
    assert body["data"]["stages"] == ["Brand"] and _iso(body["data"]["submitted_at"])

    approval_services.decide(request, by=amy, decision="approve")
    ((key, body),) = _events(org_a, "approval.decided")
    assert key == f"approval:{request.pk}"
    assert body["data"]["status"] == "approved" and _iso(body["data"]["decided_at"])


def test_a_rejection_is_emitted_as_decided(org_a, alice_m, listening):
    from publishing.posts import services as authoring

    amy = add_member(org_a, make_user("amy@alpha.test", name="Amy Approver"), "manager")
    (kitchen,) = sandbox_channels(org_a, alice_m)
    make_workflow(org_a, alice_m, stage("Brand", person(amy)))
    post = authoring.create_post(org_a, by=alice_m, text="Launch day", channels=[kitchen])
    request = approval_services.submit_for_approval(post, by=alice_m)
    approval_services.decide(request, by=amy, decision="reject", comment="Wrong price")
    ((_key, body),) = _events(org_a, "approval.decided")
    assert body["data"]["status"] == "rejected" and body["data"]["outcome_comment"] == "Wrong price"


def test_nothing_is_written_when_no_endpoint_listens(org_a, alice, alice_m):
    (kitchen,) = sandbox_channels(org_a, alice_m)
    post = make_post(org_a, alice, [kitchen])
    scheduling.schedule_post(
        post, by=alice_m, at=timezone.now() + timedelta(hours=1), timezone_name="UTC"
    )
    assert not WebhookDelivery.objects.for_org(org_a).exists()


def test_deactivating_a_member_emits_member_offboarded_with_the_member_and_no_secrets(
    org_a, alice_m, listening
):
    from accounts import services as account_services
    from accounts.models import Team
    from socialops.webhooks.events import EVENT_TYPES

    assert "member.offboarded" in EVENT_TYPES
    services.update_endpoint(listening, events=["member.offboarded"])
    leaver = add_member(org_a, make_user("leaver@alpha.test", name="Lee Ver"), "publisher")
    team = Team.objects.create(organization=org_a, name="Social")
    leaver.teams.add(team)
    account_services.deactivate_member(leaver, by=alice_m)

    ((key, body),) = _events(org_a, "member.offboarded")
    assert key == f"member:{leaver.pk}"
    data = body["data"]
    assert body["type"] == "member.offboarded" and body["organization"] == "alpha"
    assert (data["id"], data["email"], data["full_name"]) == (
        leaver.pk,
        "leaver@alpha.test",
        "Lee Ver",
    )
    assert (data["role"], data["teams"], data["is_active"]) == ("publisher", [team.pk], False)
    _iso(data["joined_at"])
    _iso(data["deactivated_at"])
    assert data["url"] == f"https://socialops.example/o/alpha/members/{leaver.pk}/"
    assert not {"password", "token", "tokens", "secret"} & set(data)

    account_services.reactivate_member(leaver, by=alice_m)
    assert len(_events(org_a, "member.offboarded")) == 1  # coming back is not an offboarding


def test_the_published_payloads_live_link_is_the_apis(
    org_a, alice, alice_m, listening, monkeypatch
):
    """Issue 13 (5): a sandbox variant's ``external_url`` in a payload is its page on today's
    SITE_URL, as the API gives it, not the address the worker stored (another port, an old route)."""
    import dataclasses

    from tests.conftest import api_client_for

    real = SandboxProvider.publish

    def stored_under_an_old_address(self, credentials, account_id, request):
        done = real(self, credentials, account_id, request)
        return dataclasses.replace(
            done, url=f"http://localhost:8000/sandbox/posts/{done.external_id}"
        )

    monkeypatch.setattr(SandboxProvider, "publish", stored_under_an_old_address)
    (kitchen,) = sandbox_channels(org_a, alice_m)
    post = make_post(org_a, alice, [kitchen])
    scheduling.publish_now(post, by=alice_m)
    tick()
    ((_key, body),) = _events(org_a, "post.published")
    link = body["data"]["external_url"]
    api = api_client_for(alice_m)
    (variant,) = api.get(f"/api/v1/posts/{post.pk}/").json()["variants"]
    assert link == variant["external_url"]
    assert link.startswith("https://socialops.example/") and "localhost:8000" not in link
    # a later post.scheduled (the post's full payload) carries the same link
    assert post_payload_link(post) == link


def post_payload_link(post):
    from publishing.models import Post
    from publishing.webhook_events import post_payload

    post = Post.objects.for_org(post.organization_id).get(pk=post.pk)
    (variant,) = post_payload(post)["variants"]
    return variant["external_url"]
