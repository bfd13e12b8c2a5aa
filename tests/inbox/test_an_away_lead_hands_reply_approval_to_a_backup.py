"""A reply that needs approval goes to the writer's team lead; while that lead is away (an
out-of-office of the approvals app) it goes to the backup the lead named for the absence, or,
when that backup cannot approve here (or is away too), to the next lead up the team tree."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts import services as accounts
from accounts.capabilities import Role
from accounts.models import Notification
from approvals import services as approvals
from inbox.models import Reply
from inbox.services import may_approve_reply, reply_approvers, send_reply, set_reply_approval

from .. import factories as f
from .factories import inbox_with_conversation, sandbox_channel

pytestmark = pytest.mark.django_db


@pytest.fixture
def conv(org_a, alice_m):
    return inbox_with_conversation(sandbox_channel(org_a, alice_m), text="Ada cabang di Bandung?")


def _member(org, email, role, *teams):
    m = f.add_member(org, f.make_user(email, name=email.split("@")[0].title()), role)
    m.teams.add(*teams)
    return m


@pytest.fixture
def tree(org_a, alice_m):
    """Support (lead Sam) above Customer care (lead Lena); Tara, a trainee in Customer care."""
    support = f.make_team(org_a, "Support", by=alice_m)
    care = f.make_team(org_a, "Customer care", parent=support, by=alice_m)
    sam = _member(org_a, "sam@alpha.test", Role.MANAGER, support)
    lena = _member(org_a, "lena@alpha.test", Role.MANAGER, care)
    accounts.update_team(support, by=alice_m, name=support.name, parent=None, lead=sam)
    accounts.update_team(care, by=alice_m, name=care.name, parent=support, lead=lena)
    tara = _member(org_a, "tara@alpha.test", Role.MODERATOR, care)
    set_reply_approval(org_a, by=alice_m, team_ids=[], membership_ids=[tara.pk])
    return sam, lena, tara


def _away(member, delegate, *, starts=-1, ends=5):
    now = timezone.now()
    approvals.set_out_of_office(
        member,
        by=member,
        delegate=delegate,
        starts_at=now + timedelta(hours=starts),
        ends_at=now + timedelta(hours=ends),
    )


def _requested_of(org) -> set[int]:
    return set(
        Notification.objects.unscoped()
        .filter(organization=org, kind="approval_requested")
        .values_list("recipient_id", flat=True)
    )


def test_an_away_lead_hands_over_to_the_backup_they_named(org_a, conv, tree):
    sam, lena, tara = tree
    bea = _member(org_a, "bea@alpha.test", Role.MANAGER)
    _away(lena, bea)
    assert reply_approvers(conv, author=tara) == [bea]
    waiting = send_reply(conv, by=tara, text="Ada kak, di Braga.")
    assert waiting.status == Reply.Status.AWAITING_APPROVAL
    assert _requested_of(org_a) == {bea.user_id}
    assert may_approve_reply(bea, waiting) and not may_approve_reply(lena, waiting)


def test_a_backup_who_cannot_approve_falls_to_the_next_lead_up(org_a, conv, tree):
    sam, lena, tara = tree
    mo = _member(org_a, "mo@alpha.test", Role.MODERATOR)  # may not approve
    _away(lena, mo)
    assert reply_approvers(conv, author=tara) == [sam]


def test_a_backup_away_too_falls_to_the_next_lead_up(org_a, conv, tree):
    sam, lena, tara = tree
    bea = _member(org_a, "bea@alpha.test", Role.MANAGER)
    _away(lena, bea)
    _away(bea, lena)
    assert reply_approvers(conv, author=tara) == [sam]


def test_with_nobody_up_the_tree_the_approvers_are_as_without_a_lead(org_a, alice_m, conv, tree):
    sam, lena, tara = tree
    mo = _member(org_a, "mo@alpha.test", Role.MODERATOR)
    _away(lena, mo)
    _away(sam, mo)
    approvers = reply_approvers(conv, author=tara)
    assert lena not in approvers and sam not in approvers and alice_m in approvers


def test_a_planned_or_ended_absence_changes_nothing(org_a, conv, tree):
    sam, lena, tara = tree
    bea = _member(org_a, "bea@alpha.test", Role.MANAGER)
    _away(lena, bea, starts=2, ends=5)  # not yet
    _away(lena, bea, starts=-5, ends=-2)  # over
    assert reply_approvers(conv, author=tara) == [lena]
