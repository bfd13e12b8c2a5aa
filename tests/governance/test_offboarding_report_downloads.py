"""The stored report is downloadable as CSV (every item and its outcome, formulas defused) and as a
PDF; its follow-up tasks are ticked done, audited."""

from __future__ import annotations

import csv
import io

import pytest

from governance.offboarding import services
from socialops.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def report(office, alice_m):
    office.draft.title = "=HYPERLINK(evil)"
    office.draft.save(update_fields=["title"])
    return services.offboard_member(office.lena, by=alice_m)


def test_the_csv_lists_every_item_its_outcome_and_the_follow_ups(alice_client, report):
    answer = alice_client.get(f"/o/alpha/governance/offboarding/reports/{report.pk}/report.csv")
    assert answer.status_code == 200 and answer["Content-Type"].startswith("text/csv")
    assert "attachment" in answer["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(answer.content.decode())))
    assert rows[0] == ["Section", "Item", "Detail", "Goes to", "Outcome"]
    assert [
        "Channel access",
        "alpha.page (facebook)",
        "Administer the channel",
        "Removed",
        "Removed",
    ] in rows
    assert any(r[1] == "'=HYPERLINK(evil)" for r in rows)  # a spreadsheet shows it, never runs it
    assert any(r[0] == "Follow-up" and "alpha.page" in r[1] and r[4] == "To do" for r in rows)
    assert len(rows) == 1 + len(report.items) + 1


def test_the_pdf_is_a_pdf(alice_client, report):
    answer = alice_client.get(f"/o/alpha/governance/offboarding/reports/{report.pk}/report.pdf")
    assert answer.status_code == 200 and answer["Content-Type"] == "application/pdf"
    assert answer.content.startswith(b"%PDF")


def test_a_follow_up_is_ticked_done_and_back(alice_client, report):
    task = report.tasks.get()
    url = f"/o/alpha/governance/offboarding/reports/{report.pk}/tasks/{task.pk}/done/"
    assert alice_client.post(url, {"done": "1"}).status_code == 302
    task.refresh_from_db()
    assert task.is_done and task.done_by.email == "alice@alpha.test"
    page = alice_client.get(f"/o/alpha/governance/offboarding/reports/{report.pk}/").content
    assert b"Not done" in page
    alice_client.post(url, {"done": "0"})
    task.refresh_from_db()
    assert not task.is_done
    actions = list(
        AuditEvent.objects.for_org(report.organization)
        .filter(action__startswith="offboarding.follow_up")
        .values_list("action", flat=True)
    )
    assert actions == ["offboarding.follow_up_done", "offboarding.follow_up_reopened"]


def test_without_pango_the_pdf_link_says_what_is_missing_and_points_to_the_csv(
    alice_client, report, monkeypatch
):
    import sys

    monkeypatch.setitem(sys.modules, "weasyprint", None)  # as on a machine without the library
    answer = alice_client.get(
        f"/o/alpha/governance/offboarding/reports/{report.pk}/report.pdf", follow=True
    )
    assert answer.status_code == 200
    assert "PDF reports need the Pango library" in answer.content.decode()
