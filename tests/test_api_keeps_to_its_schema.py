"""Schemathesis against /api/schema/: every operation, as an owner's and as a viewer's token.

The app is called in-process through WSGI (no server), each request in its own transaction that
is rolled back, so every request meets the same seeded organization (posts, channels, freezes,
campaigns, workflows, … from tests/tenancy_walker.py's builders) and ids in paths and bodies name
its real objects most of the time. Three checks, on schemathesis' example, coverage (boundary and
negative values) and fuzzing phases:

- ``not_a_server_error``: no 5xx, whatever is sent;
- ``response_schema_conformance``: what the API answers is what the schema says (``null`` typed);
- ``negative_data_rejection``: a request the schema calls invalid (a string for an integer,
  ``?unread=null``, an array for an object body) is refused with a 4xx, never served.

Deterministic: a fixed seed and derandomized generation, so a run finds the same things every
time. ``API_FUZZ_EXAMPLES`` (default 4) sets the fuzzing phase's examples per operation for the owner;
the viewer, refused most writes, gets a quarter of them (at least 2) and no coverage phase.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections, connections, transaction
from django.utils import timezone
from schemathesis.engine import Status, events

from accounts import services
from accounts.capabilities import Role

from . import factories as f
from .tenancy_walker import WORLD_BUILDERS, World

#: the fuzzing phase's examples per operation (the coverage and example phases are fixed by the schema)
EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "4"))

#: path prefix → the seeded object whose id ``{id}`` takes (most of the time; otherwise a generated id)
PATH_OBJECTS = {
    "teams": "team",
    "members": "member",
    "invitations": "invitation",
    "notifications": "notification",
    "channels": "channel",
    "channel-groups": "channel_group",
    "channel-grants": "channel_grant",
    "media": "media_asset",
    "posts": "post",
    "variants": "variant",
    "publishing-freezes": "freeze",
    "campaigns": "campaign",
    "calendar-notes": "note",
    "cadence-targets": "cadence_target",
    "holiday-regions": "holiday_region",
    "calendar-share-links": "share_link",
    "approval-workflows": "workflow",
    "approval-requests": "approval_request",
    "post-comments": "post_comment",
    "service-accounts": "service_account",
    "webhook-endpoints": "webhook_endpoint",
    "conversations": "conversation",
    "inbox-routing-rules": "routing_rule",
    "inbox-sla-targets": "sla_target",
    "member-offboarding": "member",
    "offboarding-reports": "offboarding_report",
    "access-reviews": "access_review",
    "analytics/report-schedules": "report_schedule",
    "analytics/report-runs": "report_run",
}
#: body and query fields → the seeded object they name
FIELD_OBJECTS = {
    "body.team": "team",
    "body.parent": "team",
    "body.channel": "channel",
    "body.channels[*]": "channel",
    "body.post": "post",
    "body.campaign": "campaign",
    "body.media[*]": "media_asset",
    "body.variant": "variant",
    "body.membership": "member",
    "body.assign_team": "team",
    "body.assign_to": "member",
    "body.lead": "member",
    "body.teams[*]": "team",
    "body.team_ids[*]": "team",
    "body.channel_ids[*]": "channel",
    "body.campaign_ids[*]": "campaign",
    "query.post": "post",
    "query.channel": "channel",
    "query.team": "team",
    "query.campaign": "campaign",
    "path.delivery_id": "webhook_delivery",
    "body.members[*]": "member",
    "query.schedule": "report_schedule",
}


class RolledBackApp:
    """The project's WSGI handler, each request in a transaction that is rolled back after it is read.

    As Django's test client does, the request signals do not close the connection mid-transaction
    (``close_old_connections`` would, on PostgreSQL). The engine's thread keeps its connection from
    one request to the next (a new connection per request was half of the run's time); ``close``
    closes them once the run is over, so none stays open when the test database is dropped.
    """

    def __init__(self):
        self.handler = WSGIHandler()
        self.opened = []

    def __call__(self, environ, start_response):
        signals.request_started.disconnect(close_old_connections)
        signals.request_finished.disconnect(close_old_connections)
        try:
            with transaction.atomic():
                response = self.handler(environ, start_response)
                body = b"".join(response)
                response.close()
                transaction.set_rollback(True)
        finally:
            signals.request_started.connect(close_old_connections)
            signals.request_finished.connect(close_old_connections)
        wrapper = connections["default"]
        if wrapper not in self.opened:
            self.opened.append(wrapper)
        return [body]

    def close(self) -> None:
        """Close the engine thread's connections from the test's thread (Django's own close: an
        in-memory SQLite database, shared by the threads, is kept)."""
        for wrapper in self.opened:
            wrapper.inc_thread_sharing()
            try:
                wrapper.close()
            finally:
                wrapper.dec_thread_sharing()
        self.opened.clear()


def _write_media_files(asset) -> None:
    """The walker's media rows name files nobody wrote; moving a focal point re-reads the original."""
    import io

    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (asset.width, asset.height), (200, 120, 40)).save(out, "JPEG")
    default_storage.save(asset.file.name, ContentFile(out.getvalue()))


