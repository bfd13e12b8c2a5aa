"""More inbox endpoints under /api/v1/ (the same services and rules as the pages; actions are
audited "via api"):

- ``GET/POST /api/v1/inbox-tags/``, ``GET/PATCH/DELETE …/{id}/``: the organization's tags
  (a duplicate name is a 409 ``duplicate_name``);
- ``GET/POST /api/v1/inbox-saved-replies/``, ``GET/PATCH/DELETE …/{id}/``: saved replies (shared
  ones are managed by admins, a team's by its members who moderate);
- ``GET/POST /api/v1/inbox-saved-views/``, ``GET/PATCH/DELETE …/{id}/``: the member's own saved
  views and those shared in the organization (only the owner renames or removes one);
- ``GET /api/v1/inbox-figures/?team=&member=&since=&until=``: the figures per day (inbox.figures).
"""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.response import Response

from accounts.capabilities import Capability
from socialops.api import (
    DateFilter,
    IdFilter,
    OneObjectSchema,
    OrgScopedViewSet,
    QueryFilter,
    TextFilter,
)
from socialops.errors import NotAllowed, ValidationFailed

from . import figures, services
from .models import Conversation, SavedReply, SavedView, Tag
from .services import saved_views
from .work_serializers import (
    FiguresOut,
    SavedReplyIn,
    SavedReplyOut,
    SavedReplyPatchIn,
    SavedViewIn,
    SavedViewOut,
    SavedViewPatchIn,
    TagIn,
    TagOut,
    TagPatchIn,
)

# --- tags -----------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="List inbox tags", description="The organization's tags, by name."),
    retrieve=extend_schema(summary="Get an inbox tag", description="One tag."),
    create=extend_schema(
        summary="Create an inbox tag",
        description="A new tag with a name (unique in the organization, whatever its case) and a "
        "colour. Another tag's name is a 409 `duplicate_name`.",
    ),
    partial_update=extend_schema(
        summary="Rename an inbox tag",
        description="Changes the name and/or colour; the conversations keep the tag. Another "
        "tag's name is a 409 `duplicate_name`.",
    ),
    destroy=extend_schema(
        summary="Delete an inbox tag",
        description="Deletes the tag and takes it off every conversation that had it.",
    ),
)
@extend_schema(tags=["inbox"])
class TagViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrgScopedViewSet):
    """The organization's inbox tags."""

    model = Tag
    serializer_class = TagOut
    read_capability = Capability.VIEW
    write_capability = Capability.MODERATE
    list_ordering = ("name", "id")
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def scoped_queryset(self, organization):
        return Tag.objects.for_org(organization)

    @extend_schema(request=TagIn, responses={201: TagOut})
    def create(self, request):
        payload = TagIn(data=request.data)
        payload.is_valid(raise_exception=True)
        tag = services.create_tag(self.membership, via="api", **payload.validated_data)
        return Response(TagOut(tag).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=TagPatchIn, responses=TagOut)
    def partial_update(self, request, pk=None):
        tag = self.get_object()
        payload = TagPatchIn(data=request.data)
        payload.is_valid(raise_exception=True)
        tag = services.update_tag(tag, by=self.membership, via="api", **payload.validated_data)
        return Response(TagOut(tag).data)

    def destroy(self, request, pk=None):
        services.delete_tag(self.get_object(), by=self.membership, via="api")
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- saved replies ------------------------------------------------------------------------------


def _team(organization, team_id):
    if team_id is None:
        return None
    from accounts.selectors import teams_of

    team = teams_of(organization).filter(pk=team_id).first()
    if team is None:
        message = _("Choose a team of this organization.")
        raise ValidationFailed(message, fields={"team": [message]})
    return team


