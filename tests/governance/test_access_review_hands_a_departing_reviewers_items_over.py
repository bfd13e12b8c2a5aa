"""A reviewer who leaves during an open campaign: their pending items go to the next lead up the
team tree, else the admin who started the campaign; offboarding shows it in the preview and does
it in the run, and a reviewer deactivated elsewhere is caught by the reminder sweep. Audited; the
new reviewer is told; decided items and other campaigns' closed items stay as they were."""

from __future__ import annotations

import pytest

from accounts import services as accounts_services
from accounts.capabilities import Role
from accounts.models import Notification
from governance.access_review import selectors, services, tasks
from governance.access_review.models import ReviewItem
from governance.offboarding import selectors as offboarding_selectors
from governance.offboarding import services as offboarding_services
from socialops.audit.models import AuditEvent

from .coverage_factories import person

pytestmark = pytest.mark.django_db


def _lias_items(o, campaign):
    return list(
        ReviewItem.objects.for_org(o.org).filter(campaign=campaign, membership=o.ana).order_by("pk")
    )


def test_offboarding_a_lead_hands_their_pending_items_to_the_next_lead_up(review_office, org_a):
    o = review_office
    chief = person(org_a, Role.MANAGER, teams=[o.hq], name="Chief")
    accounts_services.update_team(o.hq, by=o.owner, name="Head office", parent=None, lead=chief)
    campaign = services.start_review(o.org, by=o.owner, due_on=o.due, name="Q4")
    kopi, promo = _lias_items(o, campaign)
    assert kopi.reviewer_id == promo.reviewer_id == o.lead.pk
    services.decide_items(campaign, by=o.lead, item_ids=[kopi.pk], decision="keep")

    plan = offboarding_selectors.plan_offboarding(o.lead, by=o.owner)
    (item,) = plan.groups["reviews"]
    assert (item.label, item.detail, item.goes_to_label) == ("Q4", "1 item to review", "Chief")

    report = offboarding_services.offboard_member(o.lead, by=o.owner)
    kopi.refresh_from_db()
    promo.refresh_from_db()
    assert kopi.reviewer_id == o.lead.pk and kopi.decision == "keep"  # decided: stays as it was
    assert promo.reviewer_id == chief.pk and promo.decision == "pending"
    rows = [r for r in report.items if r["kind"] == "reviews"]
    assert [(r["label"], r["goes_to"], r["outcome"]) for r in rows] == [
        ("Q4", "Chief", "Handed over")
    ]
    event = AuditEvent.objects.for_org(org_a).get(action="access_review.reviewer_replaced")
    assert event.changes == {"from": o.lead.pk, "items": {str(promo.pk): chief.pk}}
    assert event.actor_id == o.owner.user_id
    assert (
        Notification.objects.for_org(org_a)
        .filter(recipient=chief.user, template="access_review_requested")
        .exists()
    )
    # Chief now reviews it; Lia's list no longer offers it
    services.decide_items(campaign, by=chief, item_ids=[promo.pk], decision="keep")


def test_without_a_lead_above_the_campaigns_starter_takes_them(review_office, org_a):
    o = review_office
    admin = person(org_a, Role.ADMIN, name="Another admin")
    campaign = services.start_review(o.org, by=o.owner, due_on=o.due)
    (handovers) = selectors.reviewer_handover(org_a, [o.lead.pk], runner=admin)
    assert {h.to.pk for h in handovers} == {o.owner.pk}  # the starter before the runner
    offboarding_services.offboard_member(o.lead, by=admin)
    assert {i.reviewer_id for i in _lias_items(o, campaign)} == {o.owner.pk}


def test_a_reviewer_deactivated_on_the_members_page_is_replaced_by_the_sweep(review_office, org_a):
    o = review_office
    campaign = services.start_review(o.org, by=o.owner, due_on=o.due)
    accounts_services.deactivate_member(o.lead, by=o.owner)
    assert selectors.departed_reviewer_ids(campaign) == {o.lead.pk}
    assert tasks.remind_access_reviewers() == 1  # not due for days, but it has a departed reviewer
    assert {i.reviewer_id for i in _lias_items(o, campaign)} == {o.owner.pk}
    event = AuditEvent.objects.for_org(org_a).get(action="access_review.reviewer_replaced")
    assert event.via == "task" and event.changes["from"] == o.lead.pk
    assert tasks.remind_access_reviewers() == 0  # nothing left to hand over, nothing due
    assert (
        AuditEvent.objects.for_org(org_a).filter(action="access_review.reviewer_replaced").count()
        == 1
    )


def test_a_closed_campaigns_items_are_not_moved(review_office, org_a):
    o = review_office
    campaign = services.start_review(o.org, by=o.owner, due_on=o.due)
    services.close_review(campaign, by=o.owner)
    assert selectors.reviewer_handover(org_a, [o.lead.pk]) == []
    plan = offboarding_selectors.plan_offboarding(o.lead, by=o.owner)
    assert "reviews" not in plan.groups
