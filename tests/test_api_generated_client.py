"""A client generated from the schema by openapi-python-client works (issue 13: 1).

As an integrator would: the schema is written to a file, openapi-python-client turns it into a
package (no network, no post hooks), every module of that package imports, and a short journey runs
with it against a live server under a service account's token: create a post with a per-channel
text (a dict body), change it, upload an image (multipart), attach it, schedule the post (an
instant with an offset), read it on the calendar, cancel it. An error comes back as the typed
``Error`` model, not ``None``.
"""

from __future__ import annotations

import importlib
import io
import pkgutil
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from PIL import Image

from accounts.service_accounts import services as sa_services
from tests.channels.factories import connect_sandbox

PACKAGE = "socialops_client"
GENERATOR = Path(sys.executable).with_name("openapi-python-client")


@pytest.fixture
def generated_client(tmp_path):
    schema = tmp_path / "schema.yaml"
    call_command("spectacular", "--file", str(schema))
    config = tmp_path / "config.yaml"
    config.write_text(f"package_name_override: {PACKAGE}\npost_hooks: []\n")
    done = subprocess.run(
        [
            str(GENERATOR),
            "generate",
            "--path",
            str(schema),
            "--meta",
            "none",
            "--config",
            str(config),
            "--output-path",
            str(tmp_path / PACKAGE),
            "--fail-on-warning",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    sys.path.insert(0, str(tmp_path))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def _modules(package):
    return {
        info.name: importlib.import_module(info.name)
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + ".")
    }


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 60, 40)).save(out, format="PNG")
    return out.getvalue()


def _op(modules, operation_id):
    """The generated module of one operation, whatever tag (folder) it is filed under."""
    found = [m for name, m in modules.items() if name.rsplit(".", 1)[-1] == operation_id]
    assert len(found) == 1, f"{operation_id}: {len(found)} modules"
    return found[0]


def test_a_client_generated_from_the_schema_imports_and_runs_a_journey(
    generated_client, live_server, org_a, alice_m
):
    modules = _modules(generated_client)
    assert len(modules) > 100  # every operation and model; each one imported above
    from socialops_client import AuthenticatedClient, models
    from socialops_client.types import File

    (channel,) = connect_sandbox(org_a, alice_m)
    robot = sa_services.create_service_account(org_a, by=alice_m, name="CMS sync")
    token = sa_services.create_service_account_token(
        robot,
        by=alice_m,
        name="prod",
        scopes=["posts:write", "media:write", "calendar:read"],
    ).raw
    client = AuthenticatedClient(base_url=live_server.url, token=token)

    # Create: the per-channel text is a JSON object, sent as JSON.
    texts = models.PostInRequestVariantTexts.from_dict({str(channel.pk): "Only for the kitchen"})
    created = _op(modules, "posts_create").sync_detailed(
        client=client,
        body=models.PostInRequest(
            text="Lunch is served", channels=[channel.pk], variant_texts=texts
        ),
    )
    assert created.status_code == 201, created.content
    post = created.parsed
    assert isinstance(post, models.PostOut)
    assert [v.effective_text for v in post.variants] == ["Only for the kitchen"]

    changed = _op(modules, "posts_partial_update").sync_detailed(
        post.id, client=client, body=models.PatchedPostInRequest(title="Lunch")
    )
    assert changed.status_code == 200, changed.content
    assert changed.parsed.title == "Lunch"

    # Upload (multipart) and attach the image.
    uploaded = _op(modules, "media_create").sync_detailed(
        client=client,
        body=models.MediaUploadInRequest(
            file=File(payload=io.BytesIO(_png()), file_name="lunch.png", mime_type="image/png"),
            alt_text="A plate of rice",
        ),
    )
    assert uploaded.status_code == 201, uploaded.content
    asset = uploaded.parsed
    assert isinstance(asset, models.MediaAssetOut) and asset.alt_text == "A plate of rice"
    attached = _op(modules, "posts_partial_update").sync_detailed(
        post.id, client=client, body=models.PatchedPostInRequest(media=[asset.id])
    )
    assert attached.status_code == 200, attached.content
    assert [m.asset for m in attached.parsed.media] == [asset.id]

    # Schedule at an instant with an offset (typed as a date-time in the schema).
    jakarta = ZoneInfo("Asia/Jakarta")
    at = (datetime.now(jakarta) + timedelta(days=2)).replace(
        hour=9, minute=0, second=0, microsecond=0
    )
    scheduled = _op(modules, "posts_schedule_create").sync_detailed(
        post.id, client=client, body=models.ScheduleInRequest(at=at, timezone="Asia/Jakarta")
    )
    assert scheduled.status_code == 200, scheduled.content
    assert scheduled.parsed.status == "scheduled"
    assert scheduled.parsed.scheduled_at == at

    # The calendar of those days shows it, with times that carry their offset.
    calendar = _op(modules, "calendar_events_list").sync_detailed(
        client=client, start=at.date().isoformat(), end=(at + timedelta(days=1)).date().isoformat()
    )
    assert calendar.status_code == 200, calendar.content
    events = [e for e in calendar.parsed.events if e.post == post.id]
    assert events and events[0].start == at and events[0].start.utcoffset() is not None

    cancelled = _op(modules, "posts_cancel_create").sync_detailed(post.id, client=client)
    assert cancelled.status_code == 200, cancelled.content
    assert cancelled.parsed.status != "scheduled"

    # An error is the documented shape, parsed into its model.
    refused = _op(modules, "posts_create").sync_detailed(
        client=client, body=models.PostInRequest(text="No channel", channels=[10**9])
    )
    assert refused.status_code == 400
    assert isinstance(refused.parsed, models.Error)
    assert refused.parsed.error.code == "validation_error"
    assert "channels" in refused.parsed.error.fields.additional_properties
