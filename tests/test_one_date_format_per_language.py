"""One date format per language, everywhere (socialops/dates.py, socialops/formats/<lang>/formats.py).

English "Sun 2 Mar 2025, 06:30 WIB", Indonesian "Min, 2 Mar 2025 06.30 WIB": pages, e-mails and
in-app notifications show a time the same way, never Django's US default ("March 1, 2025, 11:30
p.m.", "Dec. 5,") beside a hand-written "Sun 2 Mar 06:30".
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from django.core import mail
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone, translation

from accounts import services as account_services
from accounts.capabilities import Role
from accounts.models import Invitation
from accounts.notifications import NotificationKind, notify
from channels_registry.models import Channel
from tests.channels.factories import connect_sandbox

ROOT = Path(__file__).resolve().parent.parent
AT = datetime(2025, 3, 1, 23, 30, tzinfo=UTC)  # Sunday 2 March 2025, 06:30 in Jakarta (WIB)
SHOWN = {
    "en": "Sun 2 Mar 2025, 06:30 WIB",
    "id": "Min, 2 Mar 2025 06.30 WIB",
}
# Django's defaults and the old hand-written formats: none may appear anywhere.
US_STYLE = re.compile(
    r"\b[ap]\.m\.|\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec|Des|Agu|Okt)\. \d|"
    r"\b(January|February|March|April|June|July|August|September|October|November|December) \d{1,2},"
)


@pytest.fixture(autouse=True, scope="module")
def _catalogues_compiled():
    from django.utils.translation import trans_real

    from socialops.i18n import compile_catalogues

    if compile_catalogues():
        trans_real._translations = {}
        trans_real._default = None


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "en",
            (
                "Sun 2 Mar 2025, 06:30 WIB",
                "2 Mar 2025",
                "Sun 2 Mar",
                "06:30",
                "Sun 2 Mar 2025, 07:30 UTC+8",
            ),
        ),
        (
            "id",
            (
                "Min, 2 Mar 2025 06.30 WIB",
                "2 Mar 2025",
                "Min, 2 Mar",
                "06.30",
                "Min, 2 Mar 2025 07.30 UTC+8",
            ),
        ),
    ],
)
def test_the_four_kinds_read_one_way_per_language(language, expected):
    from socialops.dates import local_date, local_datetime, local_day, local_time

    with translation.override(language), timezone.override("Asia/Jakarta"):
        shown = (
            local_datetime(AT),
            local_date(AT),
            local_day(AT),
            local_time(AT),
            local_datetime(AT, "Asia/Singapore"),
        )
    assert shown == expected


def test_indonesian_months_and_weekdays_are_indonesian():
    from socialops.dates import local_date, local_day

    with translation.override("id"):
        assert local_date(date(2026, 8, 17)) == "17 Agu 2026"
        assert local_day(date(2026, 12, 14)) == "Sen, 14 Des"


def test_no_template_spells_a_human_date_format_of_its_own():
    """Templates show times through |local_datetime & co.; |date is only for machines (|date:"c")."""
    machine = {"c", "U", "Y-m-d", "Y-m-d\\TH:i"}
    # (\b: |timesince says "3 days", a span, not a date)
    rx = re.compile(r"\|(date|time)\b(?::\s*(\"[^\"]*\"|'[^']*'))?")
    offenders = []
    for path in (ROOT / "templates").rglob("*"):
        if path.suffix not in (".html", ".txt"):
            continue
        for match in rx.finditer(path.read_text()):
            fmt = (match.group(2) or '""')[1:-1]
            if fmt not in machine:
                offenders.append(f"{path.relative_to(ROOT)}: {match.group(0)}")
    assert not offenders, offenders


def test_no_python_formats_a_date_for_people_by_hand():
    rx = re.compile(r"\b(date_format|time_format)\(|formats\.(date|time)_format")
    offenders = []
    for path in ROOT.glob("*/**/*.py"):
        rel = path.relative_to(ROOT)
        if rel.parts[0] in (".venv", "tests", "bench") or rel.as_posix() == "socialops/dates.py":
            continue
        if rx.search(path.read_text()):
            offenders.append(str(rel))
    assert not offenders, offenders


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "id"])
def test_pages_and_e_mails_show_the_one_format(language, client, org_a, alice, alice_m):
    alice.timezone = "Asia/Jakarta"
    alice.language = language
    alice.save()
    client.force_login(alice)
    (channel,) = connect_sandbox(org_a, alice_m)
    Channel.objects.for_org(org_a).filter(pk=channel.pk).update(
        token_expires_at=AT, last_synced_at=AT
    )
    Invitation.objects.for_org(org_a).filter(
        pk=account_services.invite_member(
            org_a, by=alice_m, email="nina@example.test", role=Role.VIEWER
        ).invitation.pk
    ).update(expires_at=AT)
    mail.outbox.clear()
    with TestCase.captureOnCommitCallbacks(execute=True):
        notify(
            org_a,
            recipients=[alice],
            kind=NotificationKind.APPROVAL_REQUESTED,
            template="approvals_requested",
            context={
                "post_title": "Rendang week",
                "stage_name": "Brand",
                "due_at": AT,
                "on_behalf_of": "",
                "submitted_by": "Carl",
                "diff": False,
            },
            email_context={
                "approval_link": "http://testserver/a/t/",
                "link_ttl_hours": 72,
                "post_text": "Hi",
            },
            url=f"/o/{org_a.slug}/",
            email_required=True,
        )
    (email,) = mail.outbox
    pages = {
        "channels": client.get(reverse("channel_list", args=[org_a.slug])).content.decode(),
        "invitations": client.get(reverse("invitation_list", args=[org_a.slug])).content.decode(),
        "notifications": client.get(
            reverse("notification_list", args=[org_a.slug])
        ).content.decode(),
        "e-mail": email.body,
        "e-mail (html)": email.alternatives[0][0],
    }
    for name, text in pages.items():
        assert SHOWN[language] in text, name
        assert not US_STYLE.search(text), (name, US_STYLE.search(text).group(0))


@pytest.mark.django_db
def test_the_calendar_page_gives_the_browser_the_same_formats(alice_client, org_a, alice):
    for language, locale, time_separator in (("en", "en-GB", ", "), ("id", "id-ID", " ")):
        alice.language = language
        alice.save()
        page = alice_client.get(reverse("calendar", args=[org_a.slug])).content.decode()
        found = re.search(r'<script id="date-formats" type="application/json">(.*?)</script>', page)
        assert found, "the calendar page carries its date formats"
        formats = json.loads(found.group(1))
        assert formats["locale"] == locale and formats["join"] == time_separator
        assert formats["formats"]["time"] == {
            "hour": "2-digit",
            "minute": "2-digit",
            "hourCycle": "h23",
        }
