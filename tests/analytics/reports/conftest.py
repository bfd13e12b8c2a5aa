"""Helpers of the scheduled reports' tests: a schedule made through the service, the PDF renderer
stubbed (a real render is ~1 s: only tests marked ``pdf`` do one), files in a temporary folder."""

from __future__ import annotations

from datetime import time

import pytest

from analytics.reports import render, services

FAKE_PDF = b"%PDF-1.7 stub"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


@pytest.fixture
def no_pdf(monkeypatch):
    """The PDF's HTML is still built (template errors show); WeasyPrint is not run."""
    rendered: list[str] = []

    def fake(**kwargs):
        rendered.append(render.pdf_html(**kwargs))
        return FAKE_PDF

    monkeypatch.setattr(render, "pdf_bytes", fake)
    return rendered


def schedule_input(**kw) -> services.ScheduleInput:
    values = {
        "name": "Weekly figures",
        "frequency": "weekly",
        "weekday": 0,
        "send_time": time(8, 0),
        "timezone": "Asia/Jakarta",
    }
    values.update(kw)
    return services.ScheduleInput(**values)


def make_schedule(member, **kw):
    kw.setdefault("member_ids", [member.pk])
    return services.create_schedule(member, schedule_input(**kw))
