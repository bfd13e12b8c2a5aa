"""Bulk scheduling from a CSV upload.

Policy: **all or nothing**. The file's encoding (UTF-8, with or without BOM), its header and every
row are checked first; if anything is wrong nothing is imported and the report lists every bad
row (by its line number in the file). A valid file becomes one post per row, created and
scheduled in one transaction.
"""

from __future__ import annotations

import csv
import io
import zoneinfo
from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.capabilities import Capability, can
from socialops.errors import ApplicationError, NotAllowed

from ..models import Post, PostVariant
from ..scheduler import services as scheduling
from . import selectors
from . import services as authoring

EXPECTED_COLUMNS = [
    "channel",
    "text",
    "scheduled_at",
    "timezone",
    "link",
    "first_comment",
    "campaign",
]
REQUIRED_COLUMNS = ["channel", "text", "scheduled_at"]
MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 1000
_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S")


@dataclass
class RowReport:
    line: int
    errors: list[str]


@dataclass
class CsvReport:
    ok: bool
    message: str = ""
    rows: list[RowReport] = field(default_factory=list)
    post_ids: list[int] = field(default_factory=list)


@dataclass
class _Row:
    line: int
    channel: object
    text: str
    at: datetime
    zone: str
    link: str
    first_comment: str
    campaign: object


def _decode(data: bytes) -> str | None:
    if b"\x00" in data[:4096]:
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def _parse_time(raw: str, zone_name: str) -> datetime | None:
    raw = raw.strip()
    value = None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        for fmt in _FORMATS:
            try:
                value = datetime.strptime(raw, fmt)  # noqa: DTZ007 - made aware in the row's zone below
                break
            except ValueError:
                continue
    if value is None:
        return None
    if timezone.is_aware(value):
        return value
    return scheduling.local_to_utc(value, zone_name)


def _channel_index(channels) -> tuple[dict[int, object], dict[str, list]]:
    by_id = {c.pk: c for c in channels}
    by_handle: dict[str, list] = {}
    for c in channels:
        for key in {c.handle.lstrip("@").lower(), (c.display_handle or "").lstrip("@").lower()}:
            if key:
                by_handle.setdefault(key, []).append(c)
    return by_id, by_handle


