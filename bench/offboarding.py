"""Offboarding figures (issue 15: 1): a person with grants on 300 channels, 500 open inbox
conversations and 50 pending approvals; the preview (median of a few) and the run end to end, then
whether their token and session are refused by the next request.

Sizes: ``BENCH_OFFBOARDING_GRANTS`` (300), ``BENCH_OFFBOARDING_CONVERSATIONS`` (500),
``BENCH_OFFBOARDING_APPROVALS`` (50); ``BENCH_OFFBOARDING_TINY=1`` makes them 6, 10 and 3 (a smoke run).
"""

from __future__ import annotations

import os
import statistics
import time
from datetime import UTC, datetime, timedelta

Row = tuple[str, str, str, str]


def _sizes() -> tuple[int, int, int]:
    if os.environ.get("BENCH_OFFBOARDING_TINY"):
        return 6, 10, 3
    return (
        int(os.environ.get("BENCH_OFFBOARDING_GRANTS", "300")),
        int(os.environ.get("BENCH_OFFBOARDING_CONVERSATIONS", "500")),
        int(os.environ.get("BENCH_OFFBOARDING_APPROVALS", "50")),
    )


def _world(n_grants: int, n_conversations: int, n_approvals: int):
    from accounts import services
    from accounts.capabilities import Role
    from accounts.models import Membership, User
    from approvals.models import ApprovalAssignment, ApprovalRequest
    from channels_registry.models import Channel, ChannelGrant
    from inbox.models import Conversation
    from publishing.models import Post

    owner = User.objects.create_user("bench-offboard-owner@example.test", "bench-password-123")
    org = services.create_organization(name="Bench Offboarding", slug="bench-offboard", owner=owner)
    owner_m = Membership.objects.for_org(org).get(user=owner)
    leaver_user = User.objects.create_user("bench-leaver@example.test", "bench-password-123")
    leaver = Membership.objects.create(organization=org, user=leaver_user, role=Role.MANAGER)
    channels = Channel.objects.bulk_create(
        Channel(
            organization=org,
            provider="facebook",
            external_id=f"bench-offboard-{i}",
            handle=f"page{i}",
        )
        for i in range(max(n_grants, 1))
    )
    ChannelGrant.objects.bulk_create(
        ChannelGrant(organization=org, channel=c, membership=leaver, capability="manage_channels")
        for c in channels[:n_grants]
    )
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    Conversation.objects.bulk_create(
        Conversation(
            organization=org,
            channel=channels[i % len(channels)],
            kind="comment_thread",
            external_thread_id=f"t{i}",
            status="open",
            assignee=leaver,
            last_item_at=t0 + timedelta(minutes=i),
        )
        for i in range(n_conversations)
    )
    author = User.objects.create_user("bench-author@example.test", "bench-password-123")
    Membership.objects.create(organization=org, user=author, role=Role.CONTRIBUTOR)
    posts = Post.objects.bulk_create(
        Post(organization=org, text=f"Waiting {i}", author=author, status="in_review")
        for i in range(n_approvals)
    )
    snapshot = {
        "stages": [
            {
                "name": "Brand",
                "rule": "any",
                "quorum": 1,
                "sla_hours": 24,
                "backup_membership_id": owner_m.pk,
                "approvers": [{"kind": "person", "membership_id": leaver.pk}],
            }
        ]
    }
    requests = ApprovalRequest.objects.bulk_create(
        ApprovalRequest(
            organization=org, post=p, snapshot=snapshot, post_version=1, submitted_by=author
        )
        for p in posts
    )
    ApprovalAssignment.objects.bulk_create(
        ApprovalAssignment(organization=org, request=r, stage_index=0, round=1, membership=leaver)
        for r in requests
    )
    issued = services.create_api_token(leaver, name="bench")
    return org, owner_m, leaver, issued.raw


def run() -> list[Row]:
    from django.contrib.sessions.backends.db import SessionStore
    from django.test import Client
    from django.urls import get_resolver

    from accounts.services import authenticate_token
    from governance.offboarding import selectors, services

    get_resolver().url_patterns  # noqa: B018 - load the URLconf once, as a running server has
    n_grants, n_conversations, n_approvals = _sizes()
    org, owner_m, leaver, raw_token = _world(n_grants, n_conversations, n_approvals)
    client = Client()
    client.force_login(leaver.user)  # a signed-in device (indexed at sign-in)
    session_key = client.session.session_key

    previews = []
    for _ in range(5):
        started = time.perf_counter()
        plan = selectors.plan_offboarding(leaver, by=owner_m)
        previews.append((time.perf_counter() - started) * 1000)
    assert plan.is_valid, plan.errors

    started = time.perf_counter()
    report = services.offboard_member(leaver, by=owner_m)
    run_ms = (time.perf_counter() - started) * 1000
    token_refused = authenticate_token(raw_token) is None
    session_gone = not SessionStore().exists(session_key)
    signed_out = client.get(f"/o/{org.slug}/").status_code == 302
    size = f"{n_grants} grants, {n_conversations} conv., {n_approvals} appr."
    return [
        (
            f"offboarding: preview ({size}), median",
            f"{statistics.median(previews):.0f}",
            "ms",
            "≤ 500",
        ),
        (f"offboarding: run end to end ({size})", f"{run_ms:.0f}", "ms", "≤ 2000"),
        ("offboarding: items in the report", str(len(report.items)), "items", "all"),
        (
            "offboarding: token and session refused next request",
            "yes" if token_refused and session_gone and signed_out else "NO",
            "",
            "yes",
        ),
    ]
