"""Renditions are made by a worker after the upload commits, never twice, and on demand when a
check or a publish needs them before the worker got to them."""

from __future__ import annotations

import pytest

from channels_registry.providers import provider_class
from publishing.media import services as media_services
from publishing.media import tasks
from publishing.models import MediaRendition

from .media_factories import image_bytes, media_root, upload_file, video_bytes  # noqa: F401 - media_root isolates MEDIA_ROOT

pytestmark = pytest.mark.django_db

IG = provider_class("instagram").capabilities


def _upload(org, by, data, name, capture):
    with capture() as after_commit:
        asset = media_services.upload_media(org, by=by, file=upload_file(data, name)).asset
    return asset, after_commit


def test_the_upload_only_enqueues_the_renditions_on_commit(
    org_a, alice_m, django_capture_on_commit_callbacks
):
    asset, after_commit = _upload(
        org_a, alice_m, image_bytes(1600, 1200), "a.jpg", django_capture_on_commit_callbacks
    )
    assert not MediaRendition.objects.for_org(org_a).filter(asset=asset).exists()
    assert media_services.renditions_pending(asset)
    assert len(after_commit) == 1
    after_commit[0]()  # the task (eager in tests)
    assert MediaRendition.objects.for_org(org_a).filter(asset=asset).count() == 5


def test_the_task_is_idempotent(org_a, alice_m, django_capture_on_commit_callbacks):
    asset, _ = _upload(
        org_a, alice_m, image_bytes(1600, 1200), "a.jpg", django_capture_on_commit_callbacks
    )
    assert tasks.make_renditions(asset.pk) is True
    files = set(
        MediaRendition.objects.for_org(org_a).filter(asset=asset).values_list("file", flat=True)
    )
    assert tasks.make_renditions(asset.pk) is False  # a redelivery changes nothing
    assert (
        set(
            MediaRendition.objects.for_org(org_a).filter(asset=asset).values_list("file", flat=True)
        )
        == files
    )
    assert tasks.make_renditions(10**9) is False  # a deleted asset is nothing to do


def test_the_composer_check_and_the_publish_file_do_not_wait_for_the_worker(
    org_a, alice_m, django_capture_on_commit_callbacks
):
    asset, _ = _upload(
        org_a, alice_m, image_bytes(3000, 1000), "panorama.jpg", django_capture_on_commit_callbacks
    )
    assert media_services.renditions_pending(asset)
    assert media_services.validate_media_for_channel([asset], IG, "post") == []  # made on demand
    chosen = media_services.publish_file_for(asset, IG, "post")
    assert chosen.rendition is not None and chosen.rendition.preset == "feed_4_5"
    assert MediaRendition.objects.for_org(org_a).filter(asset=asset).count() == 5
    assert tasks.make_renditions(asset.pk) is False  # the worker arriving later finds them made


def test_a_video_has_no_renditions_to_make(org_a, alice_m):
    asset = media_services.upload_media(
        org_a, by=alice_m, file=upload_file(video_bytes(), "clip.mp4")
    ).asset
    assert not media_services.renditions_pending(asset) and tasks.make_renditions(asset.pk) is False
