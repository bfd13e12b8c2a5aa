"""Internal comments with @mentions, the post page panel, the queue, workflow pages and organization isolation."""

from __future__ import annotations

import pytest
from django.core import mail

from accounts.models import Notification
from approvals import services
from approvals.models import PostComment, Workflow

from .conftest import audit_actions, reload, submit

pytestmark = pytest.mark.django_db


def test_a_mention_by_handle_or_email_notifies_the_member(people, draft):
    comment = services.add_comment(
        draft, by=people.owner, body="@amy please check, cc @abe@alpha.test and @nobody"
    )
    assert sorted(comment.mentions) == sorted([people.amy.pk, people.abe.pk])
    assert (
        Notification.objects.for_org(people.org)
        .filter(recipient=people.amy.user, kind="mention")
        .exists()
    )
    assert any(m.to == ["abe@alpha.test"] for m in mail.outbox)
    assert "post_comment.created" in audit_actions(people.org)


def test_comments_are_never_published(people, draft):
    services.add_comment(draft, by=people.owner, body="internal only")
    assert "internal only" not in reload(draft).text


def test_members_of_another_organization_are_never_mentioned(people, draft, bob):
    comment = services.add_comment(draft, by=people.owner, body="@bob @bob@bravo.test")
    assert comment.mentions == []


def test_the_post_page_shows_the_panel_and_takes_comments(client, people, workflow, draft):
    client.force_login(people.author.user)
    url = f"/o/{people.org.slug}/posts/{draft.pk}/"
    page = client.get(url).content.decode()
    assert 'id="submit-for-approval"' in page and 'id="comments"' in page
    client.post(
        f"/o/{people.org.slug}/approvals/posts/{draft.pk}/comments/", {"body": "Ready @amy"}
    )
    assert PostComment.objects.for_org(people.org).filter(post=draft).count() == 1


def test_submitting_from_the_page_and_the_rejection_comment_on_the_post_page(
    client, people, workflow, draft
):
    client.force_login(people.author.user)
    response = client.post(
        f"/o/{people.org.slug}/approvals/posts/{draft.pk}/submit/",
        {"requested_date": "", "requested_time": "", "requested_timezone": "UTC"},
    )
    assert response.status_code == 302
    request = services.selectors.current_request(draft)
    services.decide(request, by=people.amy, decision="reject", comment="Wrong price on the poster")
    page = client.get(f"/o/{people.org.slug}/posts/{draft.pk}/").content.decode()
    assert "Wrong price on the poster" in page and 'id="approval-outcome"' in page


def test_the_queue_lists_what_waits_for_me_with_a_count(client, people, workflow, draft):
    submit(draft, people.author)
    client.force_login(people.amy.user)
    page = client.get(f"/o/{people.org.slug}/approvals/").content.decode()
    assert "Launch day" in page
    assert b">1</span>" in client.get(f"/o/{people.org.slug}/approvals/count/").content
    client.force_login(people.author.user)
    assert client.get(f"/o/{people.org.slug}/approvals/count/").content == b""


def test_the_queue_query_count_does_not_grow_with_requests(
    client, people, workflow, channel, django_assert_max_num_queries
):
    from publishing.posts import services as authoring

    for i in range(5):
        submit(
            authoring.create_post(
                people.org, by=people.author, text=f"post {i}", channels=[channel]
            ),
            people.author,
        )
    client.force_login(people.amy.user)
    with django_assert_max_num_queries(12):
        assert client.get(f"/o/{people.org.slug}/approvals/").status_code == 200


def test_an_approver_decides_on_the_web(client, people, workflow, draft):
    request = submit(draft, people.author)
    client.force_login(people.amy.user)
    page = client.get(f"/o/{people.org.slug}/approvals/requests/{request.pk}/").content.decode()
    assert 'id="decide"' in page
    client.post(
        f"/o/{people.org.slug}/approvals/requests/{request.pk}/decide/", {"decision": "approve"}
    )
    assert reload(request).status == "approved"
    from socialops.audit.models import AuditEvent

    assert AuditEvent.objects.for_org(people.org).get(action="approval.approve").via == "web"


def test_an_admin_builds_a_workflow_in_the_ui(client, people):
    client.force_login(people.owner.user)
    assert client.get(f"/o/{people.org.slug}/approvals/workflows/new/").status_code == 200
    response = client.post(
        f"/o/{people.org.slug}/approvals/workflows/new/",
        {
            "name": "Legal",
            "priority": 5,
            "is_active": "on",
            "link_ttl_hours": 48,
            "resubmit_to": "current_stage",
            "stage_1_name": "Brand",
            "stage_1_rule": "quorum",
            "stage_1_quorum": 2,
            "stage_1_sla_hours": 8,
            "stage_1_people": [people.amy.pk, people.abe.pk, people.ann.pk],
            "stage_1_backup": people.bea.pk,
            "stage_2_name": "Legal",
            "stage_2_rule": "all",
            "stage_2_roles": ["admin"],
            "stage_2_sla_hours": 0,
            "tags": "legal, promo",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    workflow = Workflow.objects.for_org(people.org).get(name="Legal")
    specs = services.stage_specs_of(workflow)
    assert [(s.name, s.rule, s.quorum) for s in specs] == [
        ("Brand", "quorum", 2),
        ("Legal", "all", 1),
    ]
    assert workflow.tags == ["legal", "promo"] and workflow.link_ttl_hours == 48
    assert client.get(f"/o/{people.org.slug}/approvals/workflows/{workflow.pk}/").status_code == 200


def test_workflow_pages_need_the_capability(client, people):
    client.force_login(people.author.user)
    assert client.get(f"/o/{people.org.slug}/approvals/workflows/").status_code == 403


def test_another_organizations_request_is_a_404(client, people, workflow, draft, bob):
    request = submit(draft, people.author)
    client.force_login(bob)
    assert client.get(f"/o/{people.org.slug}/approvals/requests/{request.pk}/").status_code == 404


def test_an_approver_comments_from_the_review_page(client, people, workflow, draft):
    request = submit(draft, people.author)
    client.force_login(people.amy.user)
    response = client.post(
        f"/o/{people.org.slug}/approvals/posts/{draft.pk}/comments/",
        {"body": "@carl the time is wrong", "next": "request", "request_id": request.pk},
    )
    assert response.status_code == 302 and response["Location"].endswith(
        f"/approvals/requests/{request.pk}/"
    )
    page = client.get(response["Location"]).content.decode()
    assert "the time is wrong" in page
    assert (
        Notification.objects.for_org(people.org)
        .filter(recipient=people.author.user, kind="mention")
        .exists()
    )


def test_approvers_see_the_channels_own_text_limit_as_the_composer_does(
    org_a, people, workflow, draft, channel
):
    """The approval pages use the composer's preview (publishing.services.variant_preview): a channel
    whose server reported its own limit (a Mastodon instance's max_characters) shows that limit."""
    from django.test import Client

    type(channel).objects.for_org(org_a).filter(pk=channel.pk).update(
        metadata={"max_characters": 777}
    )
    request = submit(draft, people.author)
    c = Client()
    c.force_login(people.amy.user)
    page = c.get(f"/o/{org_a.slug}/approvals/requests/{request.pk}/").content.decode()
    assert "/ 777" in page
