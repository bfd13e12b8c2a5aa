"""The per-variant figures on the post page (publishing's template includes them; publishing's
code never imports analytics)."""

from __future__ import annotations

from django import template

from accounts.capabilities import Capability, can

from .. import posts

register = template.Library()

#: a post with one of these statuses has published variants
_PUBLISHED = ("published", "partially_published")


@register.inclusion_tag("analytics/_post_figures.html", takes_context=True)
def post_figures_panel(context, post):
    """Each published variant's latest figures, on the channels the viewer may see analytics of
    (nothing for a post not published yet, or for a viewer without analytics)."""
    request = context.get("request")
    membership = getattr(request, "membership", None)
    rows = []
    if post.status in _PUBLISHED and membership is not None:
        rows = posts.post_figures(membership, post)
    return {
        "current_org": context.get("current_org"),
        "post": post,
        "rows": rows,
        "labels": posts.METRIC_LABELS,
        "may_view_table": membership is not None and can(membership, Capability.VIEW_ANALYTICS),
    }


@register.filter
def duration(seconds):
    """``45 minutes``, ``3.5 hours`` in the active language; a dash for none."""
    from ..summary import duration_text

    return "\u2013" if seconds is None else duration_text(seconds)


@register.simple_tag
def channel_cells(row):
    """A dashboard channel row's figure cells (``ChannelRow.cells``), written in one pass: a dash
    titled "Not available for <network>" for a figure the network does not report, the engagement
    rate to two decimals, counts grouped — as the template's filters write them, without a template
    node per cell (25 rows × 8 figures a page)."""
    from django.contrib.humanize.templatetags.humanize import intcomma
    from django.template.defaultfilters import floatformat
    from django.utils.html import escape, format_html
    from django.utils.safestring import mark_safe
    from django.utils.translation import gettext

    missing = None
    out = []
    for key, value in row.cells:
        if value is None:
            if missing is None:
                missing = format_html(
                    '<span class="muted" title="{}">\u2013</span>',
                    gettext("Not available for %(network)s") % {"network": row.network_name},
                )
            text = missing
        elif key == "engagement_rate":
            text = escape(f"{floatformat(value, 2)} %")
        else:
            text = escape(intcomma(value))
        out.append(f'<td data-metric="{escape(key)}">{text}</td>')
    return mark_safe("".join(out))  # noqa: S308 (every part escaped above)