@extend_schema_view(
    list=extend_schema(
        summary="List saved replies",
        description="The organization's saved replies, by title. `team` and `language` narrow the "
        "list (`language` empty: those for any language).",
    ),
    retrieve=extend_schema(summary="Get a saved reply", description="One saved reply."),
    create=extend_schema(
        summary="Create a saved reply",
        description="A ready answer for the whole organization (`team` null: admins only) or for "
        "one team (its members who moderate). Its text may name {first_name}, {channel} and "
        "{agent}; any other {word} is a 400.",
    ),
    partial_update=extend_schema(
        summary="Change a saved reply",
        description="Changes the fields given; the same rules as creating one.",
    ),
    destroy=extend_schema(
        summary="Delete a saved reply",
        description="Deletes it (the same people who may change it).",
    ),
)
@extend_schema(tags=["inbox"])
class SavedReplyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrgScopedViewSet):
    """Saved replies, per team and language."""

    model = SavedReply
    serializer_class = SavedReplyOut
    read_capability = Capability.VIEW
    # the services decide (may_manage_saved_reply)
    write_capability = Capability.MODERATE
    list_ordering = ("title", "id")
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    filters = (
        IdFilter("team", "Only this team's saved replies.", lookup="team_id"),
        TextFilter("language", "Only those in this language (ISO 639-1).", lookup="language"),
    )

    def scoped_queryset(self, organization):
        return SavedReply.objects.for_org(organization).select_related("team")

    @extend_schema(request=SavedReplyIn, responses={201: SavedReplyOut})
    def create(self, request):
        payload = SavedReplyIn(data=request.data)
        payload.is_valid(raise_exception=True)
        d = payload.validated_data
        saved = services.save_saved_reply(
            self.membership,
            title=d["title"],
            text=d["text"],
            team=_team(self.organization, d.get("team")),
            language=d.get("language", ""),
        )
        return Response(SavedReplyOut(saved).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=SavedReplyPatchIn, responses=SavedReplyOut)
    def partial_update(self, request, pk=None):
        saved = self.get_object()
        payload = SavedReplyPatchIn(data=request.data)
        payload.is_valid(raise_exception=True)
        d = payload.validated_data
        team = _team(self.organization, d["team"]) if "team" in d else saved.team
        saved = services.save_saved_reply(
            self.membership,
            title=d.get("title", saved.title),
            text=d.get("text", saved.text),
            team=team,
            language=d.get("language", saved.language),
            saved=saved,
        )
        return Response(SavedReplyOut(saved).data)

    def destroy(self, request, pk=None):
        services.delete_saved_reply(self.membership, self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- saved views --------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="List saved inbox views",
        description="The token's member's own saved views and those shared in the organization.",
    ),
    retrieve=extend_schema(summary="Get a saved inbox view", description="One saved view."),
    create=extend_schema(
        summary="Save an inbox view",
        description="Keeps the inbox list's filters (`query`, a query string; anything but the "
        "filters is dropped) under a name; saving again under one of the member's names "
        "replaces its filters.",
    ),
    partial_update=extend_schema(
        summary="Rename a saved inbox view",
        description="Gives one of the member's own views a new `name` (its filters stay). A blank "
        "name is a 400; the name of another of the member's views is a 409 `duplicate_name`; "
        "another member's shared view is a 403.",
    ),
    destroy=extend_schema(
        summary="Remove a saved inbox view",
        description="Removes one of the member's own views; another member's shared view is a 403.",
    ),
)
@extend_schema(tags=["inbox"])
class SavedViewViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrgScopedViewSet):
    """Saved views of the inbox list."""

    model = SavedView
    serializer_class = SavedViewOut
    read_capability = Capability.VIEW
    write_capability = Capability.VIEW
    list_ordering = ("name", "id")
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def scoped_queryset(self, organization):
        return (
            SavedView.objects.for_org(organization)
            .filter(Q(owner=self.membership) | Q(shared=True))
            .select_related("owner__user")
        )

    @extend_schema(request=SavedViewIn, responses={201: SavedViewOut})
    def create(self, request):
        payload = SavedViewIn(data=request.data)
        payload.is_valid(raise_exception=True)
        d = payload.validated_data
        view = saved_views.save_view(
            self.membership, name=d["name"], query=d.get("query", ""), shared=d.get("shared", False)
        )
        return Response(SavedViewOut(view).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=SavedViewPatchIn, responses=SavedViewOut)
    def partial_update(self, request, pk=None):
        view = self.get_object()
        payload = SavedViewPatchIn(data=request.data)
        payload.is_valid(raise_exception=True)
        view = saved_views.rename_view(
            view, by=self.membership, name=payload.validated_data["name"]
        )
        return Response(SavedViewOut(view).data)

    def destroy(self, request, pk=None):
        view = self.get_object()
        if view.owner_id != self.membership.pk:
            raise NotAllowed(_("Only its owner removes a saved view."))
        saved_views.delete_view(view)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- figures ------------------------------------------------------------------------------------


class MemberFilter(QueryFilter):
    """``me`` or a member's id."""

    def parse(self, raw: str) -> str:
        if raw == "me" or (raw.isdigit() and 1 <= int(raw) <= 2**63 - 1):
            return raw
        raise self.invalid(_("Give me or a member's id."))


@extend_schema_view(
    list=extend_schema(
        summary="Read the inbox figures",
        description="Per day from `since` to `until` (inclusive, days in the token owner's zone, "
        "else the organization's; default: the last 7 days; at most 366 days): inbound items, "
        "conversations opened, first responses (count, median and p90 seconds), SLA due and met, "
        "closings, and the range's totals. Of one `member` (`me` or an id: the conversations "
        "assigned to them), one `team` (with the teams below it), or, with neither, the whole "
        "organization for managers and the token's member for anyone else. Other people's and "
        "other teams' figures are for managers (403).",
        operation_id="inbox_figures_read",
    ),
)
@extend_schema(tags=["inbox"])
class FiguresViewSet(OrgScopedViewSet):
    """The inbox's figures of a date range."""

    schema = OneObjectSchema()
    model = Conversation
    read_capability = Capability.VIEW
    pagination_class = None  # one range, not a list of pages
    filters = (
        IdFilter("team", "The figures of this team and the teams below it."),
        MemberFilter("member", "The figures of this member (`me` or an id)."),
        DateFilter("since", "The range's first day (YYYY-MM-DD)."),
        DateFilter("until", "The range's last day (YYYY-MM-DD), included."),
    )

    def scoped_queryset(self, organization):
        return Conversation.objects.for_org(organization).none()

    @extend_schema(responses=FiguresOut)
    def list(self, request, *args, **kwargs):
        q = self.query
        out = figures.figures_for(
            self.membership,
            team_id=q.get("team"),
            member=q.get("member"),
            since=q.get("since"),
            until=q.get("until"),
        )
        return Response(FiguresOut(out).data)
