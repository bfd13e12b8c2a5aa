"""The kernel's share links: a token shown once and stored as a hash, optionally expiring, revocable,
each kind's tokens its own, every create and revoke audited."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.utils import timezone

from socialops.audit.models import AuditEvent
from socialops.errors import ValidationFailed
from socialops.sharing import services
from socialops.sharing.models import ShareLink

pytestmark = pytest.mark.django_db


def _make(org, user, kind, **kw):
    return services.create_link(org, kind=kind, by=user, name=kw.pop("name", "Board"), **kw)


def test_only_a_hash_of_the_tokens_random_part_is_stored(org_a, alice, board_kind):
    link, token = _make(org_a, alice, board_kind, target_id=7, filters={"days": 30})
    secret = token.split(":")[0]
    row = ShareLink.objects.for_org(org_a).get(pk=link.pk)
    assert row.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(row.__dict__)
    assert (row.kind, row.target_id, row.filters, row.expires_at) == (
        "testboard",
        7,
        {"days": 30},
        None,
    )
    assert services.resolve(token, kind=board_kind) == link


def test_a_link_without_an_expiry_never_expires_and_one_with_it_does(org_a, alice, board_kind):
    _forever, forever = _make(org_a, alice, board_kind)
    link, token = _make(org_a, alice, board_kind, expires_at=timezone.now() + timedelta(days=1))
    assert services.resolve(token, kind=board_kind) == link
    ShareLink.objects.for_org(org_a).filter(pk=link.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    with pytest.raises(services.ShareLinkGone) as gone:
        services.resolve(token, kind=board_kind)
    assert gone.value.reason == "expired" and gone.value.link.pk == link.pk
    assert services.resolve(forever, kind=board_kind) is not None


def test_a_revoked_link_is_gone_and_says_who_revoked_it(org_a, alice, board_kind):
    link, token = _make(org_a, alice, board_kind)
    services.revoke_link(link, by=alice)
    services.revoke_link(link, by=alice)  # twice: nothing more happens
    with pytest.raises(services.ShareLinkGone) as gone:
        services.resolve(token, kind=board_kind)
    assert gone.value.reason == "revoked"
    row = ShareLink.objects.for_org(org_a).get(pk=link.pk)
    assert row.revoked_at is not None and row.revoked_by == alice and row.state == "revoked"
    actions = list(
        AuditEvent.objects.for_org(org_a)
        .filter(action__startswith="testboard_share.")
        .values_list("action", "actor", "object_id")
    )
    assert actions == [
        ("testboard_share.created", alice.pk, str(link.pk)),
        ("testboard_share.revoked", alice.pk, str(link.pk)),
    ]


def test_unknown_tampered_and_other_kinds_tokens_resolve_to_nothing(org_a, alice, board_kind):
    _l, token = _make(org_a, alice, board_kind)
    secret, signature = token.split(":")
    for bad in (
        "",
        "nonsense",
        secret,
        f"{secret[:-1]}{'A' if secret[-1] != 'A' else 'B'}:{signature}",
    ):
        assert services.resolve(bad, kind=board_kind) is None, bad
    # Another kind's token does not open the calendar (another salt, another kind).
    assert services.resolve(token, kind="calendar") is None


def test_last_used_is_written_at_most_every_five_minutes(
    org_a, alice, board_kind, django_assert_num_queries
):
    link, token = _make(org_a, alice, board_kind)
    with django_assert_num_queries(2):  # the lookup and the one UPDATE
        services.resolve(token, kind=board_kind)
    with django_assert_num_queries(1):  # the lookup only
        services.resolve(token, kind=board_kind)
    first = ShareLink.objects.for_org(org_a).get(pk=link.pk).last_used_at
    assert first is not None
    ShareLink.objects.for_org(org_a).filter(pk=link.pk).update(
        last_used_at=timezone.now() - timedelta(minutes=6)
    )
    services.resolve(token, kind=board_kind)
    assert ShareLink.objects.for_org(org_a).get(pk=link.pk).last_used_at > first


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "Board\nX-Injected: 1"}, "name"),
        ({"name": "x" * 121}, "name"),
        ({"expires_at": "past"}, "expires_at"),
    ],
)
def test_a_bad_name_or_a_past_expiry_is_refused_with_nothing_stored(
    org_a, alice, board_kind, kw, field
):
    if kw.get("expires_at") == "past":
        kw["expires_at"] = timezone.now() - timedelta(minutes=1)
    with pytest.raises(ValidationFailed) as refused:
        _make(org_a, alice, board_kind, **kw)
    assert field in refused.value.fields
    assert not ShareLink.objects.for_org(org_a).exists()
