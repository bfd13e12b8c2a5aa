"""Forms of approvals: input shapes only; the services validate and decide."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.capabilities import Role
from accounts.models import TIMEZONE_CHOICES
from socialops.forms import ServiceFormMixin

from .models import ApprovalDecision, Stage, Workflow

MAX_STAGES = 10  # also enforced by services.create_workflow / update_workflow
STAGE_PARTS = ("name", "rule", "quorum", "sla_hours", "backup", "people", "teams", "roles")


def _stage_indexes(data) -> list[int]:
    """The stage rows posted (``stage_<n>_…``), in order; any number, the form caps them."""
    found = set()
    for key in data:
        m = re.match(r"stage_(\d{1,4})_", key)
        if m:
            found.add(int(m.group(1)))
    return sorted(found)


def stage_fields(people, team_choices) -> dict:
    """The fields of one stage row (new instances each call)."""
    return {
        "name": forms.CharField(label=_("Stage name"), max_length=120, required=False),
        "rule": forms.ChoiceField(
            label=_("Rule"), choices=Stage.Rule.choices, initial=Stage.Rule.ANY, required=False
        ),
        "quorum": forms.IntegerField(
            label=_("How many must approve"),
            min_value=1,
            max_value=50,
            initial=1,
            required=False,
            help_text=_("Only for the “quorum” rule."),
        ),
        "sla_hours": forms.IntegerField(
            label=_("Decide within (hours)"),
            min_value=0,
            max_value=1440,
            initial=24,
            required=False,
            help_text=_("0 = no deadline."),
        ),
        "backup": forms.TypedChoiceField(
            label=_("Backup approver"),
            coerce=int,
            required=False,
            empty_value=None,
            choices=[("", _("— none —"))] + people,
            help_text=_("Gets the post when the deadline passes."),
        ),
        "people": forms.TypedMultipleChoiceField(
            label=_("Approvers: people"),
            coerce=int,
            required=False,
            choices=people,
            widget=forms.CheckboxSelectMultiple,
        ),
        "teams": forms.TypedMultipleChoiceField(
            label=_("…or everyone in these teams"),
            coerce=int,
            required=False,
            choices=team_choices,
            widget=forms.CheckboxSelectMultiple,
        ),
        "roles": forms.MultipleChoiceField(
            label=_("…or everyone with these roles"),
            required=False,
            choices=Role.choices,
            widget=forms.CheckboxSelectMultiple,
        ),
    }


def _member_choices(members) -> list[tuple[int, str]]:
    return [(m.pk, f"{m.user.get_full_name() or m.user.email} <{m.user.email}>") for m in members]


class WorkflowForm(ServiceFormMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    description = forms.CharField(label=_("Description"), max_length=300, required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    priority = forms.IntegerField(
        label=_("Priority"),
        min_value=0,
        max_value=10000,
        initial=100,
        help_text=_("When several workflows match a post, the lowest number wins."),
    )
    team_ids = forms.TypedMultipleChoiceField(
        label=_("Applies to posts of these teams (and their sub-teams)"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    channel_ids = forms.TypedMultipleChoiceField(
        label=_("…going to these channels"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    networks = forms.MultipleChoiceField(
        label=_("…on these networks"), required=False, widget=forms.CheckboxSelectMultiple
    )
    campaign_ids = forms.TypedMultipleChoiceField(
        label=_("…in these campaigns"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    tags = forms.CharField(
        label=_("…with one of these tags"),
        required=False,
        max_length=500,
        help_text=_(
            "Comma-separated. Leave every condition empty for an organization-wide workflow."
        ),
    )
    default_for_team_ids = forms.TypedMultipleChoiceField(
        label=_("Default workflow for these teams"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Used for a team's posts (and its sub-teams') when no workflow's conditions match."
        ),
    )
    link_ttl_hours = forms.IntegerField(
        label=_("Approval links expire after (hours)"), min_value=1, max_value=720, initial=72
    )
    resubmit_to = forms.ChoiceField(
        label=_("An edit after an approval goes"),
        choices=Workflow.Resubmit.choices,
        initial=Workflow.Resubmit.FIRST_STAGE,
    )
    reapprove_on_reschedule = forms.BooleanField(
        label=_("Moving the scheduled time needs a new approval"), required=False
    )

    def __init__(self, *args, members, teams, channels, campaigns, networks, **kwargs):
        super().__init__(*args, **kwargs)
        team_choices = [(t.pk, t.name) for t in teams]
        self.fields["team_ids"].choices = team_choices
        self.fields["default_for_team_ids"].choices = team_choices
        self.fields["channel_ids"].choices = [(c.pk, c.name or c.handle) for c in channels]
        self.fields["campaign_ids"].choices = [(c.pk, c.name) for c in campaigns]
        self.fields["networks"].choices = sorted(networks.items(), key=lambda kv: kv[1])
        people = _member_choices(members)
        self.members = {m.pk: m for m in members}
        self.teams = {t.pk: t for t in teams}
        self._people, self._team_choices = people, team_choices
        self.too_many_stages = False
        if self.is_bound:
            found = _stage_indexes(self.data)
            self.too_many_stages = len(found) > MAX_STAGES
            # Rows keep the order of their numbers; a gap left by a removed row closes up.
            self.row_indexes = found[:MAX_STAGES] or [1]
        else:
            filled = sum(1 for k in (self.initial or {}) if re.fullmatch(r"stage_\d+_name", k))
            # Without JavaScript one blank row is the way to add a stage (saved when filled in).
            self.row_indexes = list(range(1, min(filled + 1, MAX_STAGES) + 1))
        for i in self.row_indexes:
            for part, field in stage_fields(people, team_choices).items():
                self.fields[f"stage_{i}_{part}"] = field

    def clean(self):
        d = super().clean()
        if self.too_many_stages:
            raise forms.ValidationError(
                _("A workflow can have at most %(max)d stages.") % {"max": MAX_STAGES}
            )
        return d

    def template_row(self) -> list:
        """One blank stage numbered ``__N__``: the builder script copies it to add a stage."""
        blank = forms.Form(auto_id="id_%s")
        for part, field in stage_fields(self._people, self._team_choices).items():
            blank.fields[f"stage___N___{part}"] = field
        return [blank[f"stage___N___{part}"] for part in STAGE_PARTS]

    def condition_fields(self) -> list:
        return [
            self[n]
            for n in (
                "team_ids",
                "channel_ids",
                "networks",
                "campaign_ids",
                "tags",
                "default_for_team_ids",
            )
        ]

    def stage_rows(self) -> list[list]:
        return [[self[f"stage_{i}_{part}"] for part in STAGE_PARTS] for i in self.row_indexes]

    def workflow_fields(self) -> dict:
        d = self.cleaned_data
        return {
            **{name: d[name] for name in Workflow.SETTINGS},
            "tags": [t.strip() for t in (d["tags"] or "").split(",") if t.strip()],
        }

    def stage_specs(self) -> list:
        from .services import ApproverSpec, StageSpec

        d = self.cleaned_data
        out = []
        self.spec_rows = []  # the row number of each spec, to put the services' messages on the right row
        for i in self.row_indexes:
            approvers = (
                [
                    ApproverSpec("person", membership=self.members[pk])
                    for pk in d.get(f"stage_{i}_people") or []
                    if pk in self.members
                ]
                + [
                    ApproverSpec("team", team=self.teams[pk])
                    for pk in d.get(f"stage_{i}_teams") or []
                    if pk in self.teams
                ]
                + [ApproverSpec("role", role=r) for r in d.get(f"stage_{i}_roles") or []]
            )
            name = (d.get(f"stage_{i}_name") or "").strip()
            if not name and not approvers:
                continue
            backup = d.get(f"stage_{i}_backup")
            self.spec_rows.append(i)
            out.append(
                StageSpec(
                    name=name,
                    rule=d.get(f"stage_{i}_rule") or Stage.Rule.ANY,
                    quorum=d.get(f"stage_{i}_quorum") or 1,
                    sla_hours=d.get(f"stage_{i}_sla_hours")
                    if d.get(f"stage_{i}_sla_hours") is not None
                    else 24,
                    backup_approver=self.members.get(backup) if backup else None,
                    approvers=approvers,
                )
            )
        return out

    def apply_error(self, exc):
        """The services number stages 1..n after blank rows are skipped: move their messages to the rows."""
        rows = getattr(self, "spec_rows", None) or []
        moved = {}
        for name, messages in exc.fields.items():
            m = re.fullmatch(r"stage_(\d+)_(\w+)", name)
            if m and 0 < int(m.group(1)) <= len(rows):
                row, part = rows[int(m.group(1)) - 1], m.group(2)
                name = f"stage_{row}_{'people' if part == 'approvers' else part}"
            moved[name] = messages
        exc.fields = moved
        return super().apply_error(exc)

    @staticmethod
    def initial_for(workflow, specs) -> dict:
        initial = {
            "name": workflow.name,
            **{name: getattr(workflow, name) for name in Workflow.SETTINGS},
            "tags": ", ".join(workflow.tags),
        }
        for i, spec in enumerate(specs, start=1):
            initial.update(
                {
                    f"stage_{i}_name": spec.name,
                    f"stage_{i}_rule": spec.rule,
                    f"stage_{i}_quorum": spec.quorum,
                    f"stage_{i}_sla_hours": spec.sla_hours,
                    f"stage_{i}_backup": spec.backup_approver.pk if spec.backup_approver else None,
                    f"stage_{i}_people": [
                        a.membership.pk
                        for a in spec.approvers
                        if a.kind == "person" and a.membership
                    ],
                    f"stage_{i}_teams": [
                        a.team.pk for a in spec.approvers if a.kind == "team" and a.team
                    ],
                    f"stage_{i}_roles": [a.role for a in spec.approvers if a.kind == "role"],
                }
            )
        return initial


class SubmitForm(ServiceFormMixin, forms.Form):
    requested_date = forms.DateField(
        label=_("Requested date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    requested_time = forms.TimeField(
        label=_("Requested time"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    requested_timezone = forms.ChoiceField(
        label=_("Time zone"), required=False, choices=TIMEZONE_CHOICES
    )

    def clean(self):
        d = super().clean()
        if bool(d.get("requested_date")) != bool(d.get("requested_time")):
            raise forms.ValidationError(_("Give both a date and a time, or neither."))
        return d


class _MentionsMixin:
    """``mentions_url``: where the comment box's script asks for people to @mention (none: no suggestions)."""

    mention_field = ""

    def _set_mentions_url(self, url: str) -> None:
        if url:
            self.fields[self.mention_field].widget.attrs["data-mentions-url"] = url


