"""The suite's flush between committing tests (tests/conftest.py's ``_flush_by_delete``) leaves every
table as Django's ``TRUNCATE`` would: empty, but for what ``post_migrate`` puts back (content types,
permissions), whatever triggers the deleted rows have and in whatever order foreign keys name them."""

from __future__ import annotations

from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection

from channels_registry.models import Channel
from inbox.models import Conversation, Item
from socialops.webhooks.models import WebhookEndpoint
from socialops.webhooks.signing import new_secret

from . import factories as f

#: what ``flush``'s ``post_migrate`` writes again
REFILLED = {"django_content_type", "auth_permission"}


def _non_empty_tables() -> dict[str, int]:
    tables = connection.introspection.django_table_names(only_existing=True, include_views=False)
    quote = connection.ops.quote_name
    counts = {}
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"SELECT count(*) FROM {quote(table)}")  # noqa: S608
            counts[table] = cursor.fetchone()[0]
    return {table: n for table, n in counts.items() if n and table not in REFILLED}


def test_flush_empties_every_table_rows_with_triggers_and_foreign_keys_included(transactional_db):
    alice = f.make_user("alice@alpha.test")
    org = f.make_org("Alpha Foods", owner=alice, slug="alpha")
    channel = Channel.objects.create(organization=org, provider="sandbox", external_id="s1")
    conversation = Conversation.objects.create(
        organization=org, channel=channel, kind="dm", external_thread_id="t1"
    )
    Item.objects.create(
        organization=org,
        channel=channel,
        conversation=conversation,
        external_id="i1",
        kind="dm",
        created_at=conversation.created_at,
    )
    # (its triggers write the organization's facts' version: a row a deletion must not leave)
    WebhookEndpoint.objects.create(
        organization=org,
        url="https://hooks.example.com/in",
        events=["conversation.created"],
        secret=new_secret(),
    )
    assert len(_non_empty_tables()) > 5

    # the tables in name order: the organization facts' table is emptied before the webhook
    # endpoints', whose deletion's trigger writes a row into it again (unless triggers are off)
    tables = sorted(connection.introspection.django_table_names(only_existing=True))
    assert tables.index("inbox_orgfactsversion") < tables.index("webhooks_webhookendpoint")
    connection.ops.execute_sql_flush(connection.ops.sql_flush(no_style(), tables))

    assert _non_empty_tables() == {}


def test_the_flush_command_empties_the_tables(transactional_db):
    alice = f.make_user("alice@alpha.test")
    f.make_org("Alpha Foods", owner=alice, slug="alpha")

    call_command("flush", verbosity=0, interactive=False)

    assert _non_empty_tables() == {}
