"""Reopening a closed conversation restarts its SLA clock from the reopening: by hand (page, API,
service), from that moment; by a new message, from the first message written after the closing,
or from the moment it arrived when every new message predates the closing (delivered late). A
message that does not reopen a closed conversation starts no clock on it."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from inbox import services
from inbox.models import Conversation, SlaTarget
from inbox.services import ingest
from inbox.services.sla import sla_state

from .factories import dm, sandbox_channel

pytestmark = pytest.mark.django_db


@pytest.fixture
def channel(org_a, alice_m):
    return sandbox_channel(org_a, alice_m)


def _conv(org):
    return Conversation.objects.for_org(org).get(external_thread_id="dm_u_budi")


def _closed_long_ago(org, alice_m, channel, *, wrote, closed):
    """Budi wrote ``wrote`` ago; the conversation was closed ``closed`` ago."""
    now = timezone.now()
    ingest(channel, [dm("u_budi", created_at=now - wrote)])
    services.set_conversation_status(_conv(org), by=alice_m, status="closed")
    Conversation.objects.for_org(org).filter(external_thread_id="dm_u_budi").update(
        closed_at=now - closed
    )
    conv = _conv(org)
    assert conv.sla_due_at is None and conv.status == "closed"
    return conv


@pytest.mark.parametrize("stopped_as", ["closed", "spam"])
def test_reopening_by_hand_starts_the_clock_at_that_moment(org_a, alice_m, channel, stopped_as):
    ingest(channel, [dm("u_budi", created_at=timezone.now() - timedelta(days=3))])
    services.set_conversation_status(_conv(org_a), by=alice_m, status=stopped_as)
    before = timezone.now()
    services.set_conversation_status(_conv(org_a), by=alice_m, status="open")
    conv = _conv(org_a)
    assert before <= conv.sla_started_at <= timezone.now()
    assert conv.sla_due_at == conv.sla_started_at + timedelta(hours=24)
    assert sla_state(conv) == "ok"  # not breached by the three days before


def test_reopening_by_hand_counts_the_teams_target_for_the_priority(org_a, alice_m, channel):
    from .. import factories as f

    care = f.make_team(org_a, "Care", by=alice_m)
    SlaTarget.objects.create(organization=org_a, team=care, priority="high", hours=Decimal(2))
    ingest(channel, [dm("u_budi", created_at=timezone.now() - timedelta(days=3))])
    services.set_conversation_triage(_conv(org_a), by=alice_m, priority="high", team=care)
    services.set_conversation_status(_conv(org_a), by=alice_m, status="closed")
    services.set_conversation_status(_conv(org_a), by=alice_m, status="open")
    conv = _conv(org_a)
    assert conv.sla_due_at == conv.sla_started_at + timedelta(hours=2)


def test_reopening_through_the_api_and_the_page_restarts_it_too(
    org_a, alice_m, alice_api, alice_client, channel
):
    ingest(channel, [dm("u_budi", created_at=timezone.now() - timedelta(days=3))])
    conv = _conv(org_a)
    for reopen in (
        lambda: alice_api.post(f"/api/v1/conversations/{conv.pk}/reopen/"),
        lambda: alice_client.post(
            reverse("inbox_status", args=["alpha", conv.pk]), {"status": "open"}
        ),
    ):
        services.set_conversation_status(_conv(org_a), by=alice_m, status="closed")
        before = timezone.now()
        assert reopen().status_code in (200, 302)
        assert _conv(org_a).sla_started_at >= before


def test_a_message_written_after_the_closing_restarts_the_clock_from_that_message(
    org_a, alice_m, channel
):
    _closed_long_ago(org_a, alice_m, channel, wrote=timedelta(days=3), closed=timedelta(hours=5))
    written = timezone.now() - timedelta(hours=1)
    ingest(
        channel,
        [
            dm("u_budi", created_at=written, text="Halo lagi"),
            dm("u_budi", created_at=written + timedelta(minutes=10), text="Ada orang?"),
        ],
    )
    conv = _conv(org_a)
    assert conv.status == "open" and conv.sla_started_at == written
    assert conv.sla_due_at == written + timedelta(hours=24)


def test_a_late_message_written_before_the_closing_restarts_it_from_its_arrival(
    org_a, alice_m, channel
):
    _closed_long_ago(org_a, alice_m, channel, wrote=timedelta(days=3), closed=timedelta(hours=1))
    before = timezone.now()
    # written two hours ago, before the closing, and only delivered now
    ingest(channel, [dm("u_budi", created_at=before - timedelta(hours=2))])
    conv = _conv(org_a)
    assert conv.status == "open"
    assert before <= conv.sla_started_at <= timezone.now()
    assert conv.sla_due_at == conv.sla_started_at + timedelta(hours=24)


def test_an_older_message_that_does_not_reopen_starts_no_clock(org_a, alice_m, channel):
    _closed_long_ago(org_a, alice_m, channel, wrote=timedelta(days=3), closed=timedelta(hours=1))
    # older than what the conversation already shows: it does not reopen it
    ingest(channel, [dm("u_budi", created_at=timezone.now() - timedelta(days=4))])
    conv = _conv(org_a)
    assert conv.status == "closed"
    assert (conv.sla_started_at, conv.sla_due_at) == (None, None)


def test_reopening_an_open_conversation_leaves_its_clock(org_a, alice_m, channel):
    ingest(channel, [dm("u_budi", created_at=timezone.now() - timedelta(hours=3))])
    services.assign_conversation(_conv(org_a), by=alice_m, assignee=alice_m)  # new → open
    running = _conv(org_a).sla_started_at
    services.set_conversation_status(_conv(org_a), by=alice_m, status="open")
    assert _conv(org_a).sla_started_at == running
