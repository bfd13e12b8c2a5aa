"""Helpers for the media tests: generated images and videos, uploads through the real service."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw

from publishing.media import services as media_services


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Every media test writes into its own temporary MEDIA_ROOT."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


def image_bytes(
    width=1600,
    height=1200,
    *,
    fmt="JPEG",
    color=(40, 120, 200),
    dot=None,
    dot_radius=40,
    exif_orientation=None,
) -> bytes:
    """A solid image; ``dot=(fx, fy)`` paints a red disc there (fractions of width and height)."""
    im = Image.new("RGB", (width, height), color)
    if dot is not None:
        cx, cy = dot[0] * width, dot[1] * height
        ImageDraw.Draw(im).ellipse(
            (cx - dot_radius, cy - dot_radius, cx + dot_radius, cy + dot_radius), fill=(255, 0, 0)
        )
    out = io.BytesIO()
    kwargs = {}
    if exif_orientation is not None:
        exif = Image.Exif()
        exif[0x0112] = exif_orientation
        kwargs["exif"] = exif.tobytes()
    if fmt == "JPEG":
        kwargs["quality"] = 92
    im.save(out, fmt, **kwargs)
    return out.getvalue()


def video_bytes(
    width=320, height=240, *, frames=10, rate=10, codec="mpeg4", container="mp4"
) -> bytes:
    """A real little MP4 made with PyAV (FFmpeg in its wheel)."""
    import av

    out = io.BytesIO()
    with av.open(out, "w", format=container) as container:
        stream = container.add_stream(codec, rate=rate)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for i in range(frames):
            frame = av.VideoFrame.from_image(
                Image.new("RGB", (width, height), (i * 20 % 255, 80, 160))
            )
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return out.getvalue()


def upload_file(
    data: bytes, name: str, content_type: str = "application/octet-stream"
) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def upload(org, membership, data: bytes, name: str = "photo.jpg", **kw):
    """Upload as a person would, then let the worker's ``make_renditions`` run (enqueued on commit)."""
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        return media_services.upload_media(org, by=membership, file=upload_file(data, name), **kw)


def red_centre(image: Image.Image) -> tuple[float, float] | None:
    """Where the red disc is in ``image`` (fractions), or None when no red pixel is in it."""
    im = image.convert("RGB")
    small = im.resize((max(1, im.width // 4), max(1, im.height // 4)))
    xs, ys = [], []
    px = small.load()
    for y in range(small.height):
        for x in range(small.width):
            r, g, b = px[x, y]
            if r > 200 and g < 80 and b < 80:
                xs.append(x)
                ys.append(y)
    if not xs:
        return None
    return (sum(xs) / len(xs) + 0.5) / small.width, (sum(ys) / len(ys) + 0.5) / small.height
