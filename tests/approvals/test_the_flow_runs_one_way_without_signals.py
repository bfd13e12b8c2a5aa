"""Approvals sits above publishing: it calls publishing's services, publishing asks it only through the
extension points publishing owns (the schedule gate, the new-version handler). The signals only
announce; every business rule holds with nobody listening to them."""

from __future__ import annotations

import pytest

from approvals import services
from approvals.models import ApprovalRequest
from publishing import hooks
from publishing.models import Post
from publishing.posts import services as authoring
from publishing.scheduler import services as scheduling
from socialops.errors import Conflict

from .conftest import make_workflow, person, reload, soon, stage, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def signals_unheard(monkeypatch):
    """publishing's announcements reach nobody (as if no app listened)."""
    sent = []
    for name in ("post_scheduled", "post_content_changed"):
        signal = getattr(hooks, name)
        monkeypatch.setattr(
            signal, "send", lambda sender, _name=name, **kw: sent.append(_name) or []
        )
    return sent


@pytest.fixture
def gate_calls(monkeypatch):
    """Every time publishing asks approvals' schedule gate (it looks up the post's approval first)."""
    from approvals.services import decisions

    calls = []
    original = decisions._current_approval

    def counting(post):
        calls.append(post.pk)
        return original(post)

    monkeypatch.setattr(decisions, "_current_approval", counting)
    return calls


def _reapproving_workflow(org, people):
    return make_workflow(
        org, people.owner, stage("Brand", person(people.amy)), reapprove_on_reschedule=True
    )


def test_approvals_listens_to_no_publishing_signal():
    for signal in (hooks.post_scheduled, hooks.post_content_changed):
        assert not [r for r in signal.receivers if "approvals" in repr(r)]


def test_the_last_approval_schedules_without_asking_approvals_gate_again(
    org_a, people, draft, signals_unheard, gate_calls
):
    _reapproving_workflow(org_a, people)
    at = soon(5)
    request = submit(draft, people.author, requested_at=at, requested_timezone="UTC")
    services.decide(request, by=people.amy, decision="approve")
    assert reload(draft).status == Post.Status.SCHEDULED and reload(draft).scheduled_at == at
    assert gate_calls == []  # approvals cleared its own gate: it has just approved this version
    assert reload(request).approved_schedule_at == at  # recorded by the decision itself
    assert "post_scheduled" in signals_unheard  # still announced, to whoever listens


def test_moving_an_approved_time_is_refused_by_the_gate_with_nobody_listening(
    org_a, people, draft, signals_unheard, gate_calls
):
    _reapproving_workflow(org_a, people)
    request = submit(draft, people.author, requested_at=soon(5), requested_timezone="UTC")
    services.decide(request, by=people.amy, decision="approve")
    with pytest.raises(Conflict, match="new approval") as refused:
        scheduling.schedule_post(
            reload(draft), by=people.owner, at=soon(9), timezone_name="UTC", source="calendar"
        )
    assert refused.value.code == "reapproval_required"
    assert gate_calls == [draft.pk]
    assert reload(draft).scheduled_at == reload(request).requested_at
    # the same time again is no move
    scheduling.schedule_post(
        reload(draft), by=people.owner, at=reload(request).requested_at, timezone_name="UTC"
    )


def test_the_first_schedule_by_hand_fixes_the_approved_time(org_a, people, draft, signals_unheard):
    _reapproving_workflow(org_a, people)
    request = submit(draft, people.author)
    services.decide(request, by=people.amy, decision="approve")
    first = soon(6)
    scheduling.schedule_post(
        reload(draft), by=people.owner, at=first, timezone_name="UTC", source="web"
    )
    assert reload(request).approved_schedule_at == first
    with pytest.raises(Conflict, match="new approval"):
        scheduling.publish_now(reload(draft), by=people.owner, source="api")
    assert reload(draft).scheduled_at == first


def test_a_refused_schedule_leaves_no_approved_time_behind(org_a, people, draft, channel):
    _reapproving_workflow(org_a, people)
    request = submit(draft, people.author)
    services.decide(request, by=people.amy, decision="approve")
    channel.status = channel.Status.NEEDS_REAUTH
    channel.save(update_fields=["status"])
    with pytest.raises(Exception, match="reconnected"):
        scheduling.schedule_post(reload(draft), by=people.owner, at=soon(6), timezone_name="UTC")
    assert reload(request).approved_schedule_at is None


def test_an_edit_starts_a_new_round_with_nobody_listening(
    org_a, people, workflow, draft, signals_unheard
):
    request = submit(draft, people.author)
    services.decide(request, by=people.amy, decision="approve")
    authoring.update_post(reload(draft), by=people.author, text="A new text after the approval")
    request = reload(request)
    assert request.status == ApprovalRequest.Status.PENDING and request.round == 2
    assert reload(draft).status == Post.Status.IN_REVIEW
    assert "post_content_changed" in signals_unheard


def test_a_cleared_gate_is_skipped_and_the_others_are_still_asked(people, draft):
    asked = []

    def first(post, by):
        asked.append("first")
        raise Conflict("first refuses")

    def second(post, by):
        asked.append(("second", post.scheduled_at))

    hooks.register_schedule_gate(first)
    hooks.register_schedule_gate(second)
    try:
        at = soon(4)
        post = scheduling.schedule_post(
            draft, by=people.owner, at=at, timezone_name="UTC", cleared_gates=[first]
        )
    finally:
        hooks._schedule_gates.remove(first)
        hooks._schedule_gates.remove(second)
    assert post.status == Post.Status.SCHEDULED
    assert asked == [("second", at)]  # the gate sees the time the post is about to get
