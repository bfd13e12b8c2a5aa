"""Routing rules in ingest: conditions, first match wins, team round-robin among the members who
may moderate the channel and are working now, priority and tags; a fixed number of queries."""

from __future__ import annotations

from collections import Counter

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.capabilities import Role
from inbox.models import Conversation, ConversationTag, RoundRobinPointer, RoutingRule, Tag
from inbox.services import ingest
from inbox.services.facts import forget_kept_facts
from inbox.services.routing import keyword_pattern, take_turns

from .. import factories as f
from .factories import comment, dm, sandbox_channel

pytestmark = pytest.mark.django_db


@pytest.fixture
def care(org_a, alice_m):
    return f.make_team(org_a, "Customer care", by=alice_m)


@pytest.fixture
def channel(org_a, alice_m):
    return sandbox_channel(org_a, alice_m)


def _agent(org, team, email, *, role=Role.MODERATOR, hours=None):
    m = f.add_member(org, f.make_user(email, name=email.split("@")[0].title()), role)
    m.teams.add(team)
    if hours is not None:
        m.working_hours = hours
        m.save(update_fields=["working_hours"])
    return m


def _rule(org, name, position, **kw):
    return RoutingRule.objects.create(organization=org, name=name, position=position, **kw)


def _conv(org, thread):
    return Conversation.objects.for_org(org).get(external_thread_id=thread)


def test_keywords_match_whole_words_in_any_case():
    pattern = keyword_pattern(["refund", "tidak bisa"])
    assert pattern.search("I want a REFUND now")
    assert pattern.search("aplikasinya Tidak Bisa dibuka")
    assert not pattern.search("it was refunded already")
    assert keyword_pattern(["  "]) is None


def test_the_first_matching_active_rule_in_order_assigns_the_conversation(
    org_a, alice_m, channel, care
):
    amy = _agent(org_a, care, "amy@alpha.test")
    _rule(org_a, "Inactive", 1, keywords=["refund"], assign_to=alice_m, is_active=False)
    _rule(org_a, "Refunds", 2, keywords=["refund"], assign_to=amy, priority="high")
    _rule(org_a, "Everything else", 3, assign_to=alice_m)
    ingest(channel, [dm("u_budi", text="Where is my refund?"), dm("u_sari", text="Halo kak")])
    budi, sari = _conv(org_a, "dm_u_budi"), _conv(org_a, "dm_u_sari")
    assert (budi.assignee_id, budi.priority) == (amy.pk, "high")
    assert (sari.assignee_id, sari.priority) == (alice_m.pk, "normal")


def test_a_rule_that_matches_nothing_leaves_the_conversation_on_the_channels_team(
    org_a, alice_m, care
):
    channel = sandbox_channel(org_a, alice_m, team=care)
    _rule(org_a, "Only English", 1, languages=["en"], kinds=["dm"], assign_to=alice_m)
    ingest(channel, [comment("p1", text="Berapa harganya kak?")])
    conv = _conv(org_a, "p1")
    assert (conv.assignee_id, conv.assigned_team_id) == (None, care.pk)


def test_conditions_on_network_team_subtree_channel_and_item_kind_all_must_hold(
    org_a, alice_m, care
):
    local = f.make_team(org_a, "Care Bandung", parent=care, by=alice_m)
    channel = sandbox_channel(org_a, alice_m, team=local)
    other = sandbox_channel(org_a, alice_m, "sbx-promo")
    _rule(
        org_a,
        "Care DMs on the sandbox",
        1,
        networks=["sandbox"],
        teams=[care.pk],
        kinds=["dm"],
        assign_to=alice_m,
        priority="urgent",
    )
    ingest(channel, [dm("u_a", text="Halo"), comment("p9", text="Halo")])
    ingest(other, [dm("u_b", text="Halo")])
    assert _conv(org_a, "dm_u_a").priority == "urgent"
    assert _conv(org_a, "p9").priority == "normal"  # a comment, not a DM
    assert _conv(org_a, "dm_u_b").priority == "normal"  # a channel outside the care subtree


