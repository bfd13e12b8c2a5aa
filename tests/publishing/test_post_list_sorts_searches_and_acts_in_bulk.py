"""The posts list: sorted by send time (published, else scheduled, else planned), searchable by title
and text, a thumbnail of the first image, a fixed number of queries, only what the member may see,
and bulk cancel / move / delete through the publishing services, post by post."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.capabilities import Role
from channels_registry import services as channel_services
from channels_registry.models import Channel
from publishing.models import Post, PostVariant
from publishing.posts import services as authoring
from publishing.scheduler import services as scheduling
from tests import factories as f

from .media_factories import image_bytes, media_root, upload  # noqa: F401 - media_root: autouse
from .scheduler_factories import make_post, reload, sandbox_channels

pytestmark = pytest.mark.django_db
JAKARTA = ZoneInfo("Asia/Jakarta")


def _list(client, **params):
    response = client.get(reverse("post_list", args=["alpha"]), params)
    assert response.status_code == 200
    return response.content.decode()


def _order(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'id="post-row-(\d+)"', html)]


def _bulk(client, action, posts, **extra):
    data = {
        "action": action,
        "post": [p.pk for p in posts],
        "back": "status=&order=send_asc",
        **extra,
    }
    return client.post(reverse("post_bulk", args=["alpha"]), data, follow=True)


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


@pytest.fixture
def channel(org_a, alice_m):
    (ch,) = sandbox_channels(org_a, alice_m)
    return ch


def _at(post, **fields):
    Post.objects.for_org(post.organization_id).filter(pk=post.pk).update(**fields)
    return reload(post)


def test_the_list_sorts_by_send_time_published_then_scheduled_then_planned(
    alice_client, org_a, alice, channel
):
    now = timezone.now()
    later = _at(
        make_post(org_a, alice, [channel], text="In three days"),
        status=Post.Status.SCHEDULED,
        scheduled_at=now + timedelta(days=3),
    )
    retried = _at(
        make_post(org_a, alice, [channel], text="Retried"),
        status=Post.Status.PUBLISHED,
        scheduled_at=now - timedelta(days=5),
    )
    PostVariant.objects.for_org(org_a).filter(post=retried).update(
        status=PostVariant.Status.PUBLISHED, published_at=now - timedelta(days=1)
    )  # went out 4 days late
    failed = _at(
        make_post(org_a, alice, [channel], text="Failed"),
        status=Post.Status.FAILED,
        scheduled_at=now - timedelta(days=2),
    )
    planned = _at(
        make_post(org_a, alice, [channel], text="Planned draft", status=Post.Status.DRAFT),
        planned_at=now + timedelta(days=1),
    )
    undated = make_post(org_a, alice, [channel], text="Undated draft", status=Post.Status.DRAFT)

    assert _order(_list(alice_client)) == [later.pk, planned.pk, retried.pk, failed.pk, undated.pk]
    assert _order(_list(alice_client, order="send_asc")) == [
        failed.pk,
        retried.pk,
        planned.pk,
        later.pk,
        undated.pk,
    ]
    row = _list(alice_client).split(f'id="post-row-{retried.pk}"')[1].split("</li>")[0]
    shown = datetime.fromisoformat(re.search(r'datetime="([^"]+)"', row).group(1))
    assert shown == now - timedelta(days=1)  # the time it went out, not the time it was planned for


def test_search_finds_words_in_the_title_and_the_text(alice_client, org_a, alice, channel):
    titled = make_post(org_a, alice, [channel], text="Nothing here", title="Ramadan teaser")
    texted = make_post(org_a, alice, [channel], text="Our RAMADAN menu is out")
    other = make_post(org_a, alice, [channel], text="Kopi pagi")
    found = _order(_list(alice_client, q="ramadan"))
    assert sorted(found) == sorted([titled.pk, texted.pk]) and other.pk not in found


def test_a_post_shows_its_first_image_through_the_membership_checked_thumbnail(
    alice_client, org_a, alice_m, channel
):
    photo = upload(
        org_a, alice_m, image_bytes(), name="rendang.jpg", alt_text="A bowl of rendang"
    ).asset
    post = authoring.create_post(
        org_a, by=alice_m, text="With a photo", channels=[channel], media=[photo]
    )
    html = _list(alice_client)
    thumb = reverse("media_thumbnail", args=["alpha", photo.pk])
    assert f'src="{thumb}"' in html and 'alt="A bowl of rendang"' in html
    assert f'id="post-row-{post.pk}"' in html
    response = alice_client.get(thumb)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"


def test_the_list_costs_the_same_queries_for_3_or_30_posts(alice_client, org_a, alice_m):
    channels = sandbox_channels(org_a, alice_m, ["sbx-kitchen", "sbx-kopi", "sbx-promo"])
    photo = upload(org_a, alice_m, image_bytes(), name="a.jpg").asset
    campaign = authoring.create_campaign(org_a, by=alice_m, name="Spring")

    def make(n):
        for i in range(n):
            authoring.create_post(
                org_a,
                by=alice_m,
                text=f"Post {i}",
                channels=channels,
                media=[photo],
                campaign=campaign,
            )

    def count():
        with CaptureQueriesContext(connection) as ctx:
            _list(alice_client, order="send_desc", q="post")
        return len(ctx.captured_queries)

    make(3)
    count()  # the first visit stores the organization in the session
    few = count()
    make(22)
    assert count() == few


def test_the_list_leaves_out_what_a_restricted_channel_hides(client, org_a, alice, alice_m):
    open_ch, secret = sandbox_channels(org_a, alice_m, ["sbx-kitchen", "sbx-promo"])
    channel_services.set_channel_access(secret, by=alice_m, access=Channel.Access.RESTRICTED)
    hidden = make_post(org_a, alice, [secret], text="Secret launch")
    mixed = make_post(org_a, alice, [open_ch, secret], text="Mixed news")
    pat = f.add_member(org_a, f.make_user("pat@alpha.test"), Role.PUBLISHER)
    client.force_login(pat.user)
    html = _list(client)
    assert _order(html) == [mixed.pk]
    assert secret.handle not in html
    assert _order(_list(client, q="secret")) == []

    # A hidden post's id in a bulk action is treated as missing: nothing happens to it.
    response = _bulk(client, "delete", [hidden])
    assert Post.objects.for_org(org_a).filter(pk=hidden.pk).exists()
    assert "1 selected post no longer exists." in _messages(response)


def test_bulk_cancel_stops_scheduled_posts_and_names_each_refused_one(
    alice_client, org_a, alice, alice_m, channel
):
    at = timezone.now() + timedelta(days=2)
    one, two = (
        scheduling.schedule_post(
            make_post(org_a, alice, [channel], text=t), by=alice_m, at=at, timezone_name="UTC"
        )
        for t in ("First", "Second")
    )
    draft = make_post(org_a, alice, [channel], text="Just a draft", status=Post.Status.DRAFT)
    response = _bulk(alice_client, "cancel", [one, two, draft])
    assert (
        response.redirect_chain[-1][0]
        == reverse("post_list", args=["alpha"]) + "?status=&order=send_asc"
    )
    assert reload(one).status == reload(two).status == Post.Status.CANCELLED
    assert reload(draft).status == Post.Status.DRAFT
    said = _messages(response)
    assert "2 posts cancelled." in said
    assert any(
        m.startswith("Not changed: “Just a draft”.")
        and "Only a scheduled post can be cancelled" in m
        for m in said
    )


def test_bulk_move_keeps_each_time_of_day_and_respects_freezes_and_approvals(
    alice_client, org_a, alice, alice_m
):
    from approvals import services as approvals

    kitchen, kopi = sandbox_channels(org_a, alice_m, ["sbx-kitchen", "sbx-kopi"])
    day = (timezone.now() + timedelta(days=3)).astimezone(JAKARTA).date()
    target = day + timedelta(days=4)
    nine = datetime(day.year, day.month, day.day, 9, 0, tzinfo=JAKARTA)
    post = scheduling.schedule_post(
        make_post(org_a, alice, [kitchen], text="Nine in Jakarta"),
        by=alice_m,
        at=nine,
        timezone_name="Asia/Jakarta",
    )
    frozen = scheduling.schedule_post(
        make_post(org_a, alice, [kopi], text="On a frozen channel"),
        by=alice_m,
        at=nine,
        timezone_name="Asia/Jakarta",
    )
    scheduling.create_freeze(org_a, by=alice_m, scope="channel", channel=kopi, reason="Crisis")
    planned = _at(
        make_post(org_a, alice, [kitchen], text="Planned draft", status=Post.Status.DRAFT),
        planned_at=nine + timedelta(hours=5),
        schedule_timezone="Asia/Jakarta",
    )
    undated = make_post(org_a, alice, [kitchen], text="No date at all", status=Post.Status.DRAFT)

    response = _bulk(alice_client, "move", [post, frozen, planned, undated], to=target.isoformat())
    moved = reload(post)
    assert moved.scheduled_at.astimezone(JAKARTA) == datetime(
        target.year, target.month, target.day, 9, 0, tzinfo=JAKARTA
    )
    assert reload(planned).planned_at.astimezone(JAKARTA).hour == 14
    assert reload(planned).planned_at.astimezone(JAKARTA).date() == target
    assert reload(frozen).scheduled_at == nine  # held where it was
    said = _messages(response)
    assert any(m.startswith("2 posts moved to ") for m in said)
    assert any("“On a frozen channel”" in m and "frozen" in m for m in said)
    assert any("“No date at all”" in m and "no date yet" in m for m in said)

    # A post that its workflow covers is not rescheduled without approval (the gate of the approvals app).
    approvals.create_workflow(
        org_a,
        by=alice_m,
        name="Review",
        stages=[
            approvals.StageSpec(
                name="Brand", approvers=[approvals.ApproverSpec("role", role=Role.ADMIN)]
            )
        ],
    )
    gated = _at(
        make_post(org_a, alice, [kitchen], text="Needs approval"),
        status=Post.Status.FAILED,
        scheduled_at=nine,
        schedule_timezone="Asia/Jakarta",
    )
    said = _messages(_bulk(alice_client, "move", [gated], to=target.isoformat()))
    assert any("“Needs approval”" in m and "approv" in m for m in said)
    assert reload(gated).scheduled_at == nine


def test_bulk_delete_removes_drafts_and_refuses_what_is_scheduled(
    alice_client, org_a, alice, alice_m, channel
):
    drafts = [
        make_post(org_a, alice, [channel], text=f"Draft {i}", status=Post.Status.DRAFT)
        for i in range(2)
    ]
    scheduled = scheduling.schedule_post(
        make_post(org_a, alice, [channel], text="Going out"),
        by=alice_m,
        at=timezone.now() + timedelta(days=1),
        timezone_name="UTC",
    )
    said = _messages(_bulk(alice_client, "delete", [*drafts, scheduled]))
    assert not Post.objects.for_org(org_a).filter(pk__in=[d.pk for d in drafts]).exists()
    assert reload(scheduled).status == Post.Status.SCHEDULED
    assert "2 posts deleted." in said
    assert any("“Going out”" in m and "Only drafts can be deleted" in m for m in said)


def test_bulk_actions_check_the_permission_on_each_post(client, org_a, alice, alice_m, channel):
    scheduled = scheduling.schedule_post(
        make_post(org_a, alice, [channel], text="Not yours to stop"),
        by=alice_m,
        at=timezone.now() + timedelta(days=1),
        timezone_name="UTC",
    )
    carl = f.add_member(
        org_a, f.make_user("carl@alpha.test"), Role.CONTRIBUTOR
    )  # composes, may not publish
    client.force_login(carl.user)
    said = _messages(_bulk(client, "cancel", [scheduled]))
    assert reload(scheduled).status == Post.Status.SCHEDULED
    assert any("“Not yours to stop”" in m and "permission" in m for m in said)


def test_a_bulk_action_without_posts_or_a_day_says_what_is_missing(
    alice_client, org_a, alice, channel
):
    post = make_post(org_a, alice, [channel], text="Lonely", status=Post.Status.DRAFT)
    assert "Tick at least one post first." in _messages(_bulk(alice_client, "delete", []))
    assert "Pick the day to move the posts to." in _messages(_bulk(alice_client, "move", [post]))
    assert reload(post).status == Post.Status.DRAFT
