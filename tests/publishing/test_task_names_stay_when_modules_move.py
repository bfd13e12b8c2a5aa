"""Celery finds publishing's tasks by their names, not their modules: beat's schedule and messages
already queued name ``publishing.tasks.*``, so the sub-domains' task modules keep those names."""

from __future__ import annotations

from django.conf import settings

from socialops.celery import app


def test_the_worker_knows_every_publishing_task_by_its_first_name():
    app.loader.import_default_modules()
    for name in (
        "publishing.tasks.dispatch",
        "publishing.tasks.publish_attempts",
        "publishing.tasks.make_renditions",
    ):
        assert name in app.tasks, name


def test_every_task_beat_schedules_is_registered():
    app.loader.import_default_modules()
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks, entry["task"]
