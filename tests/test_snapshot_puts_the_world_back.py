"""tests/snapshot.py: a world built once per process is put back, row for row, after the flush
that ends every committing test; new rows never collide with the ones put back."""

from __future__ import annotations

import pytest
from django.core.management.color import no_style
from django.db import connection

from accounts.models import Membership, Organization
from tests import factories as f
from tests.snapshot import restored

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_world_is_built_once_and_put_back_after_a_flush():
    if connection.vendor != "postgresql":
        pytest.skip("COPY is PostgreSQL's; elsewhere the world is built every time")
    builds = []

    def build():
        builds.append(1)
        owner = f.make_user("owner@kept.test", name="Kept Owner")
        org = f.make_org("Kept Foods", owner=owner, slug="kept")
        return {"org": org.pk, "slug": org.slug}

    first = restored("test-kept-world", build)
    before = list(Membership.objects.unscoped().order_by("pk").values_list("pk", "role", "user_id"))
    # what ends a committing test, here with the sequences restarted (as a test with
    # ``reset_sequences`` ends): the kept rows' ids are then ahead of every sequence
    tables = connection.introspection.django_table_names(only_existing=True, include_views=False)
    connection.ops.execute_sql_flush(
        connection.ops.sql_flush(no_style(), tables, reset_sequences=True)
    )
    assert not Organization.objects.filter(slug="kept").exists()

    again = restored("test-kept-world", build)
    assert builds == [1] and again == first
    assert Organization.objects.get(pk=first["org"]).slug == "kept"
    after = list(Membership.objects.unscoped().order_by("pk").values_list("pk", "role", "user_id"))
    assert after == before
    newer = f.make_org("Next Foods", owner=f.make_user("next@kept.test"), slug="next")
    assert newer.pk > first["org"]  # the sequence is past the rows put back
