"""approvals' one door for state changes: every change one function, audited in its transaction.

The rooms (other apps and approvals' own views, API and tasks import this package, not them):

- ``workflows``: the approval policy, workflows with their stages and approvers, the snapshot a request keeps
- ``requests``: submitting a post into its workflow, each stage's assignees, withdrawing, a new round after an edit
- ``decisions``: approve / reject / ask for changes (page, link, API); the approved post scheduled; the schedule gate
- ``links``: signed, single-use, expiring approval links bound to one approver and one version
- ``comments``: internal comments beside a post and their @mentions
- ``sla``: out of office and the beat sweep's reminders, delegation and escalation

Flow: ``submit_for_approval`` snapshots the post's workflow into a request bound to the post's
version and starts stage 1 (approvers resolved into assignments, out-of-office delegation applied,
one single-use link e-mailed to each). ``decide`` records a decision (web, link or API); when a
stage's rule (any / all / quorum) is met the next stage starts, and after the last one the post is
approved and, when a time was requested and someone involved may publish, scheduled by
``decide`` itself. A reject or a request for changes sends the post back to draft with the comment.

Calls run one way: approvals is above publishing. Post states change only through publishing's
services (``mark_in_review``, ``mark_approved``, ``return_to_draft``, ``schedule_post``). Publishing
never imports approvals; it asks approvals only through the extension points it owns in
``publishing.hooks`` (registered in ``ApprovalsConfig.ready``): the schedule gate
(:func:`schedule_gate`), which refuses a schedule publishing starts itself (composer, calendar,
API) when the post's version is not approved or its approved time would move, and the new-version
handler (:func:`resubmit_new_version`), which starts a new round after an edit. publishing's
signals (``post_scheduled``, ``post_content_changed``) only announce; approvals listens to neither.
"""

from socialops.errors import ApplicationError, Conflict, NotAllowed, ValidationFailed

from .. import selectors
from .comments import (
    MENTION_SUGGESTIONS,
    add_comment,
    mention_handle,
    mention_suggestions,
    mentioned_members,
)
from .decisions import decide, decide_by_link, schedule_gate
from .handover import (
    hand_over_assignment,
    hand_over_stage_backup,
    hand_over_stage_seat,
    why_cannot_take_assignment,
)
from .links import (
    LINK_SALT,
    REFUSALS,
    LinkCheck,
    check_link,
    issue_link,
    link_path,
    record_link_opened,
    record_link_refusal,
)
from .requests import (
    content_diff,
    content_of,
    resubmit_new_version,
    submit_for_approval,
    withdraw_request,
)
from .sla import (
    delegate_assignment,
    due_for_delegation,
    due_for_escalation,
    due_for_reminder,
    end_out_of_office,
    escalate_assignment,
    remind_assignment,
    set_out_of_office,
)
from .workflows import (
    MAX_STAGES,
    ApproverSpec,
    StageSpec,
    create_workflow,
    delete_workflow,
    set_policy,
    snapshot_of,
    stage_specs_of,
    update_workflow,
)

__all__ = [
    "LINK_SALT",
    "MAX_STAGES",
    "MENTION_SUGGESTIONS",
    "REFUSALS",
    "ApplicationError",
    "ApproverSpec",
    "Conflict",
    "LinkCheck",
    "NotAllowed",
    "StageSpec",
    "ValidationFailed",
    "add_comment",
    "check_link",
    "content_diff",
    "content_of",
    "create_workflow",
    "decide",
    "decide_by_link",
    "delegate_assignment",
    "delete_workflow",
    "due_for_delegation",
    "due_for_escalation",
    "due_for_reminder",
    "end_out_of_office",
    "escalate_assignment",
    "hand_over_assignment",
    "hand_over_stage_backup",
    "hand_over_stage_seat",
    "issue_link",
    "why_cannot_take_assignment",
    "link_path",
    "mention_handle",
    "mention_suggestions",
    "mentioned_members",
    "record_link_opened",
    "record_link_refusal",
    "remind_assignment",
    "resubmit_new_version",
    "schedule_gate",
    "selectors",
    "set_out_of_office",
    "set_policy",
    "snapshot_of",
    "stage_specs_of",
    "submit_for_approval",
    "update_workflow",
    "withdraw_request",
]
