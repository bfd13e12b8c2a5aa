"""``inbox.services.ingest``: one path for webhooks and pollers; repeats and reordering change nothing."""

from __future__ import annotations

import json
import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from channels_registry.models import Channel
from inbox.models import Conversation, Item
from inbox.services import ingest
from inbox.services.facts import forget_kept_facts

from .. import factories as f
from .factories import comment, dm, sandbox_channel

pytestmark = pytest.mark.django_db


def _state(org):
    items = sorted(
        Item.objects.for_org(org).values_list(
            "external_id", "conversation__external_thread_id", "text"
        )
    )
    convs = sorted(
        Conversation.objects.for_org(org).values_list(
            "kind",
            "external_thread_id",
            "last_item_at",
            "snippet",
            "sentiment",
            "language",
            "status",
        )
    )
    return items, convs


def _stream(n=100):
    items = []
    for i in range(n):
        if i % 3 == 0:
            items.append(dm(f"u_{i % 7}", n=i, text=f"dm {i}"))
        else:
            items.append(comment(f"p{i % 5}", n=i, text=f"comment {i}"))
    return items


def test_a_stream_with_duplicates_shuffled_lands_as_the_same_rows_as_in_order(
    org_a, alice_m, org_b, bob_m
):
    ordered_channel = sandbox_channel(org_a, alice_m)
    shuffled_channel = sandbox_channel(org_b, bob_m)
    ingest(ordered_channel, _stream())

    rng = random.Random(7)
    noisy = _stream() + rng.sample(_stream(), 20)  # 20% duplicates
    rng.shuffle(noisy)
    for start in range(0, len(noisy), 17):  # delivered in uneven batches
        ingest(shuffled_channel, noisy[start : start + 17])
    ingest(shuffled_channel, noisy)  # and the whole stream again

    assert Item.objects.for_org(org_b).count() == 100
    assert _state(org_a) == _state(org_b)


def test_items_thread_into_a_post_s_comments_and_a_person_s_dms(org_a, alice_m):
    channel = sandbox_channel(org_a, alice_m)
    result = ingest(
        channel,
        [
            comment("p1", n=1),
            comment("p1", n=2, text="Enak banget!"),
            dm("u_budi", n=3),
            dm("u_budi", n=4),
        ],
    )
    assert (result.created, result.conversations_created) == (4, 2)
    thread = Conversation.objects.for_org(org_a).get(kind="comment_thread")
    assert thread.external_thread_id == "p1" and thread.snippet == "Enak banget!"
    assert thread.status == "new" and thread.language == "id"
    dms = Conversation.objects.for_org(org_a).get(kind="dm")
    assert dms.external_thread_id == "dm_u_budi" and dms.sentiment == "negative"
    assert Item.objects.for_org(org_a).filter(conversation=dms).count() == 2


def test_a_new_message_reopens_a_closed_conversation_but_a_late_old_one_does_not(org_a, alice_m):
    channel = sandbox_channel(org_a, alice_m)
    ingest(channel, [dm(n=10)])
    conv = Conversation.objects.for_org(org_a).get()
    Conversation.objects.for_org(org_a).update(status="closed")
    ingest(channel, [dm(n=5, text="older, arriving late")])
    conv.refresh_from_db()
    assert conv.status == "closed" and conv.snippet != "older, arriving late"
    ingest(channel, [dm(n=20, text="still waiting!")])
    conv.refresh_from_db()
    assert conv.status == "open" and conv.snippet == "still waiting!"


def test_a_batch_costs_the_same_queries_whatever_its_size(org_a, alice_m):
    channel = sandbox_channel(org_a, alice_m)
    forget_kept_facts()  # both batches read the organization's facts (none kept from before)
    with CaptureQueriesContext(connection) as small:
        ingest(channel, _stream(10))
    Item.objects.for_org(org_a).delete()
    Conversation.objects.for_org(org_a).delete()
    forget_kept_facts()
    with CaptureQueriesContext(connection) as large:
        ingest(channel, _stream(40))  # SQLite splits far larger inserts by its parameter limit
    assert len(large) == len(small)


def test_items_for_a_disconnected_or_unknown_channel_are_dropped_with_a_log_line(
    org_a, alice_m, caplog
):
    channel = sandbox_channel(org_a, alice_m)
    Channel.objects.for_org(org_a).filter(pk=channel.pk).update(status="disconnected")
    channel.refresh_from_db()
    assert ingest(channel, [comment()]).dropped == 1
    assert ingest(None, [comment()]).dropped == 1
    assert Item.objects.for_org(org_a).count() == 0
    assert "dropped" in caplog.text


