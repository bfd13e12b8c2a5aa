"""publishing.calendar.services: moving posts on the calendar, campaigns, notes, holidays, cadence, share links.

Share links are the kernel's (:mod:`socialops.sharing`, kind "calendar"); here the calendar checks
who may make one and what its frozen filters name.

Moving a post (:func:`move_post`) follows the same rules as editing and scheduling it:

- a scheduled (or failed) post is rescheduled through :func:`scheduling.schedule_post` with
  ``source="calendar"``: the PUBLISH permission, the schedule gates registered through
  ``publishing.hooks`` (approvals refuses a post that needs approval again) and the channel checks
  all apply, and a refusal comes back as an ``ApplicationError`` with the user's message;
- a draft, a post in review or an approved post only gets a new ``planned_at`` (needs COMPOSE);
- refused, whatever the state: a time in the past, a post already published (or going out now),
  and any channel held by an active publishing freeze.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.capabilities import Capability, require
from socialops.audit.services import record_event
from socialops.errors import Conflict, ValidationFailed
from socialops.sharing import services as sharing
from socialops.sharing.models import ShareLink

from ..models import (
    CadenceTarget,
    CalendarNote,
    Campaign,
    HolidayRegion,
    Post,
    PostVariant,
)
from ..scheduler import services as scheduling

__all__ = [
    "archive_campaign",
    "create_note",
    "create_share_link",
    "delete_cadence_target",
    "delete_note",
    "move_post",
    "plan_from_composer",
    "plan_post",
    "restore_campaign",
    "revoke_share_link",
    "set_cadence_target",
    "set_holiday_countries",
    "update_campaign",
    "update_note",
]

P = Post.Status
V = PostVariant.Status

_DRAFT_POST = (P.DRAFT, P.IN_REVIEW, P.APPROVED)
_GONE_OUT = (P.PUBLISHED, P.PARTIALLY_PUBLISHED, P.PUBLISHING)
_IN_FLIGHT = (V.PUBLISHED, V.PUBLISHING, V.UNCONFIRMED, V.PENDING)
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


def _aware_future(at: datetime | None) -> datetime:
    if at is None or timezone.is_naive(at):
        raise ValidationFailed(
            _("Give the time with its time zone."),
            fields={"at": [_("Enter a valid date and time.")]},
        )
    at = at.astimezone(UTC)
    if at <= timezone.now():
        raise ValidationFailed(
            _("That time is in the past: the post stays where it was."),
            fields={"at": [_("Choose a time in the future.")]},
        )
    return at


# --- Moving posts --------------------------------------------------------------------------------


def _check_not_frozen(post: Post, *, by) -> None:
    variants = list(
        PostVariant.objects.for_org(post.organization_id)
        .filter(post=post)
        .exclude(status__in=[V.PUBLISHED, V.CANCELLED])
        .select_related("channel", "post")
    )
    frozen = scheduling.frozen_channel_ids(post.organization_id, variants)
    if frozen:
        from ..posts.selectors import visible_variants

        seen = set(
            visible_variants(
                by, PostVariant.objects.for_org(post.organization_id).filter(pk__in=frozen)
            ).values_list("pk", flat=True)
        )
        # a channel ``by`` may not see (restricted, no grant) is not named
        names = sorted({v.channel.handle or v.channel.name for v in variants if v.pk in seen})
        if len(seen) < len(frozen):
            names.append(_("a channel you cannot see"))
        names = ", ".join(names)
        raise Conflict(
            _(
                "Publishing is frozen on %(channels)s: the post stays where it was until the freeze is "
                "lifted."
            )
            % {"channels": names}
        )


@transaction.atomic
def plan_post(post: Post, *, by, at: datetime | None) -> Post:
    """Set (or clear, with ``None``) the calendar slot of a post that is not scheduled yet."""
    post = Post.objects.for_org(post.organization_id).select_for_update().get(pk=post.pk)
    require(by, Capability.COMPOSE, post, _("You do not have permission to plan this post."))
    if post.status not in _DRAFT_POST:
        raise Conflict(
            _("Only a post that is not scheduled yet can be planned (this one is %(status)s).")
            % {"status": post.get_status_display()}
        )
    if at is not None:
        at = _aware_future(at)
    if post.planned_at == at:
        return post
    previous = post.planned_at
    post.planned_at = at
    post.save(update_fields=["planned_at", "updated_at"])
    record_event(
        post.organization,
        "post.planned",
        obj=post,
        actor=by.user,
        changes={"planned_at": [previous, at]},
    )
    return post


@transaction.atomic
def move_post(
    post: Post, *, by, at: datetime, timezone_name: str, variant: PostVariant | None = None
) -> Post:
    """Move ``post`` to ``at`` on the calendar (the rules are in the module doc); all or nothing."""
    at = _aware_future(at)
    if post.status in _GONE_OUT or (variant is not None and variant.status in _IN_FLIGHT):
        raise Conflict(
            _("This post has already been published (or is going out now); it cannot be moved.")
        )
    if post.status == P.CANCELLED:
        raise Conflict(_("This post was cancelled; it cannot be moved."))
    if post.status in _DRAFT_POST:
        require(by, Capability.COMPOSE, post, _("You do not have permission to edit this post."))
        _check_not_frozen(post, by=by)
        return plan_post(post, by=by, at=at)
    require(by, Capability.PUBLISH, post, _("You do not have permission to reschedule this post."))
    _check_not_frozen(post, by=by)
    return scheduling.schedule_post(
        post, by=by, at=at, timezone_name=timezone_name, source="calendar"
    )


# --- Campaigns -----------------------------------------------------------------------------------


def _check_campaign_fields(
    org, campaign: Campaign | None, *, name: str, starts_on, ends_on, color: str, team
) -> None:
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = [_("This field is required.")]
    elif (
        Campaign.objects.for_org(org)
        .filter(name__iexact=name)
        .exclude(pk=getattr(campaign, "pk", None))
        .exists()
    ):
        errors["name"] = [_("Campaign names must be unique.")]
    if starts_on and ends_on and ends_on < starts_on:
        errors["ends_on"] = [_("Pick a later date.")]
    if color and not _COLOR.match(color):
        errors["color"] = [_("Use a colour like #2f5bd3.")]
    if team is not None and team.organization_id != org.pk:
        errors["team"] = [_("Choose a valid option.")]
    if errors:
        first = next(iter(errors.values()))[0]
        raise ValidationFailed(first, fields=errors)


@transaction.atomic
def update_campaign(
    campaign: Campaign,
    *,
    by,
    name: str,
    color: str = "#2f5bd3",
    starts_on: date | None = None,
    ends_on: date | None = None,
    team=None,
    utm_source: str = "",
    utm_medium: str = "",
    utm_campaign: str = "",
    description: str = "",
) -> Campaign:
    require(by, Capability.PUBLISH)
    campaign = (
        Campaign.objects.for_org(campaign.organization_id).select_for_update().get(pk=campaign.pk)
    )
    name = (name or "").strip()
    _check_campaign_fields(
        campaign.organization,
        campaign,
        name=name,
        starts_on=starts_on,
        ends_on=ends_on,
        color=color,
        team=team,
    )
    new = {
        "name": name,
        "color": color or "#2f5bd3",
        "starts_on": starts_on,
        "ends_on": ends_on,
        "team_id": team.pk if team else None,
        "utm_source": utm_source or "",
        "utm_medium": utm_medium or "",
        "utm_campaign": utm_campaign or "",
        "description": description or "",
    }
    changes = {
        k: [str(getattr(campaign, k)), str(v)] for k, v in new.items() if getattr(campaign, k) != v
    }
    for k, v in new.items():
        setattr(campaign, k, v)
    campaign.save()
    record_event(
        campaign.organization, "campaign.updated", obj=campaign, actor=by.user, changes=changes
    )
    return campaign


@transaction.atomic
def archive_campaign(campaign: Campaign, *, by) -> Campaign:
    require(by, Capability.PUBLISH)
    if campaign.archived_at is None:
        campaign.archived_at = timezone.now()
        campaign.save(update_fields=["archived_at"])
        record_event(campaign.organization, "campaign.archived", obj=campaign, actor=by.user)
    return campaign


@transaction.atomic
def restore_campaign(campaign: Campaign, *, by) -> Campaign:
    require(by, Capability.PUBLISH)
    if campaign.archived_at is not None:
        campaign.archived_at = None
        campaign.save(update_fields=["archived_at"])
        record_event(campaign.organization, "campaign.restored", obj=campaign, actor=by.user)
    return campaign


# --- Notes ---------------------------------------------------------------------------------------


def _clean_note(org, *, title: str, starts_on, ends_on, team) -> str:
    title = (title or "").strip()
    errors: dict[str, list[str]] = {}
    if not title:
        errors["title"] = [_("This field is required.")]
    if not starts_on:
        errors["starts_on"] = [_("This field is required.")]
    elif ends_on and ends_on < starts_on:
        errors["ends_on"] = [_("Pick a later date.")]
    if team is not None and team.organization_id != org.pk:
        errors["team"] = [_("Choose a valid option.")]
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], fields=errors)
    return title


@transaction.atomic
def create_note(
    org, *, by, title: str, starts_on: date, ends_on: date | None = None, body: str = "", team=None
) -> CalendarNote:
    require(by, Capability.COMPOSE)
    title = _clean_note(org, title=title, starts_on=starts_on, ends_on=ends_on, team=team)
    note = CalendarNote.objects.create(
        organization=org,
        title=title,
        body=body or "",
        starts_on=starts_on,
        ends_on=ends_on or starts_on,
        team=team,
        created_by=by.user,
    )
    record_event(org, "calendar_note.created", obj=note, actor=by.user, changes={"title": title})
    return note


@transaction.atomic
def update_note(
    note: CalendarNote,
    *,
    by,
    title: str,
    starts_on: date,
    ends_on: date | None = None,
    body: str = "",
    team=None,
) -> CalendarNote:
    require(by, Capability.COMPOSE)
    title = _clean_note(
        note.organization, title=title, starts_on=starts_on, ends_on=ends_on, team=team
    )
    note.title, note.body, note.starts_on, note.ends_on, note.team = (
        title,
        body or "",
        starts_on,
        ends_on or starts_on,
        team,
    )
    note.save()
    record_event(
        note.organization,
        "calendar_note.updated",
        obj=note,
        actor=by.user,
        changes={"title": title},
    )
    return note


@transaction.atomic
def delete_note(note: CalendarNote, *, by) -> None:
    require(by, Capability.COMPOSE)
    record_event(
        note.organization,
        "calendar_note.deleted",
        obj=note,
        actor=by.user,
        changes={"title": note.title},
    )
    note.delete()


# --- Holidays ------------------------------------------------------------------------------------


@transaction.atomic
def set_holiday_countries(org, *, by, team, countries) -> HolidayRegion | None:
    """The public-holiday countries of ``team`` (None: the organization's default); empty removes the set."""
    from .selectors import HOLIDAY_COUNTRY_CODES

    require(by, Capability.MANAGE_TEAMS)
    if team is not None and team.organization_id != org.pk:
        raise ValidationFailed(
            _("That choice was not found."), fields={"team": [_("Choose a valid option.")]}
        )
    codes = [str(c).upper() for c in countries or []]
    unknown = [c for c in codes if c not in HOLIDAY_COUNTRY_CODES]
    if unknown:
        raise ValidationFailed(
            _("Unknown country: %(codes)s.") % {"codes": ", ".join(unknown)},
            fields={"countries": [_("Choose countries from the list.")]},
        )
    codes = list(dict.fromkeys(codes))
    region = HolidayRegion.objects.for_org(org).filter(team=team).first()
    if not codes:
        if region is not None:
            region.delete()
            record_event(org, "holiday_region.removed", obj=team, actor=by.user)
        return None
    if region is None:
        region = HolidayRegion.objects.create(organization=org, team=team, countries=codes)
    else:
        region.countries = codes
        region.save()
    record_event(
        org,
        "holiday_region.set",
        obj=region,
        actor=by.user,
        changes={"team": team.pk if team else None, "countries": codes},
    )
    return region


# --- Cadence -------------------------------------------------------------------------------------


@transaction.atomic
def set_cadence_target(channel, *, by, min_per_week: int, max_per_week: int) -> CadenceTarget:
    require(by, Capability.PUBLISH, channel)
    errors: dict[str, list[str]] = {}
    if min_per_week is None or min_per_week < 0:
        errors["min_per_week"] = [_("Enter 0 or more.")]
    if max_per_week is None or max_per_week < 1 or max_per_week > 500:
        errors["max_per_week"] = [_("Enter a number from 1 to 500.")]
    elif min_per_week is not None and max_per_week < min_per_week:
        errors["max_per_week"] = [_("The most must be at least the least.")]
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], fields=errors)
    target, created = CadenceTarget.objects.for_org(channel.organization_id).update_or_create(
        organization_id=channel.organization_id,
        channel=channel,
        defaults={"min_per_week": min_per_week, "max_per_week": max_per_week},
    )
    record_event(
        channel.organization,
        "cadence_target.set",
        obj=target,
        actor=by.user,
        changes={"channel": channel.pk, "min": min_per_week, "max": max_per_week},
    )
    return target