def test_a_rule_can_ask_for_a_sentiment(org_a, alice_m, channel):
    _rule(org_a, "Angry", 1, sentiments=["negative"], assign_to=alice_m, priority="high")
    ingest(
        channel,
        [
            dm("u_angry", text="This is terrible, the worst service ever. I hate it!"),
            dm("u_happy", text="Thank you so much, I love it, great service!"),
        ],
    )
    assert _conv(org_a, "dm_u_angry").priority == "high"
    assert _conv(org_a, "dm_u_happy").priority == "normal"


def test_a_rule_tags_the_conversation_with_its_tags(org_a, alice_m, channel):
    urgent = Tag.objects.create(organization=org_a, name="refund")
    _rule(org_a, "Refunds", 1, keywords=["refund"], assign_to=alice_m, tags=[urgent.pk, 999999])
    ingest(channel, [dm("u_budi", text="refund please")])
    conv = _conv(org_a, "dm_u_budi")
    assert list(
        ConversationTag.objects.for_org(org_a)
        .filter(conversation=conv)
        .values_list("tag_id", flat=True)
    ) == [urgent.pk]


def test_routing_applies_only_to_new_conversations(org_a, alice_m, channel, care):
    amy = _agent(org_a, care, "amy@alpha.test")
    ingest(channel, [dm("u_budi", text="hello")])
    _rule(org_a, "All", 1, assign_to=amy)
    ingest(channel, [dm("u_budi", text="hello again")])
    assert _conv(org_a, "dm_u_budi").assignee_id is None


def test_round_robin_takes_turns_fairly_across_deliveries(org_a, alice_m, channel, care):
    agents = [_agent(org_a, care, f"agent{i}@alpha.test") for i in range(3)]
    _rule(org_a, "Care", 1, assign_team=care)
    ingest(channel, [dm(f"u_{i}", text="halo") for i in range(4)])
    ingest(channel, [dm(f"u_{i}", text="halo") for i in range(4, 6)])
    convs = Conversation.objects.for_org(org_a).order_by("pk")
    assert all(c.assigned_team_id == care.pk for c in convs)
    assert Counter(c.assignee_id for c in convs) == {a.pk: 2 for a in agents}
    # in turn, by id, continuing where the last delivery stopped
    ids = sorted(a.pk for a in agents)
    assert [c.assignee_id for c in convs] == [ids[0], ids[1], ids[2], ids[0], ids[1], ids[2]]
    pointer = RoundRobinPointer.objects.for_org(org_a).get(team=care)
    assert pointer.last_membership_id == ids[2]


def test_take_turns_starts_after_the_last_served_and_wraps():
    assert take_turns([3, 5, 9], 5, 4) == [9, 3, 5, 9]
    assert take_turns([3, 5, 9], None, 2) == [3, 5]
    assert take_turns([3, 5, 9], 99, 1) == [3]  # the last served left the team
    assert take_turns([], 5, 2) == []


def test_round_robin_skips_members_off_shift_inactive_or_not_allowed_on_the_channel(
    org_a, alice_m, channel, care
):
    on = _agent(org_a, care, "on@alpha.test", hours={"always": True})
    # open only on a day that never comes in this test (a Sunday 00:00–00:01 in UTC)
    _agent(org_a, care, "off@alpha.test", hours={"days": {"sun": ["00:00", "00:01"]}})
    gone = _agent(org_a, care, "gone@alpha.test")
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    _agent(org_a, care, "analyst@alpha.test", role=Role.ANALYST)  # may not moderate
    _rule(org_a, "Care", 1, assign_team=care)
    ingest(channel, [dm(f"u_{i}", text="halo") for i in range(3)])
    assert set(Conversation.objects.for_org(org_a).values_list("assignee_id", flat=True)) == {on.pk}


def test_with_nobody_available_the_conversation_stays_on_the_team_unassigned(
    org_a, alice_m, channel, care
):
    care.working_hours = {"days": {"sun": ["00:00", "00:01"]}}
    care.save(update_fields=["working_hours"])
    _agent(org_a, care, "amy@alpha.test")  # follows the team's hours: closed now
    _rule(org_a, "Care", 1, assign_team=care)
    ingest(channel, [dm("u_budi", text="halo")])
    conv = _conv(org_a, "dm_u_budi")
    assert (conv.assigned_team_id, conv.assignee_id) == (care.pk, None)


