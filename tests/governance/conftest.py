"""Offboarding fixtures: Lena is leaving organization A. She holds channel grants, a team, an approval
stage seat and a backup, a decision waiting on her, an inbox conversation, a draft and a scheduled
post, a calendar share link, an API token and a signed-in session."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts import services as accounts_services
from accounts.capabilities import Role
from approvals import services as approvals_services
from channels_registry import services as channels_services
from inbox import services as inbox_services
from publishing.calendar import services as calendar_services
from publishing.posts import services as authoring
from publishing.scheduler import services as scheduling

from .. import factories as f
from ..channels.factories import bulk_channels, connect_sandbox
from ..inbox.factories import inbox_with_conversation


@pytest.fixture(autouse=True)
def _commit_callbacks_run_at_once(monkeypatch):
    """E-mails and webhooks leave on commit; the test transaction never commits."""
    from django.db import transaction

    monkeypatch.setattr(transaction, "on_commit", lambda func, using=None, robust=False: func())


class Office:
    """Organization A's people and the things Lena holds."""

    def __init__(self, org, owner_m):
        self.org = org
        self.owner = owner_m
        self.lena = f.add_member(
            org, f.make_user("lena@alpha.test", name="Lena Leaving"), Role.MANAGER
        )
        self.max = f.add_member(
            org, f.make_user("max@alpha.test", name="Max Manager"), Role.MANAGER
        )
        self.bea = f.add_member(org, f.make_user("bea@alpha.test", name="Bea Backup"), Role.ADMIN)
        self.carl = f.add_member(
            org, f.make_user("carl@alpha.test", name="Carl Contributor"), Role.CONTRIBUTOR
        )
        self.vic = f.add_member(org, f.make_user("vic@alpha.test", name="Vic Viewer"), Role.VIEWER)
        self.channels = connect_sandbox(org, owner_m, ["sbx-kitchen", "sbx-kopi", "sbx-promo"])
        for channel in self.channels:
            channels_services.grant_channel_access(
                channel, by=owner_m, capability="manage_channels", membership=self.lena
            )
        # A Facebook Page she administered: her role on Facebook itself is a follow-up task.
        (self.page,) = bulk_channels(
            org, 1, provider="facebook", handle="alpha.page", url="https://facebook.com/alpha"
        )
        channels_services.grant_channel_access(
            self.page, by=owner_m, capability="manage_channels", membership=self.lena
        )
        self.team = f.make_team(org, "Jakarta", by=owner_m)
        accounts_services.set_member_teams(self.lena, by=owner_m, teams=[self.team])
        # Her posts, scheduled before any workflow asks for approval.
        self.draft = authoring.create_post(
            org, by=self.lena, text="Weekend menu draft", channels=[self.channels[1]]
        )
        self.scheduled = authoring.create_post(
            org, by=self.lena, text="Opening hours", channels=[self.channels[2]]
        )
        scheduling.schedule_post(
            self.scheduled, by=self.lena, at=timezone.now() + timedelta(days=2), timezone_name="UTC"
        )
        # A workflow where Lena approves stage one and backs up stage two.
        self.workflow = approvals_services.create_workflow(
            org,
            by=owner_m,
            name="Brand review",
            stages=[
                approvals_services.StageSpec(
                    name="Brand",
                    rule="any",
                    quorum=1,
                    sla_hours=24,
                    backup_approver=self.bea,
                    approvers=[approvals_services.ApproverSpec("person", membership=self.lena)],
                ),
                approvals_services.StageSpec(
                    name="Legal",
                    rule="any",
                    quorum=1,
                    sla_hours=24,
                    backup_approver=self.lena,
                    approvers=[approvals_services.ApproverSpec("person", membership=self.max)],
                ),
            ],
        )
        self.submitted = authoring.create_post(
            org, by=self.carl, text="Fresh bread at seven", channels=[self.channels[0]]
        )
        self.request = approvals_services.submit_for_approval(self.submitted, by=self.carl)
        self.conversation = inbox_with_conversation(self.channels[0], text="Ada promo?")
        inbox_services.assign_conversation(self.conversation, by=owner_m, assignee=self.lena)
        self.link, _token = calendar_services.create_share_link(
            org, by=self.lena, name="Agency view", filters={}
        )
        self.token = accounts_services.create_api_token(self.lena, name="Zapier")


@pytest.fixture
def office(org_a, alice_m):
    return Office(org_a, alice_m)


def reload(obj):
    return type(obj).objects.for_org(obj.organization_id).get(pk=obj.pk)


from .access_review_factories import review_office  # noqa: E402,F401
