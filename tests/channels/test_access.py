"""Per-channel grants and restricted channels, answered by the one function can()."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse

from accounts.capabilities import Capability, Role, can
from channels_registry import selectors, services
from channels_registry.models import Channel
from socialops.errors import ApplicationError
from tests import factories as f

from .factories import connect_sandbox

pytestmark = pytest.mark.django_db


@pytest.fixture
def channel(org_a, alice_m):
    (channel,) = connect_sandbox(org_a, alice_m)
    return channel


def _fresh(channel):
    return Channel.objects.for_org(channel.organization_id).get(pk=channel.pk)


def test_a_grant_adds_a_capability_the_role_lacks_on_that_channel_only(
    org_a, alice_m, channel, vera
):
    vera_m = f.membership(org_a, vera)
    (other,) = connect_sandbox(org_a, alice_m, ["sbx-promo"])
    assert not can(vera_m, Capability.PUBLISH, channel)
    services.grant_channel_access(channel, by=alice_m, capability="publish", membership=vera_m)
    assert can(vera_m, Capability.PUBLISH, _fresh(channel))
    assert not can(vera_m, Capability.PUBLISH, _fresh(other))
    assert not can(vera_m, Capability.PUBLISH)  # no organization-wide effect


def test_a_team_grant_covers_the_teams_whole_subtree(org_a, alice_m, channel):
    indonesia = f.make_team(org_a, "Indonesia")
    jakarta = f.make_team(org_a, "Jakarta", parent=indonesia)
    analyst = f.add_member(org_a, f.make_user("ana@alpha.test"), Role.VIEWER)
    analyst.teams.add(jakarta)
    outsider = f.add_member(org_a, f.make_user("out@alpha.test"), Role.VIEWER)
    services.grant_channel_access(channel, by=alice_m, capability="moderate", team=indonesia)
    assert can(analyst, Capability.MODERATE, _fresh(channel))
    assert not can(outsider, Capability.MODERATE, _fresh(channel))


def test_a_restricted_channel_is_only_for_owners_admins_and_grantees(org_a, alice_m, channel):
    publisher = f.add_member(org_a, f.make_user("pub@alpha.test"), Role.PUBLISHER)
    admin = f.add_member(org_a, f.make_user("adm@alpha.test"), Role.ADMIN)
    assert can(publisher, Capability.PUBLISH, _fresh(channel))
    services.set_channel_access(channel, by=alice_m, access=Channel.Access.RESTRICTED)
    assert not can(publisher, Capability.PUBLISH, _fresh(channel))
    assert not can(publisher, Capability.VIEW, _fresh(channel))
    assert can(admin, Capability.PUBLISH, _fresh(channel)) and can(
        alice_m, Capability.MANAGE_CHANNELS, _fresh(channel)
    )
    services.grant_channel_access(
        channel, by=alice_m, capability="view_analytics", membership=publisher
    )
    assert can(publisher, Capability.VIEW, _fresh(channel))
    assert can(publisher, Capability.VIEW_ANALYTICS, _fresh(channel))
    assert not can(publisher, Capability.PUBLISH, _fresh(channel))


def test_a_channel_admin_grant_carries_every_channel_capability(org_a, alice_m, channel, vera):
    vera_m = f.membership(org_a, vera)
    services.grant_channel_access(
        channel, by=alice_m, capability="manage_channels", membership=vera_m
    )
    fresh = _fresh(channel)
    assert all(
        can(vera_m, cap, fresh)
        for cap in ("view", "publish", "moderate", "view_analytics", "manage_channels")
    )


def test_revoking_a_grant_takes_the_capability_away(org_a, alice_m, channel, vera):
    vera_m = f.membership(org_a, vera)
    grant = services.grant_channel_access(
        channel, by=alice_m, capability="publish", membership=vera_m
    )
    services.revoke_channel_access(grant, by=alice_m)
    assert not can(vera_m, Capability.PUBLISH, _fresh(channel))


def test_a_grant_is_given_to_a_person_or_a_team_once(org_a, alice_m, channel, vera):
    vera_m = f.membership(org_a, vera)
    services.grant_channel_access(channel, by=alice_m, capability="publish", membership=vera_m)
    with pytest.raises(ApplicationError):
        services.grant_channel_access(channel, by=alice_m, capability="publish", membership=vera_m)
    with pytest.raises(ApplicationError):
        services.grant_channel_access(channel, by=alice_m, capability="publish")


def test_the_accessor_says_404_for_another_org_and_403_for_a_missing_capability(
    org_a, org_b, bob_m, channel, vera
):
    vera_m = f.membership(org_a, vera)
    with pytest.raises(Http404):
        selectors.get_channel_for_member(bob_m, channel.pk)
    with pytest.raises(PermissionDenied):
        selectors.get_channel_for_member(vera_m, channel.pk, need=Capability.MANAGE_CHANNELS)
    assert selectors.get_channel_for_member(vera_m, channel.pk) == channel


def test_grants_are_managed_on_the_channel_page(alice_client, org_a, channel, vera):
    vera_m = f.membership(org_a, vera)
    url = reverse("channel_grant_create", args=[org_a.slug, channel.pk])
    response = alice_client.post(url, {"capability": "publish", "membership": vera_m.pk})
    assert response.status_code == 302
    grant = selectors.grants_of(channel).get()
    page = alice_client.get(reverse("channel_detail", args=[org_a.slug, channel.pk]))
    assert b"Vera Viewer" in page.content
    alice_client.post(reverse("channel_grant_revoke", args=[org_a.slug, channel.pk, grant.pk]))
    assert not selectors.grants_of(channel).exists()


def test_disconnect_wipes_credentials_and_keeps_the_channel(alice_client, org_a, channel):
    response = alice_client.post(reverse("channel_disconnect", args=[org_a.slug, channel.pk]))
    assert response.status_code == 302
    fresh = _fresh(channel)
    assert fresh.status == Channel.Status.DISCONNECTED and fresh.token_expires_at is None
    with pytest.raises(ApplicationError):
        selectors.credentials_for(fresh)


def test_archive_and_unarchive(alice_client, org_a, channel):
    alice_client.post(reverse("channel_archive", args=[org_a.slug, channel.pk]))
    assert _fresh(channel).status == Channel.Status.ARCHIVED
    alice_client.post(reverse("channel_unarchive", args=[org_a.slug, channel.pk]))
    assert _fresh(channel).status == Channel.Status.DISCONNECTED


def test_a_viewer_cannot_disconnect(client, org_a, channel, vera):
    client.force_login(vera)
    assert (
        client.post(reverse("channel_disconnect", args=[org_a.slug, channel.pk])).status_code == 403
    )
    assert _fresh(channel).status == Channel.Status.ACTIVE


def test_groups_are_created_and_edited(alice_client, org_a, alice_m, channel):
    response = alice_client.post(
        reverse("channel_group_list", args=[org_a.slug]),
        {"name": "Retail", "channels": [channel.pk]},
    )
    assert response.status_code == 302
    group = selectors.groups_of(org_a).get()
    assert list(group.channels.all()) == [channel]
    alice_client.post(
        reverse("channel_group_detail", args=[org_a.slug, group.pk]), {"name": "Retail ID"}
    )
    group.refresh_from_db()
    assert group.name == "Retail ID" and not group.channels.exists()
    alice_client.post(reverse("channel_group_delete", args=[org_a.slug, group.pk]))
    assert not selectors.groups_of(org_a).exists()
