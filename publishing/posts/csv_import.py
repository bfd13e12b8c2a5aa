"""Bulk scheduling from a CSV upload: one post per row.

Policy: **all or nothing**. The file's encoding (UTF-8, with or without BOM), its header and every
row are checked first; if anything is wrong nothing is imported and the report lists every bad
row (by its line number in the file). A valid file becomes one post per row, created and
scheduled in one transaction. This module only reads the file: the rules a post must pass, and
the creation, are :mod:`.bulk_schedule`'s, shared with the API's ``POST /api/v1/posts/bulk/``.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from . import bulk_schedule

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
MAX_ROWS = bulk_schedule.MAX_POSTS


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


def _decode(data: bytes) -> str | None:
    if b"\x00" in data[:4096]:
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def _post_of(raw: dict) -> bulk_schedule.BulkPost:
    get = lambda name: (raw.get(name) or "").strip()  # noqa: E731
    return bulk_schedule.BulkPost(
        channels=[get("channel")],
        text=raw.get("text") or "",
        at=get("scheduled_at"),
        timezone=get("timezone"),
        link_url=get("link"),
        first_comment=get("first_comment"),
        campaign=get("campaign") or None,
    )


def _messages(problems: dict[str, list[str]]) -> list[str]:
    return [message for messages in problems.values() for message in messages]


def import_posts_csv(organization, *, by, data: bytes, default_timezone: str = "UTC") -> CsvReport:
    """Check ``data`` completely; when every row is valid, create and schedule its posts in one transaction."""
    bulk_schedule.require_bulk_publish(by)
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
    lines: dict[int, int] = {}  # post index → its line in the file
    posts: list[tuple[int, bulk_schedule.BulkPost]] = []
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
            lines[len(posts)] = line
            posts.append((len(posts), _post_of(raw)))
    except csv.Error as exc:
        return CsvReport(
            False,
            _("The file is not valid CSV (line %(line)d: %(error)s).")
            % {"line": reader.line_num, "error": exc},
        )
    checked, problems = bulk_schedule.check_posts(
        organization, by=by, posts=posts, default_timezone=default_timezone
    )
    bad += [RowReport(lines[index], _messages(found)) for index, found in problems.items()]
    if bad:
        bad.sort(key=lambda row: row.line)
        return CsvReport(False, _("%(count)d rows have problems.") % {"count": len(bad)}, rows=bad)
    if not checked:
        return CsvReport(False, _("The file has no rows to import."))
    try:
        created = bulk_schedule.schedule_checked(organization, by=by, checked=checked)
    except bulk_schedule.BulkRejected as exc:
        rows = [RowReport(lines[i], _messages(found)) for i, found in sorted(exc.problems.items())]
        return CsvReport(
            False,
            _("Nothing was imported: %(error)s") % {"error": rows[0].errors[0]},
            rows=rows,
        )
    return CsvReport(True, post_ids=[post.pk for post in created])
