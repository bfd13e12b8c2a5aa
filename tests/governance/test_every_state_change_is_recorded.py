"""Issue 15.5: every state change people make is in the audit log with who did it, when, from which
address, how it came in (web, API, task, SCIM) and what changed. This walks the list the issue names —
posts (create, edit, schedule, publish, delete), approval decisions, channel grants, CSV exports,
calendar share links (create, revoke), inbox replies and moderation (send, edit, hide, delete,
assign, close) — doing each through its app's service and asserting its entry."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from accounts.capabilities import Role
from approvals import services as approvals
from channels_registry import services as channel_services
from inbox.services import conversations as inbox
from publishing.calendar import services as calendar
from publishing.posts import services as authoring
from publishing.scheduler import services as scheduling
from socialops.audit.models import AuditEvent
from socialops.audit.services import audit_context

from .. import factories as f
from ..channels.factories import connect_sandbox
from ..inbox.factories import inbox_with_conversation
from ..publishing.scheduler_factories import tick

pytestmark = pytest.mark.django_db

ADDRESS = "203.0.113.9"


@pytest.fixture(autouse=True)
def _commit_callbacks_run_at_once(monkeypatch):
    monkeypatch.setattr(transaction, "on_commit", lambda func, using=None, robust=False: func())


def _newest(org, action):
    return AuditEvent.objects.for_org(org).filter(action=action).order_by("-seq").first()


def _assert_recorded(org, action, *, actor, via="web", changed=True):
    entry = _newest(org, action)
    assert entry is not None, f"{action} is not recorded"
    assert entry.actor == actor, f"{action}: actor {entry.actor}"
    assert entry.actor_label == actor.email
    assert entry.ip_address == ADDRESS, f"{action}: address {entry.ip_address}"
    assert entry.via == via, f"{action}: origin {entry.via}"
    assert entry.created_at is not None
    if changed:
        assert entry.object_id or entry.changes, f"{action}: says nothing of what changed"
    return entry


def test_posts_approvals_grants_exports_share_links_and_inbox_work_are_all_recorded(
    org_a, alice_m, alice_client, monkeypatch
):
    alice = alice_m.user
    amy = f.add_member(org_a, f.make_user("amy@alpha.test", name="Amy Approver"), Role.MANAGER)
    (channel,) = connect_sandbox(org_a, alice_m, ["sbx-kitchen"])
    checked = []

    def web(actor=alice):
        return audit_context(actor=actor, ip_address=ADDRESS, via="web")

    # --- posts: create, edit, schedule, publish, delete ---------------------------------------
    with web():
        post = authoring.create_post(org_a, by=alice_m, text="Fresh bread at 7", channels=[channel])
    checked.append(_assert_recorded(org_a, "post.created", actor=alice))
    with web():
        post = authoring.update_post(post, by=alice_m, text="Fresh bread at 8")
    checked.append(_assert_recorded(org_a, "post.updated", actor=alice))
    with web():
        scheduling.schedule_post(
            post, by=alice_m, at=timezone.now() + timedelta(minutes=1), timezone_name="UTC"
        )
    checked.append(_assert_recorded(org_a, "post.scheduled", actor=alice))
    tick(timezone.now() + timedelta(minutes=2))
    published = _newest(org_a, "post.variant_published")
    assert published is not None and published.changes["channel"] == channel.pk
    assert published.via in ("task", "system")
    checked.append(published)
    with web():
        doomed = authoring.create_post(org_a, by=alice_m, text="Never mind", channels=[channel])
        authoring.delete_post(doomed, by=alice_m)
    checked.append(_assert_recorded(org_a, "post.deleted", actor=alice))

    # --- approvals: a decision ----------------------------------------------------------------
    with web():
        approvals.create_workflow(
            org_a,
            by=alice_m,
            name="Brand review",
            stages=[
                approvals.StageSpec(
                    name="Brand",
                    rule="any",
                    quorum=1,
                    sla_hours=24,
                    backup_approver=None,
                    approvers=[approvals.ApproverSpec("person", membership=amy)],
                )
            ],
        )
        draft = authoring.create_post(org_a, by=alice_m, text="Launch day", channels=[channel])
        request = approvals.submit_for_approval(draft, by=alice_m)
    checked.append(_assert_recorded(org_a, "approval.submitted", actor=alice))
    with web(amy.user):
        approvals.decide(request, by=amy, decision="approve", comment="Lovely")
    decision = _assert_recorded(org_a, "approval.approve", actor=amy.user)
    assert decision.changes["comment"] == "Lovely"
    checked.append(decision)

    # --- channel grants -------------------------------------------------------------------------
    with web():
        grant = channel_services.grant_channel_access(
            channel, by=alice_m, capability="publish", membership=amy
        )
    checked.append(_assert_recorded(org_a, "channel.access_granted", actor=alice))
    with web():
        channel_services.revoke_channel_access(grant, by=alice_m)
    checked.append(_assert_recorded(org_a, "channel.access_revoked", actor=alice))

    # --- calendar share links -------------------------------------------------------------------
    with web():
        link, _token = calendar.create_share_link(org_a, by=alice_m, name="Agency view", filters={})
    checked.append(_assert_recorded(org_a, "calendar_share.created", actor=alice))
    with web():
        calendar.revoke_share_link(link, by=alice_m)
    checked.append(_assert_recorded(org_a, "calendar_share.revoked", actor=alice))

    # --- CSV exports: the channel list and the audit log itself (through the pages) ------------
    for url, action in (
        ("/o/alpha/channels/export.csv", "channel.exported"),
        ("/o/alpha/governance/audit/export.csv", "audit.exported"),
    ):
        response = alice_client.get(url, REMOTE_ADDR=ADDRESS)
        assert response.status_code == 200, url
        checked.append(_assert_recorded(org_a, action, actor=alice))

    # --- the inbox: send, edit, hide, delete, assign, close -------------------------------------
    conversation = inbox_with_conversation(channel, text="Apakah ada cabang di Bandung?")
    item = conversation.items.order_by("pk").first()
    with web():
        inbox.send_reply(conversation, by=alice_m, text="Ada kak!")
    checked.append(_assert_recorded(org_a, "inbox.reply_sent", actor=alice))
    from inbox.models import Reply

    failed = Reply.objects.create(
        organization=org_a,
        conversation=conversation,
        in_reply_to=item,
        author=alice_m,
        text="Ada",
        status=Reply.Status.FAILED,
    )
    with web():
        inbox.edit_reply(failed, by=alice_m, text="Ada, kak")
    edited = _assert_recorded(org_a, "inbox.reply_edited", actor=alice)
    assert edited.changes["text"] == ["Ada", "Ada, kak"]
    checked.append(edited)
    with web():
        inbox.moderate_item(item, by=alice_m, action="hide")
    checked.append(_assert_recorded(org_a, "inbox.item_hide", actor=alice))
    with web():
        inbox.moderate_item(item, by=alice_m, action="delete")
    checked.append(_assert_recorded(org_a, "inbox.item_delete", actor=alice))
    with web():
        inbox.assign_conversation(conversation, by=alice_m, assignee=amy)
    checked.append(_assert_recorded(org_a, "inbox.assigned", actor=alice))
    with web():
        inbox.set_conversation_status(conversation, by=alice_m, status="closed")
    checked.append(_assert_recorded(org_a, "inbox.closed", actor=alice))

    assert len({e.action for e in checked}) == len(checked) == 19
