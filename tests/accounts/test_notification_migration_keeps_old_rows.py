"""accounts 0007: notifications sent before read-time rendering keep their sentence.

An empty database of its own is migrated to accounts 0006 and then 0007 (``empty_database``):
taking the test database back to 0006 meant undoing and redoing nearly every migration."""

from __future__ import annotations

from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("accounts", "0006_organization_sandbox_network")]
AFTER = [("accounts", "0007_notification_rendered_when_read")]


def test_old_notifications_keep_their_title_and_body_as_the_fallback(empty_database):
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    org = old.get_model("accounts", "Organization").objects.create(name="Alpha", slug="alpha")
    user = old.get_model("accounts", "User").objects.create(email="amy@alpha.test")
    old.get_model("accounts", "Notification").objects.create(
        organization_id=org.pk,
        recipient_id=user.pk,
        kind="approval_requested",
        title="Approval needed: Rendang week",
        body="Carl asks you to approve “Rendang week” (stage: Brand).",
        url="/o/alpha/approvals/requests/1/",
    )

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps
    (row,) = new.get_model("accounts", "Notification").objects.filter(organization_id=org.pk)
    assert row.legacy_title == "Approval needed: Rendang week"
    assert row.legacy_body.startswith("Carl asks you to approve")
    assert row.template == "" and row.params == {}
    assert row.url == "/o/alpha/approvals/requests/1/"
