"""Webhook pushes and polling tasks feed the same ``ingest``: cursors, rate-limit backoff, replays."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from channels_registry.providers.base import InboxPage
from channels_registry.providers.errors import RateLimited
from channels_registry.providers.sandbox import SandboxProvider, sign_webhook_body
from inbox import tasks
from inbox.models import Conversation, Item, PollState
from inbox.services import backoff, poll_channel

from .factories import audience_says, sandbox_channel

pytestmark = pytest.mark.django_db


@pytest.fixture
def channel(org_a, alice_m):
    return sandbox_channel(org_a, alice_m)


def _push(client, body: bytes, delivery="d-1"):
    return client.post(
        "/webhooks/sandbox/",
        data=body,
        content_type="application/json",
        HTTP_X_SANDBOX_SIGNATURE=sign_webhook_body(body),
        HTTP_X_SANDBOX_DELIVERY=delivery,
    )


def _body(*ids):
    return json.dumps(
        {
            "events": [
                {
                    "account": "sbx-kitchen",
                    "kind": "comment",
                    "id": i,
                    "text": f"Halo, buka jam berapa? ({i})",
                    "author_id": "u_dian",
                    "author_name": "Dian",
                    "post_id": "p1",
                    "created_at": "2026-03-01T09:00:00+00:00",
                }
                for i in ids
            ]
        }
    ).encode()


def test_a_pushed_comment_reaches_the_inbox_once_even_when_pushed_again(
    client, channel, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert _push(client, _body("c1", "c2")).status_code == 200
        _push(client, _body("c1", "c2"), delivery="d-2")  # the network sends it again
        _push(client, _body("c2"), delivery="d-3")
    items = Item.objects.for_org(channel.organization_id)
    assert sorted(items.values_list("external_id", flat=True)) == ["c1", "c2"]
    conversation = Conversation.objects.for_org(channel.organization_id).get()
    assert conversation.external_thread_id == "p1" and conversation.author_name == "Dian"


def test_a_push_for_an_account_connected_nowhere_is_dropped_not_an_error(
    client, channel, django_capture_on_commit_callbacks
):
    body = _body("c9").replace(b"sbx-kitchen", b"sbx-unknown")
    with django_capture_on_commit_callbacks(execute=True):
        assert _push(client, body).status_code == 200
    assert not Item.objects.for_org(channel.organization_id).exists()


def test_the_poller_keeps_the_cursor_and_fetches_only_what_is_new(channel):
    audience_says(channel, text="Berapa harganya kak?")
    audience_says(channel, kind="dm", text="Refund saya belum masuk", author="budi")
    assert poll_channel(channel).created == 2
    state = PollState.objects.for_org(channel.organization_id).get(channel=channel)
    assert state.cursor and state.failures == 0 and state.next_poll_at > timezone.now()
    assert poll_channel(channel).received == 0  # nothing new since the cursor
    audience_says(channel, kind="dm", text="Halo? masih nunggu", author="budi")
    assert poll_channel(channel).created == 1
    dms = Conversation.objects.for_org(channel.organization_id).get(kind="dm")
    assert dms.items.count() == 2 and dms.snippet == "Halo? masih nunggu"


def test_a_rate_limit_pushes_the_next_poll_out_by_the_network_s_retry_after(channel, monkeypatch):
    audience_says(channel)
    calls = []

    def limited(self, credentials, account_id, cursor=None):
        calls.append(cursor)
        raise RateLimited("Slow down.", retry_after=900)

    monkeypatch.setattr(SandboxProvider, "fetch_inbox", limited)
    before = timezone.now()
    poll_channel(channel)
    state = PollState.objects.for_org(channel.organization_id).get(channel=channel)
    assert state.failures == 1 and "Slow down" in state.last_error
    assert state.next_poll_at >= before + timedelta(seconds=899)
    # the sweep does not hand the channel out again before then
    assert channel.pk not in tasks.services.claim_due_channels()

    monkeypatch.setattr(
        SandboxProvider, "fetch_inbox", lambda self, c, a, cursor=None: InboxPage(items=[])
    )
    PollState.objects.for_org(channel.organization_id).update(next_poll_at=timezone.now())
    assert channel.pk in tasks.services.claim_due_channels()
    poll_channel(channel)
    state.refresh_from_db()
    assert state.failures == 0 and state.last_error == ""


def test_backoff_doubles_without_a_retry_after_and_is_capped():
    assert [backoff(n).total_seconds() for n in (1, 2, 3)] == [60, 120, 240]
    assert backoff(20) == timedelta(hours=1)
    assert backoff(1, retry_after=30).total_seconds() == 30


def test_the_beat_sweep_polls_every_due_channel_once(channel):
    audience_says(channel, text="Promo ini berlaku sampai kapan?")
    assert tasks.poll_due_inboxes() == 1  # eager in tests: the poll ran
    assert Item.objects.for_org(channel.organization_id).count() == 1
    assert tasks.poll_due_inboxes() == 0  # not due again yet
