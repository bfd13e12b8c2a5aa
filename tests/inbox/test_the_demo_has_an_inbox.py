"""``manage.py seed_demo``: the demo organization's inbox holds English and Indonesian
conversations from the Sandbox audience, taken in through the poller and ``ingest``."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from accounts.models import Organization
from inbox.models import Conversation, Item, PollState

pytestmark = pytest.mark.django_db


def test_the_demo_inbox_has_english_and_indonesian_conversations_and_a_cursor_per_channel():
    call_command("seed_demo", stdout=io.StringIO())
    org = Organization.objects.get(slug="demo")
    conversations = Conversation.objects.for_org(org)
    assert conversations.count() >= 5
    assert {"en", "id"} <= set(Item.objects.for_org(org).values_list("language", flat=True))
    assert conversations.filter(kind="comment_thread").exists()
    # the poller's cursors are stored: ``make run``'s beat sweep continues from there
    assert PollState.objects.for_org(org).exclude(cursor="").count() >= 1
    items = Item.objects.for_org(org).count()
    call_command("seed_demo", stdout=io.StringIO())  # again: nothing duplicated
    assert Item.objects.for_org(org).count() >= items
    # (an item is one per channel and network id: two channels' audiences may use the same id)
    assert Item.objects.for_org(org).values("channel_id", "external_id").distinct().count() == (
        Item.objects.for_org(org).count()
    )