def test_a_comment_thread_on_a_post_published_from_here_names_that_post(
    org_a, alice, alice_m, client
):
    from django.urls import reverse

    from publishing.models import PostVariant

    from ..publishing.scheduler_factories import make_post

    channel = sandbox_channel(org_a, alice_m)
    post = make_post(org_a, alice, [channel], text="Promo kopi susu minggu ini")
    PostVariant.objects.for_org(org_a).filter(post=post).update(
        status="published", external_id="sbxp_promo1"
    )
    ingest(channel, [comment("sbxp_promo1", n=1), comment("elsewhere", n=2)])
    on_ours = Conversation.objects.for_org(org_a).get(external_thread_id="sbxp_promo1")
    assert on_ours.post_variant.post_id == post.pk
    assert (
        Conversation.objects.for_org(org_a).get(external_thread_id="elsewhere").post_variant is None
    )
    client.force_login(alice)
    page = client.get(reverse("inbox_conversation", args=["alpha", on_ours.pk])).content.decode()
    assert "Promo kopi susu minggu ini" in page


def test_a_batch_on_threads_already_open_inserts_no_conversation(org_a, alice_m):
    channel = sandbox_channel(org_a, alice_m)
    ingest(channel, [comment("p1", n=1), dm("u_7", n=2)])
    with CaptureQueriesContext(connection) as later:
        result = ingest(channel, [comment("p1", n=3), dm("u_7", n=4), comment("p1", n=1)])
    assert (result.created, result.duplicates, result.conversations_created) == (2, 1, 0)
    assert not [q for q in later if 'INSERT INTO "inbox_conversation"' in q["sql"]]
    assert Conversation.objects.for_org(org_a).count() == 2
    thread = Conversation.objects.for_org(org_a).get(external_thread_id="p1")
    assert thread.last_item_at == comment("p1", n=3).created_at


def test_the_networks_fields_are_kept_and_what_is_not_json_does_not_stop_the_item(org_a, alice_m):
    channel = sandbox_channel(org_a, alice_m)
    ingest(
        channel,
        [
            comment(n=1, raw={"likes": 3, "tags": ["a", "b"]}),
            comment(n=2, raw={"score": float("nan")}),
            comment(n=3, raw={"blob": "x" * 5000}),
        ],
    )
    raw = dict(Item.objects.for_org(org_a).values_list("external_id", "raw"))
    assert raw == {"c1": {"likes": 3, "tags": ["a", "b"]}, "c2": {}, "c3": {"truncated": True}}


def test_every_field_of_an_item_is_stored_as_the_network_wrote_it(org_a, alice_m):
    """What a batch's values go through on their way in (one JSON text per statement on
    PostgreSQL) changes none of them: quotes, backslashes, newlines, emoji, JSON-looking text,
    times to the microsecond, a score, the network's fields."""
    channel = sandbox_channel(org_a, alice_m)
    texts = {
        "c1": 'Kak, "promo" \\ gk ada?\nBaris dua\ttab 😍🙏',
        "c2": '{"not": "json to us"} [1, 2] null',
        "c3": "",
        "d4": "Ça coûte combien ? いくら",
        "c5": "\\N",  # what COPY reads as null, written as a text
        "c6": 'a,b;"c"\r\n,\\., end',
    }
    at = comment(n=1).created_at.replace(microsecond=123456)
    ingest(
        channel,
        [
            comment("p9", n=1, text=texts["c1"], created_at=at, author_name='Rina "R" \\ Putri'),
            comment(n=2, text=texts["c2"], raw={"quote": 'a"b', "emoji": "👍", "n": 1.5}),
            comment(n=3, text=texts["c3"], permalink="https://example.test/p?a=1&b=%20"),
            dm("u_ani", n=4, text=texts["d4"]),
            comment(n=5, text=texts["c5"], author_name="\\N", permalink=""),
            comment(n=6, text=texts["c6"]),
        ],
    )
    items = {i.external_id: i for i in Item.objects.for_org(org_a)}
    assert items["c5"].author_name == "\\N"
    assert {k: i.text for k, i in items.items()} == texts
    assert items["c1"].created_at == at
    assert items["c1"].author_name == 'Rina "R" \\ Putri'
    assert items["c2"].raw == {"quote": 'a"b', "emoji": "👍", "n": 1.5}
    assert items["c3"].permalink == "https://example.test/p?a=1&b=%20"
    thread = Conversation.objects.for_org(org_a).get(external_thread_id="p9")
    assert (thread.author_name, thread.snippet, thread.last_item_at) == (
        'Rina "R" \\ Putri',
        texts["c1"],
        at,
    )
    assert Conversation.objects.for_org(org_a).get(kind="dm").snippet == texts["d4"]


