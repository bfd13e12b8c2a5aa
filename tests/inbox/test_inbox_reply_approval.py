"""Replies that need approval: a trainee's (or a regulated team's) reply waits for an approver, who
sends it (possibly edited: the edit is kept and audited) or rejects it with a comment; everyone
else replies directly. Pages, API, notifications and refusals."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.capabilities import Role
from accounts.models import Notification
from channels_registry.providers.errors import ContentRejected
from channels_registry.providers.sandbox import SandboxProvider
from inbox.models import Item, Reply, ReplyApprovalRequirement
from inbox.services import (
    approve_reply,
    needs_approval,
    reject_reply,
    send_reply,
    set_reply_approval,
)
from socialops.audit.models import AuditEvent
from socialops.errors import Conflict, NotAllowed, ValidationFailed

from .. import factories as f
from ..conftest import api_client_for
from .factories import inbox_with_conversation, sandbox_channel

pytestmark = pytest.mark.django_db

API = "/api/v1/conversation-replies/"


@pytest.fixture
def conv(org_a, alice_m):
    return inbox_with_conversation(sandbox_channel(org_a, alice_m), text="Ada cabang di Bandung?")


@pytest.fixture
def tara(org_a, alice_m):
    """A trainee: her replies need approval."""
    member = f.add_member(
        org_a, f.make_user("tara@alpha.test", name="Tara Trainee"), Role.MODERATOR
    )
    set_reply_approval(org_a, by=alice_m, team_ids=[], membership_ids=[member.pk])
    return member


@pytest.fixture
def mona(org_a):
    """A moderator who may not approve."""
    return f.add_member(org_a, f.make_user("mona@alpha.test", name="Mona"), Role.MODERATOR)


def _told(user, kind):
    return Notification.objects.unscoped().filter(recipient=user, kind=kind)


def _outbound(conv):
    return Item.objects.for_org(conv.organization).filter(direction="outbound")


def _events(conv, action):
    return AuditEvent.objects.for_org(conv.organization).filter(action=action)


def test_a_trainees_reply_waits_for_approval_and_the_approvers_are_told(conv, tara, alice_m, mona):
    reply = send_reply(conv, by=tara, text="Ada kak, di Braga.")
    assert reply.status == Reply.Status.AWAITING_APPROVAL
    assert not _outbound(conv).exists()  # nothing went to the network
    assert _told(alice_m.user, "approval_requested").count() == 1
    assert not _told(mona.user, "approval_requested").exists()  # may not approve
    assert not _told(tara.user, "approval_requested").exists()
    assert _events(conv, "inbox.reply_submitted").count() == 1


def test_everyone_else_replies_directly(conv, mona):
    assert send_reply(conv, by=mona, text="Ada kak.").status == Reply.Status.SENT


def test_approving_sends_the_reply_as_written_and_tells_the_author(conv, tara, alice_m):
    waiting = send_reply(conv, by=tara, text="Ada kak, di Braga.")
    sent = approve_reply(waiting, by=alice_m)
    assert sent.status == Reply.Status.SENT and sent.text == "Ada kak, di Braga."
    assert sent.original_text == "" and sent.decided_by == alice_m and sent.author == tara
    (item,) = _outbound(conv)
    assert item.text == "Ada kak, di Braga."
    assert _told(tara.user, "approval_decided").count() == 1
    (event,) = _events(conv, "inbox.reply_approved")
    assert event.changes["edited"] is False


def test_the_approver_may_edit_the_text_and_the_edit_is_kept_and_audited(conv, tara, alice_m):
    waiting = send_reply(conv, by=tara, text="ada kak di braga")
    sent = approve_reply(waiting, by=alice_m, text="Ada, Kak: Jl. Braga 12.", comment="capitals")
    assert sent.text == "Ada, Kak: Jl. Braga 12." and sent.original_text == "ada kak di braga"
    assert sent.decision_comment == "capitals"
    assert _outbound(conv).get().text == "Ada, Kak: Jl. Braga 12."
    (event,) = _events(conv, "inbox.reply_approved")
    assert event.changes["edited"] is True
    assert event.changes["text"] == ["ada kak di braga", "Ada, Kak: Jl. Braga 12."]


def test_the_approvers_edit_is_checked_against_the_networks_limit(conv, tara, alice_m):
    waiting = send_reply(conv, by=tara, text="ok")
    with pytest.raises(ValidationFailed):
        approve_reply(waiting, by=alice_m, text="x" * 20000)
    waiting.refresh_from_db()
    assert waiting.status == Reply.Status.AWAITING_APPROVAL


def test_rejecting_needs_a_comment_tells_the_author_who_may_edit_and_resubmit(conv, tara, alice_m):
    waiting = send_reply(conv, by=tara, text="Tidak tahu.")
    with pytest.raises(ValidationFailed):
        reject_reply(waiting, by=alice_m, comment="  ")
    rejected = reject_reply(waiting, by=alice_m, comment="Be helpful: give the address.")
    assert rejected.status == Reply.Status.REJECTED
    assert rejected.decision_comment == "Be helpful: give the address."
    assert _told(tara.user, "approval_decided").count() == 1
    assert _events(conv, "inbox.reply_rejected").count() == 1
    again = send_reply(conv, by=tara, text="Ada kak, di Braga.", reply=rejected)
    assert again.pk == rejected.pk and again.status == Reply.Status.AWAITING_APPROVAL
    assert not _outbound(conv).exists()


def test_only_an_approver_other_than_the_author_may_decide(conv, tara, mona):
    waiting = send_reply(conv, by=tara, text="Ada kak.")
    for who in (tara, mona):
        with pytest.raises(NotAllowed):
            approve_reply(waiting, by=who)
        with pytest.raises(NotAllowed):
            reject_reply(waiting, by=who, comment="no")
    waiting.refresh_from_db()
    assert waiting.status == Reply.Status.AWAITING_APPROVAL


def test_a_reply_is_decided_once(conv, tara, alice_m, org_a):
    maya = f.add_member(org_a, f.make_user("maya@alpha.test", name="Maya"), Role.MANAGER)
    waiting = send_reply(conv, by=tara, text="Ada kak.")
    approve_reply(waiting, by=alice_m)
    waiting.refresh_from_db()
    with pytest.raises(NotAllowed):  # no longer waits: nobody may decide it
        approve_reply(waiting, by=maya)
    stale = Reply.objects.for_org(org_a).get(pk=waiting.pk)
    stale.status = Reply.Status.AWAITING_APPROVAL  # a page that still shows it waiting
    with pytest.raises(Conflict) as refused:
        reject_reply(stale, by=maya, comment="late")
    assert refused.value.code == "already_decided"
    assert _outbound(conv).count() == 1


def test_an_approved_reply_the_network_rejects_stays_a_failed_draft(
    conv, tara, alice_m, monkeypatch
):
    def refuse(self, *args, **kwargs):
        raise ContentRejected("Comment blocked by the network's filter")

    monkeypatch.setattr(SandboxProvider, "reply", refuse)
    sent = approve_reply(send_reply(conv, by=tara, text="Ada kak."), by=alice_m)
    assert sent.status == Reply.Status.FAILED and "blocked" in sent.error
    assert sent.text == "Ada kak."


def test_a_regulated_teams_members_need_approval_but_not_its_lead_nor_other_teams(
    org_a, alice_m, conv, mona
):
    regulated = f.make_team(org_a, "Regulated")
    branch = f.make_team(org_a, "Bandung branch", parent=regulated)
    other = f.make_team(org_a, "Marketing")
    maya = f.add_member(org_a, f.make_user("maya@alpha.test", name="Maya"), Role.MANAGER)
    budi = f.add_member(org_a, f.make_user("budi@alpha.test", name="Budi"), Role.MODERATOR)
    mona.teams.add(branch)  # below the regulated team
    maya.teams.add(regulated)  # approves on the channel: the lead
    budi.teams.add(other)
    set_reply_approval(org_a, by=alice_m, team_ids=[regulated.pk], membership_ids=[])
    assert needs_approval(mona, conv)
    assert not needs_approval(maya, conv)
    assert not needs_approval(budi, conv)
    waiting = send_reply(conv, by=mona, text="Ada kak.")
    assert waiting.status == Reply.Status.AWAITING_APPROVAL
    assert _told(maya.user, "approval_requested").count() == 1


def test_the_settings_page_sets_who_needs_approval_and_refuses_a_moderator(
    org_a, alice_client, mona
):
    from django.test import Client

    client = Client()
    team = f.make_team(org_a, "Regulated")
    url = reverse("inbox_reply_approval", args=["alpha"])
    assert alice_client.get(url).status_code == 200
    assert alice_client.post(url, {"team": [team.pk], "member": [mona.pk]}).status_code == 302
    rows = ReplyApprovalRequirement.objects.for_org(org_a)
    assert {(r.team_id, r.membership_id) for r in rows} == {(team.pk, None), (None, mona.pk)}
    alice_client.post(url, {"team": [team.pk], "member": ["999999", "x"]})
    assert {(r.team_id, r.membership_id) for r in rows.all()} == {(team.pk, None)}
    assert (
        'id="reply-approval-link"'
        in alice_client.get(reverse("inbox", args=["alpha"])).content.decode()
    )
    client.force_login(mona.user)
    assert (
        'id="reply-approval-link"'
        not in client.get(reverse("inbox", args=["alpha"])).content.decode()
    )
    assert client.get(url).status_code == 403
    assert client.post(url, {"member": []}).status_code == 403


def test_the_conversation_page_offers_approve_and_reject_to_the_approver_only(
    alice_client, conv, tara
):
    from django.test import Client

    client = Client()
    waiting = send_reply(conv, by=tara, text="Ada kak, di Braga.")
    page_url = reverse("inbox_conversation", args=["alpha", conv.pk])
    body = alice_client.get(page_url).content.decode()
    assert f'id="approve-{waiting.pk}"' in body and f'id="reject-{waiting.pk}"' in body
    client.force_login(tara.user)
    mine = client.get(page_url).content.decode()
    assert "Awaiting approval" in mine and f'id="approve-{waiting.pk}"' not in mine
    assert "Send for approval" in mine
    approve = reverse("inbox_reply_approve", args=["alpha", conv.pk, waiting.pk])
    client.post(approve, {"text": "sneaky"})
    waiting.refresh_from_db()
    assert waiting.status == Reply.Status.AWAITING_APPROVAL
    alice_client.post(approve, {"text": "Ada kak, di Jl. Braga."})
    waiting.refresh_from_db()
    assert waiting.status == Reply.Status.SENT and waiting.original_text == "Ada kak, di Braga."


def test_the_page_rejects_with_a_comment(alice_client, conv, tara):
    waiting = send_reply(conv, by=tara, text="Tidak tahu.")
    url = reverse("inbox_reply_reject", args=["alpha", conv.pk, waiting.pk])
    alice_client.post(url, {"comment": ""})
    waiting.refresh_from_db()
    assert waiting.status == Reply.Status.AWAITING_APPROVAL
    alice_client.post(url, {"comment": "Give the address."})
    waiting.refresh_from_db()
    assert waiting.status == Reply.Status.REJECTED


def test_the_api_answers_awaiting_approval_then_approves_or_rejects(conv, tara, alice_api, mona):
    tara_api = api_client_for(tara, name="tara")
    created = tara_api.post(API, {"conversation": conv.pk, "text": "Ada kak."}, format="json")
    assert created.status_code == 201 and created.json()["status"] == "awaiting_approval"
    rid = created.json()["id"]
    refused = api_client_for(mona, name="mona").post(f"{API}{rid}/approve/", {}, format="json")
    assert refused.status_code == 403
    assert tara_api.post(f"{API}{rid}/approve/", {}, format="json").status_code == 403
    no_comment = alice_api.post(f"{API}{rid}/reject/", {}, format="json")
    assert no_comment.status_code == 400 and "comment" in no_comment.json()["error"]["fields"]
    approved = alice_api.post(f"{API}{rid}/approve/", {"text": "Ada, Kak!"}, format="json")
    assert approved.status_code == 200, approved.json()
    assert approved.json()["status"] == "sent" and approved.json()["original_text"] == "Ada kak."
    again = alice_api.post(f"{API}{rid}/reject/", {"comment": "late"}, format="json")
    assert again.status_code == 403
    second = tara_api.post(
        API, {"conversation": conv.pk, "text": "Tidak tahu.", "force": True}, format="json"
    )
    rejected = alice_api.post(
        f"{API}{second.json()['id']}/reject/", {"comment": "Give the address."}, format="json"
    )
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    edited = tara_api.patch(
        f"{API}{second.json()['id']}/", {"text": "Di Braga, kak."}, format="json"
    )
    assert edited.status_code == 200 and edited.json()["text"] == "Di Braga, kak."


def test_a_reply_nobody_could_approve_is_refused_rather_left_waiting(org_a, alice_m, conv):
    set_reply_approval(org_a, by=alice_m, team_ids=[], membership_ids=[alice_m.pk])
    with pytest.raises(Conflict, match="nobody can approve"):
        send_reply(conv, by=alice_m, text="Ada kak.")
    assert not Reply.objects.for_org(org_a).exists()
