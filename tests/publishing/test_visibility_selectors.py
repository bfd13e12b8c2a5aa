"""Who sees which posts: a post that only goes to a restricted channel is for its grantees."""

from __future__ import annotations

import pytest

from accounts.capabilities import Role
from channels_registry import services as channel_services
from channels_registry.models import Channel
from publishing.models import Post
from publishing.selectors import visible_posts, visible_variants
from tests import factories as f

from .scheduler_factories import make_post, sandbox_channels

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(org_a, alice_m):
    open_ch, secret = sandbox_channels(org_a, alice_m, accounts=("sbx-kitchen", "sbx-promo"))
    channel_services.set_channel_access(secret, by=alice_m, access=Channel.Access.RESTRICTED)
    public_post = make_post(org_a, alice_m.user, [open_ch])
    secret_post = make_post(org_a, alice_m.user, [secret])
    mixed_post = make_post(org_a, alice_m.user, [open_ch, secret])
    return {
        "open": open_ch,
        "secret": secret,
        "public": public_post,
        "hidden": secret_post,
        "mixed": mixed_post,
    }


def _ids(qs):
    return set(qs.values_list("pk", flat=True))


def test_a_member_without_a_grant_does_not_see_posts_that_only_go_to_a_restricted_channel(
    org_a, world
):
    pat = f.add_member(org_a, f.make_user("pat@alpha.test"), Role.PUBLISHER)
    assert _ids(visible_posts(pat)) == {world["public"].pk, world["mixed"].pk}
    assert {v.channel_id for v in visible_variants(pat)} == {world["open"].pk}


def test_a_personal_grant_on_the_channel_shows_its_posts(org_a, alice_m, world):
    pat = f.add_member(org_a, f.make_user("pat@alpha.test"), Role.PUBLISHER)
    channel_services.grant_channel_access(
        world["secret"], by=alice_m, capability="view_analytics", membership=pat
    )
    assert world["hidden"].pk in _ids(visible_posts(pat))
    assert world["secret"].pk in {v.channel_id for v in visible_variants(pat)}


def test_a_team_grant_shows_its_posts_to_the_teams_whole_subtree(org_a, alice_m, world):
    indonesia = f.make_team(org_a, "Indonesia")
    jakarta = f.make_team(org_a, "Jakarta", parent=indonesia)
    pat = f.add_member(org_a, f.make_user("pat@alpha.test"), Role.VIEWER)
    pat.teams.add(jakarta)
    channel_services.grant_channel_access(
        world["secret"], by=alice_m, capability="moderate", team=indonesia
    )
    assert world["hidden"].pk in _ids(visible_posts(pat))


def test_owners_and_admins_see_everything(org_a, alice_m, world):
    admin = f.add_member(org_a, f.make_user("adm@alpha.test"), Role.ADMIN)
    every = _ids(Post.objects.for_org(org_a))
    assert _ids(visible_posts(alice_m)) == every == _ids(visible_posts(admin))


def test_a_post_without_channels_is_for_its_author_composers_of_its_team_and_admins(
    org_a, alice_m, world
):
    hq = f.make_team(org_a, "HQ")
    region = f.make_team(org_a, "Region", parent=hq)
    other = f.make_team(org_a, "Other")
    writer = f.add_member(org_a, f.make_user("wri@alpha.test"), Role.CONTRIBUTOR)
    head = f.add_member(org_a, f.make_user("head@alpha.test"), Role.CONTRIBUTOR)
    head.teams.add(hq)
    outsider = f.add_member(org_a, f.make_user("out@alpha.test"), Role.CONTRIBUTOR)
    outsider.teams.add(other)
    viewer = f.add_member(org_a, f.make_user("viv@alpha.test"), Role.VIEWER)
    draft = make_post(org_a, writer.user, [], status=Post.Status.DRAFT, team=region)
    teamless = make_post(org_a, writer.user, [], status=Post.Status.DRAFT)
    assert {draft.pk, teamless.pk} <= _ids(visible_posts(writer))
    assert draft.pk in _ids(visible_posts(head))  # head office composes for its regions
    assert draft.pk not in _ids(visible_posts(outsider)) and teamless.pk in _ids(
        visible_posts(outsider)
    )
    assert not {draft.pk, teamless.pk} & _ids(visible_posts(viewer))
    assert {draft.pk, teamless.pk} <= _ids(visible_posts(alice_m))


def test_a_given_queryset_is_narrowed_never_widened(org_a, world):
    pat = f.add_member(org_a, f.make_user("pat@alpha.test"), Role.PUBLISHER)
    only_hidden = Post.objects.for_org(org_a).filter(
        pk__in=[world["hidden"].pk, world["public"].pk]
    )
    assert _ids(visible_posts(pat, only_hidden.filter(pk=world["hidden"].pk))) == set()
    assert _ids(visible_posts(pat, only_hidden)) == {world["public"].pk}
