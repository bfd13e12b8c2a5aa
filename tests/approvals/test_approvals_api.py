"""The approvals API: workflows CRUD, submit, decide, my queue, comments; another organization's ids are 404s."""

from __future__ import annotations

import pytest

from approvals.models import ApprovalRequest, Workflow
from publishing.models import Post
from socialops.audit.models import AuditEvent

from ..conftest import api_client_for
from .conftest import reload

pytestmark = pytest.mark.django_db


def _workflow_body(people, **extra):
    return {
        "name": "API flow",
        "stages": [
            {
                "name": "Brand",
                "rule": "quorum",
                "quorum": 1,
                "sla_hours": 12,
                "backup_approver": people.bea.pk,
                "approvers": [
                    {"kind": "person", "membership": people.amy.pk},
                    {"kind": "role", "role": "admin"},
                ],
            }
        ],
        **extra,
    }


def test_workflows_are_created_read_changed_and_deleted(people):
    api = api_client_for(people.owner)
    created = api.post("/api/v1/approval-workflows/", _workflow_body(people), format="json")
    assert created.status_code == 201, created.json()
    wid = created.json()["id"]
    assert created.json()["stages"][0]["approvers"][0] == {
        "kind": "person",
        "membership": people.amy.pk,
        "team": None,
        "role": "",
    }
    assert api.get("/api/v1/approval-workflows/").json()["results"][0]["name"] == "API flow"
    changed = api.put(
        f"/api/v1/approval-workflows/{wid}/",
        _workflow_body(people, name="Renamed", tags=["Promo"]),
        format="json",
    )
    assert changed.status_code == 200 and changed.json()["tags"] == ["promo"]
    assert api.delete(f"/api/v1/approval-workflows/{wid}/").status_code == 204
    assert not Workflow.objects.for_org(people.org).exists()


def test_workflows_need_manage_workflows(people):
    api = api_client_for(people.author)
    assert api.get("/api/v1/approval-workflows/").status_code == 403
    assert (
        api.post("/api/v1/approval-workflows/", _workflow_body(people), format="json").status_code
        == 403
    )


def test_submit_decide_and_the_queue_through_the_api(people, workflow, draft):
    author = api_client_for(people.author)
    submitted = author.post(
        "/api/v1/approval-requests/",
        {"post": draft.pk, "requested_at": "2099-01-05T09:00", "timezone": "Asia/Jakarta"},
        format="json",
    )
    assert submitted.status_code == 201, submitted.json()
    rid = submitted.json()["id"]
    assert reload(draft).status == Post.Status.IN_REVIEW
    amy = api_client_for(people.amy)
    mine = amy.get("/api/v1/approval-requests/?waiting=me").json()["results"]
    assert [r["id"] for r in mine] == [rid]
    assert author.get("/api/v1/approval-requests/?waiting=me").json()["results"] == []
    decided = amy.post(
        f"/api/v1/approval-requests/{rid}/decide/", {"decision": "approve"}, format="json"
    )
    assert decided.status_code == 200 and decided.json()["status"] == "approved"
    assert reload(draft).status == Post.Status.SCHEDULED
    event = AuditEvent.objects.for_org(people.org).get(action="approval.approve")
    assert event.via == "api"


def test_deciding_twice_or_out_of_turn_is_a_clear_error(people, workflow, draft):
    author = api_client_for(people.author)
    rid = author.post("/api/v1/approval-requests/", {"post": draft.pk}, format="json").json()["id"]
    denied = api_client_for(people.ann).post(
        f"/api/v1/approval-requests/{rid}/decide/", {"decision": "approve"}, format="json"
    )
    assert denied.status_code == 403 and denied.json()["error"]["code"] == "not_your_turn"
    amy = api_client_for(people.amy)
    amy.post(
        f"/api/v1/approval-requests/{rid}/decide/",
        {"decision": "reject", "comment": "No"},
        format="json",
    )
    again = amy.post(
        f"/api/v1/approval-requests/{rid}/decide/", {"decision": "approve"}, format="json"
    )
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_decided"
    assert reload(ApprovalRequest.objects.for_org(people.org).get(pk=rid)).status == "rejected"


def test_comments_through_the_api(people, draft):
    api = api_client_for(people.owner)
    created = api.post(
        "/api/v1/post-comments/", {"post": draft.pk, "body": "Looks good @amy"}, format="json"
    )
    assert created.status_code == 201 and created.json()["mentions"] == [people.amy.pk]
    listed = api.get(f"/api/v1/post-comments/?post={draft.pk}").json()["results"]
    assert [c["body"] for c in listed] == ["Looks good @amy"]


def test_another_organizations_post_cannot_be_submitted_or_commented(
    people, workflow, org_b, bob_m
):
    from publishing.posts import services as authoring

    from ..channels.factories import connect_sandbox

    (ch,) = connect_sandbox(org_b, bob_m, ["sbx-kopi"])
    b_post = authoring.create_post(org_b, by=bob_m, text="Bravo only", channels=[ch])
    api = api_client_for(people.owner)
    assert (
        api.post("/api/v1/approval-requests/", {"post": b_post.pk}, format="json").status_code
        == 400
    )
    assert (
        api.post(
            "/api/v1/post-comments/", {"post": b_post.pk, "body": "hi"}, format="json"
        ).status_code
        == 400
    )
    assert api.get(f"/api/v1/post-comments/?post={b_post.pk}").json()["results"] == []
