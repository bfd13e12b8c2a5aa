"""Head office's post localized into a regional child: the link to the parent stays and the parent lists the region."""

from __future__ import annotations

import pytest
from django.urls import reverse

from publishing.models import Post
from publishing.posts import services as authoring
from tests import factories as f
from tests.channels.factories import connect_sandbox


@pytest.mark.django_db
def test_a_regional_child_keeps_its_parent_and_the_parent_shows_the_region(
    alice_client, org_a, alice_m
):
    hq_channel, region_channel = connect_sandbox(org_a, alice_m, ["sbx-kitchen", "sbx-promo"])
    region = f.make_team(org_a, "Jawa Timur", by=alice_m)
    campaign = authoring.create_campaign(org_a, by=alice_m, name="Lebaran")
    parent = authoring.create_post(
        org_a, by=alice_m, text="Selamat Lebaran from HQ", channels=[hq_channel], campaign=campaign
    )

    response = alice_client.post(
        reverse("post_localize", args=[org_a.slug, parent.pk]),
        {"team": region.pk, "channels": [region_channel.pk]},
    )
    child = Post.objects.for_org(org_a).get(parent=parent)
    assert response.status_code == 302 and response["Location"] == reverse(
        "post_edit", args=[org_a.slug, child.pk]
    )
    assert child.team == region and child.campaign == campaign and child.text == parent.text

    # The region edits its own text and channels; the parent is untouched and the link stays.
    authoring.update_post(
        child, by=alice_m, text="Sugeng Riyadi dari Jatim", channels=[region_channel]
    )
    child.refresh_from_db()
    parent.refresh_from_db()
    assert child.parent_id == parent.pk and parent.text == "Selamat Lebaran from HQ"

    page = alice_client.get(reverse("post_detail", args=[org_a.slug, parent.pk])).content.decode()
    assert "Jawa Timur" in page and reverse("post_detail", args=[org_a.slug, child.pk]) in page
    child_page = alice_client.get(
        reverse("post_detail", args=[org_a.slug, child.pk])
    ).content.decode()
    assert reverse("post_detail", args=[org_a.slug, parent.pk]) in child_page


@pytest.mark.django_db
def test_localizing_needs_a_team(alice_client, org_a, alice_m):
    (channel,) = connect_sandbox(org_a, alice_m, ["sbx-kitchen"])
    parent = authoring.create_post(org_a, by=alice_m, text="HQ", channels=[channel])
    response = alice_client.post(
        reverse("post_localize", args=[org_a.slug, parent.pk]), {"channels": [channel.pk]}
    )
    assert response.status_code == 200
    assert Post.objects.for_org(org_a).filter(parent=parent).count() == 0
