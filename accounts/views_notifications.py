"""The bell, the notifications page and each person's notification settings (per organization).

Everything here is the viewer's own: a notification of someone else (or of another
organization) is the same 404 as a missing one.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import notifications as service
from .models import Notification, NotificationKind

PAGE_SIZE = 30


def get_notification_for_member(membership, notification_id: int) -> Notification:
    """The viewer's own notification in this organization, or a 404 (foreign, someone else's, missing)."""
    notification = (
        service.notifications_for(membership.organization, membership.user)
        .filter(pk=notification_id)
        .first()
    )
    if notification is None:
        raise Http404
    return notification


@require_GET
def notification_list(request, org_slug):
    org = request.organization
    rows = service.notifications_for(org, request.user).select_related("actor")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    # Rendered now, in the reader's language and zone (not in those of the day it was sent).
    page.object_list = service.render_for_reader(
        page.object_list, organization=org, user=request.user
    )
    return render(
        request,
        "accounts/notifications.html",
        {"page": page, "unread": service.unread_count(org, request.user)},
    )


@require_GET
def notification_bell(request, org_slug):
    """The bell alone, for htmx polling from the header."""
    return render(
        request,
        "accounts/notifications_bell.html",
        {"unread": service.unread_count(request.organization, request.user), "bell_polling": True},
    )


@require_POST
def notification_open(request, org_slug, notification_id):
    """Mark one read and follow its link — only ever to a path on this site (no open redirect)."""
    notification = get_notification_for_member(request.membership, notification_id)
    service.mark_read(notification)
    target = service.safe_local_url(notification.url)
    if target:
        return redirect(target)
    return redirect("notification_list", org_slug=request.organization.slug)


@require_POST
def notification_read_all(request, org_slug):
    count = service.mark_all_read(request.organization, request.user)
    if count:
        messages.success(request, _("All notifications marked as read."))
    return redirect("notification_list", org_slug=request.organization.slug)


class NotificationSettingsForm(forms.Form):
    """One in-app and one e-mail checkbox per kind."""

    def __init__(self, *args, current: dict[str, tuple[bool, bool]], **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = []
        for kind, label in NotificationKind.choices:
            in_app, email = current[kind]
            self.fields[f"{kind}__in_app"] = forms.BooleanField(
                required=False, initial=in_app, label=_("In the app")
            )
            self.fields[f"{kind}__email"] = forms.BooleanField(
                required=False, initial=email, label=_("By e-mail")
            )
            self.rows.append((kind, label))

    def bound_rows(self):
        return [
            (kind, label, self[f"{kind}__in_app"], self[f"{kind}__email"])
            for kind, label in self.rows
        ]

    def choices(self) -> dict[str, tuple[bool, bool]]:
        d = self.cleaned_data
        return {kind: (d[f"{kind}__in_app"], d[f"{kind}__email"]) for kind, _label in self.rows}


@require_http_methods(["GET", "POST"])
def notification_settings(request, org_slug):
    org = request.organization
    current = service.preferences_for(org, request.user)
    form = NotificationSettingsForm(request.POST or None, current=current)
    if request.method == "POST" and form.is_valid():
        service.set_preferences(org, request.user, form.choices())
        messages.success(request, _("Notification settings saved."))
        return redirect("notification_settings", org_slug=org.slug)
    return render(request, "accounts/notifications_settings.html", {"form": form})