def _seed(role: str) -> tuple[str, dict]:
    """Organization B with one of everything; the token of its owner or of a viewer, and B's ids by kind."""
    alice, bob = (
        f.make_user("alice@alpha.test", name="Alice Alpha"),
        f.make_user("bob@bravo.test", name="Bob Bravo"),
    )
    org_a = f.make_org("Alpha Foods", owner=alice, slug="alpha")
    org_b = f.make_org("Bravo Beverages", owner=bob, slug="bravo")
    world = World(
        org_a=org_a, org_b=org_b, alice_m=f.membership(org_a, alice), bob_m=f.membership(org_b, bob)
    )
    for build in WORLD_BUILDERS:
        build(world)
    _write_media_files(world.b["media_asset"])
    member = (
        world.bob_m
        if role == "owner"
        else f.add_member(org_b, f.make_user("vic@bravo.test"), Role.VIEWER)
    )
    issued = services.create_api_token(member, name=f"schemathesis-{role}")
    # Used just now: the lookup writes ``last_used_at`` at most once a minute, but each request's
    # transaction is rolled back here, so a never-used token was written on every request (a
    # tenth of the app's time in this test, and not what a real client costs).
    type(issued.token).objects.unscoped().filter(pk=issued.token.pk).update(
        last_used_at=timezone.now()
    )
    return issued.raw, {kind: obj.pk for kind, obj in world.b.items() if hasattr(obj, "pk")}


def _config(
    token: str, ids: dict, examples: int, coverage: bool = True
) -> schemathesis.config.SchemathesisConfig:
    def bind(kind, probability):
        return {"dictionary": kind, "probability": probability}

    return schemathesis.config.SchemathesisConfig.from_dict(
        {
            "seed": 20260101,
            "cache": {"enabled": False},  # nothing carried between runs: each run is the same run
            "headers": {"Authorization": f"Bearer {token}"},
            "workers": 1,
            "dictionaries": {kind: {"values": [pk]} for kind, pk in ids.items()},
            "generation": {
                "mode": "all",
                "max-examples": examples,
                "deterministic": True,
                "database": "none",
            },
            "phases": {"stateful": {"enabled": False}, "coverage": {"enabled": coverage}},
            "checks": {
                "enabled": False,
                "not_a_server_error": {"enabled": True},
                "response_schema_conformance": {"enabled": True},
                # a refusal is any of schemathesis' usual statuses, or a 412: an invalid body sent with a
                # stale If-Match is refused for the If-Match (checked first, under the row lock)
                "negative_data_rejection": {
                    "enabled": True,
                    "expected-statuses": [
                        *("400", "401", "403", "404", "405", "406", "409", "412", "415"),
                        *("422", "428", "429", "5xx"),
                    ],
                },
            },
            "parameters": {key: bind(kind, 0.6) for key, kind in FIELD_OBJECTS.items()},
            "operations": [
                {
                    "include-path-regex": f"^/api/v1/{prefix}/\\{{id\\}}/",
                    "parameters": {"path.id": bind(kind, 0.9)},
                }
                for prefix, kind in PATH_OBJECTS.items()
            ],
        }
    )


