"""The beat makes one run per schedule and slot, however many sweeps run; the schedule moves to
its next slot; a lost run is handed out again; a run is delivered once (analytics.reports)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError
from django.utils import timezone

from analytics.reports import services
from analytics.reports.models import ReportRun

from .conftest import make_schedule

pytestmark = pytest.mark.django_db(transaction=False)


def test_two_sweeps_of_one_due_slot_make_one_run_and_move_to_the_next_slot(alice_m):
    s = make_schedule(alice_m)
    slot = s.next_run_at
    later = slot + timedelta(minutes=1)
    first = services.claim_due_schedules(now=later)
    second = services.claim_due_schedules(now=later)
    assert len(first) == 1 and second == []
    run = ReportRun.objects.for_org(alice_m.organization).get()
    assert run.scheduled_for == slot and not run.manual
    assert run.period_end == (
        slot.astimezone(timezone.get_fixed_timezone(420)).date() - timedelta(days=1)
    )
    s.refresh_from_db()
    assert s.next_run_at == slot + timedelta(days=7)


def test_the_database_refuses_a_second_run_for_one_slot(alice_m):
    s = make_schedule(alice_m)
    fields = {
        "organization": alice_m.organization,
        "schedule": s,
        "scheduled_for": s.next_run_at,
        "period_start": s.next_run_at.date(),
        "period_end": s.next_run_at.date(),
    }
    ReportRun.objects.create(**fields)
    with pytest.raises(IntegrityError):
        ReportRun.objects.create(**fields)


def test_a_slot_whose_run_exists_already_makes_no_second_one(alice_m):
    """A sweep that read the schedule before another moved it on: the constraint stops it."""
    s = make_schedule(alice_m)
    slot = s.next_run_at
    ReportRun.objects.create(
        organization=alice_m.organization,
        schedule=s,
        scheduled_for=slot,
        period_start=slot.date(),
        period_end=slot.date(),
    )
    assert services.claim_due_schedules(now=slot + timedelta(seconds=1)) == []
    assert ReportRun.objects.for_org(alice_m.organization).count() == 1


def test_a_paused_or_not_yet_due_schedule_makes_no_run(alice_m):
    s = make_schedule(alice_m)
    assert services.claim_due_schedules(now=s.next_run_at - timedelta(seconds=1)) == []
    services.set_schedule_enabled(s, by=alice_m, enabled=False)
    assert services.claim_due_schedules(now=s.next_run_at + timedelta(days=30)) == []


def test_a_beat_down_for_weeks_sends_the_last_slot_once_not_every_missed_one(alice_m):
    s = make_schedule(alice_m, frequency="daily")
    much_later = s.next_run_at + timedelta(days=20, hours=1)
    assert len(services.claim_due_schedules(now=much_later)) == 1
    s.refresh_from_db()
    assert much_later < s.next_run_at <= much_later + timedelta(days=1)


def test_a_run_is_delivered_once_even_when_two_workers_get_it(alice_m, media, no_pdf):
    s = make_schedule(alice_m)
    [run_id] = services.claim_due_schedules(now=s.next_run_at)
    first = services.deliver_run(run_id)
    assert first.status == ReportRun.Status.SENT
    assert services.deliver_run(run_id) is None  # already sent: the claim lets nobody through
    assert len(no_pdf) == 1


def test_a_lost_run_is_handed_out_again_and_a_failing_one_gives_up(alice_m, media, monkeypatch):
    s = make_schedule(alice_m)
    [run_id] = services.claim_due_schedules(now=s.next_run_at)
    now = timezone.now()
    ReportRun.objects.for_org(alice_m.organization).filter(pk=run_id).update(
        status=ReportRun.Status.RUNNING, claimed_at=now - services.LEASE - timedelta(seconds=1)
    )
    assert services.open_run_ids(now=now) == [run_id]

    def broken(run):
        raise RuntimeError("renderer down")

    monkeypatch.setattr(services, "render_run", broken)
    for attempt in range(services.MAX_ATTEMPTS):
        run = services.deliver_run(run_id, now=now + attempt * services.LEASE * 2)
    assert run.status == ReportRun.Status.FAILED
    assert "renderer down" in run.error
    assert services.deliver_run(run_id, now=now + timedelta(days=1)) is None


def test_the_beat_task_sends_what_is_due_and_nothing_more(alice_m, media, no_pdf, monkeypatch):
    from analytics.reports import tasks

    s = make_schedule(alice_m)
    monkeypatch.setattr(services.timezone, "now", lambda: s.next_run_at + timedelta(seconds=5))
    assert tasks.send_due_reports() == 1  # tasks run eagerly in tests: delivered at once
    assert tasks.send_due_reports() == 0
    run = ReportRun.objects.for_org(alice_m.organization).get()
    assert run.status == ReportRun.Status.SENT and len(no_pdf) == 1
