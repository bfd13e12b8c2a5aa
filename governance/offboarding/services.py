"""Offboarding's one state change (and the follow-up tick): remove a person from everything, at once.

``offboard_member`` is what the page, the API and (later) SCIM call. It runs in one transaction:

1. the leaving membership's row is locked (``SELECT … FOR UPDATE``): a second run started at the same
   time waits here, then finds the membership inactive and is refused; nothing is ever half-applied;
2. the plan is built again under that lock with the caller's choices and validated (a target who is
   leaving or lacks the capability is a ``ValidationFailed`` naming the item; nothing changed);
3. each item is changed through its own app's service (grants, teams, approval stages and waiting
   decisions, inbox conversations, posts, share links of every kind, notification subscriptions, the membership and
   its API tokens), every change audited, all audit entries appended in one batch;
4. the person's sessions on every device are deleted in the same transaction (the database session
   store), so the next request with their cookie is anonymous, and their tokens are refused as soon
   as it commits;
5. the report and its follow-up tasks are stored.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import services as accounts_services
from accounts.capabilities import Capability, require
from accounts.models import Membership
from approvals import services as approvals_services
from channels_registry import services as channels_services
from inbox import services as inbox_services
from publishing import services as publishing_services
from socialops.audit.services import batched_events, record_event
from socialops.errors import Conflict, ValidationFailed
from socialops.sharing import services as sharing_services

from ..access_review import services as access_review_services
from . import selectors as s
from .models import FollowUpTask, OffboardingReport


def _row(item: s.PlanItem, outcome: str) -> dict:
    return {
        "kind": item.kind,
        "section": str(s.KINDS[item.kind]),
        "label": item.label,
        "detail": item.detail,
        "goes_to": item.goes_to_label,
        "outcome": outcome,
    }


def offboard_member(
    membership: Membership,
    *,
    by: Membership,
    choices: dict | None = None,
    via: str = OffboardingReport.Via.WEB,
) -> OffboardingReport:
    """Offboard ``membership`` as the preview for ``choices`` shows it (no choices: the defaults).

    ``by`` needs ``manage_governance``. Refused (``Conflict``) for oneself, the last owner, an owner
    when ``by`` is not one, and someone already offboarded (also the loser of two runs at once).
    """
    require(by, Capability.MANAGE_GOVERNANCE)
    org = membership.organization
    with transaction.atomic():
        locked = (
            Membership.objects.for_org(org)
            .select_for_update()
            .select_related("user", "organization")
            .filter(pk=membership.pk)
            .first()
        )
        if locked is None:
            raise Conflict(_("This member does not exist any more."))
        plan = s.plan_offboarding(locked, by=by, choices=choices)
        if plan.refusal:
            raise Conflict(plan.refusal)
        if plan.errors:
            first = next(iter(plan.errors.values()))
            raise ValidationFailed(
                _("Some “goes to” choices cannot be used: %(first)s") % {"first": first},
                fields={"choices": [f"{key}: {error}" for key, error in plan.errors.items()]},
            )
        with batched_events(org):
            rows = _apply(plan, locked, by=by)
            report = OffboardingReport.objects.create(
                organization=org,
                membership=locked,
                person_label=f"{locked.user.get_full_name()} <{locked.user.email}>",
                run_by=by.user,
                run_by_label=by.user.email,
                via=via,
                items=rows,
                counts={kind: len(items) for kind, items in plan.groups.items()},
            )
            FollowUpTask.objects.bulk_create(
                [
                    FollowUpTask(
                        organization=org,
                        report=report,
                        channel=f.channel,
                        title=f.title[:300],
                        url=f.url or "",
                    )
                    for f in plan.follow_ups
                ]
            )
            record_event(
                org,
                "member.offboarded",
                obj=locked,
                actor=by.user,
                changes={
                    "user": locked.user.email,
                    "report": report.pk,
                    "via": via,
                    "counts": report.counts,
                    "follow_ups": len(plan.follow_ups),
                },
            )
    return report


def _apply(plan: s.OffboardingPlan, leaving: Membership, *, by: Membership) -> list[dict]:
    """Make every change of ``plan`` through its app's service; the report's rows, in order."""
    rows: list[dict] = []
    groups = plan.groups

    def done(kind: str, outcome: str) -> None:
        rows.extend(_row(item, outcome) for item in groups.get(kind, []))

    if groups.get(s.GRANTS):
        channels_services.revoke_member_grants(leaving, by=by)
        done(s.GRANTS, _("Removed"))
    if groups.get(s.TEAMS):
        accounts_services.set_member_teams(leaving, by=by, teams=[])
        done(s.TEAMS, _("Left the team"))

    for item in groups.get(s.STAGE_SEATS, []):
        approvals_services.hand_over_stage_seat(item.obj, to=item.goes_to, by=by)
        rows.append(_row(item, _("Handed over") if item.goes_to else _("Removed")))
    for item in groups.get(s.STAGE_BACKUPS, []):
        approvals_services.hand_over_stage_backup(item.obj, to=item.goes_to, by=by)
        rows.append(_row(item, _("Handed over") if item.goes_to else _("Removed")))
    for item in groups.get(s.ASSIGNMENTS, []):
        if item.goes_to is None:
            rows.append(_row(item, _("Left to the SLA sweep")))
            continue
        approvals_services.hand_over_assignment(item.obj, to=item.goes_to, by=by)
        rows.append(_row(item, _("Handed over")))

    if groups.get(s.REVIEWS):
        # the same handover the preview showed, made under the leaving membership's lock
        access_review_services.hand_over_reviews(
            leaving.organization, leaving_ids=[leaving.pk], by=by
        )
        for item in groups[s.REVIEWS]:
            rows.append(_row(item, _("Handed over") if item.goes_to else _("Kept")))

    for item in groups.get(s.CONVERSATIONS, []):
        inbox_services.assign_conversation(item.obj, by=by, assignee=item.goes_to, via="web")
        rows.append(_row(item, _("Reassigned") if item.goes_to else _("Unassigned")))

    by_target: dict[int, tuple[Membership, list]] = {}
    for item in groups.get(s.POSTS, []):
        by_target.setdefault(item.goes_to.pk, (item.goes_to, []))[1].append(item.obj)
    for target, posts in by_target.values():
        publishing_services.hand_over_posts(posts, to=target, by=by)
    done(s.POSTS, _("New owner"))

    for item in groups.get(s.SHARE_LINKS, []):  # every kind: calendar, dashboards, …
        sharing_services.revoke_link(item.obj, by=by.user)
    done(s.SHARE_LINKS, _("Revoked"))

    if groups.get(s.NOTIFICATIONS):
        accounts_services.clear_notification_subscriptions(leaving, by=by)
    done(s.NOTIFICATIONS, _("Stopped"))

    # The membership last but one: deactivating it revokes every API token in the same statement
    # block (accounts.services.deactivate_member), so a token is refused as soon as this commits.
    accounts_services.deactivate_member(leaving, by=by)
    done(s.TOKENS, _("Revoked"))
    # Sessions: deleted from the (database) session store inside this transaction.
    accounts_services.end_sessions_of(leaving.user)
    done(s.SESSIONS, _("Signed out"))
    return rows


@transaction.atomic
def mark_follow_up(task: FollowUpTask, *, by: Membership, done: bool = True) -> FollowUpTask:
    """Tick (or untick) a follow-up task of an offboarding report."""
    require(by, Capability.MANAGE_GOVERNANCE)
    task.done_at = timezone.now() if done else None
    task.done_by = by.user if done else None
    task.save(update_fields=["done_at", "done_by"])
    record_event(
        by.organization,
        "offboarding.follow_up_done" if done else "offboarding.follow_up_reopened",
        obj=task,
        actor=by.user,
        changes={"report": task.report_id, "title": task.title},
    )
    return task
