"""publishing.posts.bulk_schedule: many posts created and scheduled at once, **all or nothing**.

Two doors use these rules, and only these: the CSV import (:mod:`.csv_import`, one row per post)
and the API (``POST /api/v1/posts/bulk/``, a JSON list). Each door reads its own format into
:class:`BulkPost` values; everything after that is here.

1. :func:`check_posts` checks every post first, without writing anything: the channels (by id, or
   by handle for the CSV; visible, postable, active, and the member may publish to each), the time
   (an offset, or wall-clock time in the post's zone: its ``timezone``, else its first channel's,
   else the door's default; in the future), the link, the campaign, the media, the per-channel
   texts (only for the post's own channels), and each channel's network rules
   (:func:`authoring.check_variant`). It returns the problems of every post, keyed by post index
   and field.
2. :func:`schedule_checked` creates and schedules every post in one transaction through the same
   services as a single post (:func:`authoring.create_post`, :func:`scheduling.schedule_post`: the
   permission checks, the approval gates, freezes). Each post runs in a savepoint, so a post the
   services refuse does not hide the others' problems; if any is refused, the whole transaction
   is rolled back and :class:`BulkRejected` lists every refusal. Nothing is half-imported.

At most :data:`MAX_POSTS` posts at once (:data:`API_MAX_POSTS` through the API).
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.capabilities import Capability, can
from socialops.audit.services import batched_events
from socialops.errors import ApplicationError, NotAllowed, ValidationFailed

from ..media import selectors as media_selectors
from ..models import Post, PostMedia, PostVariant
from ..scheduler import services as scheduling
from . import selectors
from . import services as authoring

__all__ = [
    "MAX_POSTS",
    "BulkPost",
    "API_MAX_POSTS",
    "BulkRejected",
    "check_posts",
    "schedule_checked",
    "schedule_posts",
]

#: the most posts one CSV file (or one call of :func:`schedule_posts`) may schedule
MAX_POSTS = 1000
#: the most posts one API request may schedule: a request must end well inside gunicorn's 30 s
#: timeout on a loaded machine (``make bench``: 1,000 posts took ~16 s on an idle 2-core machine,
#: ~17 statements a post); the CSV import runs the same rules with :data:`MAX_POSTS`
API_MAX_POSTS = 500
_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S")
#: the key of a post's problem that no single field caused (an approval gate, a state)
NON_FIELD = "non_field_errors"


@dataclass
class BulkPost:
    """One post as a door read it: raw values, checked by :func:`check_posts`."""

    #: channel ids, or (CSV) handles with or without the ``@``
    channels: Sequence[int | str]
    text: str = ""
    #: ISO 8601 (``2026-03-01T09:00+07:00``) or ``2026-03-01 09:00``; without an offset it is
    #: wall-clock time in the post's zone
    at: str = ""
    timezone: str = ""
    link_url: str = ""
    first_comment: str = ""
    #: a campaign id, or (CSV) its name
    campaign: int | str | None = None
    media: Sequence[int] = ()
    alt_texts: Sequence[str] = ()
    #: channel id → that channel's own text
    variant_texts: dict[int, str] = field(default_factory=dict)


#: post index → field → messages
Problems = dict[int, dict[str, list[str]]]


class BulkRejected(ValidationFailed):
    """Nothing was scheduled; ``problems`` names every post's problems (API fields ``posts.<i>.<field>``)."""

    def __init__(self, problems: Problems):
        count = len(problems)
        message = ngettext(
            "Nothing was scheduled: %(count)d post has problems.",
            "Nothing was scheduled: %(count)d posts have problems.",
            count,
        ) % {"count": count}
        fields = {
            f"posts.{index}.{name}": messages
            for index, by_field in sorted(problems.items())
            for name, messages in by_field.items()
        }
        super().__init__(message, fields=fields)
        self.problems = problems


@dataclass
class CheckedPost:
    index: int
    channels: list
    text: str
    at: datetime
    zone: str
    link_url: str
    first_comment: str
    campaign: object
    media: list
    alt_texts: list[str]
    variant_texts: dict[int, str]


def require_bulk_publish(by) -> None:
    if not can(by, Capability.PUBLISH):
        raise NotAllowed(_("You do not have permission to schedule posts."))


def parse_time(raw: str, zone_name: str) -> datetime | None:
    """``raw`` as an aware datetime: its own offset, or wall-clock time in ``zone_name``; None if unreadable."""
    raw = raw.strip()
    value = None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        for fmt in _FORMATS:
            try:
                value = datetime.strptime(raw, fmt)  # noqa: DTZ007 - made aware in the post's zone below
                break
            except ValueError:
                continue
    if value is None:
        return None
    if timezone.is_aware(value):
        return value
    return scheduling.local_to_utc(value, zone_name)


