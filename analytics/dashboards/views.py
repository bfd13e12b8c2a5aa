"""The custom dashboards' pages, under /o/<slug>/analytics/dashboards/. Short: parse, check, one
service or selector, render.

:func:`render_dashboard` renders one dashboard's figures as a member sees them, with or without the
edit controls; a read-only shared page (the kernel's share links) reuses it with
``editable=False`` and its own template around ``analytics/dashboards/_board.html``.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.capabilities import Capability, require_page
from accounts.selectors import teams_of
from channels_registry.selectors import provider_names
from publishing.selectors import campaigns_of
from socialops.db_router import reads_from_replica
from socialops.errors import ApplicationError, NotAllowed, ValidationFailed
from socialops.sharing.views import shared_link

from ..selectors import analytics_channel_list
from . import catalog, selectors, services
from .forms import DashboardForm, RangeForm, ShareLinkForm, WidgetEditForm, WidgetForm

#: one template per widget kind, under analytics/dashboards/widgets/ (time series and breakdowns draw a chart)
WIDGET_TEMPLATES = {
    kind: f"analytics/dashboards/widgets/{kind}.html" for kind in catalog.Kind.values
}


def render_dashboard(
    request,
    dashboard,
    *,
    as_member,
    editable: bool = False,
    public: bool = False,
    template: str = "analytics/dashboards/detail.html",
    extra: dict | None = None,
    status: int = 200,
):
    """The dashboard's page: its widgets' data as ``as_member`` sees them (the member asking, or
    the member a share link acts for), over the range in ``?since=&until=`` (a bad range: the
    preset's figures, the errors beside them, a 400). ``editable=False`` leaves out the edit
    controls; ``public=True`` (a shared page, no account) also leaves out the links into the
    organization (posts, duplicate): ``template`` then wraps ``analytics/dashboards/_board.html``."""
    form = RangeForm(request.GET or None)
    filters = None
    if (
        form.is_bound
        and form.is_valid()
        and (form.cleaned_data["since"] or form.cleaned_data["until"])
    ):
        try:
            filters = selectors.board_filters(
                dashboard, since=form.cleaned_data["since"], until=form.cleaned_data["until"]
            )
        except ApplicationError as exc:
            for name, msgs in exc.fields.items():
                for message in msgs:
                    form.add_error(name if name in form.fields else None, message)
    if form.is_bound and form.errors:
        status = 400
    data = selectors.board_data(as_member, dashboard, filters)
    if not form.is_bound:  # the inputs show the range the figures are for (the preset's)
        form = RangeForm(
            initial={"since": data.filters.range.since, "until": data.filters.range.until}
        )
    context = {
        "data": data,
        "dashboard": dashboard,
        "range_form": form,
        "editable": editable,
        "public": public,
        "widget_templates": WIDGET_TEMPLATES,
        "post_metrics": catalog.POST_METRICS,
        **(extra or {}),
    }
    return render(request, template, context, status=status)


def _options(request):
    member = request.membership
    channels = analytics_channel_list(member)
    names = provider_names()
    return {
        "teams": teams_of(member.organization).order_by("name"),
        "networks": sorted({(c.provider, names.get(c.provider, c.provider)) for c in channels}),
        "channels": channels,
        "campaigns": campaigns_of(request.organization),
    }


def _editable(request, dashboard):
    if not selectors.may_edit(request.membership, dashboard):
        raise PermissionDenied
    return dashboard


@require_GET
def dashboard_list(request, org_slug):
    require_page(request, Capability.VIEW_ANALYTICS)
    dashboards = list(selectors.dashboards_of(request.organization))
    for d in dashboards:
        d.editable = selectors.may_edit(request.membership, d)
    return render(request, "analytics/dashboards/list.html", {"dashboards": dashboards})


@require_http_methods(["GET", "POST"])
def dashboard_create(request, org_slug):
    require_page(request, Capability.VIEW_ANALYTICS)
    form = DashboardForm(
        request.POST or None,
        initial={"range_days": catalog.RangePreset.LAST_28},
        **_options(request),
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                dashboard = services.create_dashboard(request.membership, **form.service_values())
            except ApplicationError as exc:
                form.apply_error(exc)
            else:
                messages.success(request, _("Dashboard created: now add its widgets."))
                return redirect("analytics_dashboard_edit", org_slug, dashboard.pk)
        status = 400
    return render(
        request, "analytics/dashboards/form.html", {"form": form, "dashboard": None}, status=status
    )


@require_GET
def dashboard_detail(request, org_slug, dashboard_id):
    require_page(request, Capability.VIEW_ANALYTICS)
    dashboard = selectors.get_dashboard(request.organization, dashboard_id)
    return render_dashboard(
        request,
        dashboard,
        as_member=request.membership,
        editable=selectors.may_edit(request.membership, dashboard),
    )


def _edit_page(request, dashboard, *, form=None, widget_form=None, status=200):
    widgets = list(selectors.widgets_of(dashboard))
    for w in widgets:
        w.edit_form = WidgetEditForm(
            initial={"title": w.title, "width": w.width, "height": w.height},
            prefix=f"w{w.pk}",
        )
    if form is None:
        form = DashboardForm(
            initial={
                "name": dashboard.name,
                "description": dashboard.description,
                "range_days": dashboard.range_days,
                "team": dashboard.team_id,
                "network": dashboard.network,
                "channel": dashboard.channel_id,
                "campaign": dashboard.campaign_id,
            },
            **_options(request),
        )
    return render(
        request,
        "analytics/dashboards/edit.html",
        {
            "dashboard": dashboard,
            "form": form,
            "widget_form": widget_form or WidgetForm(),
            "widgets": widgets,
            "max_widgets": catalog.MAX_WIDGETS,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
def dashboard_edit(request, org_slug, dashboard_id):
    """The dashboard's settings (name, description, default filters), its widgets to arrange,
    resize and remove, and the form that adds one."""
    require_page(request, Capability.VIEW_ANALYTICS)
    dashboard = _editable(request, selectors.get_dashboard(request.organization, dashboard_id))
    if request.method == "GET":
        return _edit_page(request, dashboard)
    form = DashboardForm(request.POST, **_options(request))
    if form.is_valid():
        try:
            services.update_dashboard(dashboard, by=request.membership, **form.service_values())
        except ApplicationError as exc:
            form.apply_error(exc)
        else:
            messages.success(request, _("Dashboard saved."))
            return redirect("analytics_dashboard_edit", org_slug, dashboard.pk)
    return _edit_page(request, dashboard, form=form, status=400)


@require_POST
def dashboard_delete(request, org_slug, dashboard_id):
    require_page(request, Capability.VIEW_ANALYTICS)
    dashboard = _editable(request, selectors.get_dashboard(request.organization, dashboard_id))
    services.delete_dashboard(dashboard, by=request.membership)
    messages.success(request, _("Dashboard “%(name)s” deleted.") % {"name": dashboard.name})
    return redirect("analytics_dashboards", org_slug)


@require_POST
def dashboard_duplicate(request, org_slug, dashboard_id):
    """A copy with every widget, made by and for the person asking (they may then change it)."""
    require_page(request, Capability.VIEW_ANALYTICS)
    dashboard = selectors.get_dashboard(request.organization, dashboard_id)
    copy = services.duplicate_dashboard(dashboard, by=request.membership)
    messages.success(request, _("Dashboard duplicated: this is your copy."))
    return redirect("analytics_dashboard_edit", org_slug, copy.pk)


@require_POST
def widget_add(request, org_slug, dashboard_id):
    require_page(request, Capability.VIEW_ANALYTICS)
    dashboard = _editable(request, selectors.get_dashboard(request.organization, dashboard_id))
    form = WidgetForm(request.POST)
    if form.is_valid():
        try:
            services.add_widget(dashboard, by=request.membership, **form.service_values())
        except ApplicationError as exc:
            form.apply_error(exc)
        else:
            messages.success(request, _("Widget added."))
            return redirect("analytics_dashboard_edit", org_slug, dashboard.pk)
    return _edit_page(request, dashboard, widget_form=form, status=400)


def _widget(request, dashboard_id, widget_id):
    require_page(request, Capability.VIEW_ANALYTICS)
    dashboard = _editable(request, selectors.get_dashboard(request.organization, dashboard_id))
    return dashboard, selectors.get_widget(dashboard, widget_id)


@require_POST
def widget_update(request, org_slug, dashboard_id, widget_id):
    """Retitle and resize one widget."""
    dashboard, widget = _widget(request, dashboard_id, widget_id)
    form = WidgetEditForm(request.POST, prefix=f"w{widget.pk}")
    if form.is_valid():
        try:
            services.update_widget(widget, by=request.membership, **form.cleaned_data)
        except ApplicationError as exc:
            form.apply_error(exc)
        else:
            messages.success(request, _("Widget saved."))
            return redirect("analytics_dashboard_edit", org_slug, dashboard.pk)
    messages.error(
        request,
        _("The widget was not saved: %(errors)s")
        % {"errors": " ".join(str(e) for errs in form.errors.values() for e in errs)},
    )
    return _edit_page(request, dashboard, status=400)


@require_POST
def widget_remove(request, org_slug, dashboard_id, widget_id):
    dashboard, widget = _widget(request, dashboard_id, widget_id)
    services.remove_widget(widget, by=request.membership)
    messages.success(request, _("Widget removed."))
    return redirect("analytics_dashboard_edit", org_slug, dashboard.pk)


@require_POST
def widget_move(request, org_slug, dashboard_id, widget_id):
    """One place earlier or later: the keyboard's and the no-script way to arrange."""
    dashboard, widget = _widget(request, dashboard_id, widget_id)
    try:
        services.move_widget(
            widget, by=request.membership, direction=request.POST.get("direction", "")
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return _edit_page(request, dashboard, status=400)
    url = reverse("analytics_dashboard_edit", args=[org_slug, dashboard.pk])
    return redirect(f"{url}#widget-{widget.pk}")


@require_POST
def dashboard_arrange(request, org_slug, dashboard_id):
    """The order a drag left (``order``: every widget's id, comma-separated). Answers JSON to the
    script, or goes back to the edit page."""
    require_page(request, Capability.VIEW_ANALYTICS)
    dashboard = selectors.get_dashboard(request.organization, dashboard_id)
    wants_json = "application/json" in request.headers.get("Accept", "")
    try:
        if not selectors.may_edit(request.membership, dashboard):
            raise NotAllowed(_("Only the dashboard's creator and administrators may change it."))
        raw = [p.strip() for p in request.POST.get("order", "").split(",") if p.strip()]
        if not all(p.isdigit() and len(p) < 19 for p in raw):
            message = _("Give every widget of this dashboard once, in the new order.")
            raise ValidationFailed(message, fields={"order": [message]})
        services.reorder_widgets(dashboard, by=request.membership, order=[int(p) for p in raw])
    except ApplicationError as exc:
        if wants_json:
            return JsonResponse(
                {"ok": False, "error": {"message": exc.message}}, status=exc.http_status
            )
        if isinstance(exc, NotAllowed):
            raise PermissionDenied from None
        messages.error(request, exc.message)
        return _edit_page(request, dashboard, status=400)
    if wants_json:
        return JsonResponse({"ok": True, "message": _("Widgets arranged.")})
    messages.success(request, _("Widgets arranged."))
    return redirect("analytics_dashboard_edit", org_slug, dashboard.pk)


# --- share links -------------------------------------------------------------------------------------


def _viewer_zone(request) -> str:
    """The person's zone, else their organization's, else UTC (a share link keeps it)."""
    user = request.user
    name = getattr(user, "timezone", "") if user.is_authenticated else ""
    return name or getattr(request.organization, "timezone", "") or "UTC"


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _end_of_day(day, zone_name: str):
    """The instant ``day`` ends on the wall clock of ``zone_name`` (a link "works until" that day)."""
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=_zone(zone_name))


@require_http_methods(["GET", "POST"])
def dashboard_share(request, org_slug, dashboard_id):
    """Create a read-only link to the dashboard (shown once), list its links, revoke them."""
    require_page(request, Capability.VIEW_ANALYTICS)
    dashboard = _editable(request, selectors.get_dashboard(request.organization, dashboard_id))
    form = ShareLinkForm(request.POST or None)
    new_url = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            zone = _viewer_zone(request)
            expires_on = form.cleaned_data["expires_on"]
            try:
                _link, token = services.create_share_link(
                    dashboard,
                    by=request.membership,
                    name=form.cleaned_data["name"],
                    timezone_name=zone,
                    expires_at=_end_of_day(expires_on, zone) if expires_on else None,
                )
            except NotAllowed:
                raise PermissionDenied from None
            except ApplicationError as exc:
                form.apply_error(exc)
            else:
                new_url = request.build_absolute_uri(
                    reverse("dashboard_shared", kwargs={"share_token": token})
                )
                messages.success(
                    request, _("Share link created. Copy it now: it is shown only once.")
                )
                form = ShareLinkForm()
        if form.errors:
            status = 400
    return render(
        request,
        "analytics/dashboards/share.html",
        {
            "dashboard": dashboard,
            "form": form,
            "links": list(selectors.share_links_of(dashboard)[:100]),
            "new_url": new_url,
            "now": timezone.now(),
        },
        status=status,
    )


@require_POST
def dashboard_share_revoke(request, org_slug, dashboard_id, link_id):
    require_page(request, Capability.VIEW_ANALYTICS)
    dashboard = _editable(request, selectors.get_dashboard(request.organization, dashboard_id))
    link = selectors.get_share_link(dashboard, link_id)
    services.revoke_share_link(link, dashboard=dashboard, by=request.membership)
    messages.success(request, _("Share link revoked: it no longer opens the dashboard."))
    return redirect("analytics_dashboard_share", org_slug, dashboard.pk)


@require_GET
@shared_link(selectors.SHARE_KIND)
@reads_from_replica
def shared_dashboard(request, link, share_token):
    """The public, read-only dashboard of a share link (no account): as the link's creator sees it
    now, in the link's zone, without controls nor links into the organization. The kernel's
    decorator answers 404 (unknown, tampered) and 410 (expired, revoked, creator gone)."""
    dashboard = selectors.shared_dashboard(link)
    zone = _zone(link.timezone)
    with timezone.override(zone):
        return render_dashboard(
            request,
            dashboard,
            as_member=selectors.shared_link_creator(link),
            public=True,
            template="analytics/dashboards/shared.html",
            extra={"link": link, "org_name": link.organization.name, "zone": zone.key},
        )
