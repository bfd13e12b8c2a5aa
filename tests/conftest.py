"""Shared fixtures: standing personas for tenancy (after healthchecks' alice, bob and charlie).

- alice owns organization A ("Alpha Foods"); vera is a viewer in A.
- bob owns organization B ("Bravo Beverages"); A's people must never see or change B's data.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from accounts.capabilities import Role

from . import factories as f


def _schema_key() -> str:
    """What the migrated schema follows from: every source file outside the tests (migrations, and
    the code a migration may import) and every installed package's version (third-party apps bring
    migrations of their own). The same key is the same migrated database."""
    import hashlib
    from importlib import metadata

    root = Path(__file__).resolve().parent.parent
    sources = []
    # (walked as it goes, so that the pruning below holds: not the tests, not the virtual
    # environment, the var directory or anything hidden; a sorted() of the whole walk went into
    # all of them, and any edit of a test made a new template)
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = [
            d
            for d in subfolders
            if not d.startswith(".") and d not in ("tests", "var", "node_modules", "__pycache__")
        ]
        sources += [Path(folder) / name for name in files if name.endswith(".py")]
    digest = hashlib.blake2b(digest_size=8)
    for path in sorted(sources):
        digest.update(str(path.relative_to(root)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    for dist in sorted(f"{d.metadata['Name']}=={d.version}" for d in metadata.distributions()):
        digest.update(dist.encode() + b"\0")
    return digest.hexdigest()


@pytest.fixture(scope="session")
def django_db_modify_db_settings(
    request, django_db_blocker, django_db_modify_db_settings_parallel_suffix
):
    """On PostgreSQL with test workers, one worker migrates a template database and every worker's
    test database is made from it (``CREATE DATABASE … TEMPLATE``; Django's ``TEST["TEMPLATE"]``),
    so the workers' own ``migrate`` finds nothing left to do instead of each running every
    migration (half a minute each, on two cores at once).

    The template is named by what the schema follows from (``_schema_key``) and marked once its
    migration finished: a later run of the same code and packages on the same server takes it as it
    is (the other workers waited the migration's 35 to 45 s at the start of every run); any change
    to a source file or a package makes another, and the older ones are dropped."""
    from django.conf import settings
    from django.db import connections

    run = getattr(request.config, "workerinput", {}).get("testrunuid")
    db = settings.DATABASES["default"]
    if (
        not run
        or connections["default"].vendor != "postgresql"
        or request.config.getvalue("reuse_db")
    ):
        return
    family = f"test_{db['NAME']}_tpl_"
    template = family + _schema_key()
    lock_path = Path(tempfile.gettempdir()) / f"test_{db['NAME']}_template.lock"
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the other workers wait here while it is made
        with django_db_blocker.unblock(), connections["default"]._nodb_cursor() as cursor:
            cursor.execute(
                "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
                [template],
            )
            found = cursor.fetchone()
            ready = found is not None and found[0] == "migrated"
            if not ready:
                cursor.execute(
                    "SELECT datname FROM pg_database WHERE datname LIKE %s OR datname = %s",
                    [family.replace("_", r"\_") + "%", f"test_{db['NAME']}_template"],
                )
                for (stale,) in cursor.fetchall():
                    cursor.execute(f'DROP DATABASE IF EXISTS "{stale}"')
                cursor.execute(f'CREATE DATABASE "{template}"')
        if not ready:
            url = urlsplit(os.environ["DATABASE_URL"])._replace(path=f"/{template}")
            env = {**os.environ, "DATABASE_URL": urlunsplit(url)}
            subprocess.run(
                [sys.executable, "manage.py", "migrate", "--run-syncdb", "--noinput", "-v0"],
                cwd=Path(__file__).resolve().parent.parent,
                env=env,
                check=True,
            )
            with django_db_blocker.unblock(), connections["default"]._nodb_cursor() as cursor:
                cursor.execute(f"COMMENT ON DATABASE \"{template}\" IS 'migrated'")
    db.setdefault("TEST", {})["TEMPLATE"] = template


@pytest.fixture(scope="session", autouse=True)
def _flush_by_delete():
    """After each test that commits (``transactional_db``, the browser tests' live server), Django
    empties every table with one ``TRUNCATE`` (its ``flush``). On PostgreSQL that gives each of the
    schema's tables and indexes a new file: 0.6 s a test on a quiet machine, 3 s with the suite's
    workers beside it (a tenth of the suite's time). Here a test's tables hold a few rows, which
    ``DELETE`` removes in 50 ms: one per table, in one transaction, with triggers and foreign-key
    checks off for it (``session_replication_role = replica``: what emptying every table needs, no
    order; a superuser's setting, as the test database's owner is here and in CI). Without that
    right, when sequences are to be reset, or on SQLite (whose flush deletes already): Django's."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    truncate = DatabaseOperations.sql_flush
    superuser: dict = {}

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        if tables and not reset_sequences and self.connection.alias not in superuser:
            with self.connection.cursor() as cursor:
                cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
                superuser[self.connection.alias] = bool(cursor.fetchone()[0])
        if not tables or reset_sequences or not superuser[self.connection.alias]:
            return truncate(
                self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
            )
        # (``execute_sql_flush`` runs the list in one transaction: ``SET LOCAL`` ends with it)
        return [
            "SET LOCAL session_replication_role = replica",
            *(f"DELETE FROM {self.quote_name(table)}" for table in tables),  # noqa: S608
        ]

    DatabaseOperations.sql_flush = sql_flush
    try:
        yield
    finally:
        DatabaseOperations.sql_flush = truncate


@pytest.fixture(autouse=True)
def _fast_and_quiet(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.SITE_URL = "http://testserver"
    settings.SECURE_SSL_REDIRECT = False
    # The suite makes many API calls from one address; tests/test_api_throttling.py proves the limits.
    settings.API_THROTTLE_RATES = {
        "token": "100000/minute",
        "address": "100000/minute",
        "auth_failure": "100000/minute",
    }
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def alice(db):
    return f.make_user("alice@alpha.test", name="Alice Alpha")


@pytest.fixture
def bob(db):
    return f.make_user("bob@bravo.test", name="Bob Bravo")


@pytest.fixture
def org_a(alice):
    return f.make_org("Alpha Foods", owner=alice, slug="alpha")


@pytest.fixture
def org_b(bob):
    return f.make_org("Bravo Beverages", owner=bob, slug="bravo")


@pytest.fixture
def alice_m(org_a, alice):
    return f.membership(org_a, alice)


@pytest.fixture
def bob_m(org_b, bob):
    return f.membership(org_b, bob)


@pytest.fixture
def vera(org_a):
    user = f.make_user("vera@alpha.test", name="Vera Viewer")
    f.add_member(org_a, user, Role.VIEWER)
    return user


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


def api_client_for(membership, name="test"):
    from rest_framework.test import APIClient

    from accounts import services

    issued = services.create_api_token(membership, name=name)
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.raw}")
    return c


@pytest.fixture
def alice_api(alice_m):
    return api_client_for(alice_m)


@pytest.fixture
def empty_database(transactional_db, tmp_path):
    """A database of its own, empty, for a migration test: while the test runs, the default
    connection points at it, so the test migrates only what its states need (from nothing) instead
    of taking the whole test database back and forward again (minutes, the whole schema). Dropped
    afterwards; the test database is untouched."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import connections

    real = connections["default"]
    settings_dict = dict(real.settings_dict)
    postgres = real.vendor == "postgresql"
    if postgres:
        settings_dict["NAME"] = f"{real.settings_dict['NAME']}_empty"
        with real._nodb_cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{settings_dict["NAME"]}"')
            cursor.execute(f'CREATE DATABASE "{settings_dict["NAME"]}"')
    else:
        settings_dict["NAME"] = str(tmp_path / "empty.sqlite3")
    empty = real.__class__(settings_dict, alias="default")
    connections["default"] = empty
    ContentType.objects.clear_cache()
    try:
        yield empty
    finally:
        empty.close()
        connections["default"] = real
        ContentType.objects.clear_cache()
        if postgres:
            with real._nodb_cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{settings_dict["NAME"]}"')


#: test files whose tests take from half a minute to minutes each (measured with ``--durations``)
_LONG_FIRST = (
    "test_api_keeps_to_its_schema.py",
    "test_accessibility.py",
    "test_first_command.py",
    "test_production_cookies.py",
    "test_every_url_is_tenant_safe.py",
    "test_notification_migration_keeps_old_rows.py",
    "test_restricted_channels_do_not_leak.py",
    "test_api_generated_client.py",
)
#: the longest of them, in seconds of one test worker beside two others (``--durations=0`` of a
#: full run); the rest of the files above count as _LONG_DEFAULT each
_LONG_SECONDS = {
    "test_every_operation_keeps_to_the_schema_as[owner-d-o, posts]": 113,
    "test_every_operation_keeps_to_the_schema_as[owner-b-c]": 104,
    "test_every_main_page_passes_axe[1366px-en]": 82,
    "test_every_main_page_passes_axe[375px-en]": 75,
    "test_make_run_answers_at_the_address_it_prints_on_8000_then_on_the_port_given": 64,
    "test_every_operation_keeps_to_the_schema_as[owner-a]": 62,
    "test_every_operation_keeps_to_the_schema_as[owner-p-z]": 49,
    "test_every_operation_keeps_to_the_schema_as[viewer-None]": 38,
    "test_no_route_shows_a_restricted_channel_to_a_member_without_a_grant[mona]": 39,
    "test_every_main_page_passes_axe[1366px-id]": 38,
    "test_every_main_page_passes_axe[375px-id]": 31,
    "test_no_route_shows_a_restricted_channel_to_a_member_without_a_grant[vic]": 28,
}
_LONG_DEFAULT = 6


def _long_seconds(item) -> int | None:
    name = item.nodeid.split("::")[0].rsplit("/", 1)[-1]
    if name not in _LONG_FIRST:
        return None
    return _LONG_SECONDS.get(item.nodeid.rsplit("::", 1)[-1], _LONG_DEFAULT)


def pytest_collection_modifyitems(session, config, items):
    """The long tests first, spread over the test workers.

    pytest-xdist's ``worksteal`` hands each worker one contiguous share of the collection (the
    first third to the first of three, …); an idle worker then steals from the end of another's
    share, never its head. With every long test at the head of the collection, the first worker
    ran them all one after another while the others ran out of work (the run's last minute on one
    worker). So the long tests are dealt out longest first to whichever share holds the fewest
    seconds so far, each share starting with its own; the rest keep their order.
    """
    workers = int(getattr(config, "workerinput", {}).get("workercount", 1))
    long_items = sorted(
        (item for item in items if _long_seconds(item) is not None),
        key=lambda item: -(_long_seconds(item) or 0),  # a stable sort: ties keep their order
    )
    rest = [item for item in items if _long_seconds(item) is None]
    if workers < 2:
        items[:] = long_items + rest
        return
    shares: list[list] = [[] for _ in range(workers)]
    loads = [0] * workers
    for item in long_items:
        k = loads.index(min(loads))
        shares[k].append(item)
        loads[k] += _long_seconds(item) or 0
    # the sizes worksteal cuts the collection into: len // workers, then of the remainder, …
    ordered, left, rest_at = [], len(items), 0
    for k in range(workers):
        size = left // (workers - k)
        fill = max(0, size - len(shares[k]))
        ordered += shares[k] + rest[rest_at : rest_at + fill]
        rest_at += fill
        left -= len(shares[k]) + fill
    ordered += rest[rest_at:]
    items[:] = ordered
