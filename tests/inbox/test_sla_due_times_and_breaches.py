"""The inbox SLA: a due time in the assigned team's business hours (hours, zone, public holidays),
targets per team and priority, the clock stopped by an answer or by closing, near-breach and
breach states, and the breach told to the team lead (else the managers) exactly once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from accounts.capabilities import Role
from accounts.models import Notification, NotificationKind
from inbox import services
from inbox.models import Conversation, SlaTarget
from inbox.services import ingest
from inbox.services.sla import notify_sla_breaches, sla_state
from publishing.models import HolidayRegion
from socialops.errors import NotAllowed, ValidationFailed

from .. import factories as f
from .factories import dm, sandbox_channel

pytestmark = pytest.mark.django_db

OFFICE = {"days": {d: ["09:00", "17:00"] for d in ("mon", "tue", "wed", "thu", "fri")}}
#: Friday 6 March 2026, 16:00 in Jakarta
FRIDAY_4PM_JAKARTA = datetime(2026, 3, 6, 9, 0, tzinfo=UTC)


@pytest.fixture
def care(org_a, alice_m):
    team = f.make_team(org_a, "Customer care", by=alice_m)
    team.timezone, team.working_hours = "Asia/Jakarta", OFFICE
    team.save()
    return team


@pytest.fixture
def channel(org_a, alice_m, care):
    return sandbox_channel(org_a, alice_m, team=care)


def _conv(org, thread="dm_u_budi"):
    return Conversation.objects.for_org(org).get(external_thread_id=thread)


def test_a_new_message_is_due_24_wall_clock_hours_later_without_team_hours(org_a, alice_m):
    channel = sandbox_channel(org_a, alice_m)
    ingest(channel, [dm("u_budi", created_at=FRIDAY_4PM_JAKARTA)])
    conv = _conv(org_a)
    assert conv.sla_started_at == FRIDAY_4PM_JAKARTA
    assert conv.sla_due_at == FRIDAY_4PM_JAKARTA + timedelta(hours=24)


def test_the_due_time_counts_the_teams_business_hours_over_the_weekend(org_a, channel):
    SlaTarget.objects.create(organization=org_a, hours=Decimal(3))
    ingest(channel, [dm("u_budi", created_at=FRIDAY_4PM_JAKARTA)])
    # 1 h on Friday, 2 h on Monday: Monday 11:00 in Jakarta
    assert _conv(org_a).sla_due_at == datetime(2026, 3, 9, 4, 0, tzinfo=UTC)


def test_the_due_time_skips_the_teams_public_holidays(org_a, care, channel):
    # Hari Raya Nyepi 2026 (Indonesia): Thursday 19 March
    HolidayRegion.objects.create(organization=org_a, team=care, countries=["ID"])
    SlaTarget.objects.create(organization=org_a, hours=Decimal(8))
    wednesday_5pm = datetime(2026, 3, 18, 10, 0, tzinfo=UTC)
    ingest(channel, [dm("u_budi", created_at=wednesday_5pm)])
    # Thursday is off: the 8 hours are Friday's (without the holiday: Thursday 17:00)
    assert _conv(org_a).sla_due_at == datetime(2026, 3, 20, 10, 0, tzinfo=UTC)


def test_a_team_target_for_the_priority_wins_over_the_teams_and_the_organizations(
    org_a, alice_m, care, channel
):
    services.set_sla_target(org_a, by=alice_m, hours_=48)
    services.set_sla_target(org_a, by=alice_m, team=care, hours_=8)
    services.set_sla_target(org_a, by=alice_m, team=care, priority="urgent", hours_=1)
    from inbox.models import RoutingRule

    RoutingRule.objects.create(
        organization=org_a,
        name="Urgent",
        position=1,
        keywords=["down"],
        assign_team=care,
        priority="urgent",
    )
    monday_10am = datetime(2026, 3, 9, 3, 0, tzinfo=UTC)
    ingest(
        channel,
        [
            dm("u_budi", text="the app is down", created_at=monday_10am),
            dm("u_sari", text="halo", created_at=monday_10am),
        ],
    )
    assert _conv(org_a, "dm_u_budi").sla_due_at == monday_10am + timedelta(hours=1)
    # 8 business hours from Monday 10:00: Tuesday 10:00
    assert _conv(org_a, "dm_u_sari").sla_due_at == monday_10am + timedelta(days=1)


def test_sla_targets_refuse_bad_hours_and_need_the_capability(org_a, alice_m):
    with pytest.raises(ValidationFailed) as caught:
        services.set_sla_target(org_a, by=alice_m, hours_="-3")
    assert "hours" in caught.value.fields
    with pytest.raises(ValidationFailed):
        services.set_sla_target(org_a, by=alice_m, priority="whenever", hours_=3)
    viewer = f.add_member(org_a, f.make_user("v@alpha.test"), Role.MODERATOR)
    with pytest.raises(NotAllowed):
        services.set_sla_target(org_a, by=viewer, hours_=3)


def test_our_answer_stops_the_clock_and_the_next_message_starts_it_again(org_a, channel):
    ingest(channel, [dm("u_budi", n=1, created_at=FRIDAY_4PM_JAKARTA)])
    answer = dm(
        "u_budi",
        n=2,
        author_id=channel.external_id,
        created_at=FRIDAY_4PM_JAKARTA + timedelta(minutes=5),
    )
    answer.author_id = channel.external_id
    ingest(channel, [answer])
    conv = _conv(org_a)
    assert (conv.sla_started_at, conv.sla_due_at) == (None, None)
    later = FRIDAY_4PM_JAKARTA + timedelta(days=3)  # Monday 16:00
    ingest(channel, [dm("u_budi", n=3, created_at=later)])
    assert _conv(org_a).sla_started_at == later


def test_a_second_message_does_not_restart_a_running_clock(org_a, channel):
    ingest(channel, [dm("u_budi", n=1, created_at=FRIDAY_4PM_JAKARTA)])
    due = _conv(org_a).sla_due_at
    ingest(channel, [dm("u_budi", n=2, created_at=FRIDAY_4PM_JAKARTA + timedelta(minutes=30))])
    assert _conv(org_a).sla_due_at == due


def test_closing_stops_the_clock(org_a, alice_m, channel):
    ingest(channel, [dm("u_budi", created_at=FRIDAY_4PM_JAKARTA)])
    services.set_conversation_status(_conv(org_a), by=alice_m, status="closed")
    assert _conv(org_a).sla_due_at is None


def test_the_list_state_is_near_under_a_fifth_of_the_time_or_an_hour_and_breached_after(
    org_a, alice_m
):
    channel = sandbox_channel(org_a, alice_m)
    ingest(channel, [dm("u_budi", created_at=FRIDAY_4PM_JAKARTA)])
    conv = _conv(org_a)  # 24 h
    assert sla_state(conv, FRIDAY_4PM_JAKARTA + timedelta(hours=1)) == "ok"
    assert sla_state(conv, FRIDAY_4PM_JAKARTA + timedelta(hours=20)) == "near"
    assert sla_state(conv, FRIDAY_4PM_JAKARTA + timedelta(hours=24)) == "breached"
    conv.status = "closed"
    assert sla_state(conv, FRIDAY_4PM_JAKARTA + timedelta(hours=30)) == ""


def _breaches(org):
    return Notification.objects.for_org(org).filter(kind=NotificationKind.SLA_BREACH)


def test_a_breach_is_told_to_the_team_lead_once(org_a, alice_m, care, channel):
    lead = f.add_member(org_a, f.make_user("lead@alpha.test", name="Lea Lead"), Role.MODERATOR)
    care.lead = lead
    care.save(update_fields=["lead"])
    ingest(channel, [dm("u_budi", created_at=FRIDAY_4PM_JAKARTA)])
    conv = _conv(org_a)
    late = conv.sla_due_at + timedelta(minutes=1)
    assert notify_sla_breaches(conv.sla_due_at - timedelta(minutes=1)) == 0
    assert notify_sla_breaches(late) == 1
    assert notify_sla_breaches(late + timedelta(minutes=5)) == 0
    told = list(_breaches(org_a))
    assert [n.recipient_id for n in told] == [lead.user_id]
    assert told[0].params["author"] == "Budi"
    assert _conv(org_a).sla_breach_notified_at == late


def test_without_a_lead_the_managers_who_may_see_the_channel_are_told(org_a, alice_m):
    channel = sandbox_channel(org_a, alice_m)
    manager = f.add_member(org_a, f.make_user("man@alpha.test"), Role.MANAGER)
    f.add_member(org_a, f.make_user("mod@alpha.test"), Role.MODERATOR)
    ingest(channel, [dm("u_budi", created_at=FRIDAY_4PM_JAKARTA)])
    notify_sla_breaches(FRIDAY_4PM_JAKARTA + timedelta(days=2))
    assert set(_breaches(org_a).values_list("recipient_id", flat=True)) == {
        alice_m.user_id,
        manager.user_id,
    }


def test_an_answered_or_closed_conversation_is_never_told_about(org_a, alice_m):
    channel = sandbox_channel(org_a, alice_m)
    ingest(channel, [dm("u_budi", created_at=FRIDAY_4PM_JAKARTA)])
    services.set_conversation_status(_conv(org_a), by=alice_m, status="spam")
    assert notify_sla_breaches(FRIDAY_4PM_JAKARTA + timedelta(days=2)) == 0


def test_a_new_breach_after_an_answer_is_told_again(org_a, alice_m):
    channel = sandbox_channel(org_a, alice_m)
    ingest(channel, [dm("u_budi", n=1, created_at=FRIDAY_4PM_JAKARTA)])
    notify_sla_breaches(FRIDAY_4PM_JAKARTA + timedelta(days=2))
    answer = dm("u_budi", n=2, created_at=FRIDAY_4PM_JAKARTA + timedelta(days=2, hours=1))
    answer.author_id = channel.external_id
    ingest(channel, [answer])
    ingest(channel, [dm("u_budi", n=3, created_at=FRIDAY_4PM_JAKARTA + timedelta(days=3))])
    assert notify_sla_breaches(FRIDAY_4PM_JAKARTA + timedelta(days=5)) == 1
    assert _breaches(org_a).count() == 2


def test_the_beat_sweep_runs_the_breach_task():
    from django.conf import settings

    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "inbox.tasks.notify_sla_breaches" in tasks


def test_the_breach_notification_reads_in_the_readers_zone(org_a, alice_m, alice):
    from accounts.notifications import render_for_reader

    alice.timezone = "Asia/Jakarta"
    alice.save(update_fields=["timezone"])
    channel = sandbox_channel(org_a, alice_m)
    ingest(channel, [dm("u_budi", text="Refund saya?", created_at=FRIDAY_4PM_JAKARTA)])
    notify_sla_breaches(FRIDAY_4PM_JAKARTA + timedelta(days=2))
    (row,) = render_for_reader(_breaches(org_a), organization=org_a, user=alice)
    assert "Budi" in row.title
    assert "Refund saya?" in row.body
    # due Saturday 16:00 in Jakarta (24 wall-clock hours: no team hours)
    assert "16:00" in row.body or "4:00" in row.body
