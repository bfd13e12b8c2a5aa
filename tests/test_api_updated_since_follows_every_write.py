"""Issue 13 (7): ``updated_since`` on posts and variants must see every change a sync client cares
about (status, schedule, text, published, failed, cancelled), including the writes made with a
queryset ``UPDATE`` (the scheduler's claim and outcomes, an edit sending a post back to draft)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.capabilities import Role
from channels_registry.providers import errors
from channels_registry.providers.base import PublishResult
from channels_registry.providers.sandbox import SandboxProvider
from publishing.models import Post, PostVariant
from publishing.posts import services as authoring
from publishing.scheduler import dispatch
from publishing.scheduler import services as scheduling

from . import factories as f
from .conftest import api_client_for
from .publishing.scheduler_factories import make_post, no_lookahead, run_worker, sandbox_channels

pytestmark = pytest.mark.django_db
REAL_PUBLISH = SandboxProvider.publish


def _stale(post) -> str:
    """Move the post's and its variants' ``updated_at`` an hour back; returns a moment after that."""
    then = timezone.now() - timedelta(hours=1)
    Post.objects.for_org(post.organization_id).filter(pk=post.pk).update(updated_at=then)
    PostVariant.objects.for_org(post.organization_id).filter(post=post).update(updated_at=then)
    return (then + timedelta(minutes=30)).isoformat()


def _changed(api, since):
    posts = api.get("/api/v1/posts/", {"updated_since": since})
    variants = api.get("/api/v1/variants/", {"updated_since": since})
    assert posts.status_code == variants.status_code == 200, (posts.content, variants.content)
    return (
        {row["id"] for row in posts.json()["results"]},
        {row["id"] for row in variants.json()["results"]},
    )


def _variant_ids(post):
    return set(
        PostVariant.objects.for_org(post.organization_id)
        .filter(post=post)
        .values_list("pk", flat=True)
    )


@pytest.fixture
def due_post(org_a, alice, alice_m, monkeypatch):
    monkeypatch.setattr(scheduling, "_kick_dispatcher", lambda: None)
    channels = sandbox_channels(org_a, alice_m, ["sbx-kitchen", "sbx-kopi"])
    post = make_post(org_a, alice, channels, text="Sync me")
    scheduling.publish_now(post, by=alice_m)
    return post


def test_the_claim_and_the_publish_by_the_worker_move_updated_at(alice_api, due_post):
    since = _stale(due_post)
    with no_lookahead():
        claims = dispatch.claim_due()
    assert _changed(alice_api, since)[1] == _variant_ids(due_post)  # scheduled -> publishing
    since = _stale(due_post)
    results = run_worker(claims)
    assert {r.outcome for r in results} == {"published"}
    assert _changed(alice_api, since) == ({due_post.pk}, _variant_ids(due_post))


def test_a_failure_moves_updated_at(alice_api, due_post, monkeypatch):
    def reject(self, credentials, account_id, request):
        raise errors.ContentRejected("no")

    monkeypatch.setattr(SandboxProvider, "publish", reject)
    with no_lookahead():
        claims = dispatch.claim_due()
    since = _stale(due_post)
    run_worker(claims)
    assert _changed(alice_api, since) == ({due_post.pk}, _variant_ids(due_post))


def test_a_pending_poll_that_cannot_ask_moves_updated_at(alice_api, due_post, monkeypatch):
    def accept(self, credentials, account_id, request):
        done = REAL_PUBLISH(self, credentials, account_id, request)
        return PublishResult(status="pending", pending_ref=done.external_id)

    def cannot_ask(self, credentials, account_id, ref):
        raise errors.ProviderError("network down")

    monkeypatch.setattr(SandboxProvider, "publish", accept)
    monkeypatch.setattr(SandboxProvider, "check_publish", cannot_ask)
    with no_lookahead():
        run_worker(dispatch.claim_due())
        later = max(
            v.next_attempt_at
            for v in PostVariant.objects.for_org(due_post.organization_id).filter(post=due_post)
        )
        claims = dispatch.claim_due(now=later + timedelta(seconds=1))
    assert claims
    since = _stale(due_post)  # publishing (claimed for the poll) -> pending again
    run_worker(claims)
    statuses = set(
        PostVariant.objects.for_org(due_post.organization_id)
        .filter(post=due_post)
        .values_list("status", flat=True)
    )
    assert statuses == {PostVariant.Status.PENDING}
    assert _changed(alice_api, since)[1] == _variant_ids(due_post)


def test_an_edit_that_sends_variants_back_to_draft_moves_updated_at(
    org_a, alice, alice_m, monkeypatch
):
    monkeypatch.setattr(scheduling, "_kick_dispatcher", lambda: None)
    cora = f.make_user("cora@alpha.test", name="Cora Contributor")
    cora_m = f.add_member(org_a, cora, Role.CONTRIBUTOR)
    channels = sandbox_channels(org_a, alice_m, ["sbx-kitchen"])
    post = make_post(org_a, cora, channels, text="First")
    scheduling.schedule_post(
        post, at=timezone.now() + timedelta(days=1), timezone_name="UTC", by=alice_m
    )
    since = _stale(post)
    authoring.update_post(post, by=cora_m, text="Second")
    assert {v.status for v in PostVariant.objects.for_org(org_a).filter(post=post)} == {
        PostVariant.Status.DRAFT
    }
    assert _changed(api_client_for(alice_m), since) == ({post.pk}, _variant_ids(post))


def test_a_cancel_moves_updated_at(alice_api, org_a, alice, alice_m, monkeypatch):
    monkeypatch.setattr(scheduling, "_kick_dispatcher", lambda: None)
    channels = sandbox_channels(org_a, alice_m, ["sbx-kitchen"])
    post = make_post(org_a, alice, channels)
    scheduling.schedule_post(
        post, at=timezone.now() + timedelta(days=1), timezone_name="UTC", by=alice_m
    )
    since = _stale(post)
    scheduling.cancel_post(post, by=alice_m)
    assert _changed(alice_api, since) == ({post.pk}, _variant_ids(post))


def test_deleting_a_parent_moves_its_localized_children(alice_api, org_a, alice, alice_m):
    channels = sandbox_channels(org_a, alice_m, ["sbx-kitchen"])
    parent = make_post(org_a, alice, channels, status=Post.Status.DRAFT)
    child = make_post(org_a, alice, channels, status=Post.Status.DRAFT, parent=parent)
    since = _stale(child)
    authoring.delete_post(parent, by=alice_m)
    assert _changed(alice_api, since)[0] == {child.pk}
