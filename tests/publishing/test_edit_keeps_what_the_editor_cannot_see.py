"""The composer, opened on a post that also goes to a restricted channel the editor has no grant on,
neither shows that channel (its checkbox, its variant text, its id in a group) nor changes it on save."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.capabilities import Role
from channels_registry import services as channel_services
from channels_registry.models import Channel
from publishing.models import PostVariant
from publishing.posts import services as authoring
from tests import factories as f

from .scheduler_factories import sandbox_channels

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(org_a, alice_m):
    open_ch, rosa = sandbox_channels(org_a, alice_m, accounts=("sbx-kitchen", "sbx-promo"))
    channel_services.set_channel_access(rosa, by=alice_m, access=Channel.Access.RESTRICTED)
    channel_services.create_channel_group(
        org_a, by=alice_m, name="Everything", channels=[open_ch, rosa]
    )
    post = authoring.create_post(
        org_a,
        by=alice_m,
        text="Shared text",
        channels=[open_ch, rosa],
        variant_texts={rosa.pk: "Only for the restricted audience"},
    )
    pat = f.add_member(org_a, f.make_user("pat@alpha.test"), Role.PUBLISHER)
    return {"open": open_ch, "rosa": rosa, "post": post, "pat": pat}


def _rosa_variant(world):
    return PostVariant.objects.for_org(world["post"].organization_id).get(
        post=world["post"], channel=world["rosa"]
    )


def test_the_edit_page_leaves_out_the_channel_the_editor_cannot_see(client, org_a, world):
    client.force_login(world["pat"].user)
    page = client.get(reverse("post_edit", args=[org_a.slug, world["post"].pk])).content.decode()
    assert "Shared text" in page
    assert "Only for the restricted audience" not in page
    assert world["rosa"].handle not in page
    assert f'value="{world["rosa"].pk}"' not in page
    assert f'data-group-channels="{world["open"].pk}"' in page  # the group, as pat sees it


def test_saving_the_edit_keeps_the_hidden_variant_as_it_was(client, org_a, world):
    client.force_login(world["pat"].user)
    response = client.post(
        reverse("post_edit", args=[org_a.slug, world["post"].pk]),
        {
            "text": "Shared text, edited",
            "channels": [world["open"].pk],
            "action": "save",
            "schedule_timezone": "UTC",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    variant = _rosa_variant(world)
    assert variant.text == "Only for the restricted audience" and variant.text_overridden


def test_a_grantee_still_sees_and_edits_the_restricted_variant(client, org_a, alice_m, world):
    channel_services.grant_channel_access(
        world["rosa"], by=alice_m, capability="publish", membership=world["pat"]
    )
    client.force_login(world["pat"].user)
    page = client.get(reverse("post_edit", args=[org_a.slug, world["post"].pk])).content.decode()
    assert "Only for the restricted audience" in page
