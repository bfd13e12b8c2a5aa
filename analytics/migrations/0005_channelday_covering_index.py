"""PostgreSQL: the dashboard's scan of ``ChannelDay`` (one organization, a range of days, its
channels) reads every figure it sums from the index itself (an index-only scan: no visit to the
table's pages, which made most of the 90-day dashboard's time at 300 channels).

Built ``CONCURRENTLY`` (no lock on a live table; hence not atomic). SQLite has no covering indexes:
nothing there (``channelday_org_day`` serves it). Declared here rather than in the model's Meta,
whose ``include`` would print a warning (models.W040) on every SQLite start."""

from django.db import migrations

NAME = "channelday_org_day_figures"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {NAME} ON analytics_channelday "
        "(organization_id, day, channel_id) INCLUDE (followers, impressions, reach, engagements, "
        "link_clicks, video_views, posts_published)"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {NAME}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("analytics", "0004_reports")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
