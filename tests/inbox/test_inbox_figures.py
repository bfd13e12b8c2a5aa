"""The inbox's figures (inbox.figures): per day in the viewer's zone, for a person, a team or the
organization; medians and p90 of first responses, SLA met %, closings; a fixed number of queries."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection

from accounts.capabilities import Role
from inbox import figures
from inbox.models import Conversation
from inbox.services import ingest
from socialops.errors import NotAllowed, ValidationFailed

from .. import factories as f
from .factories import dm, sandbox_channel

pytestmark = pytest.mark.django_db

JAKARTA = zoneinfo.ZoneInfo("Asia/Jakarta")
# 2026-03-02 in Jakarta runs from 2026-03-01T17:00Z to 2026-03-02T17:00Z
DAY1 = datetime(2026, 3, 1, 18, 0, tzinfo=UTC)  # 01:00 on 2 March in Jakarta
DAY2 = DAY1 + timedelta(days=1)


@pytest.fixture
def channel(org_a, alice_m):
    return sandbox_channel(org_a, alice_m)


def _thread(channel, who, asked_at, answered_after=None, *, sla_in=None, n):
    items = [dm(author=who, n=n, created_at=asked_at)]
    if answered_after is not None:
        items.append(
            dm(
                author=channel.external_id,
                n=n + 1,
                text="Siap kak.",
                created_at=asked_at + answered_after,
                thread_id=f"dm_{who}",
            )
        )
    ingest(channel, items)
    conv = Conversation.objects.for_org(channel.organization_id).get(external_thread_id=f"dm_{who}")
    conv.created_at = asked_at
    # ``sla_in`` None: no due time at all (ingest's SLA clock would set one from the default target)
    conv.sla_due_at = asked_at + sla_in if sla_in is not None else None
    conv.save()
    return conv


def _range(since, until):
    return figures.DateRange(since, until, JAKARTA)


def _org_scope(alice_m):
    return figures.resolve_scope(alice_m)


def test_figures_by_day_in_the_viewers_zone(alice_m, channel):
    hour = timedelta(hours=1)
    _thread(channel, "u_a", DAY1, 10 * timedelta(minutes=1), sla_in=hour, n=10)
    _thread(channel, "u_b", DAY1 + hour, 30 * timedelta(minutes=1), sla_in=hour, n=20)
    _thread(channel, "u_c", DAY1 + 2 * hour, 2 * hour, sla_in=hour, n=30)  # late
    _thread(channel, "u_d", DAY2, None, sla_in=hour, n=40)  # unanswered, due and breached
    # 2026-03-01T16:30Z is still 1 March in Jakarta: outside the range
    _thread(channel, "u_e", datetime(2026, 3, 1, 16, 30, tzinfo=UTC), None, n=50)

    out = figures.inbox_figures(
        alice_m, _org_scope(alice_m), _range(date(2026, 3, 2), date(2026, 3, 4))
    )

    first, second, third = out.days
    assert [d.day for d in out.days] == [date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 4)]
    assert (first.inbound, first.opened, first.responded) == (3, 3, 3)
    assert first.median_seconds == 30 * 60
    # percentile_cont over 10, 30, 120 minutes: 30 + 0.8 * 90 = 102 minutes
    assert first.p90_seconds == pytest.approx(102 * 60)
    assert (first.sla_due, first.sla_met, first.sla_met_percent) == (3, 2, 66.7)
    assert (second.inbound, second.opened, second.responded, second.sla_due) == (1, 1, 0, 1)
    assert second.sla_met_percent == 0.0 and second.median_seconds is None
    assert third.inbound == 0 and third.sla_met_percent is None
    assert out.total.inbound == 4 and out.total.responded == 3
    assert out.total.median_seconds == 30 * 60
    assert out.total.sla_due == 4 and out.total.sla_met == 2


def test_closings_are_counted_on_their_day(alice_m, channel):
    from inbox.services import set_conversation_status

    conv = _thread(channel, "u_a", DAY1, None, n=60)
    set_conversation_status(conv, by=alice_m, status="closed")
    conv.refresh_from_db()
    today = conv.closed_at.astimezone(JAKARTA).date()
    out = figures.inbox_figures(alice_m, _org_scope(alice_m), _range(today, today))
    assert out.days[0].closed == 1 and out.total.closed == 1


def test_a_person_sees_the_conversations_assigned_to_them_and_a_team_its_subtree(
    org_a, alice_m, channel
):
    mona = f.add_member(org_a, f.make_user("mona@alpha.test", name="Mona"), Role.MODERATOR)
    parent = f.make_team(org_a, "Care")
    child = f.make_team(org_a, "Care ID", parent=parent)
    other = f.make_team(org_a, "Sales")
    a = _thread(channel, "u_a", DAY1, None, n=70)
    b = _thread(channel, "u_b", DAY1, None, n=80)
    Conversation.objects.for_org(org_a).filter(pk=a.pk).update(assignee=mona, assigned_team=child)
    Conversation.objects.for_org(org_a).filter(pk=b.pk).update(assigned_team=other)
    rng = _range(date(2026, 3, 2), date(2026, 3, 2))

    def opened(scope):
        return figures.inbox_figures(alice_m, scope, rng).total.opened

    assert opened(figures.resolve_scope(alice_m, member=str(mona.pk))) == 1
    assert opened(figures.resolve_scope(alice_m, member="me")) == 0
    assert opened(figures.resolve_scope(alice_m, team_id=parent.pk)) == 1
    assert opened(figures.resolve_scope(alice_m, team_id=other.pk)) == 1
    assert opened(figures.resolve_scope(alice_m)) == 2


def test_who_may_see_which_figures(org_a, org_b, alice_m, bob_m):
    mona = f.add_member(org_a, f.make_user("mona@alpha.test", name="Mona"), Role.MODERATOR)
    care = f.make_team(org_a, "Care")
    care_id = f.make_team(org_a, "Care ID", parent=care)
    sales = f.make_team(org_a, "Sales")
    mona.teams.add(care)
    assert figures.resolve_scope(mona).kind == "member"  # not a manager: their own by default
    assert figures.resolve_scope(mona, team_id=care_id.pk).team_id == care_id.pk
    with pytest.raises(NotAllowed):
        figures.resolve_scope(mona, team_id=sales.pk)
    with pytest.raises(NotAllowed):
        figures.resolve_scope(mona, member=str(alice_m.pk))
    assert figures.resolve_scope(alice_m).kind == "organization"
    from django.http import Http404

    with pytest.raises(Http404):
        figures.resolve_scope(alice_m, member=str(bob_m.pk))
    with pytest.raises(ValidationFailed):
        figures.resolve_scope(alice_m, member="me", team_id=care.pk)
    kinds = [s.kind for s in figures.figure_scopes(mona)]
    assert kinds == ["member", "team", "team"]  # Care and the team below it, not Sales


def test_a_range_is_checked():
    zone = JAKARTA
    with pytest.raises(ValidationFailed):
        figures.date_range(zone, since=date(2026, 3, 5), until=date(2026, 3, 1))
    with pytest.raises(ValidationFailed):
        figures.date_range(zone, since=date(2024, 1, 1), until=date(2026, 3, 1))
    default = figures.date_range(zone, days=30)
    assert len(default.days) == 30


def test_the_python_percentile_matches_percentile_cont():
    values = [600, 1800, 7200]
    assert figures._percentile(values, 0.5) == 1800
    assert figures._percentile(values, 0.9) == pytest.approx(6120)
    assert figures._percentile([5], 0.9) == 5
    assert figures._percentile([], 0.5) is None


@pytest.mark.parametrize("threads", [1, 12])
def test_the_query_count_is_fixed(alice_m, channel, django_assert_num_queries, threads):
    for n in range(threads):
        _thread(channel, f"u_{n}", DAY1 + timedelta(hours=n), timedelta(minutes=5), n=100 + 2 * n)
    scope = _org_scope(alice_m)
    expected = 6 if connection.vendor == "postgresql" else 5
    with django_assert_num_queries(expected):
        figures.inbox_figures(alice_m, scope, _range(date(2026, 3, 1), date(2026, 3, 31)))
