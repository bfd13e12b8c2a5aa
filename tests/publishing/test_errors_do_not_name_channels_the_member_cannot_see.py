"""A refusal about a post that also goes to a restricted channel never names that channel to a member
without a grant: scheduling, submitting for approval, an edit that breaks it, a move onto a freeze."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.capabilities import Role
from channels_registry import services as channel_services
from channels_registry.models import Channel
from publishing.models import Post
from publishing.posts import services as authoring
from publishing.scheduler import services as scheduling
from tests import factories as f
from tests.conftest import api_client_for

from .scheduler_factories import make_post, sandbox_channels

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(org_a, alice_m):
    open_ch, rosa = sandbox_channels(org_a, alice_m, accounts=("sbx-kitchen", "sbx-promo"))
    channel_services.set_channel_access(rosa, by=alice_m, access=Channel.Access.RESTRICTED)
    rosa.handle = "rosa.hidden.handle"
    rosa.save(update_fields=["handle"])
    pat = f.add_member(org_a, f.make_user("pat@alpha.test"), Role.MANAGER)
    return {"open": open_ch, "rosa": rosa, "pat": pat}


def _said(response) -> str:
    return response.content.decode()


def test_scheduling_a_mixed_post_is_refused_without_naming_the_hidden_channel(
    world, org_a, alice_m
):
    post = make_post(org_a, alice_m.user, [world["open"], world["rosa"]], status=Post.Status.DRAFT)
    api = api_client_for(world["pat"])
    at = (timezone.now() + timedelta(days=1)).isoformat()
    answer = api.post(
        f"/api/v1/posts/{post.pk}/schedule/", {"at": at, "timezone": "UTC"}, format="json"
    )
    assert answer.status_code == 400
    assert "a channel you cannot see" in _said(answer) and "rosa.hidden.handle" not in _said(answer)
    assert str(world["rosa"].pk) not in str(answer.json()["error"].get("fields", {}))


def test_a_broken_hidden_variant_is_reported_without_its_name(world, org_a, alice_m):
    post = authoring.create_post(
        org_a, by=alice_m, text="Hi", channels=[world["open"], world["rosa"]]
    )
    channel_services.mark_needs_reauth(world["rosa"], reason="token expired")
    with pytest.raises(authoring.ValidationFailed) as refused:
        authoring.ensure_publishable(post, by=world["pat"])
    said = refused.value.message + str(refused.value.fields)
    assert "rosa.hidden.handle" not in said and f"channel_{world['rosa'].pk}" not in said
    assert "cannot see" in said
    with pytest.raises(authoring.ValidationFailed) as owner_sees:
        authoring.ensure_publishable(post, by=alice_m)
    assert "rosa.hidden.handle" in owner_sees.value.message


def test_moving_a_post_onto_a_freeze_of_a_hidden_channel_does_not_name_it(world, org_a, alice_m):
    post = make_post(org_a, alice_m.user, [world["open"], world["rosa"]], status=Post.Status.DRAFT)
    scheduling.create_freeze(
        org_a, by=alice_m, scope="channel", channel=world["rosa"], reason="embargo"
    )
    api = api_client_for(world["pat"])
    at = (timezone.now() + timedelta(days=2)).replace(microsecond=0).isoformat()
    answer = api.post(f"/api/v1/posts/{post.pk}/move/", {"at": at}, format="json")
    assert answer.status_code == 409, _said(answer)
    assert "a channel you cannot see" in _said(answer) and "rosa.hidden.handle" not in _said(answer)
