"""`make bench`: run every benchmark against a throwaway test database and print one table.

Uses whatever DATABASE_URL / REDIS_URL point at (SQLite by default). Each benchmark module in
``bench/`` exposes ``run() -> list[Row]``; later issues add theirs to BENCHMARKS. ``BENCH_ONLY=api,calendar``
runs only those modules. ``BENCH_KEEPDB=1`` keeps the test database after the run and reuses it
in the next (for worlds that take long to build, e.g. ``BENCH_ONLY=inbox_1m``).
"""

from __future__ import annotations

import os
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socialops.settings")


def main() -> int:
    import django

    django.setup()
    from django.conf import settings
    from django.test.utils import setup_databases, setup_test_environment, teardown_databases

    from . import foundation

    BENCHMARKS = [foundation]
    BENCHMARKS.append(__import__("bench.publishing", fromlist=["run"]))  # issue 4: the scheduler
    BENCHMARKS.append(
        __import__("bench.calendar", fromlist=["run"])
    )  # issue 5: the editorial calendar
    BENCHMARKS.append(__import__("bench.api", fromlist=["run"]))  # issue 13: the API's conventions
    BENCHMARKS.append(__import__("bench.webhooks", fromlist=["run"]))  # issue 13: outgoing webhooks
    BENCHMARKS.append(__import__("bench.inbox", fromlist=["run"]))  # issue 14: inbox ingestion
    BENCHMARKS.append(
        __import__("bench.inbox_nlp", fromlist=["run"])
    )  # issue 14: language, sentiment
    BENCHMARKS.append(
        __import__("bench.inbox_search", fromlist=["run"])
    )  # issue 14: inbox filters and search on a large organization
    BENCHMARKS.append(
        __import__("bench.inbox_1m", fromlist=["run"])
    )  # issue 14: the inbox of an organization with 1,000,000 items
    BENCHMARKS.append(
        __import__("bench.bulk_schedule", fromlist=["run"])
    )  # issue 13: POST /api/v1/posts/bulk/
    BENCHMARKS.append(
        __import__("bench.audit_log", fromlist=["run"])
    )  # issue 15: audit entry overhead, the audit log's search and export
    BENCHMARKS.append(
        __import__("bench.offboarding", fromlist=["run"])
    )  # issue 15: offboarding a person from everything
    BENCHMARKS.append(
        __import__("bench.analytics", fromlist=["run"])
    )  # issue 16: the organization dashboard on 300 channels and 10M raw rows
    BENCHMARKS.append(
        __import__("bench.analytics_fetch", fromlist=["run"])
    )  # issue 16: the metrics fetch for 300 channels within every network's rate budget
    BENCHMARKS.append(
        __import__("bench.dashboard_pdf", fromlist=["run"])
    )  # issue 16: the organization dashboard as a PDF (charts by vl-convert, WeasyPrint)
    BENCHMARKS.append(
        __import__("bench.reports", fromlist=["run"])
    )  # issue 16: a weekly scheduled report's PDF
    only = [
        name for name in os.environ.get("BENCH_ONLY", "").split(",") if name
    ]  # e.g. BENCH_ONLY=api,webhooks
    if only:
        BENCHMARKS = [m for m in BENCHMARKS if m.__name__.rsplit(".", 1)[-1] in only]
    # as production runs: no debug cursor logging every statement, cached templates
    setup_test_environment(debug=False)
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    keepdb = os.environ.get("BENCH_KEEPDB", "") == "1"
    if keepdb and "postgresql" in settings.DATABASES["default"]["ENGINE"]:
        # its own name: a test run (test_<name>) must not find it, nor drop it
        test = settings.DATABASES["default"].setdefault("TEST", {})
        test["NAME"] = "bench_" + str(settings.DATABASES["default"]["NAME"]).rsplit("/", 1)[-1]
    # nothing is serialized for rollbacks (no bench uses them; a kept large world would take minutes)
    old = setup_databases(verbosity=0, interactive=False, keepdb=keepdb, serialized_aliases=set())
    rows = []
    started = time.monotonic()
    try:
        for module in BENCHMARKS:
            rows.extend(module.run())
    finally:
        teardown_databases(old, verbosity=0, keepdb=keepdb)
    from django.db import connection

    width = max(len(r[0]) for r in rows)
    print(f"\nSocialOps benchmarks on {connection.vendor} ({time.monotonic() - started:.1f} s)\n")
    print(f"{'benchmark'.ljust(width)}  {'value':>12}  unit        target")
    print("-" * (width + 40))
    for name, value, unit, target in rows:
        print(f"{name.ljust(width)}  {value:>12}  {unit:<10}  {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