@transaction.atomic
def delete_cadence_target(target: CadenceTarget, *, by) -> None:
    require(by, Capability.PUBLISH, target.channel)
    record_event(
        target.organization,
        "cadence_target.deleted",
        obj=target,
        actor=by.user,
        changes={"channel": target.channel_id},
    )
    target.delete()


# --- Share links -----------------------------------------------------------------------------------
# The links are the kernel's (socialops.sharing, kind "calendar"); the calendar checks who may share
# and what the frozen filters name.

MAX_SHARE_DAYS = 366


def _share_filter_errors(org, by, filters: dict) -> dict[str, list[str]]:
    """Each id a share link's filters name must be the organization's (and the channel one ``by`` sees).

    Another organization's id would show nothing, but it must not be stored as if it meant something.
    """
    from accounts.selectors import members_of, teams_of
    from channels_registry.selectors import provider_names, visible_channels

    from ..posts.selectors import campaigns_of

    checks = {
        "team": (lambda pk: teams_of(org).filter(pk=pk).exists(), _("Choose a valid team.")),
        "channel": (
            lambda pk: visible_channels(by).filter(pk=pk).exists(),
            _("Choose a valid channel."),
        ),
        "campaign": (
            lambda pk: campaigns_of(org).filter(pk=pk).exists(),
            _("Choose a valid campaign."),
        ),
        "author": (
            lambda pk: members_of(org).filter(user_id=pk).exists(),
            _("Choose a valid author."),
        ),
        "network": (lambda key: key in provider_names(), _("Choose a valid network.")),
    }
    return {
        key: [message]
        for key, (exists, message) in checks.items()
        if key in filters and not exists(filters[key])
    }


