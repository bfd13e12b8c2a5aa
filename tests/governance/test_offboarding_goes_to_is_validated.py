"""The admin changes where an item goes; a target who is the leaving person, is deactivated or lacks
the capability is a clear error on that item, and the run changes nothing."""

from __future__ import annotations

import pytest

from accounts import services as accounts_services
from approvals.models import ApprovalAssignment
from channels_registry.models import ChannelGrant
from governance.offboarding import selectors, services
from socialops.errors import ValidationFailed

from .conftest import reload

pytestmark = pytest.mark.django_db


def _assignment(office):
    return ApprovalAssignment.objects.for_org(office.org).get(membership=office.lena)


def test_a_changed_goes_to_shows_in_the_preview(client, office, alice):
    key = f"assignment:{_assignment(office).pk}"
    plan = selectors.plan_offboarding(
        office.lena, by=None, choices={key: office.max.pk, "posts": office.max.pk}
    )
    assert [i.goes_to for i in plan.groups["assignments"]] == [office.max]
    assert {i.goes_to for i in plan.groups["posts"]} == {office.max}
    client.force_login(alice)
    page = client.get(
        f"/o/alpha/governance/offboarding/members/{office.lena.pk}/", {key: office.max.pk}
    ).content.decode()
    assert f'<option value="{office.max.pk}" selected>Max Manager</option>' in page


@pytest.mark.parametrize(
    "who, message",
    [
        ("lena", "is the person being offboarded"),
        ("vic", "may not approve posts"),
        ("carl", "may not approve posts"),
        ("gone", "not an active member"),
    ],
)
def test_a_bad_target_is_an_error_on_its_item_and_nothing_changes(office, alice_m, who, message):
    if who == "gone":
        accounts_services.deactivate_member(office.max, by=alice_m)
        target = office.max
    else:
        target = getattr(office, who)
    key = f"assignment:{_assignment(office).pk}"
    plan = selectors.plan_offboarding(office.lena, by=alice_m, choices={key: target.pk})
    assert message in plan.errors[key]
    with pytest.raises(ValidationFailed) as refused:
        services.offboard_member(office.lena, by=alice_m, choices={key: target.pk})
    assert message in refused.value.message
    assert reload(office.lena).is_active
    assert ChannelGrant.objects.for_org(office.org).filter(membership=office.lena).count() == 4


def test_a_conversation_target_needs_to_moderate_its_channel(office, alice_m):
    plan = selectors.plan_offboarding(
        office.lena, by=alice_m, choices={"conversations": office.carl.pk}
    )
    (error,) = plan.errors.values()
    assert "may not answer on" in error


def test_the_run_page_shows_the_error_beside_the_item(client, office, alice):
    client.force_login(alice)
    key = f"assignment:{_assignment(office).pk}"
    answer = client.post(
        f"/o/alpha/governance/offboarding/members/{office.lena.pk}/run/", {key: office.vic.pk}
    )
    assert answer.status_code == 400
    page = answer.content.decode()
    assert "Vic Viewer may not approve posts." in page and 'id="offboarding-error"' in page
    assert reload(office.lena).is_active
