"""Saved views of the inbox list: a member keeps the current filters under a name."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from socialops.errors import Conflict, NotAllowed, ValidationFailed

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


def _checked_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        message = _("Give the view a name.")
        raise ValidationFailed(message, fields={"name": [message]})
    if len(name) > 80:
        message = _("A view's name is at most 80 characters.")
        raise ValidationFailed(message, fields={"name": [message]})
    return name


def save_view(membership, *, name: str, query: str, shared: bool = False) -> SavedView:
    """Keep ``query``'s filters as ``name`` (saving again under the same name replaces them)."""
    name = _checked_name(name)
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


def _duplicate_name() -> Conflict:
    message = _("You already have a view with this name.")
    return Conflict(message, fields={"name": [message]}, code="duplicate_name")


@transaction.atomic
def rename_view(view: SavedView, *, by, name: str) -> SavedView:
    """Give ``view`` a new ``name``: only its owner may, and not the name of another of their views
    (saving would then replace that one's filters: a rename never does)."""
    if view.owner_id != by.pk or view.organization_id != by.organization_id:
        raise NotAllowed(_("Only its owner renames a saved view."))
    name = _checked_name(name)
    if name == view.name:
        return view
    others = SavedView.objects.for_org(view.organization_id).filter(owner=by, name=name)
    if others.exclude(pk=view.pk).exists():
        raise _duplicate_name()
    view.name = name
    try:
        with transaction.atomic():  # (another request took the name since the check)
            view.save(update_fields=["name"])
    except IntegrityError:
        raise _duplicate_name() from None
    return view


def delete_view(view: SavedView) -> None:
    view.delete()
