"""Media picked from the library is attached in order with alt text per use; network media rules apply."""

from __future__ import annotations

import pytest
from django.urls import reverse

from publishing.models import Post, PostMedia
from publishing.posts import services as authoring
from tests.channels.factories import bulk_channels, connect_sandbox

from .media_factories import image_bytes, media_root, upload  # noqa: F401 - media_root isolates MEDIA_ROOT


@pytest.mark.django_db
def test_library_media_is_attached_with_alt_text_for_this_use(alice_client, org_a, alice_m):
    (sandbox,) = connect_sandbox(org_a, alice_m, ["sbx-kitchen"])
    first = upload(org_a, alice_m, image_bytes(1200, 1200), "cup.jpg").asset
    second = upload(org_a, alice_m, image_bytes(1200, 1000, color=(200, 20, 20)), "beans.jpg").asset
    page = alice_client.get(reverse("compose", args=[org_a.slug])).content.decode()
    assert "cup.jpg" in page and "beans.jpg" in page
    response = alice_client.post(
        reverse("compose", args=[org_a.slug]),
        {
            "text": "Two photos",
            "channels": [sandbox.pk],
            "media": [first.pk, second.pk],
            "action": "save",
            f"alt_{first.pk}": "A cup of kopi on a wooden table",
            f"alt_{second.pk}": "Roasted beans",
        },
    )
    assert response.status_code == 302
    post = Post.objects.for_org(org_a).get()
    items = list(PostMedia.objects.for_org(org_a).filter(post=post).order_by("position"))
    assert [(m.asset_id, m.alt_text) for m in items] == [
        (first.pk, "A cup of kopi on a wooden table"),
        (second.pk, "Roasted beans"),
    ]

    # Replacing the media bumps the version (the content changed).
    authoring.attach_media(post, by=alice_m, assets=[second], alt_texts=["Beans only"])
    post.refresh_from_db()
    assert post.version == 2
    assert list(
        PostMedia.objects.for_org(org_a).filter(post=post).values_list("asset_id", "alt_text")
    ) == [(second.pk, "Beans only")]


@pytest.mark.django_db
def test_more_images_than_x_takes_are_refused_naming_the_variant(org_a, alice_m):
    from socialops.errors import ValidationFailed

    (x,) = bulk_channels(org_a, 1, provider="x", handle="alpha_x")
    assets = [
        upload(org_a, alice_m, image_bytes(800, 800, color=(i * 40, 10, 10)), f"p{i}.jpg").asset
        for i in range(5)
    ]
    with pytest.raises(ValidationFailed) as exc:
        authoring.create_post(org_a, by=alice_m, text="Five photos", channels=[x], media=assets)
    assert exc.value.message.count("X @alpha_x") >= 1 and "4" in exc.value.message
    assert Post.objects.for_org(org_a).count() == 0


@pytest.mark.django_db
def test_another_organizations_media_is_not_attached(org_a, alice_m, org_b, bob_m):
    from socialops.errors import ValidationFailed

    (sandbox,) = connect_sandbox(org_a, alice_m, ["sbx-kitchen"])
    theirs = upload(org_b, bob_m, image_bytes(800, 800), "bravo.jpg").asset
    with pytest.raises(ValidationFailed):
        authoring.create_post(org_a, by=alice_m, text="Sneaky", channels=[sandbox], media=[theirs])
    assert Post.objects.for_org(org_a).count() == 0
