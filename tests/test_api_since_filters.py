"""Issue 13 (7): ``created_since`` / ``updated_since`` (ISO 8601 with an offset) and date ranges on posts,
variants, approval requests and notifications, so an integration can sync what changed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.test import TestCase

from accounts.notifications import NotificationKind, notify
from approvals.models import ApprovalRequest
from publishing.models import Post, PostVariant

from .publishing.scheduler_factories import make_post, sandbox_channels

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _ids(api, url, **params):
    response = api.get(url, params)
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def _at(hours: float) -> str:
    return (T0 + timedelta(hours=hours)).isoformat()


@pytest.fixture
def posts(org_a, alice, alice_m):
    (channel,) = sandbox_channels(org_a, alice_m)
    old = make_post(org_a, alice, [channel], status=Post.Status.DRAFT)
    new = make_post(org_a, alice, [channel], status=Post.Status.DRAFT)
    Post.objects.for_org(org_a).filter(pk=old.pk).update(
        created_at=T0, updated_at=T0 + timedelta(hours=5), scheduled_at=T0 + timedelta(days=2)
    )
    Post.objects.for_org(org_a).filter(pk=new.pk).update(
        created_at=T0 + timedelta(hours=2),
        updated_at=T0 + timedelta(hours=2),
        scheduled_at=T0 + timedelta(days=5),
    )
    PostVariant.objects.for_org(org_a).filter(post=old).update(
        created_at=T0, updated_at=T0 + timedelta(hours=5), due_at=T0 + timedelta(days=2)
    )
    PostVariant.objects.for_org(org_a).filter(post=new).update(
        created_at=T0 + timedelta(hours=2),
        updated_at=T0 + timedelta(hours=2),
        due_at=T0 + timedelta(days=5),
    )
    return old, new


def test_posts_created_and_updated_since(alice_api, posts):
    old, new = posts
    assert _ids(alice_api, "/api/v1/posts/", created_since=_at(1)) == {new.pk}
    assert _ids(alice_api, "/api/v1/posts/", created_since=_at(0)) == {old.pk, new.pk}
    assert _ids(alice_api, "/api/v1/posts/", updated_since=_at(3)) == {old.pk}
    # the same instant written in Jakarta's offset
    assert _ids(alice_api, "/api/v1/posts/", updated_since="2026-03-01T22:00:00+07:00") == {old.pk}


def test_posts_in_a_scheduled_range(alice_api, posts):
    old, new = posts
    url = "/api/v1/posts/"
    assert _ids(alice_api, url, scheduled_from=_at(24 * 3)) == {new.pk}
    assert _ids(alice_api, url, scheduled_to=_at(24 * 3)) == {old.pk}
    assert _ids(alice_api, url, scheduled_from=_at(24 * 2), scheduled_to=_at(24 * 5)) == {old.pk}


def test_variants_updated_since_and_due_range(alice_api, posts):
    old, new = posts
    (old_v,) = PostVariant.objects.for_org(old.organization_id).filter(post=old)
    (new_v,) = PostVariant.objects.for_org(new.organization_id).filter(post=new)
    url = "/api/v1/variants/"
    assert _ids(alice_api, url, created_since=_at(1)) == {new_v.pk}
    assert _ids(alice_api, url, updated_since=_at(3)) == {old_v.pk}
    assert _ids(alice_api, url, due_from=_at(24 * 3)) == {new_v.pk}
    assert _ids(alice_api, url, due_to=_at(24 * 3)) == {old_v.pk}


def test_approval_requests_created_and_updated_since(alice_api, org_a, alice, posts):
    old, new = posts

    def request(post, submitted, decided=None):
        return ApprovalRequest.objects.create(
            organization=org_a,
            post=post,
            post_version=1,
            status=ApprovalRequest.Status.APPROVED if decided else ApprovalRequest.Status.PENDING,
            submitted_by=alice,
            submitted_at=submitted,
            stage_started_at=submitted,
            decided_at=decided,
        )

    decided_late = request(old, T0, decided=T0 + timedelta(hours=6))
    submitted_late = request(new, T0 + timedelta(hours=2))
    url = "/api/v1/approval-requests/"
    assert _ids(alice_api, url, created_since=_at(1)) == {submitted_late.pk}
    assert _ids(alice_api, url, updated_since=_at(1)) == {decided_late.pk, submitted_late.pk}
    assert _ids(alice_api, url, updated_since=_at(4)) == {decided_late.pk}


def test_notifications_created_and_updated_since(alice_api, org_a, alice):
    with TestCase.captureOnCommitCallbacks(execute=True):
        first, second = (
            notify(
                org_a,
                recipients=[alice],
                kind=NotificationKind.COMMENT,
                template="generic",
                context={"title": title, "message": "body"},
                url="/o/x/",
            )[0]
            for title in ("first", "second")
        )
    type(first).objects.for_org(org_a).filter(pk=first.pk).update(
        created_at=T0, read_at=T0 + timedelta(hours=4)
    )
    type(first).objects.for_org(org_a).filter(pk=second.pk).update(
        created_at=T0 + timedelta(hours=2)
    )
    url = "/api/v1/notifications/"
    assert _ids(alice_api, url, created_since=_at(1)) == {second.pk}
    assert _ids(alice_api, url, updated_since=_at(3)) == {first.pk}  # read since
    assert _ids(alice_api, url, updated_since=_at(1)) == {first.pk, second.pk}


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/posts/",
        "/api/v1/variants/",
        "/api/v1/approval-requests/",
        "/api/v1/notifications/",
    ],
)
@pytest.mark.parametrize("value", ["2026-03-01T12:00:00", "2026-03-01", "yesterday", "1709294400"])
def test_an_instant_without_an_offset_is_a_400(alice_api, url, value):
    response = alice_api.get(url, {"updated_since": value})
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "validation_error" and "offset" in error["fields"]["updated_since"][0]


def test_an_unencoded_plus_in_the_offset_is_read_as_a_plus(alice_api, posts):
    old, _new = posts
    # "...+07:00" typed into a URL arrives as "... 07:00"
    response = alice_api.get("/api/v1/posts/?updated_since=2026-03-01T22:00:00+07:00")
    assert response.status_code == 200
    assert {row["id"] for row in response.json()["results"]} == {old.pk}


def test_an_offset_past_what_the_database_takes_is_read_as_its_instant(alice_api, posts):
    """ISO 8601 allows +16:43; PostgreSQL refuses offsets past ±15:59 (schemathesis found the 500):
    the filter is the same instant in UTC."""
    response = alice_api.get("/api/v1/posts/", {"updated_since": "2416-05-15T18:23:31.1046+16:43"})
    assert response.status_code == 200, response.content
    assert response.json()["results"] == []
    response = alice_api.get("/api/v1/posts/", {"updated_since": "2000-01-01T00:00:00+16:43"})
    assert {row["id"] for row in response.json()["results"]} == {p.pk for p in posts}


def test_an_instant_past_the_last_representable_one_is_a_400(alice_api):
    response = alice_api.get("/api/v1/posts/", {"updated_since": "9999-12-31T23:00:00-05:00"})
    assert response.status_code == 400, response.content
    assert "updated_since" in response.json()["error"]["fields"]
