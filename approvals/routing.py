"""Who approves a stage when some approvers cannot see the post: one rule for routing and the builder.

An approver approves every variant of a post, so they must be able to see every channel it goes to
(``publishing.selectors.wholly_visible_posts``). Approvers who cannot are left out of the stage.
When the rest can still meet the stage's rule (any one; all of them — where a left-out approver is a
missing approval; a quorum), they decide. Otherwise the stage falls to its backup approver, or to an
organization admin when the backup cannot see the post either (or there is none).

``route_stage`` is pure: it is given who sees the post (``sees``) and how to find an admin, so
``services.requests._start_stage`` (a real post) and the workflow builder's warning (a channel a post could
go to) decide the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Routing:
    assignees: list = field(default_factory=list)  # memberships, in order
    left_out: list = field(
        default_factory=list
    )  # approvers (or the backup) who cannot see the post
    fell_to: str = ""  # "" (the approvers decide), "backup", "admin" or "nobody"
    stand_in: object | None = None


def rule_met_without(stage: dict, kept: int, left_out: int) -> bool:
    """Can ``kept`` approvers meet the stage's rule when ``left_out`` named ones cannot take part?"""
    rule = stage.get("rule", "any")
    if kept < 1:
        return False
    if rule == "all":
        return (
            left_out == 0
        )  # every approver must approve: one who cannot see is a missing approval
    if rule == "quorum":
        return kept >= int(stage.get("quorum") or 1)
    return True


def route_stage(
    stage: dict,
    members: list,
    backup,
    *,
    sees: Callable[[object], bool],
    admin: Callable[[], object | None],
) -> Routing:
    """Split ``members`` (the stage's approvers, already active and not the author) by ``sees``.

    ``backup`` is the stage's backup (active, not the author) or None; with no approver at all the
    stage goes to it, as it always did. ``admin()`` returns an admin to fall back on, or None.
    """
    named = list(members) if members else ([backup] if backup is not None else [])
    kept = [m for m in named if sees(m)]
    left_out = [m for m in named if not sees(m)]
    if not left_out or rule_met_without(stage, len(kept), len(left_out)):
        return Routing(assignees=kept, left_out=left_out)
    stand_in, fell_to = None, "nobody"
    if backup is not None and backup not in left_out and sees(backup):
        stand_in, fell_to = backup, "backup"
    else:
        found = admin()
        if found is not None:
            stand_in, fell_to = found, "admin"
    if stand_in is not None and all(m.pk != stand_in.pk for m in kept):
        kept.append(stand_in)
    return Routing(assignees=kept, left_out=left_out, fell_to=fell_to, stand_in=stand_in)
