"""Small factories for the scheduler's tests: posts and variants made as rows (authoring has its own).

``run_worker`` plays the worker: it runs ``perform_attempt`` for claimed pairs, as the Celery
task would, without a broker.
"""

from __future__ import annotations

from datetime import timedelta

from django.test import override_settings
from django.utils import timezone

from channels_registry.models import SandboxPost
from publishing.models import Post, PostVariant
from publishing.scheduler.dispatch import claim_due, recover_lapsed_leases
from publishing.scheduler.services import perform_attempt

from ..channels.factories import connect_sandbox


def make_post(
    org, author, channels, *, text="Hello from the scheduler", status=Post.Status.APPROVED, **fields
):
    post = Post.objects.create(organization=org, author=author, text=text, status=status, **fields)
    for ch in channels:
        PostVariant.objects.create(organization=org, post=post, channel=ch)
    return post


def sandbox_channels(org, by, accounts=("sbx-kitchen",), **kw):
    return connect_sandbox(org, by, list(accounts), **kw)


def variants_of(post):
    return list(PostVariant.objects.for_org(post.organization_id).filter(post=post).order_by("pk"))


def reload(obj):
    return type(obj).objects.for_org(obj.organization_id).get(pk=obj.pk)


def network_posts(channel):
    return list(SandboxPost.objects.for_org(channel.organization_id).filter(channel=channel))


def later(seconds=0):
    return timezone.now() + timedelta(seconds=seconds)


#: the tests move the clock by hand: no claiming ahead of time (test_scheduler_claims_ahead covers it)
def no_lookahead():
    return override_settings(PUBLISHING_DISPATCH_LOOKAHEAD_SECONDS=0)


def run_worker(pairs):
    with no_lookahead():
        return [perform_attempt(claim.attempt_id) for claim in pairs]


def tick(now=None):
    """One dispatcher tick and the worker runs for what it claimed; returns the results."""
    now = now or timezone.now()
    with no_lookahead():
        recover_lapsed_leases(now=now)
        return run_worker(claim_due(now=now))
