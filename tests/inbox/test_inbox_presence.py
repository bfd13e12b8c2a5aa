"""Presence on a conversation: two people see each other ("Dewi is viewing", "Dewi is typing a
reply…") through a heartbeat in Django's cache (Redis in production, the local-memory cache
too); a heartbeat expires after a short time, typing sooner."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.urls import reverse

from accounts.capabilities import Role
from inbox.services import presence

from .. import factories as f
from .factories import inbox_with_conversation, sandbox_channel

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["locmem", "configured"])
def any_cache(request, settings):
    """Each test runs on the local-memory cache and on the configured one (Redis when set)."""
    if request.param == "locmem":
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def conv(org_a, alice_m):
    return inbox_with_conversation(sandbox_channel(org_a, alice_m), text="Halo kak")


@pytest.fixture
def dewi(org_a):
    return f.add_member(org_a, f.make_user("dewi@alpha.test", name="Dewi Lestari"), Role.MODERATOR)


def test_two_people_on_a_conversation_see_each_other_and_not_themselves(
    any_cache, conv, alice_m, dewi
):
    presence.heartbeat(conv, by=alice_m, now=1000)
    presence.heartbeat(conv, by=dewi, now=1001)
    (seen_by_alice,) = presence.others_on(conv, by=alice_m, now=1002)
    assert seen_by_alice.name == "Dewi" and not seen_by_alice.typing
    (seen_by_dewi,) = presence.others_on(conv, by=dewi, now=1002)
    assert seen_by_dewi.member_id == alice_m.pk


def test_a_viewer_who_stops_sending_heartbeats_expires(any_cache, conv, alice_m, dewi):
    presence.heartbeat(conv, by=dewi, now=1000)
    assert presence.others_on(conv, by=alice_m, now=1000 + presence.VIEWING_TTL - 1)
    assert presence.others_on(conv, by=alice_m, now=1000 + presence.VIEWING_TTL + 1) == []


def test_typing_shows_then_expires_sooner_than_viewing(any_cache, conv, alice_m, dewi):
    presence.heartbeat(conv, by=dewi, typing=True, now=1000)
    (p,) = presence.others_on(conv, by=alice_m, now=1001)
    assert p.typing
    presence.heartbeat(conv, by=dewi, now=1000 + presence.TYPING_TTL + 1)  # still here, not typing
    (p,) = presence.others_on(conv, by=alice_m, now=1000 + presence.TYPING_TTL + 2)
    assert not p.typing


def test_presence_of_one_conversation_is_not_shown_on_another(any_cache, org_a, alice_m, dewi):
    channel = sandbox_channel(org_a, alice_m)
    one = inbox_with_conversation(channel, text="satu", kind="dm", author="rina")
    two = inbox_with_conversation(channel, text="dua", kind="dm", author="budi")
    presence.heartbeat(one, by=dewi, now=1000)
    assert presence.others_on(two, by=alice_m, now=1000) == []


def test_the_heartbeat_endpoint_answers_who_else_is_here_and_who_types(
    any_cache, client, conv, alice_m, dewi
):
    url = reverse("inbox_presence", args=["alpha", conv.pk])
    client.force_login(dewi.user)
    assert client.post(url, {"typing": "1"}).status_code == 200
    client.force_login(alice_m.user)
    fragment = client.post(url).content.decode()
    assert "Dewi is typing a reply" in fragment and "Alice" not in fragment
    assert client.get(url).status_code == 405  # a heartbeat changes state: POST only


def test_the_conversation_page_polls_presence(any_cache, alice_client, conv):
    body = alice_client.get(reverse("inbox_conversation", args=["alpha", conv.pk])).content.decode()
    assert 'id="presence"' in body and 'hx-trigger="load, every 5s, typing"' in body
    assert reverse("inbox_presence", args=["alpha", conv.pk]) in body
