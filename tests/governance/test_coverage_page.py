"""The coverage page: counts on top, each line links to its fix, governance only, a fixed query count."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.capabilities import Role
from approvals import services as approval_services
from channels_registry.models import Channel
from tests import factories as f

from .coverage_factories import channel, grant, person

pytestmark = pytest.mark.django_db

#: the page's queries, whatever the number of channels, people, teams and workflows
QUERY_BUDGET = 21


def _world(org, owner, *, channels: int, people: int):
    team = f.make_team(org, f"Team {channels}")
    made = [
        channel(
            org,
            f"ch{channels}-{i}",
            team=team,
            access=Channel.Access.RESTRICTED if i % 3 == 0 else Channel.Access.ORGANIZATION,
            token_expires_at=timezone.now() + timedelta(days=2) if i % 4 == 0 else None,
        )
        for i in range(channels)
    ]
    folks = [
        person(org, [Role.MANAGER, Role.PUBLISHER, Role.VIEWER][i % 3], teams=[team])
        for i in range(people)
    ]
    for i, c in enumerate(made):
        grant(c, owner, "manage_channels", membership=folks[i % len(folks)])
        grant(c, owner, "publish", team=team)
    amy = folks[0]
    approval_services.create_workflow(
        org,
        by=owner,
        name=f"Review {channels}",
        stages=[
            approval_services.StageSpec(
                name="Legal",
                rule="any",
                quorum=1,
                sla_hours=24,
                backup_approver=None,
                approvers=[approval_services.ApproverSpec("person", membership=amy)],
            )
        ],
    )
    return made


def test_counts_and_links_to_each_fix(alice_client, org_a, alice_m):
    team = f.make_team(org_a, "Lonely team")
    lonely = channel(org_a, "lonely", team=team, status=Channel.Status.NEEDS_REAUTH)
    person(org_a, Role.CONTRIBUTOR, teams=[team])
    approval_services.create_workflow(
        org_a,
        by=alice_m,
        name="Brand review",
        stages=[
            approval_services.StageSpec(
                name="Legal",
                rule="any",
                quorum=1,
                sla_hours=24,
                backup_approver=None,
                approvers=[approval_services.ApproverSpec("person", membership=alice_m)],
            )
        ],
    )
    response = alice_client.get(reverse("governance_coverage", args=[org_a.slug]))
    assert response.status_code == 200
    html = response.content.decode()
    assert response.context["counts"] == {
        "channels": 1,
        "stages": 1,
        "sole_admins": 0,
        "tokens": 1,
        "teams": 1,
    }
    workflow = response.context["report"].stages[0].workflow
    assert reverse("channel_detail", args=[org_a.slug, lonely.pk]) in html
    assert reverse("workflow_edit", args=[org_a.slug, workflow.pk]) in html
    assert reverse("team_detail", args=[org_a.slug, team.pk]) in html
    assert "Brand review" in html and "Lonely team" in html


def test_the_sole_admin_line_links_to_the_person(alice_client, org_a, alice_m):
    for i in range(3):
        channel(org_a, f"c{i}")
    html = alice_client.get(reverse("governance_coverage", args=[org_a.slug])).content.decode()
    assert reverse("member_detail", args=[org_a.slug, alice_m.pk]) in html


def test_people_without_governance_are_refused(client, org_a):
    manager = person(org_a, Role.MANAGER)
    client.force_login(manager.user)
    response = client.get(reverse("governance_coverage", args=[org_a.slug]))
    assert response.status_code == 403


def test_the_page_costs_the_same_queries_for_ten_times_the_channels(
    alice_client, org_a, alice_m, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = reverse("governance_coverage", args=[org_a.slug])
    _world(org_a, alice_m, channels=3, people=3)
    alice_client.get(url)  # the session's first request reads what later ones have cached
    with CaptureQueriesContext(connection) as small:
        assert alice_client.get(url).status_code == 200
    _world(org_a, alice_m, channels=30, people=12)
    with django_assert_num_queries(len(small.captured_queries)):
        response = alice_client.get(url)
    assert response.status_code == 200
    assert response.context["counts"]["stages"] == 2
    assert len(small.captured_queries) <= QUERY_BUDGET
