"""The link gets the campaign's UTM parameters, shown in the composer as the final URL."""

from __future__ import annotations

import pytest
from django.urls import reverse

from publishing.models import PostVariant
from publishing.posts import services as authoring
from tests.channels.factories import connect_sandbox


@pytest.mark.django_db
def test_the_campaign_utm_parameters_are_added_to_the_link(alice_client, org_a, alice_m):
    (sandbox,) = connect_sandbox(org_a, alice_m, ["sbx-kitchen"])
    campaign = authoring.create_campaign(
        org_a,
        by=alice_m,
        name="Ramadan 2026",
        utm_source="socialops",
        utm_medium="social",
        utm_campaign="ramadan26",
    )
    response = alice_client.post(
        reverse("compose", args=[org_a.slug]),
        {
            "text": "Menu",
            "link_url": "https://alpha.example/menu?ref=home",
            "campaign": campaign.pk,
            "channels": [sandbox.pk],
            "action": "save",
        },
    )
    assert response.status_code == 302
    variant = PostVariant.objects.for_org(org_a).select_related("post__campaign", "channel").get()
    link = authoring.variant_link(variant)
    assert (
        link
        == "https://alpha.example/menu?ref=home&utm_source=socialops&utm_medium=social&utm_campaign=ramadan26"
    )

    page = alice_client.get(reverse("post_edit", args=[org_a.slug, variant.post_id]))
    assert "utm_campaign=ramadan26" in page.content.decode()


@pytest.mark.django_db
def test_campaigns_are_created_and_listed(alice_client, org_a):
    url = reverse("campaign_list", args=[org_a.slug])
    response = alice_client.post(url, {"name": "Launch", "utm_medium": "social"})
    assert response.status_code == 302
    assert "Launch" in alice_client.get(url).content.decode()
    again = alice_client.post(url, {"name": "launch"})
    assert again.status_code == 200 and "already exists" in again.content.decode()
