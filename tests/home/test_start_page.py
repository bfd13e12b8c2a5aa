"""The organization's start page: what goes out today and in the coming days, what failed (with
Retry), what waits for my approval and for others', channels to reconnect; the admins' panel below;
only what the member may see; a query count that does not grow with the rows."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.capabilities import Role
from approvals import services as approvals
from channels_registry import services as channel_services
from channels_registry.models import Channel
from publishing.models import Post, PostVariant
from tests import factories as f

from ..publishing.scheduler_factories import make_post, sandbox_channels

pytestmark = pytest.mark.django_db
ZONE = ZoneInfo("Asia/Jakarta")


@pytest.fixture(autouse=True)
def _commit_callbacks_run_at_once(monkeypatch):
    from django.db import transaction

    monkeypatch.setattr(transaction, "on_commit", lambda func, using=None, robust=False: func())


@pytest.fixture
def today():
    return timezone.localtime(timezone.now(), ZONE).date()


def _on(day, hour, minute=0):
    return datetime.combine(day, time(hour, minute), tzinfo=ZONE)


def _home(client, org="alpha"):
    response = client.get(f"/o/{org}/")
    assert response.status_code == 200
    return response.content.decode()


def _section(html: str, key: str) -> str:
    """The inner HTML of the page's section with id ``key`` ("" when there is none)."""
    marker = f'id="{key}"'
    if marker not in html:
        return ""
    return html.split(marker, 1)[1].split("</section>", 1)[0]


def _scheduled(org, author, channels, text, at):
    post = make_post(
        org,
        author,
        channels,
        text=text,
        status=Post.Status.SCHEDULED,
        scheduled_at=at,
        schedule_timezone="Asia/Jakarta",
    )
    PostVariant.objects.for_org(org).filter(post=post).update(
        status=PostVariant.Status.SCHEDULED, due_at=at
    )
    return post


def _published(org, author, channels, text, at):
    post = make_post(
        org, author, channels, text=text, status=Post.Status.PUBLISHED, scheduled_at=at
    )
    PostVariant.objects.for_org(org).filter(post=post).update(
        status=PostVariant.Status.PUBLISHED, due_at=at, published_at=at
    )
    return post


def _failed(org, author, channels, text, reason="The network said no"):
    post = make_post(
        org,
        author,
        channels,
        text=text,
        status=Post.Status.FAILED,
        scheduled_at=timezone.now() - timedelta(days=9),
    )
    PostVariant.objects.for_org(org).filter(post=post).update(
        status=PostVariant.Status.FAILED,
        failure_reason=reason,
        due_at=timezone.now() - timedelta(days=9),
    )
    return post


@pytest.fixture
def world(org_a, alice, alice_m, today):
    alice.timezone = "Asia/Jakarta"
    alice.save()
    kitchen, kopi, promo = sandbox_channels(
        org_a, alice_m, ["sbx-kitchen", "sbx-kopi", "sbx-promo"]
    )
    channel_services.set_channel_access(promo, by=alice_m, access=Channel.Access.RESTRICTED)
    return {
        "kitchen": kitchen,
        "kopi": kopi,
        "secret": promo,
        "morning": _published(org_a, alice, [kitchen], "Went out this morning", _on(today, 0, 5)),
        "tonight": _scheduled(org_a, alice, [kopi], "Goes out tonight", _on(today, 23, 50)),
        "tomorrow": _scheduled(
            org_a, alice, [kitchen, kopi], "Goes out tomorrow", _on(today + timedelta(days=1), 9)
        ),
        "planned": make_post(
            org_a,
            alice,
            [kitchen],
            text="Planned draft in three days",
            status=Post.Status.DRAFT,
            planned_at=_on(today + timedelta(days=3), 10),
        ),
        "far": _scheduled(
            org_a, alice, [kitchen], "Goes out in ten days", _on(today + timedelta(days=10), 9)
        ),
        "undated": make_post(
            org_a, alice, [kitchen], text="A draft with no date", status=Post.Status.DRAFT
        ),
        "secret_today": _scheduled(
            org_a, alice, [promo], "Secret launch today", _on(today, 23, 55)
        ),
        "failed": _failed(org_a, alice, [kitchen], "Flash sale that failed"),
        "secret_failed": _failed(org_a, alice, [promo], "Secret post that failed"),
    }


