"""Text over a network's limit is refused with a message naming the variant, and nothing is saved."""

from __future__ import annotations

import pytest
from django.urls import reverse

from publishing.models import Post, PostVariant
from publishing.posts import services as authoring
from socialops.errors import ValidationFailed
from tests.channels.factories import bulk_channels, connect_sandbox


@pytest.fixture
def channels(org_a, alice_m):
    (sandbox,) = connect_sandbox(org_a, alice_m, ["sbx-kitchen"])
    (x,) = bulk_channels(org_a, 1, provider="x", handle="alpha_x", name="Alpha on X")
    return sandbox, x


@pytest.mark.django_db
def test_a_post_over_the_x_limit_is_refused_naming_the_x_variant_and_nothing_is_saved(
    alice_client, org_a, channels
):
    sandbox, x = channels
    long_text = "kopi " * 60  # 300 characters: fine on the sandbox (5,000), too long for X (280)
    response = alice_client.post(
        reverse("compose", args=[org_a.slug]),
        {"text": long_text, "channels": [sandbox.pk, x.pk], "action": "save"},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "X @alpha_x: the text is 299 characters" in body
    assert "the limit is 280" in body
    assert Post.objects.for_org(org_a).count() == 0
    assert PostVariant.objects.for_org(org_a).count() == 0


@pytest.mark.django_db
def test_a_short_own_text_for_x_lets_a_long_base_text_through(alice_client, org_a, channels):
    sandbox, x = channels
    response = alice_client.post(
        reverse("compose", args=[org_a.slug]),
        {
            "text": "kopi " * 60,
            "channels": [sandbox.pk, x.pk],
            "action": "save",
            f"variant_text_{x.pk}": "Short for X",
            f"variant_override_{x.pk}": "1",
        },
    )
    assert response.status_code == 302
    assert Post.objects.for_org(org_a).count() == 1


@pytest.mark.django_db
def test_x_counts_cjk_and_emoji_as_two(org_a, alice_m, channels):
    _sandbox, x = channels
    with pytest.raises(ValidationFailed) as exc:
        authoring.create_post(org_a, by=alice_m, text="日" * 141, channels=[x])
    assert "282" in exc.value.message and f"channel_{x.pk}" in exc.value.fields
    post = authoring.create_post(org_a, by=alice_m, text="日" * 140, channels=[x])
    assert authoring.validate_post(post, for_draft=True) == {}


@pytest.mark.django_db
def test_editing_a_variant_over_the_limit_keeps_the_previous_text(org_a, alice_m, channels):
    _sandbox, x = channels
    post = authoring.create_post(org_a, by=alice_m, text="Fine", channels=[x])
    variant = PostVariant.objects.for_org(org_a).get(post=post)
    with pytest.raises(ValidationFailed):
        authoring.set_variant_text(variant, by=alice_m, text="x" * 281)
    variant.refresh_from_db()
    post.refresh_from_db()
    assert not variant.text_overridden and post.version == 1


@pytest.mark.django_db
def test_a_channel_needing_reauth_is_named_when_publishing(org_a, alice_m, channels):
    sandbox, _x = channels
    sandbox.status = sandbox.Status.NEEDS_REAUTH
    sandbox.save()
    post = authoring.create_post(org_a, by=alice_m, text="Draft is fine", channels=[sandbox])
    problems = authoring.validate_post(post)
    assert "needs to be reconnected" in " ".join(
        problems[PostVariant.objects.for_org(org_a).get().pk]
    )
    with pytest.raises(ValidationFailed):
        authoring.ensure_publishable(post)
