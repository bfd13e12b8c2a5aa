"""Plain-language descriptions of stages for pages: who approves, by which rule, within how long.

Works on both shapes a stage has: a workflow's ``StageSpec`` (live) and a request's snapshot dict
(frozen when the post was submitted).
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.capabilities import Role
from accounts.models import Membership, Team


def person_name(membership) -> str:
    if membership is None:
        return "—"
    return membership.user.get_full_name() or membership.user.email


def _role_label(role: str) -> str:
    try:
        return str(Role(role).label)
    except ValueError:
        return role


def approver_label(kind: str, *, membership=None, team=None, role: str = "") -> str:
    if kind == "person":
        return person_name(membership)
    if kind == "team":
        return _("everyone in %(team)s") % {"team": team.name if team else "—"}
    return _("every %(role)s") % {"role": _role_label(role).lower()}


def rule_label(rule: str, quorum: int) -> str:
    if rule == "all":
        return _("all of them approve")
    if rule == "quorum":
        return ngettext("%(n)d of them approves", "%(n)d of them approve", quorum or 1) % {
            "n": quorum or 1
        }
    return _("any one of them approves")


def describe(
    *, number: int, name: str, rule: str, quorum: int, sla_hours: int, approvers, backup
) -> dict:
    return {
        "number": number,
        "name": name,
        "approvers": approvers,
        "rule": rule_label(rule, quorum),
        "sla_hours": sla_hours,
        "backup": person_name(backup) if backup is not None else "",
    }


def describe_specs(specs) -> list[dict]:
    """A workflow's stages (``services.StageSpec``)."""
    return [
        describe(
            number=i,
            name=s.name,
            rule=s.rule,
            quorum=s.quorum,
            sla_hours=s.sla_hours,
            approvers=[
                approver_label(a.kind, membership=a.membership, team=a.team, role=a.role)
                for a in s.approvers
            ],
            backup=s.backup_approver,
        )
        for i, s in enumerate(specs, start=1)
    ]


def describe_stage_rows(stages) -> list[dict]:
    """A workflow's ``Stage`` rows, with ``approvers`` (and their people and teams) prefetched."""
    return [
        describe(
            number=i,
            name=s.name,
            rule=s.rule,
            quorum=s.quorum,
            sla_hours=s.sla_hours,
            approvers=[
                approver_label(a.kind, membership=a.membership, team=a.team, role=a.role)
                for a in s.approvers.all()
            ],
            backup=s.backup_approver,
        )
        for i, s in enumerate(stages, start=1)
    ]


def describe_snapshot(org_id: int, stages: list[dict]) -> list[dict]:
    """A request's frozen stages (two queries: the people and the teams they name)."""
    member_ids, team_ids = set(), set()
    for s in stages:
        if s.get("backup_membership_id"):
            member_ids.add(s["backup_membership_id"])
        for a in s.get("approvers", []):
            if a.get("membership_id"):
                member_ids.add(a["membership_id"])
            if a.get("team_id"):
                team_ids.add(a["team_id"])
    members = (
        {
            m.pk: m
            for m in Membership.objects.for_org(org_id)
            .filter(pk__in=member_ids)
            .select_related("user")
        }
        if member_ids
        else {}
    )
    teams = (
        {t.pk: t for t in Team.objects.for_org(org_id).filter(pk__in=team_ids)} if team_ids else {}
    )
    return [
        describe(
            number=i,
            name=s.get("name", ""),
            rule=s.get("rule", "any"),
            quorum=s.get("quorum", 1),
            sla_hours=s.get("sla_hours", 0),
            approvers=[
                approver_label(
                    a.get("kind", ""),
                    membership=members.get(a.get("membership_id")),
                    team=teams.get(a.get("team_id")),
                    role=a.get("role", ""),
                )
                for a in s.get("approvers", [])
            ],
            backup=members.get(s.get("backup_membership_id")),
        )
        for i, s in enumerate(stages, start=1)
    ]