def test_the_plan_shows_today_and_the_next_six_days_in_time_order(alice_client, world):
    html = _home(alice_client)
    today = _section(html, "today")
    assert today.index("Went out this morning") < today.index("Goes out tonight")
    week = _section(html, "this-week")
    assert week.index("Goes out tomorrow") < week.index("Planned draft in three days")
    assert "planned, not scheduled" in week
    assert "Goes out in ten days" not in html and "A draft with no date" not in html
    assert "Published" in today and world["kitchen"].display_handle in today


def test_failed_posts_come_with_retry_and_the_retry_works(alice_client, world):
    html = _home(alice_client)
    failed = _section(html, "failed")
    variant = PostVariant.objects.for_org(world["failed"].organization_id).get(post=world["failed"])
    assert "Flash sale that failed" in failed and "The network said no" in failed
    retry = f"/o/alpha/posts/{world['failed'].pk}/variants/{variant.pk}/retry/"
    assert f'action="{retry}"' in failed
    assert alice_client.post(retry).status_code == 302
    variant.refresh_from_db()
    assert variant.status != PostVariant.Status.FAILED


def test_approvals_waiting_for_me_and_for_others(client, org_a, alice, alice_m, world):
    amy = f.add_member(org_a, f.make_user("amy@alpha.test", name="Amy Approver"), Role.MANAGER)
    abe = f.add_member(org_a, f.make_user("abe@alpha.test", name="Abe Approver"), Role.MANAGER)
    approvals.create_workflow(
        org_a,
        by=alice_m,
        name="Brand review",
        stages=[
            approvals.StageSpec(
                name="Brand", approvers=[approvals.ApproverSpec("person", membership=amy)]
            )
        ],
    )
    mine = make_post(org_a, alice, [world["kitchen"]], text="Needs Amy", status=Post.Status.DRAFT)
    approvals.submit_for_approval(mine, by=alice_m)
    client.force_login(amy.user)
    html = _home(client)
    assert "Needs Amy" in _section(html, "waiting-for-me")
    assert "Needs Amy" not in _section(html, "waiting-for-others")
    client.force_login(abe.user)
    html = _home(client)
    others = _section(html, "waiting-for-others")
    assert "Needs Amy" in others and "waiting on Amy" in others
    assert _section(html, "waiting-for-me") == ""  # nothing for abe: no box at all


def test_channels_that_need_reauthorization_are_listed(alice_client, org_a, world):
    Channel.objects.for_org(org_a).filter(pk=world["kopi"].pk).update(
        status=Channel.Status.NEEDS_REAUTH
    )
    box = _section(_home(alice_client), "reconnect")
    assert world["kopi"].display_handle in box and f"/o/alpha/channels/{world['kopi'].pk}/" in box


def test_a_member_sees_only_the_posts_and_channels_they_may_see(client, org_a, world):
    Channel.objects.for_org(org_a).filter(pk=world["secret"].pk).update(
        status=Channel.Status.NEEDS_REAUTH
    )
    pat = f.add_member(org_a, f.make_user("pat@alpha.test"), Role.PUBLISHER)
    client.force_login(pat.user)
    html = _home(client)
    assert "Goes out tonight" in html and "Flash sale that failed" in html
    for hidden in ("Secret launch today", "Secret post that failed", world["secret"].handle):
        assert hidden not in html, hidden
    assert _section(html, "reconnect") == ""


