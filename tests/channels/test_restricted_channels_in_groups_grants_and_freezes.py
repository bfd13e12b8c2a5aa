"""A restricted channel inside groups, grants and publishing freezes: a manager without a grant gets a
404 for its grants and freezes, sees groups without it, and saving a group keeps it; grantees see all."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.capabilities import Role
from channels_registry import services
from channels_registry.models import Channel
from channels_registry.selectors import get_group
from publishing.scheduler import services as scheduling
from tests import factories as f
from tests.conftest import api_client_for

from .factories import connect_sandbox

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(org_a, alice_m):
    open_ch, rosa = connect_sandbox(org_a, alice_m, ["sbx-kitchen", "sbx-promo"])
    services.set_channel_access(rosa, by=alice_m, access=Channel.Access.RESTRICTED)
    mona = f.add_member(org_a, f.make_user("mona@alpha.test", name="Mona Manager"), Role.MANAGER)
    gil = f.add_member(org_a, f.make_user("gil@alpha.test", name="Gil Grantee"), Role.MANAGER)
    grant = services.grant_channel_access(rosa, by=alice_m, capability="publish", membership=gil)
    group = services.create_channel_group(
        org_a, by=alice_m, name="Everything", channels=[open_ch, rosa]
    )
    freeze = scheduling.create_freeze(
        org_a, by=alice_m, scope="channel", channel=rosa, reason="Rosa embargo"
    )
    org_freeze = scheduling.create_freeze(
        org_a, by=alice_m, scope="organization", reason="Quiet day"
    )
    return {
        "open": open_ch,
        "rosa": rosa,
        "mona": mona,
        "gil": gil,
        "grant": grant,
        "group": group,
        "freeze": freeze,
        "org_freeze": org_freeze,
    }


def test_a_grant_on_a_restricted_channel_is_a_404_to_a_manager_without_access(world):
    api = api_client_for(world["mona"])
    url = f"/api/v1/channel-grants/{world['grant'].pk}/"
    assert api.get(url).status_code == 404
    assert api.delete(url).status_code == 404
    assert world["rosa"].pk not in {
        g["channel"] for g in api.get("/api/v1/channel-grants/").json()["results"]
    }
    assert api_client_for(world["gil"]).get(url).status_code == 200


def test_a_freeze_of_a_restricted_channel_is_a_404_to_whoever_cannot_see_it(org_a, world):
    viewer = f.add_member(org_a, f.make_user("vic@alpha.test"), Role.VIEWER)
    for member in (world["mona"], viewer):
        api = api_client_for(member)
        listed = {fr["id"] for fr in api.get("/api/v1/publishing-freezes/").json()["results"]}
        assert listed == {world["org_freeze"].pk}
        assert api.get(f"/api/v1/publishing-freezes/{world['freeze'].pk}/").status_code == 404
        assert api.post(f"/api/v1/publishing-freezes/{world['freeze'].pk}/lift/").status_code in (
            404,
            403,
        )
    mona_api = api_client_for(world["mona"])
    assert (
        mona_api.post(f"/api/v1/publishing-freezes/{world['freeze'].pk}/lift/").status_code == 404
    )
    body = (
        api_client_for(world["gil"]).get(f"/api/v1/publishing-freezes/{world['freeze'].pk}/").json()
    )
    assert body["reason"] == "Rosa embargo"


def test_groups_show_only_the_channels_the_member_may_see(client, org_a, world):
    api = api_client_for(world["mona"])
    assert api.get(f"/api/v1/channel-groups/{world['group'].pk}/").json()["channels"] == [
        world["open"].pk
    ]
    assert set(
        api_client_for(world["gil"])
        .get(f"/api/v1/channel-groups/{world['group'].pk}/")
        .json()["channels"]
    ) == {world["open"].pk, world["rosa"].pk}
    client.force_login(world["mona"].user)
    for url in (
        reverse("channel_group_list", args=[org_a.slug]),
        reverse("channel_group_detail", args=[org_a.slug, world["group"].pk]),
    ):
        page = client.get(url).content.decode()
        assert world["rosa"].handle not in page and f'value="{world["rosa"].pk}"' not in page


def test_saving_a_group_keeps_the_channels_the_editor_cannot_see(client, org_a, world):
    client.force_login(world["mona"].user)
    response = client.post(
        reverse("channel_group_detail", args=[org_a.slug, world["group"].pk]),
        {"name": "Everything, renamed", "channels": [world["open"].pk]},
    )
    assert response.status_code == 302
    group = get_group(org_a, world["group"].pk)
    assert group.name == "Everything, renamed"
    assert {c.pk for c in group.channels.all()} == {world["open"].pk, world["rosa"].pk}
    api = api_client_for(world["mona"])
    answer = api.patch(
        f"/api/v1/channel-groups/{world['group'].pk}/",
        {"description": "all of them"},
        format="json",
    )
    assert answer.status_code == 200 and answer.json()["channels"] == [world["open"].pk]
    assert {c.pk for c in get_group(org_a, world["group"].pk).channels.all()} == {
        world["open"].pk,
        world["rosa"].pk,
    }


def test_a_channel_the_member_cannot_see_cannot_be_put_in_a_group(world):
    api = api_client_for(world["mona"])
    answer = api.post(
        "/api/v1/channel-groups/", {"name": "Sneaky", "channels": [world["rosa"].pk]}, format="json"
    )
    assert answer.status_code == 400
    with pytest.raises(services.ValidationFailed):
        services.create_channel_group(
            world["rosa"].organization, by=world["mona"], name="Sneaky", channels=[world["rosa"]]
        )
