"""Composing one post for two networks makes one variant per channel, each inheriting the base text until edited."""

from __future__ import annotations

import pytest
from django.urls import reverse

from publishing.models import Post, PostVariant
from tests.channels.factories import bulk_channels, connect_sandbox


@pytest.fixture
def channels(org_a, alice_m):
    (sandbox,) = connect_sandbox(org_a, alice_m, ["sbx-kitchen"])
    (x,) = bulk_channels(org_a, 1, provider="x", handle="alpha_x", name="Alpha on X")
    return sandbox, x


def _variants(org):
    return {v.channel_id: v for v in PostVariant.objects.for_org(org).select_related("channel")}


@pytest.mark.django_db
def test_the_composer_page_lists_a_variant_panel_for_each_channel(alice_client, org_a, channels):
    sandbox, x = channels
    response = alice_client.get(reverse("compose", args=[org_a.slug]))
    assert response.status_code == 200
    body = response.content.decode()
    assert f'data-variant-panel="{sandbox.pk}"' in body and f'data-variant-panel="{x.pk}"' in body
    assert 'data-limit="280"' in body and 'data-counting="weighted"' in body
    assert "js/composer.js" in body


@pytest.mark.django_db
def test_saving_a_draft_for_two_networks_makes_two_variants_that_follow_the_base_text(
    alice_client, alice, org_a, channels
):
    sandbox, x = channels
    response = alice_client.post(
        reverse("compose", args=[org_a.slug]),
        {
            "text": "Fresh #kopi from @alpha",
            "channels": [sandbox.pk, x.pk],
            "action": "save",
            f"variant_text_{sandbox.pk}": "Fresh #kopi from @alpha",
            f"variant_override_{sandbox.pk}": "0",
            f"variant_text_{x.pk}": "Short one for X #kopi",
            f"variant_override_{x.pk}": "1",
        },
    )
    post = Post.objects.for_org(org_a).get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "post_detail", args=[org_a.slug, post.pk]
    )
    variants = _variants(org_a)
    assert set(variants) == {sandbox.pk, x.pk}
    assert not variants[sandbox.pk].text_overridden
    assert variants[sandbox.pk].effective_text(post) == "Fresh #kopi from @alpha"
    assert (
        variants[x.pk].text_overridden
        and variants[x.pk].effective_text(post) == "Short one for X #kopi"
    )
    assert post.status == Post.Status.DRAFT and post.author == alice

    # Editing the base text: the inheriting variant follows, the edited one keeps its own text.
    edit = reverse("post_edit", args=[org_a.slug, post.pk])
    page = alice_client.get(edit)
    assert page.status_code == 200 and "Short one for X #kopi" in page.content.decode()
    alice_client.post(
        edit,
        {
            "text": "New base text",
            "channels": [sandbox.pk, x.pk],
            "action": "save",
            f"variant_override_{sandbox.pk}": "0",
            f"variant_text_{x.pk}": "Short one for X #kopi",
            f"variant_override_{x.pk}": "1",
        },
    )
    post.refresh_from_db()
    variants = _variants(org_a)
    assert post.version == 2
    assert variants[sandbox.pk].effective_text(post) == "New base text"
    assert variants[x.pk].effective_text(post) == "Short one for X #kopi"


@pytest.mark.django_db
def test_picking_a_channel_group_adds_its_channels(alice_client, org_a, alice_m, channels):
    from channels_registry import services as channel_services

    sandbox, x = channels
    group = channel_services.create_channel_group(
        org_a, by=alice_m, name="Everything", channels=[sandbox, x]
    )
    alice_client.post(
        reverse("compose", args=[org_a.slug]),
        {"text": "Group post", "groups": [group.pk], "action": "save"},
    )
    assert set(_variants(org_a)) == {sandbox.pk, x.pk}


@pytest.mark.django_db
def test_the_preview_shows_each_network_with_its_count(alice_client, org_a, channels):
    sandbox, x = channels
    response = alice_client.post(
        reverse("compose_preview", args=[org_a.slug]),
        {"text": "Hello https://alpha.com", "channels": [sandbox.pk, x.pk]},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert f'data-preview="{x.pk}"' in body and f'data-preview="{sandbox.pk}"' in body
    assert "29 / 280" in body  # X counts the link as 23: "Hello " (6) + 23
    assert Post.objects.for_org(org_a).count() == 0