def test_admins_keep_their_panel_below_and_others_do_not_get_it(client, alice_client, org_a, world):
    html = _home(alice_client)
    panel = _section(html, "admin-panel")
    assert (
        'id="pending-invitations"' in panel
        and "active members" in panel
        and "Team structure" in panel
    )
    assert html.index('id="today"') < html.index('id="admin-panel"')
    pat = f.add_member(org_a, f.make_user("pat@alpha.test"), Role.PUBLISHER)
    client.force_login(pat.user)
    assert 'id="admin-panel"' not in _home(client)


def test_no_box_for_what_does_not_exist_yet_and_the_tiles_extension_point(
    alice_client, world, monkeypatch
):
    from home import selectors

    html = _home(alice_client)
    assert 'id="kpi-tiles"' not in html and "Inbox" not in html.split('id="main"')[1]
    monkeypatch.setattr(
        selectors, "TILES", [lambda membership, now: [selectors.Tile("Engagement", "4.2%")]]
    )
    tiles = _home(alice_client).split('id="kpi-tiles"')[1].split("</ul>")[0]
    assert "Engagement" in tiles and "4.2%" in tiles


def test_a_quiet_organization_gets_a_short_page(client, org_b, bob):
    client.force_login(bob)
    html = _home(client, "bravo")
    assert "Nothing goes out today." in html and 'id="all-clear"' in html
    assert 'id="failed"' not in html


def test_the_query_count_does_not_grow_with_the_rows(
    alice_client, org_a, alice, alice_m, world, today
):
    amy = f.add_member(org_a, f.make_user("amy@alpha.test", name="Amy Approver"), Role.MANAGER)
    approvals.create_workflow(
        org_a,
        by=alice_m,
        name="Brand review",
        stages=[
            approvals.StageSpec(
                name="Brand",
                approvers=[
                    approvals.ApproverSpec("person", membership=amy),
                    approvals.ApproverSpec("person", membership=alice_m),
                ],
            )
        ],
    )
    kitchen, kopi = world["kitchen"], world["kopi"]
    Channel.objects.for_org(org_a).filter(pk=kopi.pk).update(status=Channel.Status.NEEDS_REAUTH)

    def more(n, tag):
        for i in range(n):
            _scheduled(org_a, alice, [kitchen, kopi], f"{tag} today {i}", _on(today, 23, 30))
            _scheduled(
                org_a,
                alice,
                [kitchen],
                f"{tag} week {i}",
                _on(today + timedelta(days=2), 8 + i % 10),
            )
            _failed(org_a, alice, [kitchen, kopi], f"{tag} failed {i}")
            approvals.submit_for_approval(
                make_post(
                    org_a, alice, [kitchen], text=f"{tag} review {i}", status=Post.Status.DRAFT
                ),
                by=alice_m,
            )
        for i in range(n):
            ch = Channel.objects.create(
                organization=org_a,
                provider="sandbox",
                external_id=f"{tag}-{i}",
                handle=f"{tag}{i}",
                name=f"{tag} {i}",
                status=Channel.Status.NEEDS_REAUTH,
            )
            assert ch.pk

    def count():
        with CaptureQueriesContext(connection) as ctx:
            _home(alice_client)
        return len(ctx.captured_queries)

    more(2, "few")
    count()  # the first visit stores the organization in the session
    few = count()
    more(12, "many")
    assert count() == few


def test_the_admin_panel_shows_the_eight_newest_audit_entries_newest_first(
    alice_client, org_a, alice_m
):
    for i in range(10):
        f.make_team(org_a, f"Region {i:02}", by=alice_m)
    activity = _section(_home(alice_client), "admin-panel").split("Recent activity", 1)[1]
    shown = [f"Region {i:02}" for i in range(10) if f"Region {i:02}" in activity]
    assert shown == [f"Region {i:02}" for i in range(2, 10)]
    assert activity.index("Region 09") < activity.index("Region 02")
