"""Videos are probed by content with PyAV; anything that is not a real video is refused."""

from __future__ import annotations

import pytest

from publishing.models import MediaAsset
from socialops.errors import ValidationFailed

from .media_factories import media_root, upload, video_bytes  # noqa: F401


def test_a_real_mp4_is_probed_for_duration_and_dimensions(org_a, alice_m):
    result = upload(org_a, alice_m, video_bytes(320, 240, frames=20, rate=10), "clip.mp4")
    asset = result.asset
    assert result.created
    assert (asset.kind, asset.mime_type, asset.width, asset.height) == (
        "video",
        "video/mp4",
        320,
        240,
    )
    assert asset.duration_seconds == pytest.approx(2.0, abs=0.15)
    assert asset.file.name.endswith(".mp4")
    assert not asset.renditions.exists()  # no transcoding: videos are sent as uploaded


def test_a_video_with_an_image_name_is_refused(org_a, alice_m):
    with pytest.raises(ValidationFailed) as info:
        upload(org_a, alice_m, video_bytes(), "poster.jpg")
    assert info.value.message == "poster.jpg is not an image: it is an MP4 or QuickTime video."


def test_a_fake_video_is_refused(org_a, alice_m):
    fake = b"\x00\x00\x00\x18ftypmp42" + b"not really a movie" * 50
    with pytest.raises(ValidationFailed) as info:
        upload(org_a, alice_m, fake, "fake.mp4")
    assert info.value.message.startswith("fake.mp4 is not a video we can read")
    assert not MediaAsset.objects.for_org(org_a).exists()


def test_a_text_file_named_mov_is_refused(org_a, alice_m):
    with pytest.raises(ValidationFailed) as info:
        upload(org_a, alice_m, b"hello, this is text\n" * 10, "holiday.mov")
    assert (
        info.value.message == "holiday.mov is not a video we can read (it looks like a text file)."
    )


def test_a_video_over_the_limit_is_refused(settings, org_a, alice_m):
    data = video_bytes()
    settings.MEDIA_MAX_VIDEO_BYTES = len(data) - 1
    with pytest.raises(ValidationFailed) as info:
        upload(org_a, alice_m, data, "long.mp4")
    assert "videos can be at most" in info.value.message


def test_a_playlist_disguised_as_a_video_is_never_followed(org_a, alice_m):
    # FFmpeg would open the URLs an HLS playlist names; the probe only lets a real container's demuxer read it.
    playlist = b"#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\nhttp://127.0.0.1:9/secret.ts\n#EXT-X-ENDLIST\n"
    with pytest.raises(ValidationFailed) as info:
        upload(org_a, alice_m, playlist, "stream.mp4")
    assert (
        info.value.message == "stream.mp4 is not a video we can read (it looks like a text file)."
    )


def test_a_webm_video_is_accepted(org_a, alice_m):
    asset = upload(org_a, alice_m, video_bytes(codec="libvpx", container="webm"), "clip.webm").asset
    assert (asset.mime_type, asset.width, asset.height) == ("video/webm", 320, 240)