def test_a_person_on_a_restricted_channel_needs_a_grant_to_be_routed_to(org_a, alice_m, care):
    from channels_registry import services as channel_services

    channel = sandbox_channel(org_a, alice_m)
    channel_services.set_channel_access(channel, by=alice_m, access="restricted")
    channel.refresh_from_db()
    amy = _agent(org_a, care, "amy@alpha.test")
    ben = _agent(org_a, care, "ben@alpha.test")
    channel_services.grant_channel_access(
        channel, by=alice_m, capability="moderate", membership=ben
    )
    _rule(org_a, "Care", 1, assign_team=care)
    _rule(org_a, "Amy", 0, keywords=["amy"], assign_to=amy, assign_team=care)
    ingest(channel, [dm("u_1", text="halo"), dm("u_2", text="for amy please")])
    assert set(Conversation.objects.for_org(org_a).values_list("assignee_id", flat=True)) == {
        ben.pk
    }


def test_ingest_with_rules_costs_the_same_queries_for_10_or_40_items(org_a, alice_m, channel, care):
    for i in range(3):
        _agent(org_a, care, f"agent{i}@alpha.test")
    _rule(org_a, "Refunds", 1, keywords=["refund"], assign_to=alice_m, priority="high")
    _rule(org_a, "Care", 2, assign_team=care)
    ingest(channel, [dm("u_first", text="halo")])  # (the team's first round makes its pointer)
    for kept in (False, True):  # the rules and members read in the batch, or kept from before
        if not kept:
            forget_kept_facts()
        with CaptureQueriesContext(connection) as small:
            ingest(
                channel,
                [dm(f"u_s{kept}{i}", text="refund" if i % 2 else "halo") for i in range(10)],
            )
        if not kept:
            forget_kept_facts()
        with CaptureQueriesContext(connection) as large:
            ingest(
                channel,
                [dm(f"u_l{kept}{i}", text="refund" if i % 2 else "halo") for i in range(40)],
            )
        assert len(large) == len(small)


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="two concurrent writers: SQLite's shared in-memory test database refuses the second "
    "(table locked) instead of making it wait",
)
def test_two_deliveries_at_once_never_give_the_same_turn(transactional_db):
    """Two threads ingest into the same team concurrently: the locked pointer serialises the turns."""
    import threading

    from django.db import connections

    owner = f.make_user("own@alpha.test")
    org = f.make_org("Alpha", owner=owner)
    owner_m = f.membership(org, owner)
    team = f.make_team(org, "Care", by=owner_m)
    agents = [_agent(org, team, f"agent{i}@alpha.test") for i in range(4)]
    _rule(org, "Care", 1, assign_team=team)
    channels = [sandbox_channel(org, owner_m, account) for account in ("sbx-kitchen", "sbx-promo")]
    barrier = threading.Barrier(2)
    errors = []

    def deliver(i):
        try:
            barrier.wait()
            ingest(channels[i], [dm(f"u_{i}_{n}", text="halo", n=i * 100 + n) for n in range(2)])
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=deliver, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assigned = Counter(Conversation.objects.for_org(org).values_list("assignee_id", flat=True))
    assert assigned == {a.pk: 1 for a in agents}


def test_a_person_who_may_not_answer_falls_back_to_the_rules_team_round_robin(org_a, alice_m, care):
    channel = sandbox_channel(org_a, alice_m, team=care)
    amy = _agent(org_a, care, "amy@alpha.test")
    analyst = _agent(org_a, care, "an@alpha.test", role=Role.ANALYST)
    _rule(org_a, "To the analyst", 1, assign_to=analyst, assign_team=care)
    ingest(channel, [dm("u_budi", text="halo")])
    conv = _conv(org_a, "dm_u_budi")
    assert (conv.assignee_id, conv.assigned_team_id) == (amy.pk, care.pk)


def test_a_rule_whose_team_and_person_were_removed_lets_the_next_rule_decide(
    org_a, alice_m, channel, care
):
    gone = f.make_team(org_a, "Gone", by=alice_m)
    _rule(org_a, "Orphan", 1, assign_team=gone, priority="urgent")
    _rule(org_a, "Next", 2, assign_to=alice_m, priority="low")
    RoutingRule.objects.for_org(org_a).filter(name="Orphan").update(assign_team=None)
    ingest(channel, [dm("u_budi", text="halo")])
    conv = _conv(org_a, "dm_u_budi")
    assert (conv.assignee_id, conv.priority) == (alice_m.pk, "low")