class _Lookup:
    """What every post is checked against, read once: the member's channels and the campaigns."""

    def __init__(self, organization, by):
        channels = [c for c in selectors.composable_channels(by) if selectors.can_post_to(by, c)]
        self.by_id = {c.pk: c for c in channels}
        self.by_handle: dict[str, list] = {}
        for c in channels:
            for key in {c.handle.lstrip("@").lower(), (c.display_handle or "").lstrip("@").lower()}:
                if key:
                    self.by_handle.setdefault(key, []).append(c)
        campaigns = list(selectors.campaigns_of(organization))
        self.campaign_by_name = {c.name.lower(): c for c in campaigns}
        self.campaign_by_id = {c.pk: c for c in campaigns}

    def channel(self, ref: int | str) -> tuple[object | None, str | None]:
        if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
            found = self.by_id.get(int(ref))
            if found is not None:
                return found, None
        if isinstance(ref, str):
            matches = self.by_handle.get(ref.lstrip("@").lower(), [])
            if len(matches) == 1:
                return matches[0], None
            if len(matches) > 1:
                return None, _(
                    "channel “%(ref)s” matches several channels; use the channel's id."
                ) % {"ref": ref}
        return None, _("channel “%(ref)s” was not found (or you may not post to it).") % {
            "ref": ref
        }

    def campaign(self, ref: int | str) -> object | None:
        if isinstance(ref, int):
            return self.campaign_by_id.get(ref)
        return self.campaign_by_name.get(ref.strip().lower())


def _check_channels(item: BulkPost, by, lookup: _Lookup, add) -> list:
    channels = []
    refs = [r.strip() if isinstance(r, str) else r for r in item.channels]
    if not [r for r in refs if r not in ("", None)]:
        add("channels", _("No channel is given."))
    for ref in dict.fromkeys(r for r in refs if r not in ("", None)):
        channel, problem = lookup.channel(ref)
        if problem:
            add("channels", problem)
        elif not can(by, Capability.PUBLISH, channel):
            add("channels", _("you may not publish to %(ref)s.") % {"ref": ref})
        elif channel.status != channel.Status.ACTIVE:
            add(
                "channels",
                _("%(ref)s needs to be reconnected (re-auth) or is not active.") % {"ref": ref},
            )
        else:
            channels.append(channel)
    return channels


