"""A conversation's first response: the first outbound item after its first inbound one, noted
when it arrives (a reply sent from here, or one the network account wrote on the network), never
moved after; the backfill fills conversations answered before the field existed."""

from __future__ import annotations

from datetime import timedelta

import pytest

from inbox.models import Conversation
from inbox.services import ingest, send_reply
from inbox.services.first_response import backfill_first_responses

from .factories import T0, dm, inbox_with_conversation, sandbox_channel

pytestmark = pytest.mark.django_db


@pytest.fixture
def channel(org_a, alice_m):
    return sandbox_channel(org_a, alice_m)


def _ours(channel, n, minute, thread="dm_u_budi"):
    return dm(
        n=n,
        author=channel.external_id,
        text="Halo kak, kami bantu cek ya.",
        created_at=T0 + timedelta(minutes=minute),
        thread_id=thread,
    )


def _conversation(org):
    return Conversation.objects.for_org(org).get(external_thread_id="dm_u_budi")


def test_an_answer_written_on_the_network_is_the_first_response(org_a, channel):
    ingest(channel, [dm(n=1)])  # the customer at T0 + 1 min
    assert _conversation(org_a).first_response_at is None
    ingest(channel, [_ours(channel, 2, minute=31)])
    conv = _conversation(org_a)
    assert conv.first_response_at == T0 + timedelta(minutes=31)
    assert conv.first_response_seconds == 30 * 60


def test_a_later_answer_does_not_move_it(org_a, channel):
    ingest(channel, [dm(n=1), _ours(channel, 2, minute=11)])
    ingest(channel, [dm(n=3), _ours(channel, 4, minute=50)])
    conv = _conversation(org_a)
    assert conv.first_response_at == T0 + timedelta(minutes=11)
    assert conv.first_response_seconds == 10 * 60


def test_an_outbound_item_before_any_customer_item_is_not_an_answer(org_a, channel):
    ingest(channel, [_ours(channel, 1, minute=0), dm(n=5)])
    assert _conversation(org_a).first_response_at is None


def test_a_reply_sent_from_here_is_the_first_response(org_a, alice_m, channel):
    conv = inbox_with_conversation(channel, kind="dm", author="budi")
    asked = conv.items.get().created_at
    reply = send_reply(conv, by=alice_m, text="Siap kak, kami cek dulu.")
    assert reply.status == reply.Status.SENT, reply.error
    conv.refresh_from_db()
    assert conv.first_response_at == reply.sent_at
    assert conv.first_response_seconds == int((reply.sent_at - asked).total_seconds())


def test_the_backfill_fills_answered_conversations_only(org_a, org_b, bob_m, channel):
    ingest(channel, [dm(n=1), _ours(channel, 2, minute=21)])
    ingest(channel, [dm(n=3, author="u_sari", thread_id="dm_u_sari")])
    Conversation.objects.for_org(org_a).update(first_response_at=None, first_response_seconds=None)
    assert backfill_first_responses() == 1
    answered = _conversation(org_a)
    assert answered.first_response_seconds == 20 * 60
    assert (
        Conversation.objects.for_org(org_a).get(external_thread_id="dm_u_sari").first_response_at
        is None
    )
    assert backfill_first_responses(org_a.pk) == 0  # nothing left to fill