def test_a_thread_s_times_move_to_the_microsecond_whatever_the_offset(org_a, alice_m):
    """The conversations' update carries its times as whole microseconds since 1970: a later
    item written at another offset moves the thread (latest, customer's latest, the SLA clock's
    start) to exactly its instant."""
    from datetime import timedelta, timezone

    channel = sandbox_channel(org_a, alice_m)
    first = comment("p7", n=1).created_at.replace(microsecond=999999)
    ingest(channel, [comment("p7", n=1, created_at=first)])
    jakarta = timezone(timedelta(hours=7))
    later = (first + timedelta(hours=2, microseconds=1)).astimezone(jakarta)
    ingest(channel, [comment("p7", n=2, created_at=later, text="Halo? Masih ditunggu")])
    thread = Conversation.objects.for_org(org_a).get(external_thread_id="p7")
    assert thread.last_item_at == later
    assert thread.last_inbound_at == later
    assert thread.last_item_at.microsecond == 0  # (999999 + 1 µs: the second rolled over)
    assert thread.sla_started_at == first
    assert thread.snippet == "Halo? Masih ditunggu"


def test_what_postgresql_cannot_store_does_not_stop_the_item(org_a, alice_m):
    """PostgreSQL stores no NUL character in a text (nor ``\\u0000`` in JSON), nor a lone
    surrogate (half an emoji a network cut in two, as JSON's ``\\ud83d`` decodes): an item
    carrying one, in its text, its ids or its raw fields, comes in without it."""
    channel = sandbox_channel(org_a, alice_m)
    half = json.loads('"Mantap \\ud83d"')  # what a network's JSON gives for a cut emoji
    result = ingest(
        channel,
        [
            comment(
                "p\x001",
                n=1,
                text="ha\x00lo",
                author_name="Ri\x00na",
                raw={"k\x00": ["v\x00", {"x": "\x00"}]},
            ),
            dm("u_\x00ani", n=2, text="\x00"),
            comment(f"p{half}", n=3, text=half, raw={"text": half, "ok": "😍"}),
        ],
    )
    assert result.created == 3
    items = {i.external_id: i for i in Item.objects.for_org(org_a)}
    assert (items["c1"].text, items["c1"].author_name) == ("halo", "Rina")
    assert items["c1"].raw == {"k": ["v", {"x": ""}]}
    assert items["d2"].text == ""
    assert items["c3"].text == "Mantap ?"
    assert items["c3"].raw == {"text": "Mantap ?", "ok": "😍"}
    assert set(
        Conversation.objects.for_org(org_a).values_list("external_thread_id", flat=True)
    ) == {
        "p1",
        "dm_u_ani",
        "pMantap ?",
    }


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs two concurrent writers")
@pytest.mark.django_db(transaction=True)
def test_the_same_new_items_delivered_twice_at_once_are_stored_once():
    """The second delivery read "not known" while the first held its uncommitted rows: its insert
    waits on them, fails once the first commits, and its batch runs again, finding them known."""
    from ..interleave import second_while_first_holds

    owner = f.make_user("own@alpha.test")
    org = f.make_org("Alpha", owner=owner)
    channel = sandbox_channel(org, f.membership(org, owner))
    ingest(channel, [comment("p1", n=1)])  # the thread exists: the race is on the items only
    results = []
    staged = second_while_first_holds(
        lambda: results.append(ingest(channel, [comment("p1", n=2), comment("p1", n=3)])),
        lambda: results.append(ingest(channel, [comment("p1", n=3), comment("p1", n=4)])),
    )
    assert staged, "the second delivery finished before the first committed"
    assert sorted(Item.objects.for_org(org).values_list("external_id", flat=True)) == [
        "c1",
        "c2",
        "c3",
        "c4",
    ]
    first, second = results
    assert (first.created, second.created, second.duplicates) == (2, 1, 1)


def test_the_update_s_times_are_whole_microseconds_and_a_naive_time_is_utc():
    """``_micros_of`` (the conversations' update): an aware time's instant, a naive one as UTC (as
    PostgreSQL read the naive ISO text before), nothing for none."""
    from datetime import UTC, datetime, timedelta, timezone
    from types import SimpleNamespace

    from inbox.services.ingest import _micros_of

    get = _micros_of("at")
    aware = datetime(2026, 3, 1, 19, 0, 5, 123457, tzinfo=timezone(timedelta(hours=7)))
    assert get(SimpleNamespace(at=aware)) == 1772366405123457
    assert get(SimpleNamespace(at=aware.astimezone(UTC).replace(tzinfo=None))) == 1772366405123457
    assert get(SimpleNamespace(at=None)) is None
