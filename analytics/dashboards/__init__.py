"""Custom dashboards (issue 16, point 3): an organization's saved layouts of widgets (KPI tile, time
series, breakdown, top posts, sentiment over time, team response times, post table), read from the
daily rollups and the inbox's figures. ``models`` (the rows), ``catalog`` (the kinds, metrics,
breakdowns and sizes a widget may have), ``services`` (every change), ``selectors`` (reads, and
each widget's data in a fixed number of queries), ``views``/``urls`` (the pages), ``api``."""
