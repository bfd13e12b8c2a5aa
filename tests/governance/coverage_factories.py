"""Rows for the governance tests: people with roles and teams, channels, grants."""

from __future__ import annotations

import itertools

from accounts import services as account_services
from channels_registry import services as channel_services
from channels_registry.models import Channel
from tests import factories as f

_seq = itertools.count(1)


def person(org, role, *, teams=(), name=""):
    n = next(_seq)
    m = f.add_member(org, f.make_user(f"gov{n}@alpha.test", name=name or f"Person {n}"), role)
    if teams:
        m.teams.set(teams)
    return m


def channel(org, handle, *, provider="sandbox", name="", team=None, **fields):
    return Channel.objects.create(
        organization=org,
        provider=provider,
        external_id=f"ext-{handle}",
        handle=handle,
        name=name or handle.title(),
        team=team,
        **fields,
    )


def grant(channel, by, capability, *, membership=None, team=None):
    return channel_services.grant_channel_access(
        channel, by=by, capability=capability, membership=membership, team=team
    )


def deactivate(m, by):
    return account_services.deactivate_member(m, by=by)
