"""The optional read replica (``DATABASE_REPLICA_URL``, ``socialops/db_router.py``): reads go there
only inside ``replica_reads`` and outside a primary transaction; writes and everything else stay on
the primary; a replica beside SQLite is refused at start.

The routing is checked in a separate process whose ``replica`` alias is a second connection to this
test database (a real second connection, as a replica would be): the queries are counted on each."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = textwrap.dedent(
    """
    import django, json
    django.setup()
    from django.db import connections, transaction
    from django.test.utils import CaptureQueriesContext
    from accounts.models import Organization
    from socialops.db_router import replica_reads

    out = {}
    with CaptureQueriesContext(connections["default"]) as d, \\
            CaptureQueriesContext(connections["replica"]) as r:
        list(Organization.objects.all()[:1])
    out["outside"] = [len(d), len(r)]
    with CaptureQueriesContext(connections["default"]) as d, \\
            CaptureQueriesContext(connections["replica"]) as r:
        with replica_reads():
            list(Organization.objects.all()[:1])
    out["inside"] = [len(d), len(r)]
    with CaptureQueriesContext(connections["default"]) as d, \\
            CaptureQueriesContext(connections["replica"]) as r:
        with replica_reads(), transaction.atomic():
            list(Organization.objects.all()[:1])
    out["in_transaction"] = [len(d), len(r)]
    with CaptureQueriesContext(connections["default"]) as d, \\
            CaptureQueriesContext(connections["replica"]) as r:
        with replica_reads():
            Organization.objects.filter(pk=-1).update(name="x")
    out["write"] = [len(d), len(r)]
    print(json.dumps(out))
    """
)


def _run(env_extra: dict) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATABASE_")}
    env.update(env_extra, DJANGO_SETTINGS_MODULE="socialops.settings")
    return subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.django_db
def test_reads_go_to_the_replica_only_inside_replica_reads_and_outside_a_transaction():
    if connection.vendor != "postgresql":
        pytest.skip("a replica is a PostgreSQL feature (DATABASE_URL on PostgreSQL)")
    s = connection.settings_dict
    url = f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
    done = _run({"DATABASE_URL": url, "DATABASE_REPLICA_URL": url})
    assert done.returncode == 0, done.stderr
    import json

    counts = json.loads(done.stdout.strip().splitlines()[-1])
    assert counts["outside"] == [1, 0]  # no replica_reads(): the primary
    assert counts["inside"] == [0, 1]  # the replica
    assert counts["in_transaction"][1] == 0  # a primary transaction reads its own writes
    assert counts["write"] == [1, 0]  # writes always go to the primary


def test_a_replica_beside_sqlite_is_refused_at_start():
    done = _run(
        {
            "DATABASE_URL": "sqlite:////tmp/socialops-replica-test.sqlite3",
            "DATABASE_REPLICA_URL": "postgres://postgres@127.0.0.1:5432/nowhere",
        }
    )
    assert done.returncode != 0
    assert "DATABASE_REPLICA_URL needs DATABASE_URL on PostgreSQL" in done.stderr
