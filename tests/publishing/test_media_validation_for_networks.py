"""validate_media_for_channel names the file and the network; best_rendition_for picks each network's crop."""

from __future__ import annotations

from channels_registry.providers.base import Capabilities, MediaSpec
from channels_registry.providers.instagram import InstagramProvider
from channels_registry.providers.linkedin import LinkedInProvider
from channels_registry.providers.x import XProvider
from publishing.media import services as media_services
from publishing.models import MediaAsset, MediaRendition

from .media_factories import image_bytes, media_root, upload, video_bytes  # noqa: F401

IG, X, LI = InstagramProvider.capabilities, XProvider.capabilities, LinkedInProvider.capabilities


def _images(org, membership, n, size=(1200, 900)):
    return [
        upload(org, membership, image_bytes(*size, color=(i * 40, 10, 10)), f"photo-{i}.jpg").asset
        for i in range(n)
    ]


def test_x_takes_at_most_four_images(org_a, alice_m):
    assets = _images(org_a, alice_m, 5, size=(320, 240))
    errors = media_services.validate_media_for_channel(assets, X, "post")
    assert errors == ["X takes at most 4 images per post; this one has 5."]
    assert media_services.validate_media_for_channel(assets[:4], X, "post") == []


def test_a_tiny_image_is_flagged_for_instagram(org_a, alice_m):
    asset = upload(org_a, alice_m, image_bytes(200, 250), "thumb.jpg").asset
    errors = media_services.validate_media_for_channel([asset], IG, "post")
    assert errors == ["thumb.jpg is too small for Instagram: 200 px wide, at least 320 px needed."]
    assert media_services.validate_media_for_channel([asset], X, "post") == []


def test_a_wide_image_goes_to_instagram_as_its_4_5_rendition(org_a, alice_m):
    asset = upload(org_a, alice_m, image_bytes(3000, 1000), "panorama.jpg").asset
    assert media_services.validate_media_for_channel([asset], IG, "post") == []
    best = media_services.best_rendition_for(asset, IG)
    assert best.preset == "feed_4_5"


def test_an_image_outside_instagrams_aspect_range_without_a_fitting_rendition_is_flagged(
    org_a, alice_m
):
    asset = upload(org_a, alice_m, image_bytes(3000, 1000), "panorama.jpg").asset
    # only the 9:16 story crop is left (0.56:1): nothing inside Instagram's feed range
    MediaRendition.objects.for_org(org_a).filter(asset=asset).exclude(preset="story_9_16").delete()
    asset = MediaAsset.objects.for_org(org_a).get(pk=asset.pk)
    errors = media_services.validate_media_for_channel([asset], IG, "post")
    assert errors == [
        "panorama.jpg has an aspect ratio of 3.00:1, outside what Instagram takes (0.80:1 to 1.91:1), "
        "and no rendition fits."
    ]


def test_best_rendition_follows_each_network_and_format(org_a, alice_m):
    asset = upload(org_a, alice_m, image_bytes(1600, 1200), "p.jpg").asset
    assert media_services.best_rendition_for(asset, IG).preset == "feed_4_5"
    assert media_services.best_rendition_for(asset, IG, "story").preset == "story_9_16"
    assert media_services.best_rendition_for(asset, X).preset == "landscape_16_9"
    assert media_services.best_rendition_for(asset, LI).preset == "landscape_16_9"
    publish = media_services.publish_file_for(asset, IG)
    assert publish.mime_type == "image/jpeg" and publish.storage_path.startswith(
        f"org/{org_a.pk}/renditions/"
    )


def test_a_video_too_long_for_x_is_flagged(org_a, alice_m):
    asset = upload(org_a, alice_m, video_bytes(), "keynote.mp4").asset
    assert media_services.validate_media_for_channel([asset], X) == []
    MediaAsset.objects.for_org(org_a).filter(pk=asset.pk).update(duration_seconds=200.0)
    asset.refresh_from_db()
    assert media_services.validate_media_for_channel([asset], X) == [
        "keynote.mp4 is too long for X: 200 s, at most 140 s."
    ]
    assert media_services.best_rendition_for(asset, X) is None


def test_a_video_too_short_for_an_instagram_reel_is_flagged(org_a, alice_m):
    asset = upload(org_a, alice_m, video_bytes(frames=10), "blink.mp4").asset
    errors = media_services.validate_media_for_channel([asset], IG, "reel")
    assert errors == ["blink.mp4 is too short for Instagram: 1.0 s, at least 3.0 s."]


def test_mixing_images_and_video_is_refused_where_the_network_cannot(org_a, alice_m):
    image = _images(org_a, alice_m, 1)[0]
    video = upload(org_a, alice_m, video_bytes(), "v.mp4").asset
    assert (
        "X cannot mix images and videos in one post."
        in media_services.validate_media_for_channel([image, video], X)
    )
    assert (
        "Instagram cannot mix images and videos in one post."
        not in media_services.validate_media_for_channel([image, video], IG)
    )


def test_a_network_without_video_says_so(org_a, alice_m):
    video = upload(org_a, alice_m, video_bytes(), "v.mp4").asset
    caps = Capabilities(text_limit=500, image=MediaSpec())
    assert media_services.validate_media_for_channel([video], caps, network="Photonet") == [
        "Photonet does not take videos (v.mp4)."
    ]


def test_postmedia_rows_are_accepted_as_well_as_assets(org_a, alice_m):
    from publishing.models import Post, PostMedia

    asset = upload(org_a, alice_m, image_bytes(200, 250), "thumb.jpg").asset
    post = Post.objects.create(organization=org_a, text="hello")
    use = PostMedia.objects.create(organization=org_a, post=post, asset=asset)
    assert media_services.validate_media_for_channel([use], IG) == [
        "thumb.jpg is too small for Instagram: 200 px wide, at least 320 px needed."
    ]
