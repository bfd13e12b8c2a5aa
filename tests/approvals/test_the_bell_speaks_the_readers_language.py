"""Issue 10, item 7: an approver who switches language reads her pending notifications in it.

"Approval needed: …" was stored as an English sentence and stayed English after the switch; the
notification now keeps what happened and is rendered for the reader when read (language and zone).
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from .conftest import submit

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True, scope="module")
def _catalogues_compiled():
    from django.utils.translation import trans_real

    from socialops.i18n import compile_catalogues

    if compile_catalogues():
        trans_real._translations = {}
        trans_real._default = None


def test_an_approver_who_switches_to_indonesian_reads_the_request_in_indonesian(
    client, people, workflow, draft
):
    submit(draft, people.author)
    client.force_login(people.amy.user)
    url = reverse("notification_list", args=[people.org.slug])
    assert "Approval needed: Launch day" in client.get(url).content.decode()

    client.post("/language/", {"language": "id", "next": url})

    page = client.get(url).content.decode()
    assert "Persetujuan diperlukan: Launch day" in page
    assert "Approval needed" not in page
    assert "meminta Anda menyetujui" in page  # the body too


def test_the_decision_deadline_follows_the_zone_she_has_when_she_reads(
    client, people, workflow, draft
):
    from zoneinfo import ZoneInfo

    from django.utils import translation

    from socialops.dates import local_datetime

    request = submit(draft, people.author)
    due = request.assignments.get(membership=people.amy).due_at
    client.force_login(people.amy.user)
    url = reverse("notification_list", args=[people.org.slug])
    user = people.amy.user
    for zone in ("Asia/Jakarta", "Asia/Tokyo"):
        user.timezone = zone
        user.save(update_fields=["timezone"])
        with translation.override("en"):
            local = local_datetime(due, ZoneInfo(zone))  # "Sun 6 Dec 2026, 19:31 WIB"
        assert f"Please decide by {local}." in client.get(url).content.decode()