class DecisionForm(_MentionsMixin, forms.Form):
    mention_field = "comment"
    decision = forms.ChoiceField(choices=ApprovalDecision.Kind.choices)
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3, "data-mentions": ""}),
    )
    #: the post version the page showed; a decision on an outdated page is refused
    post_version = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args, mentions_url: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self._set_mentions_url(mentions_url)


class CommentForm(_MentionsMixin, forms.Form):
    mention_field = "body"
    body = forms.CharField(
        label=_("Internal comment"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3, "data-mentions": ""}),
        help_text=_("Mention someone with @name or @e-mail. Comments are never published."),
    )

    def __init__(self, *args, mentions_url: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self._set_mentions_url(mentions_url)


class PolicyForm(ServiceFormMixin, forms.Form):
    require_login = forms.BooleanField(
        label=_("Approvers must sign in to use an approval link"),
        required=False,
        help_text=_(
            "Safer when e-mails get forwarded; approvers on a phone need their password at hand."
        ),
    )
    reminder_hours = forms.IntegerField(
        label=_("Remind approvers this many hours before a stage's deadline"),
        min_value=0,
        max_value=336,
        help_text=_(
            "0 = no reminder. An overdue stage goes to its backup approver, if it has one."
        ),
    )


class OutOfOfficeForm(ServiceFormMixin, forms.Form):
    delegate = forms.TypedChoiceField(label=_("Send my approvals to"), coerce=int)
    starts_at = forms.DateTimeField(
        label=_("From"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    ends_at = forms.DateTimeField(
        label=_("Until"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.members = {m.pk: m for m in members}
        self.fields["delegate"].choices = _member_choices(members)
