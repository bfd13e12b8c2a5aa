"""Every change to a custom dashboard and its widgets: checked, saved, written to the audit log.

Who may change a dashboard: its creator (while they still see analytics) and whoever manages the
organization (owners and admins) — :func:`analytics.dashboards.selectors.may_edit`. Anyone who
sees analytics may create one, and may duplicate one they can see (the copy is theirs).
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.capabilities import Capability, can, require
from socialops.audit.services import record_event
from socialops.errors import NotAllowed, ValidationFailed

from . import catalog
from .catalog import Breakdown, Kind
from .models import Dashboard, Widget
from .selectors import may_edit

_FILTERS = ("range_days", "team", "network", "channel", "campaign")


def _fail(field: str, message: str):
    raise ValidationFailed(message, fields={field: [message]})


def _user_of(by):
    return getattr(by, "user", None)


def _require_edit(by, dashboard: Dashboard) -> None:
    if not may_edit(by, dashboard):
        raise NotAllowed(_("Only the dashboard's creator and administrators may change it."))


# --- checks ---------------------------------------------------------------------------------------


def clean_name(name) -> str:
    name = (name or "").strip()
    if not name:
        _fail("name", _("Give the dashboard a name."))
    if len(name) > 100:
        _fail("name", _("Give at most 100 characters."))
    return name


def clean_filters(organization, values: dict) -> dict:
    """The default filters, checked: a range preset, and a team, channel or campaign of the
    organization (objects, already looked up in it), a network the product knows."""
    from channels_registry.providers import REGISTRY

    out = {}
    if "range_days" in values:
        if values["range_days"] not in catalog.RangePreset.values:
            _fail(
                "range_days",
                _("Choose one of these ranges (days): %(allowed)s.")
                % {"allowed": ", ".join(str(v) for v in catalog.RangePreset.values)},
            )
        out["range_days"] = values["range_days"]
    for name in ("team", "channel", "campaign"):
        if name in values:
            obj = values[name]
            if obj is not None and obj.organization_id != organization.pk:
                _fail(name, _("Choose one of this organization's."))
            out[name] = obj
    if "network" in values:
        network = values["network"] or ""
        if network and network not in REGISTRY:
            _fail("network", _("Unknown network %(network)s.") % {"network": network})
        out["network"] = network
    return out


def clean_widget(
    *,
    kind: str,
    metric: str = "",
    breakdown: str = "",
    options: dict | None = None,
    width: int | None = None,
    height: int | None = None,
    title: str = "",
) -> dict:
    """A widget's fields, checked (an unknown kind, metric or breakdown, a size off the grid or a
    bad option is a ``ValidationFailed`` naming the field); defaults filled in."""
    if kind not in Kind.values:
        _fail(
            "kind",
            _("Unknown widget kind %(kind)s. Choose one of: %(allowed)s.")
            % {"kind": repr(kind), "allowed": ", ".join(Kind.values)},
        )
    if kind == Kind.BREAKDOWN:
        if breakdown not in Breakdown.values:
            _fail(
                "breakdown",
                _("Choose what to break the figures down by: %(allowed)s.")
                % {"allowed": ", ".join(Breakdown.values)},
            )
    elif breakdown:
        _fail("breakdown", _("Only a breakdown widget takes a breakdown."))
    allowed = catalog.metrics_for(kind, breakdown)
    if allowed:
        metric = metric or catalog.DEFAULT_METRIC.get(kind, "")
        if metric not in allowed:
            _fail(
                "metric",
                _("Unknown metric %(metric)s for this widget. Choose one of: %(allowed)s.")
                % {"metric": repr(metric), "allowed": ", ".join(allowed)},
            )
    elif metric:
        _fail("metric", _("This kind of widget takes no metric."))
    default_width, default_height = catalog.DEFAULT_SIZE[kind]
    width = default_width if width is None else width
    height = default_height if height is None else height
    if isinstance(width, bool) or width not in catalog.WIDTHS:
        _fail(
            "width",
            _("Choose a width of %(allowed)s columns (of 12).")
            % {"allowed": ", ".join(str(w) for w in catalog.WIDTHS)},
        )
    if isinstance(height, bool) or height not in catalog.HEIGHTS:
        _fail(
            "height",
            _("Choose a height of %(allowed)s rows.")
            % {"allowed": ", ".join(str(h) for h in catalog.HEIGHTS)},
        )
    if options is not None and not isinstance(options, dict):
        _fail("options", _('Give the options as an object, e.g. {"limit": 5}.'))
    options = dict(options or {})
    unknown = sorted(set(options) - {"limit"})
    if unknown:
        _fail("options", _("Unknown option %(name)s; widgets take: limit.") % {"name": unknown[0]})
    if "limit" in options:
        limit = options["limit"]
        if (
            not isinstance(limit, int)
            or isinstance(limit, bool)
            or not catalog.LIMIT_MIN <= limit <= catalog.LIMIT_MAX
        ):
            _fail(
                "options",
                _("The limit is a whole number from %(min)d to %(max)d.")
                % {"min": catalog.LIMIT_MIN, "max": catalog.LIMIT_MAX},
            )
    title = (title or "").strip()
    if len(title) > 100:
        _fail("title", _("Give at most 100 characters."))
    return {
        "kind": kind,
        "metric": metric,
        "breakdown": breakdown,
        "options": options,
        "width": width,
        "height": height,
        "title": title,
    }


def _touch(dashboard: Dashboard) -> None:
    dashboard.updated_at = timezone.now()
    Dashboard.objects.for_org(dashboard.organization_id).filter(pk=dashboard.pk).update(
        updated_at=dashboard.updated_at
    )


def _record(by, dashboard, action: str, via: str, changes: dict | None = None) -> None:
    record_event(
        dashboard.organization,
        f"analytics.{action}",
        obj=dashboard,
        actor=_user_of(by),
        via=via,
        changes=changes or {},
    )


# --- dashboards -----------------------------------------------------------------------------------


@transaction.atomic
def create_dashboard(by, *, name: str, description: str = "", via: str = "web", **filters):
    require(by, Capability.VIEW_ANALYTICS)
    org = by.organization
    unknown = set(filters) - set(_FILTERS)
    if unknown:
        raise TypeError(f"unknown filters {sorted(unknown)}")
    values = clean_filters(org, filters)
    description = (description or "").strip()
    if len(description) > 500:
        _fail("description", _("Give at most 500 characters."))
    dashboard = Dashboard.objects.create(
        organization=org,
        name=clean_name(name),
        description=description,
        created_by=_user_of(by),
        **values,
    )
    _record(by, dashboard, "dashboard_created", via, {"name": dashboard.name})
    return dashboard


@transaction.atomic
def update_dashboard(dashboard: Dashboard, *, by, via: str = "web", **changes) -> Dashboard:
    """Rename it, describe it, change its default filters (only the fields given)."""
    _require_edit(by, dashboard)
    unknown = set(changes) - {"name", "description", *_FILTERS}
    if unknown:
        raise TypeError(f"unknown fields {sorted(unknown)}")
    if "name" in changes:
        dashboard.name = clean_name(changes["name"])
    if "description" in changes:
        description = (changes["description"] or "").strip()
        if len(description) > 500:
            _fail("description", _("Give at most 500 characters."))
        dashboard.description = description
    for field, value in clean_filters(dashboard.organization, changes).items():
        setattr(dashboard, field, value)
    dashboard.updated_at = timezone.now()
    dashboard.save()
    _record(
        by,
        dashboard,
        "dashboard_changed",
        via,
        {k: str(getattr(dashboard, k, "")) for k in changes if k != "description"},
    )
    return dashboard


@transaction.atomic
def delete_dashboard(dashboard: Dashboard, *, by, via: str = "web") -> None:
    _require_edit(by, dashboard)
    _record(by, dashboard, "dashboard_deleted", via, {"name": dashboard.name})
    dashboard.delete()


@transaction.atomic
def duplicate_dashboard(
    dashboard: Dashboard, *, by, name: str | None = None, via: str = "web"
) -> Dashboard:
    """A copy of the dashboard and its widgets (in their order and sizes), made by and for ``by``."""
    require(by, Capability.VIEW_ANALYTICS)
    default = (_("Copy of %(name)s") % {"name": dashboard.name})[:100]
    copy_name = clean_name(default if name is None else name)
    copy = Dashboard.objects.create(
        organization_id=dashboard.organization_id,
        name=copy_name[:100],
        description=dashboard.description,
        created_by=_user_of(by),
        range_days=dashboard.range_days,
        team_id=dashboard.team_id,
        network=dashboard.network,
        channel_id=dashboard.channel_id,
        campaign_id=dashboard.campaign_id,
    )
    widgets = list(Widget.objects.for_org(dashboard.organization_id).filter(dashboard=dashboard))
    Widget.objects.bulk_create(
        [
            Widget(
                organization_id=w.organization_id,
                dashboard=copy,
                kind=w.kind,
                title=w.title,
                metric=w.metric,
                breakdown=w.breakdown,
                options=dict(w.options),
                position=n,
                width=w.width,
                height=w.height,
            )
            for n, w in enumerate(widgets)
        ]
    )
    _record(by, copy, "dashboard_duplicated", via, {"from": dashboard.pk, "name": copy.name})
    return copy


# --- widgets --------------------------------------------------------------------------------------


@transaction.atomic
def add_widget(dashboard: Dashboard, *, by, via: str = "web", **fields) -> Widget:
    """A new widget at the end of the dashboard."""
    _require_edit(by, dashboard)
    values = clean_widget(**fields)
    widgets = Widget.objects.for_org(dashboard.organization_id).filter(dashboard=dashboard)
    if widgets.count() >= catalog.MAX_WIDGETS:
        _fail(
            "kind",
            _("A dashboard holds at most %(max)d widgets.") % {"max": catalog.MAX_WIDGETS},
        )
    last = widgets.aggregate(last=Max("position"))["last"]
    widget = Widget.objects.create(
        organization_id=dashboard.organization_id,
        dashboard=dashboard,
        position=0 if last is None else last + 1,
        **values,
    )
    _touch(dashboard)
    _record(by, dashboard, "widget_added", via, {"widget": widget.pk, "kind": widget.kind})
    return widget


@transaction.atomic
def update_widget(widget: Widget, *, by, via: str = "web", **changes) -> Widget:
    """Retitle it, change its metric, breakdown or options, resize it (only the fields given)."""
    dashboard = widget.dashboard
    _require_edit(by, dashboard)
    unknown = set(changes) - {"title", "metric", "breakdown", "options", "width", "height"}
    if unknown:
        raise TypeError(f"unknown fields {sorted(unknown)}")
    current = {
        "kind": widget.kind,
        "metric": widget.metric,
        "breakdown": widget.breakdown,
        "options": widget.options,
        "width": widget.width,
        "height": widget.height,
        "title": widget.title,
    }
    if "breakdown" in changes and "metric" not in changes:
        # a new breakdown may take other metrics: keep the metric only when it still fits
        if current["metric"] not in catalog.metrics_for(widget.kind, changes["breakdown"] or ""):
            current["metric"] = ""
    values = clean_widget(**{**current, **changes})
    for field, value in values.items():
        setattr(widget, field, value)
    widget.updated_at = timezone.now()
    widget.save()
    _touch(dashboard)
    _record(
        by,
        dashboard,
        "widget_changed",
        via,
        {"widget": widget.pk, **{k: str(v) for k, v in changes.items()}},
    )
    return widget


@transaction.atomic
def remove_widget(widget: Widget, *, by, via: str = "web") -> None:
    dashboard = widget.dashboard
    _require_edit(by, dashboard)
    pk = widget.pk
    widget.delete()
    _touch(dashboard)
    _record(by, dashboard, "widget_removed", via, {"widget": pk})


def _renumber(dashboard: Dashboard, ids: list[int]) -> None:
    widgets = {
        w.pk: w
        for w in Widget.objects.for_org(dashboard.organization_id).filter(dashboard=dashboard)
    }
    changed = []
    for n, pk in enumerate(ids):
        w = widgets[pk]
        if w.position != n:
            w.position = n
            changed.append(w)
    Widget.objects.for_org(dashboard.organization_id).bulk_update(changed, ["position"])


@transaction.atomic
def reorder_widgets(dashboard: Dashboard, *, by, order: list[int], via: str = "web") -> None:
    """Put the widgets in ``order`` (every widget's id, once): what a drag leaves."""
    _require_edit(by, dashboard)
    # the dashboard row's lock: two arrangements at once apply one after the other
    Dashboard.objects.for_org(dashboard.organization_id).select_for_update().filter(
        pk=dashboard.pk
    ).exists()
    ids = list(
        Widget.objects.for_org(dashboard.organization_id)
        .filter(dashboard=dashboard)
        .values_list("pk", flat=True)
    )
    if sorted(order) != sorted(ids) or len(set(order)) != len(order):
        _fail("order", _("Give every widget of this dashboard once, in the new order."))
    _renumber(dashboard, order)
    _touch(dashboard)
    _record(by, dashboard, "widgets_arranged", via, {"order": order})


@transaction.atomic
def move_widget(widget: Widget, *, by, direction: str, via: str = "web") -> None:
    """One place earlier or later (the keyboard's and the no-script arrangement)."""
    dashboard = widget.dashboard
    _require_edit(by, dashboard)
    if direction not in ("earlier", "later"):
        _fail("direction", _("Move a widget earlier or later."))
    ids = list(
        Widget.objects.for_org(dashboard.organization_id)
        .filter(dashboard=dashboard)
        .select_for_update()
        .values_list("pk", flat=True)
    )
    i = ids.index(widget.pk)
    j = i - 1 if direction == "earlier" else i + 1
    if 0 <= j < len(ids):
        ids[i], ids[j] = ids[j], ids[i]
        _renumber(dashboard, ids)
        _touch(dashboard)
        _record(by, dashboard, "widgets_arranged", via, {"order": ids})


__all__ = [
    "add_widget",
    "clean_widget",
    "create_dashboard",
    "delete_dashboard",
    "duplicate_dashboard",
    "move_widget",
    "remove_widget",
    "reorder_widgets",
    "update_dashboard",
    "update_widget",
]


# --- share links ----------------------------------------------------------------------------------
# The links are the kernel's (socialops.sharing, kind "dashboard"); a dashboard is shared by whoever
# may change it (its creator, administrators): a link shows the organization's figures to people
# outside it, a step beyond reading them, as the calendar keeps sharing to those who publish.


@transaction.atomic
def create_share_link(
    dashboard: Dashboard,
    *,
    by,
    name: str,
    timezone_name: str = "UTC",
    expires_at=None,
    via: str = "web",
):
    """A read-only link to ``dashboard`` as ``by`` sees it; returns the link and its token (shown
    once). ``expires_at`` None: it works until revoked. The kernel checks the name and the expiry
    and writes the audit log (``dashboard_share.created``)."""
    from socialops.sharing import services as sharing

    from .selectors import SHARE_KIND

    if not may_edit(by, dashboard):
        raise NotAllowed(_("Only the dashboard's creator and administrators may share it."))
    return sharing.create_link(
        dashboard.organization,
        kind=SHARE_KIND,
        by=_user_of(by),
        name=name,
        target_id=dashboard.pk,
        timezone_name=timezone_name or "UTC",
        expires_at=expires_at,
        audit_changes={"dashboard": dashboard.name},
    )


def revoke_share_link(link, *, dashboard: Dashboard | None, by):
    """Turn the link off at once (its page answers 410). A deleted dashboard's link (``dashboard``
    None) is revoked by administrators."""
    from socialops.sharing import services as sharing

    allowed = (
        may_edit(by, dashboard)
        if dashboard is not None
        else can(by, Capability.MANAGE_ORGANIZATION)
    )
    if not allowed:
        raise NotAllowed(_("Only the dashboard's creator and administrators may share it."))
    return sharing.revoke_link(link, by=_user_of(by))
