"""Custom dashboards (issue 16, point 3): an organization's saved layouts of widgets (KPI tile, time
series, breakdown, top posts, sentiment over time, team response times, post table), read from the
daily rollups and the inbox's figures. ``models`` (the rows), ``catalog`` (the kinds, metrics,
breakdowns and sizes a widget may have), ``services`` (every change), ``selectors`` (reads, and
each widget's data in a fixed number of queries), ``views``/``urls`` (the pages), ``api``.

A dashboard is shared read-only by the kernel's share links (``socialops.sharing``, kind
"dashboard", registered in ``AnalyticsConfig.ready``): whoever may change it makes a link (optionally
expiring), its public page ``/shared/dashboards/<token>/`` shows the board as the link's creator sees
it at view time, and the link answers 410 once revoked, expired, its dashboard deleted or its
creator without analytics in the organization (offboarding revokes it)."""
