"""Two offboardings of the same person at once: the second waits on the first's lock of the
membership row, then is refused; one report, every change made once, nothing half-applied."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from governance.offboarding import services
from governance.offboarding.models import OffboardingReport
from socialops.audit.models import AuditEvent
from socialops.errors import Conflict

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_the_second_run_waits_for_the_first_and_is_refused(office, alice_m):
    second_outcome: list = []
    started = threading.Event()

    def second_run():
        try:
            started.set()
            services.offboard_member(office.lena, by=office.bea)
            second_outcome.append("ran")
        except Conflict as exc:
            second_outcome.append(exc.message)
        finally:
            connection.close()

    with transaction.atomic():
        services.offboard_member(office.lena, by=alice_m)
        # The first run holds the membership's row lock until this block commits: the second run,
        # started now, can only read the membership after that.
        other = threading.Thread(target=second_run)
        other.start()
        started.wait()
    other.join()

    assert len(second_outcome) == 1 and "already been offboarded" in second_outcome[0]
    assert OffboardingReport.objects.for_org(office.org).count() == 1
    assert AuditEvent.objects.for_org(office.org).filter(action="member.offboarded").count() == 1