def _check_row(
    line: int, raw: dict, *, by, by_id, by_handle, campaigns, default_timezone: str, now: datetime
) -> tuple[_Row | None, list[str]]:
    errors: list[str] = []
    get = lambda name: (raw.get(name) or "").strip()  # noqa: E731
    channel = None
    ref = get("channel")
    if not ref:
        errors.append(_("channel is empty."))
    elif ref.isdigit() and int(ref) in by_id:
        channel = by_id[int(ref)]
    else:
        found = by_handle.get(ref.lstrip("@").lower(), [])
        if len(found) == 1:
            channel = found[0]
        elif len(found) > 1:
            errors.append(
                _("channel “%(ref)s” matches several channels; use the channel's id.")
                % {"ref": ref}
            )
        else:
            errors.append(
                _("channel “%(ref)s” was not found (or you may not post to it).") % {"ref": ref}
            )
    if channel is not None and not can(by, Capability.PUBLISH, channel):
        errors.append(_("you may not publish to %(ref)s.") % {"ref": ref})
        channel = None
    if channel is not None and channel.status != channel.Status.ACTIVE:
        errors.append(
            _("%(ref)s needs to be reconnected (re-auth) or is not active.") % {"ref": ref}
        )
    zone = get("timezone") or (channel.timezone if channel is not None else default_timezone)
    try:
        zoneinfo.ZoneInfo(zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        errors.append(
            _("timezone “%(zone)s” is not a time zone (e.g. Asia/Jakarta).") % {"zone": zone}
        )
        zone = ""
    at = None
    if not get("scheduled_at"):
        errors.append(_("scheduled_at is empty."))
    elif zone:
        at = _parse_time(get("scheduled_at"), zone)
        if at is None:
            errors.append(
                _(
                    "scheduled_at “%(value)s” is not a date and time (use 2025-03-01 09:00 or ISO 8601)."
                )
                % {"value": get("scheduled_at")}
            )
        elif at <= now:
            errors.append(
                _("scheduled_at %(value)s is in the past.") % {"value": get("scheduled_at")}
            )
    link = get("link")
    if link:
        try:
            URLValidator(schemes=["http", "https"])(link)
        except ValidationError:
            errors.append(_("link “%(link)s” is not a web address.") % {"link": link})
    campaign = None
    if get("campaign"):
        campaign = campaigns.get(get("campaign").lower())
        if campaign is None:
            errors.append(
                _("campaign “%(name)s” does not exist; create it first.")
                % {"name": get("campaign")}
            )
    text = raw.get("text") or ""
    if channel is not None and not errors:
        post = Post(
            organization_id=channel.organization_id, text=text, link_url=link, campaign=campaign
        )
        caps = authoring.network_capabilities(channel.provider)
        variant = PostVariant(
            organization_id=channel.organization_id,
            channel=channel,
            first_comment=get("first_comment") if caps and caps.first_comment else "",
        )
        if get("first_comment") and caps is not None and not caps.first_comment:
            errors.append(
                _("%(network)s has no first comment.")
                % {"network": authoring.network_name(channel.provider)}
            )
        errors += authoring.check_variant(variant, post, [], for_draft=False)
    if errors:
        return None, errors
    return _Row(line, channel, text, at, zone, link, get("first_comment"), campaign), []


def import_posts_csv(organization, *, by, data: bytes, default_timezone: str = "UTC") -> CsvReport:
    """Check ``data`` completely; when every row is valid, create and schedule its posts in one transaction."""
    if not can(by, Capability.PUBLISH):
        raise NotAllowed(_("You do not have permission to schedule posts."))
    if len(data) > MAX_BYTES:
        return CsvReport(False, _("The file is larger than 2 MB; split it."))
    text = _decode(data)
    if text is None:
        return CsvReport(
            False, _("The file is not UTF-8 text. Save it as “CSV UTF-8” and upload it again.")
        )
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    expected = ", ".join(EXPECTED_COLUMNS)
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    unknown = [h for h in header if h not in EXPECTED_COLUMNS]
    if not header or missing or unknown or len(set(header)) != len(header):
        detail = []
        if missing:
            detail.append(_("missing: %(cols)s") % {"cols": ", ".join(missing)})
        if unknown:
            detail.append(
                _("unknown: %(cols)s") % {"cols": ", ".join(h or "(empty)" for h in unknown)}
            )
        return CsvReport(
            False,
            _("The header row is wrong (%(detail)s). Expected columns: %(expected)s.")
            % {"detail": "; ".join(detail) or _("duplicate columns"), "expected": expected},
        )
    reader.fieldnames = header
    channels = [c for c in selectors.composable_channels(by) if selectors.can_post_to(by, c)]
    by_id, by_handle = _channel_index(channels)
    campaigns = {c.name.lower(): c for c in selectors.campaigns_of(organization)}
    now = timezone.now()
    good: list[_Row] = []
    bad: list[RowReport] = []
    try:
        for count, raw in enumerate(reader, start=1):
            line = reader.line_num
            if count > MAX_ROWS:
                return CsvReport(
                    False, _("The file has more than %(max)d rows; split it.") % {"max": MAX_ROWS}
                )
            if None in raw:
                bad.append(RowReport(line, [_("this row has more cells than the header.")]))
                continue
            if not any((v or "").strip() for v in raw.values()):
                continue
            row, errors = _check_row(
                line,
                raw,
                by=by,
                by_id=by_id,
                by_handle=by_handle,
                campaigns=campaigns,
                default_timezone=default_timezone,
                now=now,
            )
            if errors:
                bad.append(RowReport(line, errors))
            else:
                good.append(row)
    except csv.Error as exc:
        return CsvReport(
            False,
            _("The file is not valid CSV (line %(line)d: %(error)s).")
            % {"line": reader.line_num, "error": exc},
        )
    if bad:
        return CsvReport(False, _("%(count)d rows have problems.") % {"count": len(bad)}, rows=bad)
    if not good:
        return CsvReport(False, _("The file has no rows to import."))
    ids = []
    try:
        with transaction.atomic():
            for row in good:
                post = authoring.create_post(
                    organization,
                    by=by,
                    text=row.text,
                    channels=[row.channel],
                    link_url=row.link,
                    first_comment=row.first_comment,
                    campaign=row.campaign,
                )
                scheduling.schedule_post(post, by=by, at=row.at, timezone_name=row.zone)
                ids.append(post.pk)
    except ApplicationError as exc:
        return CsvReport(
            False,
            _("Nothing was imported: %(error)s") % {"error": exc.message},
            rows=[RowReport(row.line, [exc.message])],
        )
    return CsvReport(True, post_ids=ids)
