"""The previews look like each network's post: who posts, the text cut where the feed cuts it
("…more"), the picture itself (through the organization's media views, never a file name), the
carousel's dots. One component for the composer and the approval pages."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from channels_registry.providers import provider_class
from publishing.posts import services as authoring
from tests.channels.factories import bulk_channels, connect_sandbox

from .media_factories import image_bytes, media_root, upload  # noqa: F401 - media_root isolates MEDIA_ROOT


def _preview(client, org, data) -> str:
    response = client.post(
        reverse("compose_preview", args=[org.slug]), data, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    return response.content.decode()


def _card(body: str, channel) -> str:
    match = re.search(
        rf'<article class="pv pv-\w+" data-preview="{channel.pk}".*?</article>', body, re.S
    )
    assert match, f"no preview for {channel}"
    return match.group(0)


@pytest.mark.parametrize(
    ("provider", "text", "shown_until"),
    [
        ("instagram", "kopi " * 40, 125),  # Instagram shows 125 characters of a caption
        ("linkedin", "kopi " * 60, 210),
        ("facebook", "kopi " * 120, 480),
    ],
)
def test_the_feed_cut_comes_from_the_networks_capabilities(provider, text, shown_until):
    caps = provider_class(provider).capabilities
    shown, more = authoring.feed_cut(text, caps)
    assert len(shown) <= shown_until and more
    assert f"{shown} {more}" == text.strip()  # nothing lost, no word split


def test_the_feed_cut_counts_lines_where_the_network_does():
    caps = provider_class("linkedin").capabilities  # about 3 lines
    shown, more = authoring.feed_cut("one\ntwo\nthree\nfour\nfive", caps)
    assert (shown, more) == ("one\ntwo\nthree", "four\nfive")
    for provider in ("x", "mastodon", "bluesky"):  # these feeds show a post whole
        assert authoring.feed_cut("word " * 200, provider_class(provider).capabilities)[1] == ""


@pytest.mark.django_db
def test_each_card_shows_who_posts_and_cuts_the_text_behind_more(alice_client, org_a, alice_m):
    (ig,) = bulk_channels(org_a, 1, provider="instagram", handle="alpha.kopi", name="Alpha Kopi")
    (x,) = bulk_channels(org_a, 1, provider="x", handle="alpha_x", name="Alpha on X")
    text = "Kopi susu gula aren, sekarang ada di semua cabang kami. " * 4
    body = _preview(alice_client, org_a, {"text": text, "channels": [ig.pk, x.pk]})
    ig_card, x_card = _card(body, ig), _card(body, x)
    assert 'class="pv-avatar"' in ig_card and "Alpha Kopi" in ig_card and "@alpha.kopi" in ig_card
    assert "…more" in ig_card and "<details" in ig_card  # Instagram cuts at 125 characters
    assert "…more" not in x_card and "@alpha_x" in x_card  # X shows the post whole


@pytest.mark.django_db
def test_pictures_are_shown_through_the_media_views_and_instagram_shows_carousel_dots(
    alice_client, org_a, alice_m
):
    (ig,) = bulk_channels(org_a, 1, provider="instagram", handle="alpha.kopi", name="Alpha Kopi")
    (sandbox,) = connect_sandbox(org_a, alice_m, ["sbx-kitchen"])
    first = upload(org_a, alice_m, image_bytes(1600, 1200), "IMG_0001-secret-name.jpg").asset
    second = upload(org_a, alice_m, image_bytes(1200, 1200, color=(200, 20, 20)), "beans.jpg").asset
    body = _preview(
        alice_client,
        org_a,
        {
            "text": "Two photos",
            "channels": [ig.pk, sandbox.pk],
            "media": [first.pk, second.pk],
            f"alt_{first.pk}": "A cup of kopi",
        },
    )
    card = _card(body, ig)
    assert "IMG_0001-secret-name.jpg" not in body  # the picture, not its file name
    rendition = reverse(
        "media_rendition", args=[org_a.slug, first.pk, "feed_4_5"]
    )  # what Instagram gets
    assert f'<img src="{rendition}" alt="A cup of kopi"' in card
    assert card.count("<img") == 1 and 'class="pv-dots"' in card and card.count("<span") >= 2
    # the image URL is the membership-checked view: it serves the member, and nobody else
    assert alice_client.get(rendition).status_code == 200


@pytest.mark.django_db
def test_a_link_card_where_the_network_shows_one_and_in_the_text_where_it_is_carried(
    alice_client, org_a, alice_m
):
    (fb,) = bulk_channels(org_a, 1, provider="facebook", handle="alphafoods", name="Alpha Foods")
    (x,) = bulk_channels(org_a, 1, provider="x", handle="alpha_x", name="Alpha on X")
    body = _preview(
        alice_client,
        org_a,
        {"text": "Menu", "link_url": "https://alpha.com/menu", "channels": [fb.pk, x.pk]},
    )
    assert 'class="pv-card"' in _card(body, fb) and "alpha.com" in _card(body, fb)
    assert 'class="pv-card"' not in _card(body, x) and 'href="https://alpha.com/menu"' in _card(
        body, x
    )
