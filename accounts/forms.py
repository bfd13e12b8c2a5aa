from __future__ import annotations

from django import forms
from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from socialops.errors import ApplicationError
from socialops.scopes import scope_choices

from . import hours
from .capabilities import Role
from .models import TIMEZONE_CHOICES, Membership, Team


class ServiceFormMixin:
    """Copies an ApplicationError's messages onto the form, so pages show what the API returns."""

    def apply_error(self, exc: ApplicationError) -> None:
        placed = False
        for field, messages in exc.fields.items():
            if field in self.fields:
                for message in messages:
                    self.add_error(field, message)
                placed = True
        if not placed or exc.message:
            self.add_error(None, exc.message)


class OrganizationCreateForm(ServiceFormMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    slug = forms.SlugField(
        label=_("Address"),
        max_length=60,
        required=False,
        help_text=_("Used in links: /o/<address>/. Letters, digits and hyphens."),
    )
    timezone = forms.ChoiceField(label=_("Time zone"), choices=TIMEZONE_CHOICES, initial="UTC")
    language = forms.ChoiceField(
        label=_("Default language"), choices=settings.LANGUAGES, initial="en"
    )


class OrganizationSettingsForm(ServiceFormMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    timezone = forms.ChoiceField(label=_("Time zone"), choices=TIMEZONE_CHOICES)
    language = forms.ChoiceField(label=_("Default language"), choices=settings.LANGUAGES)
    sandbox_network = forms.BooleanField(
        label=_("Offer the Sandbox network"),
        required=False,
        help_text=_(
            "Simulated channels and audience for trying SocialOps out. Off in production unless "
            "ticked here; outside production it is always offered."
        ),
    )
    report_allowed_domains = forms.CharField(
        label=_("Domains reports may be sent to"),
        required=False,
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Scheduled reports go to members and to addresses at these domains only, one a line "
            "(for example example.com). Empty: to members only."
        ),
    )

    def clean_report_allowed_domains(self) -> list[str]:
        text = self.cleaned_data.get("report_allowed_domains") or ""
        return [d for d in text.replace(",", " ").split() if d]


_DAY_NAMES = {
    "mon": _("Monday"),
    "tue": _("Tuesday"),
    "wed": _("Wednesday"),
    "thu": _("Thursday"),
    "fri": _("Friday"),
    "sat": _("Saturday"),
    "sun": _("Sunday"),
}


class WorkingHoursForm(ServiceFormMixin, forms.Form):
    """A weekly schedule (``accounts.hours``): not set, 24/7, or opening and closing per day."""

    not_set_label = _("Not set")
    hours_mode = forms.ChoiceField(label=_("Working hours"), choices=(), required=False)

    def __init__(self, *args, not_set_label=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["hours_mode"].choices = [
            ("", not_set_label or self.not_set_label),
            ("always", _("24/7")),
            ("days", _("These hours each week")),
        ]
        for day, label in _DAY_NAMES.items():
            attrs = {"placeholder": "09:00", "inputmode": "numeric", "size": 5, "maxlength": 5}
            self.fields[f"{day}_open"] = forms.CharField(
                label=_("%(day)s opens") % {"day": label},
                required=False,
                max_length=5,
                widget=forms.TextInput(attrs=attrs),
            )
            self.fields[f"{day}_close"] = forms.CharField(
                label=_("%(day)s closes") % {"day": label},
                required=False,
                max_length=5,
                widget=forms.TextInput(attrs={**attrs, "placeholder": "17:00"}),
                help_text=_("Leave both empty for a closed day; 24:00 is midnight."),
            )

    @staticmethod
    def initial_for(schedule: dict) -> dict:
        if not schedule:
            return {"hours_mode": ""}
        if schedule.get("always"):
            return {"hours_mode": "always"}
        out = {"hours_mode": "days"}
        for day, (opens, closes) in (schedule.get("days") or {}).items():
            out[f"{day}_open"], out[f"{day}_close"] = opens, closes
        return out

    def clean(self):
        data = super().clean()
        mode = data.get("hours_mode")
        if mode == "always":
            data["working_hours"] = {"always": True}
        elif mode == "days":
            days = {}
            for day in _DAY_NAMES:
                opens, closes = data.get(f"{day}_open") or "", data.get(f"{day}_close") or ""
                if opens or closes:
                    days[day] = [opens, closes]
            try:
                data["working_hours"] = hours.clean_schedule({"days": days})
            except hours.ScheduleError as exc:
                for day, messages in exc.fields.items():
                    field = f"{day}_open" if f"{day}_open" in self.fields else "hours_mode"
                    for message in messages:
                        self.add_error(field, message)
        else:
            data["working_hours"] = {}
        return data


class TeamForm(ServiceFormMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    parent = forms.ModelChoiceField(
        label=_("Parent team"),
        queryset=Team.objects.none(),
        required=False,
        empty_label=_("— none (top level) —"),
    )
    description = forms.CharField(label=_("Description"), max_length=300, required=False)

    def __init__(self, *args, organization, exclude: Team | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        qs = Team.objects.for_org(organization).order_by("name")
        if exclude is not None:
            qs = qs.exclude(pk=exclude.pk)
        self.fields["parent"].queryset = qs


class TeamSettingsForm(WorkingHoursForm, TeamForm):
    """The team page: name and place in the tree, its lead, its working hours and their zone."""

    not_set_label = _("Not set: every hour counts")
    lead = forms.ModelChoiceField(
        label=_("Team lead"),
        queryset=Membership.objects.none(),
        required=False,
        empty_label=_("— no lead —"),
        help_text=_("One of its members, told when the team's inbox misses its SLA."),
    )
    timezone = forms.ChoiceField(label=_("Time zone of its working hours"), required=False)

    def __init__(self, *args, organization, exclude: Team | None = None, **kwargs):
        super().__init__(*args, organization=organization, exclude=exclude, **kwargs)
        # the team's own members (and whoever leads it now)
        leads = Membership.objects.for_org(organization).filter(is_active=True)
        if exclude is not None:
            leads = leads.filter(Q(teams=exclude) | Q(pk=exclude.lead_id)).distinct()
        self.fields["lead"].queryset = leads.select_related("user").order_by(
            "user__full_name", "user__email"
        )
        self.fields["lead"].label_from_instance = lambda m: m.user.get_full_name()
        self.fields["timezone"].choices = [
            ("", _("The organization's (%(zone)s)") % {"zone": organization.timezone}),
            *TIMEZONE_CHOICES,
        ]
        first = ["name", "parent", "description", "lead", "timezone", "hours_mode"]
        self.order_fields(first)


class InvitationForm(ServiceFormMixin, forms.Form):
    email = forms.EmailField(label=_("E-mail address"))
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.CONTRIBUTOR)
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.none(), required=False, empty_label=_("— no team —")
    )

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = Team.objects.for_org(organization).order_by("name")


class MemberForm(ServiceFormMixin, forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    teams = forms.ModelMultipleChoiceField(
        label=_("Teams"),
        queryset=Team.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["teams"].queryset = Team.objects.for_org(organization).order_by("name")


class ProfileForm(ServiceFormMixin, forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=150, required=False)
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    timezone = forms.ChoiceField(
        label=_("Time zone"),
        choices=TIMEZONE_CHOICES,
        help_text=_("Every time in SocialOps is shown in this zone."),
    )


class InvitationSignupForm(ServiceFormMixin, forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=150)
    password = forms.CharField(
        label=_("Password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 10 characters; not a common password."),
    )
    password_again = forms.CharField(
        label=_("Password again"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password") != data.get("password_again"):
            self.add_error("password_again", _("The two passwords differ."))
        return data


class ApiTokenForm(ServiceFormMixin, forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=100, help_text=_("What the token is for, e.g. “BI export”.")
    )
    expires_at = forms.DateTimeField(
        label=_("Expires"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text=_("Leave empty for a token that lasts until revoked."),
    )
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"),
        choices=scope_choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Limit what the token may call. None ticked: everything your role allows."),
    )