def _failures(stream) -> Iterator[str]:
    for event in stream:
        if isinstance(event, events.ScenarioFinished):
            for checks in event.recorder.checks.values():
                for check in checks:
                    if check.status == Status.FAILURE and check.failure_info is not None:
                        failure = check.failure_info.failure
                        yield (
                            f"{event.recorder.label} [{event.phase.value}] {check.name}: {failure.title}\n"
                            f"{failure.message}\n{check.failure_info.code_sample}"
                        )
        elif isinstance(event, events.NonFatalError | events.FatalError):
            yield f"schemathesis error: {event.info.format()}"


#: the owner's run in parts by path, so that test workers share it (one run took most of the suite's
#: time on one worker); together they cover every /api/v1/ path, each path in exactly one part
PARTS = {
    "a": r"/api/v1/a",
    "b-c": r"/api/v1/[b-c]",
    "d-o, posts": r"/api/v1/([d-o]|po)",
    "p-z": r"/api/v1/(p[^o]|[q-z])",
}


def _only(schema, path_regex: str):
    """The operations whose path starts with ``path_regex``, and no others.

    An exclusion of everything else, not ``schema.include``: the configuration's per-operation
    entries (``_config``'s ``operations``) add an include filter of their own that matches every
    operation, and includes are OR-ed, so ``include(path_regex=…)`` would keep the whole API.
    """
    return schema.exclude(path_regex=f"^(?!{path_regex})")


@pytest.mark.parametrize(("role", "part"), [*(("owner", part) for part in PARTS), ("viewer", None)])
def test_every_operation_keeps_to_the_schema_as(role, part, transactional_db, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    token, ids = _seed(role)
    app = RolledBackApp()
    schema = schemathesis.openapi.from_wsgi(
        "/api/schema/",
        app,
        config=_config(
            token,
            ids,
            EXAMPLES if role == "owner" else max(2, EXAMPLES // 4),
            # the viewer's refusals are checked on the example and fuzzing phases; the coverage
            # phase's boundary and negative values (thousands of requests, the same for any
            # number of examples) are the owner's, who is served where the viewer is refused
            coverage=role == "owner",
        ),
    )
    if part is not None:
        schema = _only(schema, PARTS[part])
    # Thousands of refused requests: Django's "Bad Request: …" warning for each is not read here
    # (the checks report what matters) and formatting them was a few percent of the run.
    request_log = logging.getLogger("django.request")
    level = request_log.level
    request_log.setLevel(logging.ERROR)
    try:
        found = list(_failures(schemathesis.engine.from_schema(schema).execute()))
    finally:
        request_log.setLevel(level)
        app.close()
        connections.close_all()
    unique = list(dict.fromkeys(found))
    assert not unique, f"{len(unique)} finding(s):\n\n" + "\n\n".join(unique)


def test_the_parts_cover_every_operation_once(db):
    """The owner's parts together are the whole API, each operation in one part only."""
    kinds = set(PATH_OBJECTS.values()) | set(FIELD_OBJECTS.values())
    schema = schemathesis.openapi.from_wsgi(
        "/api/schema/", RolledBackApp(), config=_config("token", dict.fromkeys(kinds, 1), 1)
    )
    every = [result.ok().label for result in schema.get_all_operations()]
    by_part = {
        part: [result.ok().label for result in _only(schema, regex).get_all_operations()]
        for part, regex in PARTS.items()
    }
    assert sorted(label for labels in by_part.values() for label in labels) == sorted(every)
    assert all(len(labels) < len(every) / 2 for labels in by_part.values()), {
        part: len(labels) for part, labels in by_part.items()
    }
