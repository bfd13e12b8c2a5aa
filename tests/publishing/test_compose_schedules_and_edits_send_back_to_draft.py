"""Scheduling from the composer stores UTC and the zone meant; editing a scheduled post sends it back to draft."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from publishing.models import Post, PostVariant
from publishing.posts import services as authoring
from tests.channels.factories import connect_sandbox


@pytest.fixture
def sandbox(org_a, alice_m):
    (channel,) = connect_sandbox(org_a, alice_m, ["sbx-kitchen"], timezone_name="Asia/Jakarta")
    return channel


@pytest.mark.django_db
def test_scheduling_from_the_composer_stores_the_utc_time_of_the_local_time(
    alice_client, org_a, sandbox
):
    day = (timezone.now() + timedelta(days=3)).date()
    response = alice_client.post(
        reverse("compose", args=[org_a.slug]),
        {
            "text": "Tomorrow at nine",
            "channels": [sandbox.pk],
            "action": "schedule",
            "schedule_date": day.isoformat(),
            "schedule_time": "09:00",
            "schedule_timezone": "Asia/Jakarta",
        },
    )
    assert response.status_code == 302
    post = Post.objects.for_org(org_a).get()
    assert post.status == Post.Status.SCHEDULED
    assert post.scheduled_at == datetime(
        day.year, day.month, day.day, 2, 0, tzinfo=UTC
    )  # 09:00 WIB = 02:00 UTC
    assert post.schedule_timezone == "Asia/Jakarta"
    detail = alice_client.get(reverse("post_detail", args=[org_a.slug, post.pk])).content.decode()
    assert "09:00 WIB = " in detail and "in your time zone" in detail


@pytest.mark.django_db
def test_a_schedule_in_the_past_is_refused_and_nothing_is_saved(alice_client, org_a, sandbox):
    response = alice_client.post(
        reverse("compose", args=[org_a.slug]),
        {
            "text": "Too late",
            "channels": [sandbox.pk],
            "action": "schedule",
            "schedule_date": "2020-01-01",
            "schedule_time": "09:00",
            "schedule_timezone": "Asia/Jakarta",
        },
    )
    assert response.status_code == 200 and "in the past" in response.content.decode()
    assert Post.objects.for_org(org_a).count() == 0


@pytest.mark.django_db
def test_editing_the_text_of_a_scheduled_post_sends_it_back_to_draft(org_a, alice_m, sandbox):
    post = authoring.create_post(org_a, by=alice_m, text="First", channels=[sandbox])
    from publishing.services import schedule_post

    schedule_post(
        post, by=alice_m, at=timezone.now() + timedelta(days=1), timezone_name="Asia/Jakarta"
    )
    post = authoring.update_post(post, by=alice_m, text="Second")
    post.refresh_from_db()
    variant = PostVariant.objects.for_org(org_a).get(post=post)
    assert post.status == Post.Status.DRAFT and post.version == 2
    assert variant.status == PostVariant.Status.DRAFT and variant.content_version == 2


@pytest.mark.django_db
def test_publish_now_from_the_composer_hands_the_post_to_the_scheduler(
    alice_client, org_a, sandbox
):
    response = alice_client.post(
        reverse("compose", args=[org_a.slug]),
        {"text": "Right now", "channels": [sandbox.pk], "action": "publish"},
    )
    assert response.status_code == 302
    post = Post.objects.for_org(org_a).get()
    assert post.status != Post.Status.DRAFT


@pytest.mark.django_db
def test_editing_an_approved_post_sends_it_back_to_draft_but_a_title_change_does_not(
    org_a, alice_m, sandbox
):
    post = authoring.create_post(org_a, by=alice_m, text="Approved text", channels=[sandbox])
    Post.objects.for_org(org_a).filter(pk=post.pk).update(status=Post.Status.APPROVED)
    post.refresh_from_db()
    post = authoring.update_post(post, by=alice_m, title="Internal only")
    assert post.status == Post.Status.APPROVED and post.version == 1
    post = authoring.update_post(post, by=alice_m, text="Edited after approval")
    assert post.status == Post.Status.DRAFT and post.version == 2


@pytest.mark.django_db
def test_the_composer_service_owns_its_transaction(org_a, alice_m, sandbox):
    """Called alone (no view around it), a schedule without a time keeps no half-made post."""
    from socialops.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        authoring.save_composition(
            org_a,
            None,
            by=alice_m,
            action="schedule",
            at=None,
            timezone_name="Asia/Jakarta",
            text="When?",
            channels=[sandbox],
        )
    assert Post.objects.for_org(org_a).count() == 0
    day = timezone.now() + timedelta(days=2)
    post = authoring.save_composition(
        org_a,
        None,
        by=alice_m,
        action="schedule",
        at=day,
        timezone_name="Asia/Jakarta",
        text="Then",
        channels=[sandbox],
    )
    assert post.status == Post.Status.SCHEDULED and post.scheduled_at == day
