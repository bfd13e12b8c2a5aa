"""Review campaigns: starting one (items, reviewers, notifications, audit), refusals that create
nothing, a reviewer who sees only their items, keep and remove (which revokes the grant at once,
audited), closing (the evidence kept, CSV) and reminders (once a day)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse

from accounts import services as accounts_services
from accounts.capabilities import Role
from accounts.models import Notification
from channels_registry.models import ChannelGrant
from governance.access_review import services, tasks
from governance.access_review.models import ReviewCampaign, ReviewItem
from governance.access_review.selectors import today_in
from socialops.audit.models import AuditEvent
from socialops.errors import Conflict, ValidationFailed
from tests import factories as f

from .coverage_factories import person

pytestmark = pytest.mark.django_db


def _items(campaign):
    return {
        (i.membership_id, i.channel_id): i
        for i in ReviewItem.objects.for_org(campaign.organization_id).filter(campaign=campaign)
    }


def _start(o, **kw):
    return services.start_review(o.org, by=o.owner, due_on=kw.pop("due_on", o.due), **kw)


def test_a_campaign_has_one_item_per_person_and_channel_with_the_team_lead_as_reviewer(
    review_office, org_a
):
    o = review_office
    campaign = _start(o, name="Q4")
    items = _items(campaign)
    # Ana's two grants on Kopi are one item; her channel admin on Promo another; Budi on X; and
    # Budi on Promo through the Bali team's grant (tests/governance/test_access_review_team_grants.py).
    assert set(items) == {
        (o.ana.pk, o.kopi.pk),
        (o.ana.pk, o.promo.pk),
        (o.budi.pk, o.x.pk),
        (o.budi.pk, o.promo.pk),
    }
    assert items[(o.ana.pk, o.kopi.pk)].capabilities == ["publish", "moderate"]
    assert items[(o.ana.pk, o.kopi.pk)].reviewer_id == o.lead.pk  # Jakarta's lead
    assert items[(o.budi.pk, o.x.pk)].reviewer_id == o.owner.pk  # Bali has no lead: the starter
    told = Notification.objects.for_org(org_a).filter(kind="access_review")
    assert {n.recipient_id for n in told} == {o.lead.user_id, o.owner.user_id}
    started = AuditEvent.objects.for_org(org_a).get(action="access_review.started")
    assert started.changes["items"] == 4


def test_a_lead_never_reviews_their_own_access_and_a_parent_teams_lead_steps_in(
    review_office, org_a
):
    o = review_office
    chief = person(org_a, Role.ADMIN, teams=[o.hq], name="Chief")
    accounts_services.update_team(o.hq, by=o.owner, name="Head office", parent=None, lead=chief)
    ChannelGrant.objects.create(
        organization=org_a, channel=o.kopi, membership=o.lead, capability="publish"
    )
    items = _items(_start(o, team=o.hq))
    assert items[(o.lead.pk, o.kopi.pk)].reviewer_id == chief.pk  # Jakarta's parent's lead
    assert items[(o.ana.pk, o.kopi.pk)].reviewer_id == o.lead.pk
    assert (o.budi.pk, o.x.pk) not in items  # Bali is outside Head office's subtree


def test_the_scope_narrows_by_network(review_office):
    o = review_office
    items = _items(_start(o, networks=["x"]))
    assert set(items) == {(o.budi.pk, o.x.pk)}


def test_a_campaign_with_nothing_to_review_is_refused_and_nothing_is_created(review_office, org_a):
    o = review_office
    empty = f.make_team(org_a, "Empty", by=o.owner)
    with pytest.raises(ValidationFailed) as caught:
        _start(o, team=empty)
    assert caught.value.code == "no_reviewers"
    assert "Nothing to review" in caught.value.message
    with pytest.raises(ValidationFailed):
        _start(o, networks=["linkedin"])
    assert not ReviewCampaign.objects.for_org(org_a).exists()
    assert not Notification.objects.for_org(org_a).filter(kind="access_review").exists()


def test_access_nobody_else_can_review_refuses_the_campaign(org_a, alice_m):
    from .coverage_factories import channel

    kopi = channel(org_a, "kopi")
    ChannelGrant.objects.create(
        organization=org_a, channel=kopi, membership=alice_m, capability="publish"
    )
    # Alice is the only owner, in no team: she may not review her own access
    with pytest.raises(ValidationFailed) as caught:
        services.start_review(org_a, by=alice_m, due_on=today_in(org_a) + timedelta(days=3))
    assert caught.value.code == "no_reviewers" and "Alice Alpha" in caught.value.message
    assert not ReviewCampaign.objects.for_org(org_a).exists()


def test_a_due_date_in_the_past_is_refused(review_office, org_a):
    o = review_office
    with pytest.raises(ValidationFailed) as caught:
        _start(o, due_on=today_in(org_a) - timedelta(days=1))
    assert "due_on" in caught.value.fields


def test_the_start_page_refuses_with_the_reason_and_starts_a_campaign(
    alice_client, review_office, org_a
):
    o = review_office
    url = reverse("access_reviews", args=[org_a.slug])
    empty = f.make_team(org_a, "Empty", by=o.owner)
    response = alice_client.post(url, {"team": empty.pk, "due_on": o.due.isoformat()})
    assert response.status_code == 400
    assert "Nothing to review" in response.content.decode()
    response = alice_client.post(url, {"name": "Q4", "due_on": o.due.isoformat()})
    campaign = ReviewCampaign.objects.for_org(org_a).get()
    assert response.status_code == 302
    assert response["Location"] == reverse("access_review_detail", args=[org_a.slug, campaign.pk])
    page = alice_client.get(response["Location"]).content.decode()
    assert "Lia Lead" in page and "Ana Agent" in page


def test_a_reviewer_sees_only_their_own_items(client, review_office, org_a):
    o = review_office
    campaign = _start(o)
    client.force_login(o.lead.user)
    page = client.get(reverse("access_review_mine", args=[org_a.slug, campaign.pk]))
    text = page.content.decode()
    assert page.status_code == 200
    assert "Ana Agent" in text and "Kopi Pagi" in text and "Budi Bali" not in text
    # the campaign's full page and its evidence are governance's
    assert (
        client.get(reverse("access_review_detail", args=[org_a.slug, campaign.pk])).status_code
        == 403
    )
    assert (
        client.get(reverse("access_review_export", args=[org_a.slug, campaign.pk])).status_code
        == 403
    )
    # someone with nothing to review in it: a 404, as for a campaign that does not exist
    client.force_login(o.budi.user)
    assert (
        client.get(reverse("access_review_mine", args=[org_a.slug, campaign.pk])).status_code == 404
    )


def test_removing_revokes_the_grant_at_once_and_keeping_leaves_it(client, review_office, org_a):
    o = review_office
    campaign = _start(o)
    items = _items(campaign)
    kopi, promo = items[(o.ana.pk, o.kopi.pk)], items[(o.ana.pk, o.promo.pk)]
    client.force_login(o.lead.user)
    url = reverse("access_review_mine", args=[org_a.slug, campaign.pk])
    response = client.post(url, {"items": [kopi.pk], "decision": "remove", "note": "Moved on"})
    assert response.status_code == 302
    assert not ChannelGrant.objects.for_org(org_a).filter(membership=o.ana, channel=o.kopi).exists()
    kopi.refresh_from_db()
    assert kopi.decision == "remove" and kopi.revoked == ["publish", "moderate"]
    assert kopi.decided_by_id == o.lead.user_id and kopi.note == "Moved on"
    revoked = AuditEvent.objects.for_org(org_a).filter(action="channel.access_revoked")
    assert {e.changes["capability"] for e in revoked} == {"publish", "moderate"}
    assert all(e.changes["access_review"] == campaign.pk for e in revoked)
    assert all(e.actor_id == o.lead.user_id for e in revoked)

    client.post(url, {"items": [promo.pk], "decision": "keep"})
    promo.refresh_from_db()
    assert promo.decision == "keep"
    assert ChannelGrant.objects.for_org(org_a).filter(membership=o.ana, channel=o.promo).exists()
    decided = AuditEvent.objects.for_org(org_a).filter(action="access_review.item_decided")
    assert [e.changes["decision"] for e in decided.order_by("seq")] == ["remove", "keep"]

    # a removed access cannot be "kept" again (its grants are gone): a clear refusal
    response = client.post(url, {"items": [kopi.pk], "decision": "keep"})
    assert response.status_code == 400 and "already removed" in response.content.decode()


def test_a_reviewer_cannot_decide_someone_elses_items(review_office):
    o = review_office
    campaign = _start(o)
    budi_item = _items(campaign)[(o.budi.pk, o.x.pk)]
    with pytest.raises(ValidationFailed) as caught:
        services.decide_items(campaign, by=o.lead, item_ids=[budi_item.pk], decision="remove")
    assert str(budi_item.pk) in caught.value.message
    assert ChannelGrant.objects.for_org(o.org).filter(membership=o.budi).exists()
    with pytest.raises(ValidationFailed):
        services.decide_items(campaign, by=o.lead, item_ids=[budi_item.pk], decision="bin")
    with pytest.raises(ValidationFailed):
        services.decide_items(campaign, by=o.lead, item_ids=[], decision="keep")


def test_closing_keeps_the_result_and_the_csv_is_the_evidence(alice_client, review_office, org_a):
    o = review_office
    campaign = _start(o)
    items = _items(campaign)
    services.decide_items(
        campaign, by=o.lead, item_ids=[items[(o.ana.pk, o.kopi.pk)].pk], decision="remove"
    )
    services.decide_items(
        campaign,
        by=o.owner,
        item_ids=[items[(o.budi.pk, o.x.pk)].pk],
        decision="keep",
        note="=cmd|' /C calc'!A0",
    )
    close = reverse("access_review_close", args=[org_a.slug, campaign.pk])
    assert alice_client.post(close).status_code == 302
    campaign.refresh_from_db()
    assert campaign.status == "closed"
    assert campaign.result["counts"] == {"pending": 2, "keep": 1, "remove": 1, "total": 4}
    assert AuditEvent.objects.for_org(org_a).filter(action="access_review.closed").exists()

    # after closing, nothing changes: not a decision, not the stored result
    with pytest.raises(Conflict):
        services.decide_items(
            campaign, by=o.lead, item_ids=[items[(o.ana.pk, o.promo.pk)].pk], decision="remove"
        )
    with pytest.raises(Conflict):
        services.close_review(campaign, by=o.owner)
    o.ana.user.full_name = "Ana Renamed"
    o.ana.user.save()

    response = alice_client.get(reverse("access_review_export", args=[org_a.slug, campaign.pk]))
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == 4
    by_person = {(r["person"], r["channel"]): r for r in rows}
    removed = by_person[("Ana Agent <ana@alpha.test>", "Kopi Pagi")]
    assert removed["decision"] == "remove" and removed["revoked"] == "publish moderate"
    assert removed["decided_by"] == "Lia Lead <lead@alpha.test>" and removed["status"] == "closed"
    kept = by_person[("Budi Bali <budi@alpha.test>", "Teh Manis")]
    assert kept["note"] == "'=cmd|' /C calc'!A0"
    assert by_person[("Ana Agent <ana@alpha.test>", "Promo Harian")]["decision"] == "pending"


def test_reminders_start_near_the_due_date_and_reach_each_reviewer_once_a_day(
    review_office, org_a, monkeypatch
):
    o = review_office
    today = today_in(org_a)
    campaign = _start(o, due_on=today + timedelta(days=10))
    assert services.remind_reviewers(campaign, today=today) == 0  # too early

    def reminders():
        return Notification.objects.for_org(org_a).filter(
            kind="access_review", template="access_review_reminder"
        )

    near = today + timedelta(days=8)
    assert services.remind_reviewers(campaign, today=near) == 2
    assert services.remind_reviewers(campaign, today=near) == 0  # the same day: nobody twice
    assert reminders().count() == 2
    # Lia decides all of hers: the next day only the owner is reminded
    mine = [i.pk for i in _items(campaign).values() if i.reviewer_id == o.lead.pk]
    services.decide_items(campaign, by=o.lead, item_ids=mine, decision="keep")
    assert services.remind_reviewers(campaign, today=near + timedelta(days=1)) == 1
    assert reminders().filter(recipient=o.owner.user).count() == 2
    services.close_review(campaign, by=o.owner)
    assert services.remind_reviewers(campaign, today=near + timedelta(days=2)) == 0


def test_the_beat_task_reminds_due_campaigns_and_is_safe_to_run_twice(review_office, org_a):
    o = review_office
    due_soon = _start(o, due_on=today_in(org_a) + timedelta(days=1))
    _start(o, due_on=today_in(org_a) + timedelta(days=30), networks=["x"])  # far off
    assert tasks.remind_access_reviewers() == 1
    first = Notification.objects.for_org(org_a).filter(template="access_review_reminder").count()
    assert first == 2
    assert tasks.remind_access_reviewers() == 1
    assert (
        Notification.objects.for_org(org_a).filter(template="access_review_reminder").count()
        == first
    )
    assert tasks.remind_campaign_reviewers(due_soon.pk) == 0
    assert tasks.remind_campaign_reviewers(999_999_999) == 0


def test_the_beat_schedule_runs_the_reminders(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["access-review-reminders"]
    assert entry["task"] == "governance.access_review.tasks.remind_access_reviewers"
    assert entry["schedule"] <= 24 * 3600


def test_another_organizations_campaign_is_a_404_on_every_page(
    client, alice_client, org_a, org_b, bob_m
):
    from .coverage_factories import channel

    carol = f.add_member(org_b, f.make_user("carol@bravo.test", name="Carol Bravo"), Role.MANAGER)
    secret = channel(org_b, "bravo.secret")
    ChannelGrant.objects.create(
        organization=org_b, channel=secret, membership=carol, capability="publish"
    )
    campaign = services.start_review(
        org_b, by=bob_m, name="Bravo secret review", due_on=today_in(org_b) + timedelta(days=5)
    )
    for name in ("access_review_detail", "access_review_export", "access_review_mine"):
        response = alice_client.get(reverse(name, args=[org_a.slug, campaign.pk]))
        assert response.status_code == 404, name
    response = alice_client.post(reverse("access_review_close", args=[org_a.slug, campaign.pk]))
    assert response.status_code == 404
    response = alice_client.post(
        reverse("access_review_mine", args=[org_a.slug, campaign.pk]),
        {"items": [1], "decision": "remove"},
    )
    assert response.status_code == 404
    assert (
        "Bravo secret review"
        not in alice_client.get(reverse("access_reviews", args=[org_a.slug])).content.decode()
    )
    campaign.refresh_from_db()
    assert campaign.status == "open"
