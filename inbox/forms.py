from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from socialops.forms import LongSelect

from .models import Conversation, Item, Priority, Sentiment

LANGUAGES = [("", _("Any language")), ("en", _("English")), ("id", _("Indonesian"))]


class InboxFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    status = forms.ChoiceField(label=_("Status"), required=False, widget=LongSelect)
    channel = forms.TypedChoiceField(
        label=_("Channel"), required=False, coerce=int, empty_value=None, widget=LongSelect
    )
    network = forms.ChoiceField(label=_("Network"), required=False, widget=LongSelect)
    assignee = forms.ChoiceField(label=_("Assignee"), required=False, widget=LongSelect)
    sentiment = forms.ChoiceField(
        label=_("Sentiment"),
        required=False,
        choices=[("", _("Any sentiment")), *Sentiment.choices],
        widget=LongSelect,
    )
    language = forms.ChoiceField(
        label=_("Language"), required=False, choices=LANGUAGES, widget=LongSelect
    )
    tag = forms.TypedChoiceField(
        label=_("Tag"), required=False, coerce=int, empty_value=None, widget=LongSelect
    )

    team = forms.TypedChoiceField(
        label=_("Team"), required=False, coerce=int, empty_value=None, widget=LongSelect
    )
    last_from = forms.DateField(
        label=_("Last item from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    last_to = forms.DateField(
        label=_("Last item until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    sort = forms.ChoiceField(
        label=_("Order of search results"),
        required=False,
        choices=[("", _("Best match first")), ("newest", _("Newest first"))],
        widget=LongSelect,
    )

    def __init__(self, *args, channels=(), networks=(), members=(), tags=(), teams=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [
            ("", _("To do (not closed)")),
            *Conversation.Status.choices,
            ("all", _("All")),
        ]
        self.fields["channel"].choices = [("", _("All channels"))] + [
            (c.pk, c.display_handle or c.name) for c in channels
        ]
        self.fields["network"].choices = [("", _("All networks")), *networks]
        self.fields["assignee"].choices = [
            ("", _("Anyone")),
            ("me", _("Me")),
            ("none", _("Unassigned")),
        ] + [(str(m.pk), m.user.get_full_name() or m.user.email) for m in members]
        self.fields["tag"].choices = [("", _("Any tag"))] + [(t.pk, t.name) for t in tags]
        self.fields["team"].choices = [("", _("All teams"))] + [
            (t.pk, "\u2014 " * depth + t.name) for t, depth in teams
        ]
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "")
        self.fields["q"].widget.attrs["placeholder"] = _("Text or author")


class ReplyForm(forms.Form):
    text = forms.CharField(
        label=_("Reply"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=10000,
        error_messages={"required": _("Write a reply first.")},
    )
    #: the newest item and reply the page showed: another answer since is warned about
    last_seen_item = forms.IntegerField(
        required=False, min_value=0, max_value=2**63 - 1, widget=forms.HiddenInput
    )
    last_seen_reply = forms.IntegerField(
        required=False, min_value=0, max_value=2**63 - 1, widget=forms.HiddenInput
    )
    #: the writer saw the warning of another answer and sends anyway
    force = forms.BooleanField(required=False, widget=forms.HiddenInput)


class NoteForm(forms.Form):
    text = forms.CharField(
        label=_("Internal note"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2, "data-mentions": ""}),
        help_text=_("Only your colleagues see it. Mention someone with @name or @e-mail."),
        error_messages={"required": _("Write a note first.")},
    )

    def __init__(self, *args, mentions_url: str = "", **kwargs):
        kwargs.setdefault("auto_id", "note_%s")  # beside the reply box's id_text
        super().__init__(*args, **kwargs)
        if mentions_url:
            self.fields["text"].widget.attrs["data-mentions-url"] = mentions_url


class ApproveReplyForm(forms.Form):
    text = forms.CharField(
        label=_("Reply (you may edit it)"),
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    comment = forms.CharField(label=_("Comment"), required=False, max_length=2000)


class SavedReplyForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=100)
    text = forms.CharField(
        label=_("Text"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
        help_text=_("Variables: {first_name} (the customer), {channel}, {agent} (you)."),
    )
    team = forms.TypedChoiceField(label=_("Team"), required=False, coerce=int, empty_value=None)
    language = forms.ChoiceField(label=_("Language"), required=False, choices=LANGUAGES)

    def __init__(self, *args, teams=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].choices = [("", _("Shared (whole organization)"))] + [
            (t.pk, t.name) for t in teams
        ]


def _words(text: str) -> list[str]:
    return [w.strip() for w in (text or "").replace("\n", ",").split(",") if w.strip()]


class RoutingRuleForm(forms.Form):
    """A routing rule's conditions and actions (``inbox.services.routing`` checks the ids)."""

    name = forms.CharField(label=_("Name"), max_length=100)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    channels = forms.TypedMultipleChoiceField(
        label=_("Channels"), required=False, coerce=int, widget=forms.CheckboxSelectMultiple
    )
    teams = forms.TypedMultipleChoiceField(
        label=_("Channels of these teams (and their sub-teams)"),
        required=False,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
    )
    networks = forms.MultipleChoiceField(
        label=_("Networks"), required=False, widget=forms.CheckboxSelectMultiple
    )
    keywords = forms.CharField(
        label=_("Keywords"),
        required=False,
        max_length=5000,
        help_text=_("Any of these words or phrases, separated by commas; case does not matter."),
    )
    sentiments = forms.MultipleChoiceField(
        label=_("Sentiment"),
        required=False,
        choices=Sentiment.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    languages = forms.CharField(
        label=_("Languages"),
        required=False,
        max_length=100,
        help_text=_("Language codes separated by commas, e.g. en, id."),
    )
    kinds = forms.MultipleChoiceField(
        label=_("Item kinds"),
        required=False,
        choices=Item.Kind.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    assign_team = forms.TypedChoiceField(
        label=_("Assign to team"),
        required=False,
        coerce=int,
        empty_value=None,
        help_text=_("Round-robin among its members who may answer on the channel and are working."),
    )
    assign_to = forms.TypedChoiceField(
        label=_("Assign to person"), required=False, coerce=int, empty_value=None
    )
    priority = forms.ChoiceField(label=_("Priority"), required=False)
    tags = forms.TypedMultipleChoiceField(
        label=_("Tags"), required=False, coerce=int, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, channels=(), teams=(), networks=(), members=(), tags=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channels"].choices = [(c.pk, c.display_handle or c.name) for c in channels]
        self.fields["teams"].choices = [(t.pk, "\u2014 " * d + t.name) for t, d in teams]
        self.fields["networks"].choices = list(networks)
        self.fields["assign_team"].choices = [("", _("— no team —"))] + [
            (t.pk, "\u2014 " * d + t.name) for t, d in teams
        ]
        self.fields["assign_to"].choices = [("", _("— nobody in particular —"))] + [
            (m.pk, m.user.get_full_name() or m.user.email) for m in members
        ]
        self.fields["priority"].choices = [("", _("Leave as it is")), *Priority.choices]
        self.fields["tags"].choices = [(t.pk, t.name) for t in tags]

    def rule_data(self) -> dict:
        d = self.cleaned_data
        return {
            **{k: d[k] for k in ("name", "is_active", "channels", "teams", "networks")},
            "keywords": _words(d["keywords"]),
            "sentiments": d["sentiments"],
            "languages": _words(d["languages"]),
            "kinds": d["kinds"],
            "assign_team": d["assign_team"],
            "assign_to": d["assign_to"],
            "priority": d["priority"],
            "tags": d["tags"],
        }

    @staticmethod
    def initial_for(rule) -> dict:
        return {
            "name": rule.name,
            "is_active": rule.is_active,
            "channels": rule.channels,
            "teams": rule.teams,
            "networks": rule.networks,
            "keywords": ", ".join(rule.keywords),
            "sentiments": rule.sentiments,
            "languages": ", ".join(rule.languages),
            "kinds": rule.kinds,
            "assign_team": rule.assign_team_id,
            "assign_to": rule.assign_to_id,
            "priority": rule.priority,
            "tags": rule.tags,
        }


class SlaTargetForm(forms.Form):
    team = forms.TypedChoiceField(label=_("Team"), required=False, coerce=int, empty_value=None)
    priority = forms.ChoiceField(label=_("Priority"), required=False)
    hours = forms.DecimalField(
        label=_("Hours to answer"),
        required=False,
        min_value=Decimal("0.01"),
        max_value=2160,
        decimal_places=2,
        help_text=_("Business hours of the team. Leave empty to remove this target."),
    )

    def __init__(self, *args, teams=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].choices = [("", _("The whole organization"))] + [
            (t.pk, "\u2014 " * d + t.name) for t, d in teams
        ]
        self.fields["priority"].choices = [("", _("Any priority")), *Priority.choices]


class TriageForm(forms.Form):
    """Triage by hand on the conversation page: its priority and its team (``none``: no team). A
    field left out stays as it is (``inbox.services.set_conversation_triage``)."""

    #: the team field's value for "no team"
    NO_TEAM = "none"

    priority = forms.ChoiceField(label=_("Priority"), required=False)
    team = forms.ChoiceField(label=_("Team"), required=False)

    def __init__(self, *args, teams=(), **kwargs):
        kwargs.setdefault("auto_id", "triage-%s")
        super().__init__(*args, **kwargs)
        self.fields["priority"].choices = [("", "—"), *Priority.choices]
        self.fields["team"].choices = [("", "—"), (self.NO_TEAM, _("No team"))] + [
            (str(t.pk), "\u2014 " * d + t.name) for t, d in teams
        ]

    def triage(self, teams_by_id: dict) -> dict:
        """The service's keyword arguments: only the fields given."""
        d = self.cleaned_data
        out: dict = {}
        if d["priority"]:
            out["priority"] = d["priority"]
        if d["team"] == self.NO_TEAM:
            out["team"] = None
        elif d["team"]:
            out["team"] = teams_by_id[int(d["team"])]
        return out
