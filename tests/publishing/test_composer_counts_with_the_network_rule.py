"""The composer's counters show the server's count: one rule per network, the provider's own.

The page asks ``compose_count`` while the person types (composer.js, 300 ms after the last key);
the numbers it gets are the ones the save validates against. Before, the page counted with its
own JavaScript and said 333 where the server said 331 for text with emoji presentation selectors.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from channels_registry.providers.bluesky import BlueskyProvider
from channels_registry.providers.mastodon import MastodonProvider
from channels_registry.providers.x import XProvider
from tests.channels.factories import bulk_channels, connect_sandbox

PEPPER = "🌶️"
FAMILY = "👨\u200d👩\u200d👧\u200d👦"


@pytest.fixture
def channels(org_a, alice_m):
    (sandbox,) = connect_sandbox(org_a, alice_m, ["sbx-kitchen"])
    (x,) = bulk_channels(org_a, 1, provider="x", handle="alpha_x", name="Alpha on X")
    (masto,) = bulk_channels(
        org_a, 1, provider="mastodon", handle="alpha@kopi.social", name="Alpha on Mastodon"
    )
    (bsky,) = bulk_channels(
        org_a, 1, provider="bluesky", handle="alpha.bsky.social", name="Alpha on Bluesky"
    )
    return {"sandbox": sandbox, "x": x, "mastodon": masto, "bluesky": bsky}


def _counts(client, org, data) -> dict[int, dict]:
    response = client.post(reverse("compose_count", args=[org.slug]), data)
    assert response.status_code == 200, response.content
    return {v["channel"]: v for v in response.json()["variants"]}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "text",
    [
        PEPPER * 111 + " pedas",  # the page said 333, the server 331
        "Keluarga " + FAMILY * 3,
        "Salam dari 🇮🇩 dan 🇯🇵",
        "日本語のテキスト、한국어 텍스트",
        "Menu baru: https://kopi.example.com/menu?utm_source=x and kopi.com",
    ],
)
def test_each_variant_is_counted_by_its_networks_rule(alice_client, org_a, channels, text):
    ids = [c.pk for c in channels.values()]
    counts = _counts(alice_client, org_a, {"text": text, "channels": ids})
    assert counts[channels["x"].pk]["count"] == XProvider.count_text(text)
    assert counts[channels["mastodon"].pk]["count"] == MastodonProvider.count_text(text)
    assert counts[channels["bluesky"].pk]["count"] == BlueskyProvider.count_text(text)
    assert counts[channels["x"].pk]["limit"] == 280
    assert counts[channels["bluesky"].pk]["limit"] == 300


@pytest.mark.django_db
def test_the_pepper_text_is_331_on_x_as_the_save_counts_it(alice_client, org_a, channels):
    x = channels["x"]
    text = PEPPER * 165 + "a"  # 2 per pepper (one emoji with its selector) + 1
    counts = _counts(alice_client, org_a, {"text": text, "channels": [x.pk]})
    assert counts[x.pk] == {"channel": x.pk, "count": 331, "limit": 280, "over": True}
    saved = alice_client.post(
        reverse("compose", args=[org_a.slug]), {"text": text, "channels": [x.pk], "action": "save"}
    )
    assert "the text is 331 characters" in saved.content.decode()


@pytest.mark.django_db
def test_the_link_that_x_and_mastodon_carry_in_the_text_is_counted(alice_client, org_a, channels):
    x, masto, bsky = channels["x"], channels["mastodon"], channels["bluesky"]
    counts = _counts(
        alice_client,
        org_a,
        {
            "text": "Pagi!",
            "link_url": "https://alpha.com/menu",
            "channels": [x.pk, masto.pk, bsky.pk],
        },
    )
    assert counts[x.pk]["count"] == 5 + 2 + 23  # "Pagi!", the blank line, the link
    assert counts[masto.pk]["count"] == 5 + 2 + 23
    assert counts[bsky.pk]["count"] == 5  # Bluesky shows the link as a card, outside the text


@pytest.mark.django_db
def test_a_variants_own_text_is_counted_and_an_instance_limit_is_its_own(
    alice_client, org_a, channels
):
    x, masto = channels["x"], channels["mastodon"]
    type(masto).objects.for_org(org_a).filter(pk=masto.pk).update(metadata={"max_characters": 1000})
    counts = _counts(
        alice_client,
        org_a,
        {
            "text": "base text",
            "channels": [x.pk, masto.pk],
            f"variant_override_{x.pk}": "1",
            f"variant_text_{x.pk}": PEPPER * 3,
        },
    )
    assert counts[x.pk]["count"] == 6
    assert counts[masto.pk] == {"channel": masto.pk, "count": 9, "limit": 1000, "over": False}


@pytest.mark.django_db
def test_the_composer_asks_the_provider_of_each_channel(alice_client, org_a, channels, monkeypatch):
    """No counting rule of its own: change the provider's and the composer follows."""
    x = channels["x"]
    monkeypatch.setattr(XProvider, "count_text", classmethod(lambda cls, text: 7))
    assert (
        _counts(alice_client, org_a, {"text": "anything", "channels": [x.pk]})[x.pk]["count"] == 7
    )


@pytest.mark.django_db
def test_another_organizations_channel_is_not_counted(alice_client, org_a, org_b, bob_m, channels):
    (theirs,) = bulk_channels(org_b, 1, provider="x", handle="bravo_x", name="Bravo on X")
    response = alice_client.post(
        reverse("compose_count", args=[org_a.slug]),
        {"text": "hi", "channels": [theirs.pk, channels["x"].pk]},
    )
    assert response.status_code == 200  # their id is no choice of this form: nothing is counted
    assert theirs.pk not in {v["channel"] for v in response.json()["variants"]}
    assert "bravo" not in response.content.decode().lower()


@pytest.mark.django_db
def test_counting_needs_the_compose_capability(client, org_a, vera, channels):
    client.force_login(vera)
    response = client.post(
        reverse("compose_count", args=[org_a.slug]), {"text": "hi", "channels": [channels["x"].pk]}
    )
    assert response.status_code == 403


@pytest.mark.django_db
def test_a_half_typed_link_does_not_stop_the_counters(alice_client, org_a, channels):
    x = channels["x"]
    counts = _counts(
        alice_client, org_a, {"text": PEPPER, "link_url": "https://", "channels": [x.pk]}
    )
    assert counts[x.pk]["count"] == 2
