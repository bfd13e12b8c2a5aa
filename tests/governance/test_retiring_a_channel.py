"""Retiring a channel: archived, its scheduled posts moved or sent back to draft, in one
transaction with audit entries; bad input refused with nothing changed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.capabilities import Role
from channels_registry.models import Channel
from governance.inventory.services import retire_channel
from publishing import services as publishing_services
from publishing.models import Post, PostVariant
from socialops.audit.models import AuditEvent
from socialops.errors import Conflict, NotAllowed, ValidationFailed
from tests.publishing.scheduler_factories import make_post, reload

from .coverage_factories import channel, person

pytestmark = pytest.mark.django_db


def _scheduled(org, by, channels, *, hours=5):
    post = make_post(org, by.user, channels)
    return publishing_services.schedule_post(
        post, by=by, at=timezone.now() + timedelta(hours=hours), timezone_name="UTC"
    )


def _variant(post, ch):
    return PostVariant.objects.for_org(post.organization_id).get(post=post, channel=ch)


def _actions(org):
    return list(AuditEvent.objects.for_org(org).order_by("seq").values_list("action", flat=True))


@pytest.fixture
def old(org_a):
    return channel(org_a, "old.kitchen", name="Old Kitchen")


@pytest.fixture
def new(org_a):
    return channel(org_a, "new.kitchen", name="New Kitchen")


def test_moving_sends_the_scheduled_posts_to_the_new_channel_at_the_same_time(
    org_a, alice_m, old, new
):
    first = _scheduled(org_a, alice_m, [old])
    second = _scheduled(org_a, alice_m, [old], hours=9)
    due = _variant(first, old).due_at
    result = retire_channel(old, by=alice_m, disposal="move", move_to=new)
    assert reload(old).status == Channel.Status.ARCHIVED
    assert sorted(result.moved) == sorted([first.pk, second.pk])
    moved = _variant(first, new)
    assert (moved.status, moved.due_at) == (PostVariant.Status.SCHEDULED, due)
    assert reload(first).status == Post.Status.SCHEDULED
    assert not PostVariant.objects.for_org(org_a).filter(channel=old).exists()
    actions = _actions(org_a)
    assert actions.count("post.channel_moved") == 2
    assert actions[-2:] == ["channel.archived", "channel.retired"]


def test_a_post_already_going_to_the_new_channel_keeps_one_variant_there(org_a, alice_m, old, new):
    both = _scheduled(org_a, alice_m, [old, new])
    result = retire_channel(old, by=alice_m, disposal="move", move_to=new)
    assert result.already_there == [both.pk]
    assert _variant(both, old).status == PostVariant.Status.CANCELLED
    assert _variant(both, new).status == PostVariant.Status.SCHEDULED
    assert reload(both).status == Post.Status.SCHEDULED


def test_unscheduling_sends_a_single_channel_post_back_to_draft(org_a, alice_m, old, new):
    alone = _scheduled(org_a, alice_m, [old])
    shared = _scheduled(org_a, alice_m, [old, new])
    result = retire_channel(old, by=alice_m, disposal="unschedule")
    assert sorted(result.unscheduled) == sorted([alone.pk, shared.pk])
    alone = reload(alone)
    assert (alone.status, alone.scheduled_at) == (Post.Status.DRAFT, None)
    assert _variant(alone, old).status == PostVariant.Status.DRAFT
    # the other channel still goes out
    assert reload(shared).status == Post.Status.SCHEDULED
    assert _variant(shared, new).status == PostVariant.Status.SCHEDULED
    assert _variant(shared, old).status == PostVariant.Status.DRAFT
    assert _actions(org_a).count("post.variant_unscheduled") == 2


def test_a_channel_with_nothing_scheduled_needs_no_choice(org_a, alice_m, old):
    retire_channel(old, by=alice_m)
    assert reload(old).status == Channel.Status.ARCHIVED
    assert _actions(org_a)[-1] == "channel.retired"


@pytest.mark.parametrize(
    "target",
    ["other_network", "archived", "needs_reauth", "other_org", "itself", None],
)
def test_bad_targets_are_refused_and_nothing_changes(org_a, org_b, alice_m, old, target):
    post = _scheduled(org_a, alice_m, [old])
    targets = {
        "other_network": lambda: channel(org_a, "x.kitchen", provider="x"),
        "archived": lambda: channel(org_a, "gone", status=Channel.Status.ARCHIVED),
        "needs_reauth": lambda: channel(org_a, "stale", status=Channel.Status.NEEDS_REAUTH),
        "other_org": lambda: channel(org_b, "bravo.kitchen"),
        "itself": lambda: old,
        None: lambda: None,
    }
    before = _actions(org_a)
    with pytest.raises(ValidationFailed) as caught:
        retire_channel(old, by=alice_m, disposal="move", move_to=targets[target]())
    assert "move_to" in caught.value.fields
    assert reload(old).status == Channel.Status.ACTIVE
    assert _variant(post, old).status == PostVariant.Status.SCHEDULED
    assert _actions(org_a) == before


def test_scheduled_posts_without_a_choice_are_refused(org_a, alice_m, old):
    _scheduled(org_a, alice_m, [old])
    with pytest.raises(ValidationFailed) as caught:
        retire_channel(old, by=alice_m)
    assert "disposal" in caught.value.fields
    assert reload(old).status == Channel.Status.ACTIVE


def test_an_archived_channel_cannot_be_retired_again(org_a, alice_m, old):
    retire_channel(old, by=alice_m)
    with pytest.raises(Conflict):
        retire_channel(reload(old), by=alice_m)


def test_a_manager_without_governance_may_not_retire(org_a, alice_m, old):
    manager = person(org_a, Role.MANAGER)
    with pytest.raises(NotAllowed):
        retire_channel(old, by=manager)
    assert reload(old).status == Channel.Status.ACTIVE


def test_a_failure_after_the_move_rolls_the_move_back(org_a, alice_m, old, new, monkeypatch):
    post = _scheduled(org_a, alice_m, [old])
    from channels_registry import services as channel_services

    def broken(channel, *, by):
        raise RuntimeError("archive failed")

    monkeypatch.setattr(channel_services, "archive_channel", broken)
    with pytest.raises(RuntimeError):
        retire_channel(old, by=alice_m, disposal="move", move_to=new)
    assert _variant(post, old).status == PostVariant.Status.SCHEDULED
    assert reload(old).status == Channel.Status.ACTIVE


def test_the_retire_page_moves_posts_and_shows_errors_on_the_form(
    alice_client, org_a, alice_m, old, new
):
    post = _scheduled(org_a, alice_m, [old])
    url = reverse("governance_retire_channel", args=[org_a.slug, old.pk])
    page = alice_client.get(url)
    assert page.status_code == 200
    assert "New Kitchen" in page.content.decode()
    refused = alice_client.post(url, {"disposal": "move"})
    assert refused.status_code == 200
    assert refused.context["form"].errors["move_to"]
    assert reload(old).status == Channel.Status.ACTIVE
    done = alice_client.post(url, {"disposal": "move", "move_to": new.pk})
    assert done.status_code == 302
    assert _variant(post, new).status == PostVariant.Status.SCHEDULED


def test_the_retire_page_refuses_a_channel_of_another_network(alice_client, org_a, alice_m, old):
    _scheduled(org_a, alice_m, [old])
    other = channel(org_a, "x.kitchen", provider="x")
    url = reverse("governance_retire_channel", args=[org_a.slug, old.pk])
    response = alice_client.post(url, {"disposal": "move", "move_to": other.pk})
    assert response.status_code == 200
    assert response.context["form"].errors["move_to"]
    assert reload(old).status == Channel.Status.ACTIVE
