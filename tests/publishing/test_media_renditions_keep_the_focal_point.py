"""Renditions have the preset sizes, keep the focal point in frame, and follow it when it moves."""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage
from PIL import Image

from publishing.media import services as media_services
from publishing.media.processing import PRESETS_BY_KEY, crop_box
from socialops.errors import ValidationFailed

from .media_factories import image_bytes, media_root, red_centre, upload  # noqa: F401

SIZES = {
    "feed_4_5": (1080, 1350),
    "square": (1080, 1080),
    "link_1_91": (1200, 628),
    "landscape_16_9": (1920, 1080),
    "story_9_16": (1080, 1920),
}


def _open(rendition):
    with default_storage.open(rendition.file.name, "rb") as fh:
        im = Image.open(fh)
        im.load()
        return im


def test_a_large_image_gets_every_preset_at_its_size(org_a, alice_m):
    asset = upload(org_a, alice_m, image_bytes(2560, 1920), "big.jpg").asset
    renditions = {r.preset: r for r in asset.renditions.all()}
    assert set(renditions) == set(SIZES)
    for key, size in SIZES.items():
        r = renditions[key]
        assert (r.width, r.height) == size
        im = _open(r)
        assert im.size == size and im.format == "JPEG" and im.mode == "RGB"


def test_a_focal_point_near_the_edge_stays_inside_every_crop(org_a, alice_m):
    asset = upload(
        org_a, alice_m, image_bytes(1500, 1000, dot=(0.1, 0.5), dot_radius=30), "edge.jpg"
    ).asset
    media_services.set_media_focal_point(asset, by=alice_m, x=0.1, y=0.5)
    for r in asset.renditions.all():
        centre = red_centre(_open(r))
        assert centre is not None, f"{r.preset} lost the subject"
        # where the dot should land, from the same crop arithmetic
        left, top, right, bottom = crop_box(
            (1500, 1000), PRESETS_BY_KEY[r.preset].aspect, (0.1, 0.5)
        )
        expected = ((0.1 * 1500 - left) / (right - left), (0.5 * 1000 - top) / (bottom - top))
        assert abs(centre[0] - expected[0]) < 0.05 and abs(centre[1] - expected[1]) < 0.05, r.preset


def test_moving_the_focal_point_regenerates_the_renditions(
    org_a, alice_m, django_capture_on_commit_callbacks
):
    data = image_bytes(1500, 1000, dot=(0.85, 0.2), dot_radius=30)
    asset = upload(org_a, alice_m, data, "move.jpg").asset
    before = {r.preset: r.file.name for r in asset.renditions.all()}
    # centred by default: the story crop (a narrow 9:16 column) misses a subject at 85 % across
    assert red_centre(_open(asset.renditions.get(preset="story_9_16"))) is None

    with django_capture_on_commit_callbacks(execute=True):
        media_services.set_media_focal_point(asset, by=alice_m, x=0.85, y=0.2)

    asset.refresh_from_db()
    assert (asset.focal_x, asset.focal_y) == (0.85, 0.2)
    after = {r.preset: r for r in asset.renditions.all()}
    assert all(after[k].file.name != before[k] for k in before)
    assert all((r.focal_x, r.focal_y) == (0.85, 0.2) for r in after.values())
    assert red_centre(_open(after["story_9_16"])) is not None
    assert not any(
        default_storage.exists(name) for name in before.values()
    )  # old files removed on commit


def test_a_small_source_is_not_upscaled(org_a, alice_m):
    asset = upload(org_a, alice_m, image_bytes(400, 300), "tiny.jpg").asset
    feed = asset.renditions.get(preset="feed_4_5")
    assert (feed.width, feed.height) == (240, 300)
    wide = asset.renditions.get(preset="landscape_16_9")
    assert wide.width == 400 and abs(wide.width / wide.height - 16 / 9) < 0.02


def test_a_transparent_png_becomes_a_jpeg_on_white(org_a, alice_m):
    import io

    im = Image.new("RGBA", (600, 600), (0, 0, 0, 0))
    out = io.BytesIO()
    im.save(out, "PNG")
    asset = upload(org_a, alice_m, out.getvalue(), "logo.png").asset
    square = _open(asset.renditions.get(preset="square"))
    assert square.getpixel((10, 10)) == (255, 255, 255)


@pytest.mark.parametrize("x,y", [(-0.1, 0.5), (0.5, 1.5), ("left", 0.5)])
def test_a_focal_point_outside_the_image_is_refused(org_a, alice_m, x, y):
    asset = upload(org_a, alice_m, image_bytes(300, 300), "f.jpg").asset
    with pytest.raises(ValidationFailed):
        media_services.set_media_focal_point(asset, by=alice_m, x=x, y=y)
