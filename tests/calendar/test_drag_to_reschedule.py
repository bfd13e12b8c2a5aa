"""Dropping a post on another day or time: the same permission, approval and freeze rules as editing."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from accounts.capabilities import Role
from publishing import hooks
from publishing.models import Post, PostVariant
from publishing.scheduler import services as scheduling
from socialops.audit.models import AuditEvent
from socialops.errors import Conflict

from .. import factories as f
from .conftest import P, V, in_days, make_post

pytestmark = pytest.mark.django_db


def _move(client, org, post, at, **extra):
    url = reverse("calendar_move", kwargs={"org_slug": org.slug, "post_id": post.pk})
    return client.post(url, {"at": at.isoformat(), **extra})


def _reload(post):
    return Post.objects.for_org(post.organization_id).get(pk=post.pk)


def test_a_scheduled_post_is_rescheduled_through_the_scheduler(
    alice_client, org_a, alice, channels
):
    post = make_post(
        org_a, alice, channels, status=P.SCHEDULED, variant_status=V.SCHEDULED, at=in_days(2)
    )
    seen = []

    def listener(sender, **kwargs):
        seen.append(kwargs["source"])

    hooks.post_scheduled.connect(listener)
    try:
        response = _move(alice_client, org_a, post, in_days(5, hour=8))
    finally:
        hooks.post_scheduled.disconnect(listener)
    assert response.status_code == 200, response.content
    assert response.json()["ok"] is True
    post = _reload(post)
    assert post.scheduled_at == in_days(5, hour=8)
    assert {v.due_at for v in PostVariant.objects.for_org(org_a).filter(post=post)} == {
        in_days(5, hour=8)
    }
    assert seen == ["calendar"]
    assert AuditEvent.objects.for_org(org_a).filter(action="post.scheduled").exists()


def test_a_draft_gets_a_new_planned_slot(alice_client, org_a, alice, channels):
    post = make_post(org_a, alice, channels[:1], planned_at=in_days(2))
    response = _move(alice_client, org_a, post, in_days(3, hour=14))
    assert response.status_code == 200, response.content
    # said in words in the viewer's zone ("Moved to Thu 26 Nov 2026, 21:00 WIB."), not an ISO stamp
    assert re.fullmatch(
        r"Moved to \w{3} \d{1,2} \w{3} \d{4}, \d\d:\d\d [\w+:-]+\.", response.json()["message"]
    ), response.json()["message"]
    post = _reload(post)
    assert (
        post.planned_at == in_days(3, hour=14)
        and post.status == P.DRAFT
        and post.scheduled_at is None
    )


def test_a_wall_clock_time_is_read_in_the_viewers_zone(alice_client, org_a, alice, channels):
    alice.timezone = "Asia/Jakarta"
    alice.save()
    post = make_post(org_a, alice, channels[:1], planned_at=in_days(2))
    day = in_days(6).date()
    response = alice_client.post(
        reverse("calendar_move", kwargs={"org_slug": org_a.slug, "post_id": post.pk}),
        {"at": f"{day.isoformat()}T09:00:00"},
    )
    assert response.status_code == 200, response.content
    assert _reload(post).planned_at.isoformat() == f"{day.isoformat()}T02:00:00+00:00"


def test_dropping_into_the_past_is_refused_and_nothing_moves(alice_client, org_a, alice, channels):
    post = make_post(
        org_a, alice, channels, status=P.SCHEDULED, variant_status=V.SCHEDULED, at=in_days(2)
    )
    response = _move(alice_client, org_a, post, in_days(-1))
    assert response.status_code == 400
    assert "past" in response.json()["error"]["message"]
    assert _reload(post).scheduled_at == in_days(2)


def test_dropping_onto_a_frozen_channel_is_refused(alice_client, org_a, alice, alice_m, channels):
    post = make_post(
        org_a, alice, channels, status=P.SCHEDULED, variant_status=V.SCHEDULED, at=in_days(2)
    )
    scheduling.create_freeze(
        org_a, by=alice_m, scope="channel", channel=channels[1], reason="Crisis"
    )
    response = _move(alice_client, org_a, post, in_days(4))
    assert response.status_code == 409
    assert "frozen" in response.json()["error"]["message"]
    assert _reload(post).scheduled_at == in_days(2)
    draft = make_post(org_a, alice, channels[1:], planned_at=in_days(2))
    assert _move(alice_client, org_a, draft, in_days(4)).status_code == 409
    assert _reload(draft).planned_at == in_days(2)


def test_without_permission_the_post_stays(client, org_a, alice, channels):
    contributor = f.make_user("con@alpha.test")
    f.add_member(org_a, contributor, Role.CONTRIBUTOR)
    viewer = f.make_user("view@alpha.test")
    f.add_member(org_a, viewer, Role.VIEWER)
    scheduled = make_post(
        org_a, alice, channels, status=P.SCHEDULED, variant_status=V.SCHEDULED, at=in_days(2)
    )
    draft = make_post(org_a, alice, channels[:1], planned_at=in_days(2))
    client.force_login(contributor)  # may compose, may not publish
    response = _move(client, org_a, scheduled, in_days(4))
    assert response.status_code == 403 and response.json()["error"]["message"]
    assert _reload(scheduled).scheduled_at == in_days(2)
    assert _move(client, org_a, draft, in_days(4)).status_code == 200
    client.force_login(viewer)
    assert _move(client, org_a, draft, in_days(5)).status_code == 403
    assert _reload(draft).planned_at == in_days(4)


def test_a_published_post_cannot_be_moved(alice_client, org_a, alice, channels):
    post = make_post(
        org_a,
        alice,
        channels[:1],
        status=P.PUBLISHED,
        variant_status=V.PUBLISHED,
        at=in_days(-1),
        published_at=in_days(-1),
    )
    response = _move(alice_client, org_a, post, in_days(3))
    assert response.status_code == 409
    assert "published" in response.json()["error"]["message"]
    partly = make_post(
        org_a,
        alice,
        channels,
        status=P.PARTIALLY_PUBLISHED,
        variant_status=V.PUBLISHED,
        at=in_days(-1),
        published_at=in_days(-1),
    )
    assert _move(alice_client, org_a, partly, in_days(3)).status_code == 409


def test_an_approval_gate_refusal_comes_back_with_its_message(alice_client, org_a, alice, channels):
    post = make_post(
        org_a, alice, channels, status=P.SCHEDULED, variant_status=V.SCHEDULED, at=in_days(2)
    )

    def needs_approval(post, by):
        raise Conflict("This post needs approval again before it can be rescheduled.")

    hooks.register_schedule_gate(needs_approval)
    try:
        response = _move(alice_client, org_a, post, in_days(4))
    finally:
        hooks._schedule_gates.remove(needs_approval)
    assert response.status_code == 409
    assert (
        response.json()["error"]["message"]
        == "This post needs approval again before it can be rescheduled."
    )
    assert _reload(post).scheduled_at == in_days(2)


def test_another_organizations_post_is_a_404(client, org_a, org_b, bob, alice, channels):
    post = make_post(org_a, alice, channels[:1], planned_at=in_days(2))
    client.force_login(bob)
    url = reverse("calendar_move", kwargs={"org_slug": org_b.slug, "post_id": post.pk})
    assert client.post(url, {"at": in_days(3).isoformat()}).status_code == 404
    assert _reload(post).planned_at == in_days(2)


def test_the_move_needs_a_readable_time(alice_client, org_a, alice, channels):
    post = make_post(org_a, alice, channels[:1], planned_at=in_days(2))
    url = reverse("calendar_move", kwargs={"org_slug": org_a.slug, "post_id": post.pk})
    assert alice_client.post(url, {"at": "soon"}).status_code == 400
    assert alice_client.get(url).status_code == 405
    assert _reload(post).planned_at == in_days(2)
