"""Issue 13 (5), approvals: ``requested_at`` follows the API's one rule for times. With an offset it is that
instant (``timezone`` only how it is shown); without one it needs ``timezone``; without either, a 400."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from approvals.models import ApprovalRequest

from ..conftest import api_client_for

pytestmark = pytest.mark.django_db


def _submit(people, draft, **body):
    return api_client_for(people.author).post(
        "/api/v1/approval-requests/", {"post": draft.pk, **body}, format="json"
    )


def test_an_offset_alone_is_enough(people, workflow, draft):
    response = _submit(people, draft, requested_at="2099-01-05T02:00:00Z")
    assert response.status_code == 201, response.json()
    request = ApprovalRequest.objects.for_org(people.org).get(pk=response.json()["id"])
    assert request.requested_at == datetime(2099, 1, 5, 2, 0, tzinfo=UTC)
    assert request.requested_timezone == "Asia/Jakarta"  # the post's channel's zone


def test_a_wall_clock_time_without_a_zone_is_a_400_not_utc(people, workflow, draft):
    response = _submit(people, draft, requested_at="2099-01-05T09:00")
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["requested_at"]
    assert not ApprovalRequest.objects.for_org(people.org).exists()


def test_a_wall_clock_time_with_a_zone_still_works(people, workflow, draft):
    response = _submit(people, draft, requested_at="2099-01-05T09:00", timezone="Asia/Tokyo")
    assert response.status_code == 201, response.json()
    request = ApprovalRequest.objects.for_org(people.org).get(pk=response.json()["id"])
    assert request.requested_at == datetime(2099, 1, 5, 0, 0, tzinfo=UTC)
