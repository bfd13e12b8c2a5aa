"""What routing and the SLA clock read is kept between ingest batches (PostgreSQL), and any change
to it (offboarding, a rule's edit, a team's members or hours, a grant, a target) is seen by the very
next batch: triggers rewrite the organization's facts version in the change's own transaction."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts import services as account_services
from accounts.capabilities import Role
from inbox.models import Conversation, RoutingRule, SlaTarget
from inbox.services import ingest
from inbox.services.routing import update_routing_rule

from .. import factories as f
from .factories import dm, sandbox_channel

pytestmark = pytest.mark.django_db

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="facts are kept between batches on PostgreSQL only"
)


@pytest.fixture
def care(org_a, alice_m):
    return f.make_team(org_a, "Customer care", by=alice_m)


@pytest.fixture
def channel(org_a, alice_m):
    return sandbox_channel(org_a, alice_m)


def _agent(org, team, email):
    m = f.add_member(org, f.make_user(email), Role.MODERATOR)
    m.teams.add(team)
    return m


def _assignees(org, authors):
    return set(
        Conversation.objects.for_org(org)
        .filter(external_thread_id__in=[f"dm_{a}" for a in authors])
        .values_list("assignee_id", flat=True)
    )


def _batch(channel, prefix, n=4):
    authors = [f"u_{prefix}{i}" for i in range(n)]
    ingest(channel, [dm(a, text="halo") for a in authors])
    return authors


def _reads_of(queries, table):
    return sum(f'FROM "{table}"' in q["sql"] for q in queries)


@on_postgresql
def test_a_second_batch_reads_no_rule_member_or_target_again(org_a, alice_m, channel, care):
    _agent(org_a, care, "amy@alpha.test")
    RoutingRule.objects.create(organization=org_a, name="Care", position=1, assign_team=care)
    SlaTarget.objects.create(organization=org_a, hours=4)
    with CaptureQueriesContext(connection) as first:
        _batch(channel, "a")
    with CaptureQueriesContext(connection) as second:
        _batch(channel, "b")
    for table in ("inbox_routingrule", "accounts_membership", "inbox_slatarget"):
        assert _reads_of(first, table) >= 1, table
        assert _reads_of(second, table) == 0, table
    assert len(second) < len(first)


def test_a_member_offboarded_between_batches_is_never_routed_to(org_a, alice_m, channel, care):
    from governance.offboarding.services import offboard_member

    amy = _agent(org_a, care, "amy@alpha.test")
    ben = _agent(org_a, care, "ben@alpha.test")
    RoutingRule.objects.create(organization=org_a, name="Care", position=1, assign_team=care)
    assert _assignees(org_a, _batch(channel, "a")) == {amy.pk, ben.pk}
    offboard_member(ben, by=alice_m)
    assert _assignees(org_a, _batch(channel, "b")) == {amy.pk}


@pytest.mark.parametrize("change", ["deactivated", "left the team", "user disabled", "hours"])
def test_any_change_to_who_may_take_turns_is_seen_by_the_next_batch(
    org_a, alice_m, channel, care, change
):
    amy = _agent(org_a, care, "amy@alpha.test")
    ben = _agent(org_a, care, "ben@alpha.test")
    RoutingRule.objects.create(organization=org_a, name="Care", position=1, assign_team=care)
    assert _assignees(org_a, _batch(channel, "a")) == {amy.pk, ben.pk}
    if change == "deactivated":
        account_services.deactivate_member(ben, by=alice_m)
    elif change == "left the team":
        account_services.set_member_teams(ben, by=alice_m, teams=[])
    elif change == "user disabled":
        ben.user.is_active = False
        ben.user.save(update_fields=["is_active"])
    else:  # ben works only at an hour that never comes in this test
        account_services.set_working_hours(
            ben, by=alice_m, working_hours={"days": {"sun": ["00:00", "00:01"]}}
        )
    assert _assignees(org_a, _batch(channel, "b")) == {amy.pk}


def test_a_rule_edited_between_batches_routes_the_next_batch(org_a, alice_m, channel, care):
    amy = _agent(org_a, care, "amy@alpha.test")
    rule = RoutingRule.objects.create(organization=org_a, name="Care", position=1, assign_team=care)
    assert _assignees(org_a, _batch(channel, "a")) == {amy.pk}
    update_routing_rule(rule, by=alice_m, data={"assign_to": alice_m.pk, "assign_team": None})
    assert _assignees(org_a, _batch(channel, "b")) == {alice_m.pk}


def test_a_target_changed_between_batches_sets_the_next_due_times(org_a, alice_m, channel):
    target = SlaTarget.objects.create(organization=org_a, hours=4)
    authors = _batch(channel, "a", n=1)
    conv = Conversation.objects.for_org(org_a).get(external_thread_id=f"dm_{authors[0]}")
    assert conv.sla_due_at - conv.sla_started_at == timedelta(hours=4)
    target.hours = 1
    target.save()
    authors = _batch(channel, "b", n=1)
    conv = Conversation.objects.for_org(org_a).get(external_thread_id=f"dm_{authors[0]}")
    assert conv.sla_due_at - conv.sla_started_at == timedelta(hours=1)


def test_a_change_rolled_back_is_not_kept(org_a, alice_m, channel, care):
    """A batch in the same transaction as a change saw it; once rolled back, the next batch does
    not route by it (the kept facts are keyed by the version row's writer, not its number)."""
    amy = _agent(org_a, care, "amy@alpha.test")
    rule = RoutingRule.objects.create(organization=org_a, name="Care", position=1, assign_team=care)
    _batch(channel, "a")
    with pytest.raises(RuntimeError), transaction.atomic():
        update_routing_rule(rule, by=alice_m, data={"assign_to": alice_m.pk, "assign_team": None})
        assert _assignees(org_a, _batch(channel, "b")) == {alice_m.pk}
        raise RuntimeError("roll back")
    # another change, committed, brings the version to the number the rolled back one had
    RoutingRule.objects.create(
        organization=org_a, name="Nothing", position=9, assign_to=alice_m, keywords=["never-said"]
    )
    assert _assignees(org_a, _batch(channel, "c")) == {amy.pk}


def test_each_organization_routes_by_its_own_facts(org_a, org_b, alice_m, bob_m, channel, care):
    amy = _agent(org_a, care, "amy@alpha.test")
    RoutingRule.objects.create(organization=org_a, name="Care", position=1, assign_team=care)
    RoutingRule.objects.create(organization=org_b, name="Bob", position=1, assign_to=bob_m)
    channel_b = sandbox_channel(org_b, bob_m)
    for round_ in range(2):  # (the second time from what each organization's first batch kept)
        assert _assignees(org_a, _batch(channel, f"a{round_}_")) == {amy.pk}
        assert _assignees(org_b, _batch(channel_b, f"b{round_}_")) == {bob_m.pk}


# --- The webhook endpoints that listen for conversation.created (kept with the facts) -----------


def _created_events(org):
    from socialops.webhooks.models import WebhookDelivery

    return WebhookDelivery.objects.for_org(org).filter(event_type="conversation.created").count()


def _version(org):
    from inbox.models import OrgFactsVersion

    row = OrgFactsVersion.objects.filter(organization_id=org.pk).first()
    return row.version if row else 0


def test_an_endpoint_added_between_batches_hears_the_next_batch(org_a, alice_m, channel, settings):
    from socialops.webhooks import services as webhooks

    settings.OUTBOUND_ALLOW_LOOPBACK = True
    _batch(channel, "a", n=2)
    assert _created_events(org_a) == 0
    webhooks.create_endpoint(org_a, url="http://127.0.0.1:9/h", events=["conversation.created"])
    _batch(channel, "b", n=2)
    assert _created_events(org_a) == 2
    other = webhooks.create_endpoint(org_a, url="http://127.0.0.1:9/o", events=["post.published"])
    _batch(channel, "c", n=1)
    assert _created_events(org_a) == 3  # (the second endpoint does not listen for it)
    webhooks.update_endpoint(other, events=["post.published", "conversation.created"])
    _batch(channel, "d", n=1)
    assert _created_events(org_a) == 5  # both listen now


def test_an_endpoint_disabled_or_deleted_between_batches_hears_nothing_more(
    org_a, alice_m, channel, settings
):
    from socialops.webhooks import services as webhooks

    settings.OUTBOUND_ALLOW_LOOPBACK = True
    endpoint = webhooks.create_endpoint(
        org_a, url="http://127.0.0.1:9/h", events=["conversation.created"]
    )
    _batch(channel, "a", n=2)
    assert _created_events(org_a) == 2
    webhooks.disable_endpoint(endpoint)
    _batch(channel, "b", n=2)
    assert _created_events(org_a) == 2
    webhooks.enable_endpoint(endpoint)
    _batch(channel, "c", n=1)
    assert _created_events(org_a) == 3
    webhooks.delete_endpoint(endpoint)
    left = _created_events(org_a)
    _batch(channel, "d", n=1)
    assert _created_events(org_a) == left


@on_postgresql
def test_the_endpoints_are_read_once_and_the_engines_writes_keep_them(
    org_a, alice_m, channel, settings
):
    from socialops.webhooks import services as webhooks
    from socialops.webhooks.models import WebhookEndpoint

    settings.OUTBOUND_ALLOW_LOOPBACK = True
    endpoint = webhooks.create_endpoint(
        org_a, url="http://127.0.0.1:9/h", events=["conversation.created"]
    )
    _batch(channel, "a")
    before = _version(org_a)
    # what the delivery engine writes on each attempt says nothing of who listens
    WebhookEndpoint.objects.for_org(org_a).filter(pk=endpoint.pk).update(
        consecutive_failures=3, last_success_at=None
    )
    assert _version(org_a) == before
    with CaptureQueriesContext(connection) as second:
        _batch(channel, "b")
    assert _reads_of(second, "webhooks_webhookendpoint") == 0
    assert _created_events(org_a) == 8
