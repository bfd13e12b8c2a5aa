from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Conversation, Sentiment

LANGUAGES = [("", _("Any language")), ("en", _("English")), ("id", _("Indonesian"))]


class InboxFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    status = forms.ChoiceField(label=_("Status"), required=False)
    channel = forms.TypedChoiceField(
        label=_("Channel"), required=False, coerce=int, empty_value=None
    )
    network = forms.ChoiceField(label=_("Network"), required=False)
    assignee = forms.ChoiceField(label=_("Assignee"), required=False)
    sentiment = forms.ChoiceField(
        label=_("Sentiment"),
        required=False,
        choices=[("", _("Any sentiment")), *Sentiment.choices],
    )
    language = forms.ChoiceField(label=_("Language"), required=False, choices=LANGUAGES)
    tag = forms.TypedChoiceField(label=_("Tag"), required=False, coerce=int, empty_value=None)

    team = forms.TypedChoiceField(label=_("Team"), required=False, coerce=int, empty_value=None)
    last_from = forms.DateField(
        label=_("Last item from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    last_to = forms.DateField(
        label=_("Last item until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
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