@transaction.atomic
def create_share_link(
    org, *, by, name: str, filters: dict, timezone_name: str = "UTC", expires_in_days: int = 30
) -> tuple[ShareLink, str]:
    """A read-only link to the calendar with ``filters`` frozen; returns the link and its token (shown once).

    A kernel share link (:mod:`socialops.sharing`) of kind "calendar": the token is
    ``<random>:<signature>``, only a SHA-256 of the random part is stored; it expires after
    ``expires_in_days`` (1 to 366).
    """
    from .selectors import SHARE_KIND, CalendarFilters

    require(by, Capability.PUBLISH)
    name = (name or "").strip()
    errors: dict[str, list[str]] = {}
    if problems := sharing.name_errors(name):
        errors["name"] = problems
    if not isinstance(expires_in_days, int) or not 1 <= expires_in_days <= MAX_SHARE_DAYS:
        errors["expires_in_days"] = [
            _("Enter a number of days from 1 to %(max)d.") % {"max": MAX_SHARE_DAYS}
        ]
    frozen = CalendarFilters.from_data(filters or {}).as_data()
    errors.update(_share_filter_errors(org, by, frozen))
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], fields=errors)
    return sharing.create_link(
        org,
        kind=SHARE_KIND,
        by=by.user,
        name=name,
        filters=frozen,
        timezone_name=timezone_name or "UTC",
        expires_at=timezone.now() + timedelta(days=expires_in_days),
    )


def revoke_share_link(link: ShareLink, *, by) -> ShareLink:
    require(by, Capability.PUBLISH)
    return sharing.revoke_link(link, by=by.user)


def plan_from_composer(post: Post, *, by, at: datetime | None) -> Post:
    """The composer saved a draft with a date and time: that is its calendar slot (a past time is not kept)."""
    if (
        at is None
        or post.status not in _DRAFT_POST
        or post.planned_at == at
        or at <= timezone.now()
    ):
        return post
    return plan_post(post, by=by, at=at)
