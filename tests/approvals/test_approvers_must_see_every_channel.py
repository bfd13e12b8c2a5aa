"""An approver must be able to see every channel of the post they approve.

Approvers without a grant on one of a post's restricted channels are left out of the stage (no
assignment, no bell, no e-mail, nothing in their queue); when the others cannot meet the stage's
rule the stage falls to its backup, or to an admin when the backup cannot see the post either. The
same goes for delegation and escalation. Someone who loses a grant after being assigned can no
longer see the request in their queue, use their link, be reminded or decide.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import Notification
from approvals import selectors, services, tasks
from approvals.models import ApprovalAssignment
from channels_registry import services as channel_services
from channels_registry.models import Channel
from channels_registry.selectors import grants_of
from publishing.posts import services as authoring
from socialops.audit.models import AuditEvent
from socialops.errors import NotAllowed

from ..channels.factories import connect_sandbox
from ..conftest import api_client_for
from .conftest import link_tokens, make_workflow, person, reload, stage, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def rosa(org_a, alice_m, people):
    """A restricted channel: the author (carl) may publish to it, abe may see it; amy and ann may not."""
    (ch,) = connect_sandbox(org_a, alice_m, ["sbx-promo"])
    channel_services.set_channel_access(ch, by=alice_m, access=Channel.Access.RESTRICTED)
    channel_services.grant_channel_access(
        ch, by=alice_m, capability="publish", membership=people.author
    )
    channel_services.grant_channel_access(
        ch, by=alice_m, capability="publish", membership=people.abe
    )
    return ch


@pytest.fixture
def mixed(org_a, people, channel, rosa):
    return authoring.create_post(
        org_a, by=people.author, text="Secret launch, told everywhere", channels=[channel, rosa]
    )


def _assigned(request) -> set:
    return set(
        ApprovalAssignment.objects.for_org(request.organization_id)
        .filter(request=request, status="pending")
        .values_list("membership__user__email", flat=True)
    )


def _told(user) -> bool:
    in_bell = (
        Notification.objects.for_org(user.memberships.first().organization)
        .filter(recipient=user)
        .exists()
    )
    return in_bell or any(user.email in m.to for m in mail.outbox)


def test_an_approver_who_cannot_see_a_channel_is_left_out_and_never_told(
    client, org_a, people, mixed
):
    make_workflow(
        org_a,
        people.owner,
        stage("Brand", person(people.amy), person(people.abe), backup=people.bea),
    )
    request = submit(mixed, people.author)
    assert _assigned(request) == {"abe@alpha.test"}  # any one approves: abe sees it all, he decides
    assert not _told(people.amy.user)
    assert not selectors.waiting_for(people.amy).exists()
    client.force_login(people.amy.user)
    assert "Secret launch" not in client.get(f"/o/{org_a.slug}/approvals/").content.decode()
    event = AuditEvent.objects.for_org(org_a).get(action="approval.approvers_left_out")
    assert event.changes["left_out"] == [people.amy.pk] and event.changes["fell_to"] == ""


def test_the_stage_falls_to_its_backup_when_no_approver_can_see_the_post(org_a, people, mixed):
    make_workflow(org_a, people.owner, stage("Brand", person(people.amy), backup=people.bea))
    request = submit(mixed, people.author)
    assert _assigned(request) == {"bea@alpha.test"}
    assert not _told(people.amy.user)
    assert link_tokens(mail.outbox, "bea@alpha.test")


def test_a_backup_who_cannot_see_the_post_gives_way_to_an_admin(org_a, people, mixed):
    make_workflow(org_a, people.owner, stage("Brand", person(people.amy), backup=people.ann))
    request = submit(mixed, people.author)
    assert _assigned(request) == {"bea@alpha.test"}  # bea is the organization's admin
    assert not _told(people.amy.user) and not _told(people.ann.user)
    event = AuditEvent.objects.for_org(org_a).get(action="approval.approvers_left_out")
    assert event.changes["fell_to"] == "admin" and event.changes["stand_in"] == people.bea.pk


def test_with_rule_all_the_backup_stands_in_for_the_approver_left_out(org_a, people, mixed):
    make_workflow(
        org_a,
        people.owner,
        stage("Legal", person(people.amy), person(people.abe), rule="all", backup=people.bea),
    )
    request = submit(mixed, people.author)
    assert _assigned(request) == {"abe@alpha.test", "bea@alpha.test"}
    services.decide(request, by=people.abe, decision="approve")
    assert reload(request).status == "pending"  # the stand-in's approval is still needed
    services.decide(request, by=people.bea, decision="approve")
    assert reload(request).status == "approved"


def test_a_post_on_open_channels_only_goes_to_everyone_named(org_a, people, channel):
    make_workflow(org_a, people.owner, stage("Brand", person(people.amy), person(people.abe)))
    post = authoring.create_post(org_a, by=people.author, text="Open news", channels=[channel])
    assert _assigned(submit(post, people.author)) == {"amy@alpha.test", "abe@alpha.test"}
    assert (
        not AuditEvent.objects.for_org(org_a).filter(action="approval.approvers_left_out").exists()
    )


def test_a_delegate_who_cannot_see_the_post_does_not_get_it(org_a, people, mixed):
    make_workflow(org_a, people.owner, stage("Brand", person(people.abe), backup=people.bea))
    now = timezone.now()
    services.set_out_of_office(
        people.abe,
        by=people.abe,
        delegate=people.amy,
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(days=2),
    )
    request = submit(mixed, people.author)
    assert _assigned(request) == {"abe@alpha.test"}
    assert not _told(people.amy.user)


def test_escalation_goes_to_an_admin_when_the_backup_cannot_see_the_post(
    org_a, people, mixed, monkeypatch
):
    make_workflow(
        org_a, people.owner, stage("Brand", person(people.abe), sla_hours=1, backup=people.amy)
    )
    request = submit(mixed, people.author)
    later = timezone.now() + timedelta(hours=2)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert tasks.sweep_approval_slas.apply().get()["escalations"] == 1
    escalated = ApprovalAssignment.objects.for_org(org_a).get(request=request, is_escalation=True)
    assert escalated.membership == people.bea
    assert not _told(people.amy.user)


def test_after_losing_a_grant_the_approver_can_no_longer_see_use_or_decide(
    client, org_a, alice_m, people, mixed, rosa
):
    make_workflow(org_a, people.owner, stage("Brand", person(people.abe), backup=people.bea))
    request = submit(mixed, people.author)
    token = link_tokens(mail.outbox, "abe@alpha.test")[-1]
    assignment = ApprovalAssignment.objects.for_org(org_a).get(
        request=request, membership=people.abe
    )
    channel_services.revoke_channel_access(grants_of(rosa).get(membership=people.abe), by=alice_m)
    assert (
        selectors.waiting_count(people.abe) == 0 and not selectors.waiting_for(people.abe).exists()
    )
    client.force_login(people.abe.user)
    page = client.get(f"/a/{token}/")
    assert page.status_code == 404 and "Secret launch" not in page.content.decode()
    decided = client.post(f"/a/{token}/", {"decision": "approve"})
    assert decided.status_code == 404
    api = api_client_for(people.abe)
    answer = api.post(
        f"/api/v1/approval-requests/{request.pk}/decide/", {"decision": "approve"}, format="json"
    )
    assert answer.status_code in (403, 404)
    assert reload(request).status == "pending"
    assert services.remind_assignment(assignment.pk) is False
    with pytest.raises(NotAllowed):
        services.decide(request, by=people.abe, decision="approve")