def _check_one(
    index: int, item: BulkPost, *, by, organization, lookup: _Lookup, default_timezone, now
) -> tuple[CheckedPost | None, dict[str, list[str]]]:
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    channels = _check_channels(item, by, lookup, add)
    zone = (item.timezone or "").strip() or (channels[0].timezone if channels else default_timezone)
    try:
        zoneinfo.ZoneInfo(zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        add(
            "timezone",
            _("timezone “%(zone)s” is not a time zone (e.g. Asia/Jakarta).") % {"zone": zone},
        )
        zone = ""
    at = None
    raw_at = (item.at or "").strip()
    if not raw_at:
        add("at", _("No date and time is given."))
    elif zone:
        at = parse_time(raw_at, zone)
        if at is None:
            add(
                "at",
                _("“%(value)s” is not a date and time (use 2025-03-01 09:00 or ISO 8601).")
                % {"value": raw_at},
            )
        elif at <= now:
            add("at", _("%(value)s is in the past.") % {"value": raw_at})
    link = (item.link_url or "").strip()
    if link:
        try:
            URLValidator(schemes=["http", "https"])(link)
        except ValidationError:
            add("link_url", _("link “%(link)s” is not a web address.") % {"link": link})
    campaign = None
    if item.campaign not in (None, ""):
        campaign = lookup.campaign(item.campaign)
        if campaign is None:
            add(
                "campaign",
                _("campaign “%(name)s” does not exist; create it first.") % {"name": item.campaign},
            )
    media = media_selectors.assets_by_ids(organization, item.media) if item.media else []
    if len(media) != len(set(item.media)):
        add("media", _("Some media were not found; choose media from the library."))
    channel_ids = {c.pk for c in channels}
    for channel_id in item.variant_texts:
        if channel_id not in channel_ids and not errors.get("channels"):
            add(
                f"variant_texts.{channel_id}",
                _("Channel %(id)s is not one of this post's channels.") % {"id": channel_id},
            )
    first_comment = (item.first_comment or "").strip()
    text = item.text or ""
    if channels and not errors:
        post = Post(organization_id=organization.pk, text=text, link_url=link, campaign=campaign)
        items = [
            PostMedia(organization_id=organization.pk, asset=asset, position=i)
            for i, asset in enumerate(media)
        ]
        for channel in channels:
            caps = authoring.network_capabilities(channel.provider)
            own = item.variant_texts.get(channel.pk)
            variant = PostVariant(
                organization_id=organization.pk,
                channel=channel,
                text=own if own is not None else "",
                text_overridden=own is not None,
                first_comment=first_comment if caps and caps.first_comment else "",
            )
            if first_comment and caps is not None and not caps.first_comment:
                add(
                    f"channel_{channel.pk}",
                    _("%(network)s has no first comment.")
                    % {"network": authoring.network_name(channel.provider)},
                )
            for message in authoring.check_variant(variant, post, items, for_draft=False):
                add(f"channel_{channel.pk}", message)
    if errors:
        return None, errors
    return CheckedPost(
        index=index,
        channels=channels,
        text=text,
        at=at,
        zone=zone,
        link_url=link,
        first_comment=first_comment,
        campaign=campaign,
        media=media,
        alt_texts=list(item.alt_texts),
        variant_texts=dict(item.variant_texts),
    ), {}


def check_posts(
    organization,
    *,
    by,
    posts: Sequence[tuple[int, BulkPost]],
    default_timezone: str = "UTC",
) -> tuple[list[CheckedPost], Problems]:
    """Check every ``(index, post)`` without writing; the checked posts and every problem by index."""
    require_bulk_publish(by)
    lookup = _Lookup(organization, by)
    now = timezone.now()
    good: list[CheckedPost] = []
    problems: Problems = {}
    for index, item in posts:
        checked, errors = _check_one(
            index,
            item,
            by=by,
            organization=organization,
            lookup=lookup,
            default_timezone=default_timezone,
            now=now,
        )
        if errors:
            problems[index] = errors
        else:
            good.append(checked)
    return good, problems


@transaction.atomic
def schedule_checked(organization, *, by, checked: Sequence[CheckedPost]) -> list[Post]:
    """Create and schedule every checked post, or none: raises :class:`BulkRejected` naming each refusal."""
    require_bulk_publish(by)
    with batched_events(organization):  # one audit append for the whole batch, not two per post
        return _schedule_checked(organization, by=by, checked=checked)


def _schedule_checked(organization, *, by, checked: Sequence[CheckedPost]) -> list[Post]:
    created: list[Post] = []
    problems: Problems = {}
    for item in checked:
        try:
            with transaction.atomic():  # a savepoint: a refused post leaves the others checkable
                post = authoring.create_post(
                    organization,
                    by=by,
                    text=item.text,
                    channels=item.channels,
                    link_url=item.link_url,
                    first_comment=item.first_comment,
                    campaign=item.campaign,
                    media=item.media,
                    alt_texts=item.alt_texts,
                    variant_texts=item.variant_texts,
                )
                created.append(
                    scheduling.schedule_post(post, by=by, at=item.at, timezone_name=item.zone)
                )
        except ApplicationError as exc:
            fields = {name: list(messages) for name, messages in exc.fields.items()}
            if not fields or exc.message not in [m for ms in fields.values() for m in ms]:
                fields = {NON_FIELD: [exc.message], **fields}
            problems[item.index] = fields
    if problems:
        raise BulkRejected(problems)  # leaves the transaction: everything above is rolled back
    return created


def schedule_posts(
    organization,
    *,
    by,
    posts: Sequence[BulkPost | None],
    unreadable: Problems | None = None,
    default_timezone: str = "UTC",
) -> list[Post]:
    """Check, then create and schedule ``posts`` (all or nothing); :class:`BulkRejected` lists every problem.

    A door that could not read some posts passes None in their place and their problems in
    ``unreadable`` (by index): the others are still checked, so one answer names every problem.
    """
    require_bulk_publish(by)
    if not posts:
        message = _("Give at least one post.")
        raise ValidationFailed(message, fields={"posts": [message]})
    if len(posts) > MAX_POSTS:
        message = _("At most %(max)d posts at once; split them.") % {"max": MAX_POSTS}
        raise ValidationFailed(message, fields={"posts": [message]})
    readable = [(index, post) for index, post in enumerate(posts) if post is not None]
    checked, problems = check_posts(
        organization, by=by, posts=readable, default_timezone=default_timezone
    )
    problems = {**(unreadable or {}), **problems}
    if problems:
        raise BulkRejected(problems)
    return schedule_checked(organization, by=by, checked=checked)
