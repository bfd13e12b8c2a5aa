"""The workflow builder says who cannot see which restricted channel and where the stage would fall;
a channel condition on a channel the editor may not see is neither shown nor lost when they save."""

from __future__ import annotations

import html

import pytest

from approvals.models import Workflow
from channels_registry import services as channel_services
from channels_registry.models import Channel

from ..channels.factories import connect_sandbox
from ..conftest import api_client_for
from .conftest import make_workflow, person, stage

pytestmark = pytest.mark.django_db


@pytest.fixture
def rosa(org_a, alice_m, people):
    (ch,) = connect_sandbox(org_a, alice_m, ["sbx-promo"])
    channel_services.set_channel_access(ch, by=alice_m, access=Channel.Access.RESTRICTED)
    channel_services.grant_channel_access(
        ch, by=alice_m, capability="publish", membership=people.abe
    )
    return ch


@pytest.fixture
def routed(org_a, people, rosa, channel):
    """Posts to the restricted channel (or the open one) go to amy, who cannot see the restricted one."""
    return make_workflow(
        org_a,
        people.owner,
        stage("Legal", person(people.amy), backup=people.bea),
        name="Rosa route",
        channel_ids=[rosa.pk, channel.pk],
    )


def _page(client, org, workflow) -> str:
    return html.unescape(
        client.get(f"/o/{org.slug}/approvals/workflows/{workflow.pk}/").content.decode()
    )


def test_the_builder_flags_an_approver_who_cannot_see_a_restricted_channel(
    client, org_a, people, rosa, routed
):
    client.force_login(people.owner.user)
    page = _page(client, org_a, routed)
    assert 'id="routing-warnings"' in page
    assert f"Amy Approver cannot see {rosa.name or rosa.display_handle}" in page
    assert "fall to its backup, Bea Backup" in page


def test_the_flag_says_an_admin_when_the_backup_cannot_see_either(client, org_a, people, rosa):
    workflow = make_workflow(
        org_a,
        people.owner,
        stage("Legal", person(people.amy), backup=people.ann),
        name="Rosa route",
        channel_ids=[rosa.pk],
    )
    client.force_login(people.owner.user)
    assert "fall to an admin, Bea Backup" in _page(client, org_a, workflow)


def test_a_workflow_without_restricted_channels_is_not_flagged(client, org_a, people, channel):
    workflow = make_workflow(
        org_a,
        people.owner,
        stage("Legal", person(people.amy)),
        name="Open route",
        channel_ids=[channel.pk],
    )
    client.force_login(people.owner.user)
    assert 'id="routing-warnings"' not in _page(client, org_a, workflow)


def test_an_editor_who_cannot_see_the_channel_is_told_without_its_name(
    client, org_a, people, rosa, routed
):
    client.force_login(people.amy.user)  # a manager (manage_workflows) without a grant
    page = _page(client, org_a, routed)
    assert "Amy Approver cannot see 1 channel you cannot see" in page
    assert rosa.handle not in page and (rosa.name or rosa.handle) not in page


def test_saving_keeps_a_condition_on_a_channel_the_editor_cannot_see(
    client, org_a, people, rosa, channel, routed
):
    client.force_login(people.amy.user)
    data = {
        "name": "Rosa route renamed",
        "priority": 5,
        "is_active": "on",
        "link_ttl_hours": 72,
        "resubmit_to": "first_stage",
        "channel_ids": [channel.pk],
        "stage_1_name": "Legal",
        "stage_1_rule": "any",
        "stage_1_quorum": 1,
        "stage_1_sla_hours": 24,
        "stage_1_people": [people.amy.pk],
        "stage_1_backup": people.bea.pk,
    }
    response = client.post(f"/o/{org_a.slug}/approvals/workflows/{routed.pk}/", data)
    assert response.status_code == 302, response.content.decode()[:1500]
    saved = Workflow.objects.for_org(org_a).get(pk=routed.pk)
    assert saved.name == "Rosa route renamed" and saved.channel_ids == sorted([rosa.pk, channel.pk])


def test_the_api_hides_the_condition_keeps_it_on_save_and_refuses_a_new_hidden_one(
    org_a, people, rosa, channel, routed
):
    api = api_client_for(people.amy)
    body = api.get(f"/api/v1/approval-workflows/{routed.pk}/").json()
    assert body["channel_ids"] == [channel.pk]
    body["name"] = "Renamed by API"
    assert (
        api.put(f"/api/v1/approval-workflows/{routed.pk}/", body, format="json").status_code == 200
    )
    assert Workflow.objects.for_org(org_a).get(pk=routed.pk).channel_ids == sorted(
        [rosa.pk, channel.pk]
    )
    body.update(name="Another", channel_ids=[rosa.pk])
    refused = api.post("/api/v1/approval-workflows/", body, format="json")
    assert refused.status_code == 400 and "channel_ids" in refused.json()["error"]["fields"]
