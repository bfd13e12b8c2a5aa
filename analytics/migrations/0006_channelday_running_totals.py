"""Running totals on the daily rollups (``ChannelDay.run_*`` and ``seen_*``): a period's sums are
the difference of two days' running totals instead of a scan of every day of every channel. The
rows stored before are filled here, one statement (a window over each channel's days)."""

from django.db import migrations, models

RUNNING = ("impressions", "reach", "engagements", "link_clicks", "video_views", "posts_published")
MAY_BE_MISSING = RUNNING[:-1]


def fill(apps, schema_editor):
    """The statement of ``services.refresh_running_totals`` over every row, as it was written then
    (a migration keeps its own copy: the service may change after it)."""
    window = ", ".join(
        [
            *(f"SUM(COALESCE({m}, 0)) OVER running AS run_{m}" for m in RUNNING),
            *(f"COUNT({m}) OVER running AS seen_{m}" for m in MAY_BE_MISSING),
        ]
    )
    columns = [*(f"run_{m}" for m in RUNNING), *(f"seen_{m}" for m in MAY_BE_MISSING)]
    schema_editor.execute(
        f"UPDATE analytics_channelday SET {', '.join(f'{c} = w.{c}' for c in columns)} "
        f"FROM (SELECT id, {window} FROM analytics_channelday "
        "WINDOW running AS (PARTITION BY channel_id ORDER BY day ROWS UNBOUNDED PRECEDING)) AS w "
        "WHERE analytics_channelday.id = w.id"
    )


class Migration(migrations.Migration):

    dependencies = [
        ('analytics', '0005_channelday_covering_index'),
    ]

    operations = [
        migrations.AddField(
            model_name='channelday',
            name='run_engagements',
            field=models.BigIntegerField(default=0, editable=False),
        ),
        migrations.AddField(
            model_name='channelday',
            name='run_impressions',
            field=models.BigIntegerField(default=0, editable=False),
        ),
        migrations.AddField(
            model_name='channelday',
            name='run_link_clicks',
            field=models.BigIntegerField(default=0, editable=False),
        ),
        migrations.AddField(
            model_name='channelday',
            name='run_posts_published',
            field=models.BigIntegerField(default=0, editable=False),
        ),
        migrations.AddField(
            model_name='channelday',
            name='run_reach',
            field=models.BigIntegerField(default=0, editable=False),
        ),
        migrations.AddField(
            model_name='channelday',
            name='run_video_views',
            field=models.BigIntegerField(default=0, editable=False),
        ),
        migrations.AddField(
            model_name='channelday',
            name='seen_engagements',
            field=models.IntegerField(default=0, editable=False),
        ),
        migrations.AddField(
            model_name='channelday',
            name='seen_impressions',
            field=models.IntegerField(default=0, editable=False),
        ),
        migrations.AddField(
            model_name='channelday',
            name='seen_link_clicks',
            field=models.IntegerField(default=0, editable=False),
        ),
        migrations.AddField(
            model_name='channelday',
            name='seen_reach',
            field=models.IntegerField(default=0, editable=False),
        ),
        migrations.AddField(
            model_name='channelday',
            name='seen_video_views',
            field=models.IntegerField(default=0, editable=False),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=False),
    ]
