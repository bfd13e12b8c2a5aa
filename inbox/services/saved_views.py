"""Saved views of the inbox list: a member keeps the current filters under a name."""

from __future__ import annotations

from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from socialops.errors import ValidationFailed

from ..models import SavedView

#: the list's filters (``InboxFilterForm``'s fields); anything else (the page, stray
#: parameters) is not kept
FILTER_KEYS = (
    "q",
    "status",
    "channel",
    "network",
    "assignee",
    "sentiment",
    "language",
    "tag",
    "team",
    "last_from",
    "last_to",
    "sort",
)

#: (key, name, query) shown to everyone above the saved ones
BUILT_IN = (
    ("my-open", gettext_lazy("My open"), "status=open&assignee=me"),
    (
        "unassigned-negative",
        gettext_lazy("Unassigned negative"),
        "assignee=none&sentiment=negative",
    ),
)


def clean_query(raw: str) -> str:
    """Only the filters of ``raw`` (a query string), non-empty, in the form's order."""
    given = QueryDict(raw or "")
    kept = QueryDict(mutable=True)
    for key in FILTER_KEYS:
        value = given.get(key, "").strip()
        if value:
            kept[key] = value[:200]
    return kept.urlencode()


def query_of_post(post) -> str:
    """The filters a save posts: the filter form's own fields when they came along (htmx
    includes them, current however the list was narrowed), else the page's ``query``."""
    if any(key in post for key in FILTER_KEYS):
        return clean_query(post.urlencode())
    return clean_query(post.get("query", ""))


def save_view(membership, *, name: str, query: str, shared: bool = False) -> SavedView:
    """Keep ``query``'s filters as ``name`` (saving again under the same name replaces them)."""
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(_("Give the view a name."))
    if len(name) > 80:
        raise ValidationFailed(_("A view's name is at most 80 characters."))
    query = clean_query(query)
    if len(query) > SavedView._meta.get_field("query").max_length:
        message = _("These filters are too long to save: shorten the search.")
        raise ValidationFailed(message, fields={"query": [message]})
    view, _created = SavedView.objects.for_org(membership.organization).update_or_create(
        organization=membership.organization,
        owner=membership,
        name=name,
        defaults={"query": query, "shared": bool(shared)},
    )
    return view


def delete_view(view: SavedView) -> None:
    view.delete()
