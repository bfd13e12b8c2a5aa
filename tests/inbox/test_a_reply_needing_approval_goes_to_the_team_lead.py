"""A reply that needs approval goes to the lead of its writer's team (``Team.lead``): the lead is told,
and only the lead decides. Without a lead, or with a lead who may not approve on the channel (by
role, by the channel's restriction, or no longer active), the approvers are as before: everyone
who may approve and moderate on the channel."""

from __future__ import annotations

import pytest

from accounts import services as accounts
from accounts.capabilities import Role
from accounts.models import Notification
from inbox.models import Reply
from inbox.services import (
    approve_reply,
    may_approve_reply,
    reject_reply,
    reply_approvers,
    send_reply,
    set_reply_approval,
)
from socialops.audit.models import AuditEvent
from socialops.errors import NotAllowed

from .. import factories as f
from .factories import inbox_with_conversation, sandbox_channel

pytestmark = pytest.mark.django_db


@pytest.fixture
def conv(org_a, alice_m):
    return inbox_with_conversation(sandbox_channel(org_a, alice_m), text="Ada cabang di Bandung?")


@pytest.fixture
def care(org_a, alice_m):
    return f.make_team(org_a, "Customer care", by=alice_m)


def _member(org, email, role, *teams):
    m = f.add_member(org, f.make_user(email, name=email.split("@")[0].title()), role)
    m.teams.add(*teams)
    return m


@pytest.fixture
def tara(org_a, alice_m, care):
    """A trainee in Customer care: her replies need approval."""
    member = _member(org_a, "tara@alpha.test", Role.MODERATOR, care)
    set_reply_approval(org_a, by=alice_m, team_ids=[], membership_ids=[member.pk])
    return member


def _lead(team, lead, by):
    accounts.update_team(team, by=by, name=team.name, parent=team.parent, lead=lead)


def _requested_of(org) -> set[int]:
    return set(
        Notification.objects.unscoped()
        .filter(organization=org, kind="approval_requested")
        .values_list("recipient_id", flat=True)
    )


def test_the_lead_of_the_writers_team_is_the_one_approver(org_a, alice_m, conv, care, tara):
    lena = _member(org_a, "lena@alpha.test", Role.MANAGER, care)
    _lead(care, lena, alice_m)
    assert reply_approvers(conv, author=tara) == [lena]
    waiting = send_reply(conv, by=tara, text="Ada kak, di Braga.")
    assert waiting.status == Reply.Status.AWAITING_APPROVAL
    # the lead is told, the owner (who may approve on the channel) is not
    assert _requested_of(org_a) == {lena.user_id}
    submitted = AuditEvent.objects.for_org(org_a).get(action="inbox.reply_submitted")
    assert submitted.changes["approvers"] == [lena.pk]
    # and only the lead decides
    assert may_approve_reply(lena, waiting) and not may_approve_reply(alice_m, waiting)
    with pytest.raises(NotAllowed):
        approve_reply(waiting, by=alice_m)
    with pytest.raises(NotAllowed):
        reject_reply(waiting, by=alice_m, comment="No.")
    sent = approve_reply(waiting, by=lena)
    assert sent.status == Reply.Status.SENT and sent.decided_by == lena


def test_a_writer_in_two_teams_goes_to_either_lead(org_a, alice_m, conv, care, tara):
    promo = f.make_team(org_a, "Promo", by=alice_m)
    tara.teams.add(promo)
    lena = _member(org_a, "lena@alpha.test", Role.MANAGER, care)
    pia = _member(org_a, "pia@alpha.test", Role.ADMIN, promo)
    _lead(care, lena, alice_m)
    _lead(promo, pia, alice_m)
    assert {m.pk for m in reply_approvers(conv, author=tara)} == {lena.pk, pia.pk}


def test_without_a_lead_the_approvers_are_everyone_who_may_approve(org_a, alice_m, conv, tara):
    assert reply_approvers(conv, author=tara) == [alice_m]
    waiting = send_reply(conv, by=tara, text="Ada kak.")
    assert _requested_of(org_a) == {alice_m.user_id}
    assert may_approve_reply(alice_m, waiting)


def test_a_lead_who_may_not_approve_falls_back_to_the_usual_approvers(
    org_a, alice_m, conv, care, tara
):
    mona = _member(org_a, "mona@alpha.test", Role.MODERATOR, care)  # answers, may not approve
    _lead(care, mona, alice_m)
    assert reply_approvers(conv, author=tara) == [alice_m]
    waiting = send_reply(conv, by=tara, text="Ada kak.")
    assert _requested_of(org_a) == {alice_m.user_id}
    assert may_approve_reply(alice_m, waiting) and not may_approve_reply(mona, waiting)


def test_a_lead_who_may_not_work_the_restricted_channel_falls_back(org_a, alice_m, care, tara):
    from channels_registry import services as channels

    lena = _member(org_a, "lena@alpha.test", Role.MANAGER, care)
    _lead(care, lena, alice_m)
    channel = sandbox_channel(org_a, alice_m, account="sbx-kopi")
    channels.set_channel_access(channel, by=alice_m, access="restricted")
    channels.grant_channel_access(channel, by=alice_m, capability="moderate", membership=tara)
    conv = inbox_with_conversation(channel, text="Halo?")
    assert [m.pk for m in reply_approvers(conv, author=tara)] == [alice_m.pk]


def test_an_inactive_lead_falls_back(org_a, alice_m, conv, care, tara):
    lena = _member(org_a, "lena@alpha.test", Role.MANAGER, care)
    _lead(care, lena, alice_m)
    lena.is_active = False
    lena.save(update_fields=["is_active"])
    assert reply_approvers(conv, author=tara) == [alice_m]


def test_a_lead_who_writes_is_not_their_own_approver(org_a, alice_m, conv, care):
    lena = _member(org_a, "lena@alpha.test", Role.MANAGER, care)
    _lead(care, lena, alice_m)
    set_reply_approval(org_a, by=alice_m, team_ids=[], membership_ids=[lena.pk])
    assert reply_approvers(conv, author=lena) == [alice_m]
