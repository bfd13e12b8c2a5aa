"""Uploads are judged by their content, never by their name or the browser's content type."""

from __future__ import annotations

import io
import os

import pytest
from django.core.files.storage import default_storage
from PIL import Image

from publishing.models import MediaAsset
from socialops.errors import ValidationFailed

from .media_factories import image_bytes, media_root, upload  # noqa: F401


def _refusal(org, membership, data, name):
    with pytest.raises(ValidationFailed) as info:
        upload(org, membership, data, name)
    return info.value


def test_a_pdf_named_like_a_jpeg_is_refused_with_a_message_naming_the_file(org_a, alice_m):
    exc = _refusal(org_a, alice_m, b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n", "photo.jpg")
    assert exc.message == "photo.jpg is not an image: it is a PDF document."
    assert exc.fields == {"file": [exc.message]}
    assert not MediaAsset.objects.for_org(org_a).exists()


def test_a_text_file_named_like_a_png_is_refused(org_a, alice_m):
    exc = _refusal(org_a, alice_m, b"just some notes, not a picture\n", "banner.png")
    assert exc.message == "banner.png is not an image: it is a text file."


def test_a_file_of_no_media_kind_without_a_telling_name_is_refused(org_a, alice_m):
    exc = _refusal(org_a, alice_m, b"PK\x03\x04rest-of-a-zip", "upload")
    assert "upload is not an image or a video we can read" in exc.message
    assert "ZIP" in exc.message


def test_a_real_image_under_a_video_name_is_refused(org_a, alice_m):
    exc = _refusal(org_a, alice_m, image_bytes(400, 300, fmt="PNG"), "clip.mp4")
    assert exc.message == "clip.mp4 is not a video: it is a PNG image."


def test_a_truncated_jpeg_is_refused_as_damaged(org_a, alice_m):
    data = image_bytes(800, 600)
    exc = _refusal(org_a, alice_m, data[: len(data) // 2], "cut.jpg")
    assert exc.message == "cut.jpg looks like an image but is damaged or cut short."


def test_a_truncated_jpeg_is_still_refused_once_a_pdf_report_was_rendered(org_a, alice_m):
    """WeasyPrint's import switches Pillow to accept images cut short, for the whole process."""
    from socialops.pdf import render_pdf

    assert render_pdf("<p>A report</p>").startswith(b"%PDF")
    data = image_bytes(800, 600)
    exc = _refusal(org_a, alice_m, data[: len(data) // 2], "cut.jpg")
    assert exc.message == "cut.jpg looks like an image but is damaged or cut short."


def test_a_decompression_bomb_is_refused_before_it_is_decoded(settings, org_a, alice_m):
    settings.MEDIA_MAX_IMAGE_PIXELS = 1_000_000
    exc = _refusal(org_a, alice_m, image_bytes(1200, 1000, fmt="PNG"), "huge.png")
    assert "huge.png is 1200 × 1000 pixels" in exc.message


def test_an_image_over_the_size_limit_is_refused_with_both_sizes(settings, org_a, alice_m):
    settings.MEDIA_MAX_IMAGE_BYTES = 10 * 1024
    noise = Image.frombytes("RGB", (200, 200), os.urandom(200 * 200 * 3))
    out = io.BytesIO()
    noise.save(out, "PNG")
    exc = _refusal(org_a, alice_m, out.getvalue(), "big.png")
    assert exc.message.startswith("big.png is ") and "images can be at most 10 KB" in exc.message


def test_an_empty_file_is_refused(org_a, alice_m):
    assert _refusal(org_a, alice_m, b"", "empty.jpg").message == "empty.jpg is empty."


def test_a_png_named_jpg_is_stored_as_what_it_really_is(org_a, alice_m, media_root):  # noqa: F811
    asset = upload(org_a, alice_m, image_bytes(500, 400, fmt="PNG"), "really-a-png.jpg").asset
    assert asset.mime_type == "image/png"
    assert asset.file.name.endswith(".png")
    assert asset.original_name == "really-a-png.jpg"
    assert default_storage.exists(asset.file.name)


def test_exif_orientation_is_applied_to_the_recorded_dimensions(org_a, alice_m):
    # Orientation 6: stored landscape, shown rotated 90° (portrait).
    asset = upload(org_a, alice_m, image_bytes(800, 600, exif_orientation=6), "phone.jpg").asset
    assert (asset.width, asset.height) == (600, 800)
    square = asset.renditions.get(preset="story_9_16")
    assert square.height > square.width


def test_a_viewer_cannot_upload(org_a, vera):
    from tests import factories as f

    vera_m = f.membership(org_a, vera)
    from socialops.errors import NotAllowed

    with pytest.raises(NotAllowed):
        upload(org_a, vera_m, image_bytes(300, 300), "x.jpg")


def test_a_heic_photo_is_not_mistaken_for_a_video(org_a, alice_m):
    # HEIC is ISO-BMFF like MP4; FFmpeg would open it as a one-frame "video".
    heic_like = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 200
    exc = _refusal(org_a, alice_m, heic_like, "IMG_0001.HEIC")
    assert (
        exc.message
        == "IMG_0001.HEIC is not an image: it is a HEIC photo (not supported yet: export it as JPEG)."
    )
