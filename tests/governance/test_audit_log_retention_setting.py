"""The retention setting: 7 years unless a governance manager changes it to 1–50 whole years;
bad input is refused with a message and changes nothing; a change is recorded."""

from __future__ import annotations

import pytest

from socialops.audit.models import AuditEvent
from socialops.audit.selectors import retention_of

pytestmark = pytest.mark.django_db

URL = "/o/alpha/governance/audit/retention/"


def test_the_default_is_seven_years(alice_client, org_a):
    page = alice_client.get(URL).content.decode()
    assert retention_of(org_a) == 7
    assert 'value="7"' in page


def test_a_governance_manager_changes_it_and_the_change_is_recorded(alice_client, org_a, alice_m):
    response = alice_client.post(URL, {"years": "10"})
    assert response.status_code == 302
    assert retention_of(org_a) == 10
    entry = AuditEvent.objects.for_org(org_a).get(action="audit.retention_changed")
    assert entry.changes == {"years": [7, 10]} and entry.actor == alice_m.user


@pytest.mark.parametrize("bad", ["0", "51", "-3", "seven", "2.5", ""])
def test_a_bad_number_of_years_is_refused_and_nothing_changes(alice_client, org_a, bad):
    response = alice_client.post(URL, {"years": bad})
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    assert retention_of(org_a) == 7
    assert not AuditEvent.objects.for_org(org_a).filter(action="audit.retention_changed").exists()


def test_only_governance_managers_see_or_change_it(client, org_a, vera):
    client.force_login(vera)
    assert client.get(URL).status_code == 403
    assert client.post(URL, {"years": "1"}).status_code == 403
    assert retention_of(org_a) == 7
