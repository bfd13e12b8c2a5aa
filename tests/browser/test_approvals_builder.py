"""The workflow builder's script (add, reorder, remove stages) and @mention suggestions, in Chromium."""

from __future__ import annotations

import pytest

from accounts.capabilities import Role
from approvals import services
from approvals.models import Workflow
from publishing.posts import services as authoring
from tests.channels.factories import connect_sandbox
from tests.factories import PASSWORD, add_member, make_user

from .conftest import no_horizontal_scroll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(pg, live_server, email):
    pg.goto(f"{live_server.url}/accounts/login/")
    pg.fill("input[name=login]", email)
    pg.fill("input[name=password]", PASSWORD)
    pg.click("button[type=submit]")
    pg.wait_for_url(f"{live_server.url}/o/alpha/")


@pytest.fixture
def people(org_a, alice_m):
    amy = add_member(org_a, make_user("amy@alpha.test", name="Amy Approver"), Role.MANAGER)
    abe = add_member(org_a, make_user("abe@alpha.test", name="Abe Approver"), Role.MANAGER)
    return alice_m, amy, abe


def _names(pg):
    return pg.eval_on_selector_all(
        "[data-stage-list] input[name$='_name']", "els => els.map(e => e.name + '=' + e.value)"
    )


def test_an_admin_adds_reorders_and_removes_stages(page, phone, live_server, org_a, people):
    alice_m, amy, abe = people
    workflow = services.create_workflow(
        org_a,
        by=alice_m,
        name="Brand review",
        stages=[
            services.StageSpec(
                name="Brand", approvers=[services.ApproverSpec("person", membership=amy)]
            ),
            services.StageSpec(
                name="Legal", approvers=[services.ApproverSpec("person", membership=abe)]
            ),
        ],
    )
    _sign_in(page, live_server, "alice@alpha.test")
    page.goto(f"{live_server.url}/o/alpha/approvals/workflows/{workflow.pk}/")
    # the script drops the empty row the server adds for people without JavaScript
    assert _names(page) == ["stage_1_name=Brand", "stage_2_name=Legal"]
    assert page.locator("[data-stage-nojs]").is_hidden()
    assert page.locator("[data-stage-row] [data-quorum]").first.is_hidden()  # rule "any"

    page.click("[data-stage-add]")
    page.fill("input[name=stage_3_name]", "Final check")
    page.locator("#id_stage_3_people label", has_text="Alice Alpha").click()
    page.select_option("select[name=stage_3_rule]", "quorum")
    assert page.locator("[data-stage-row]").nth(2).locator("[data-quorum]").is_visible()
    page.locator("[data-stage-row]").nth(2).locator("[data-stage-up]").click()
    assert _names(page) == [
        "stage_1_name=Brand",
        "stage_2_name=Final check",
        "stage_3_name=Legal",
    ]
    # the moved row's checkboxes were renamed with it
    assert page.locator("#id_stage_2_people input:checked").count() == 1
    page.locator("[data-stage-row]").nth(0).locator("[data-stage-remove]").click()
    assert _names(page) == ["stage_1_name=Final check", "stage_2_name=Legal"]
    page.click("#workflow-form button[type=submit]")
    page.wait_for_url("**/approvals/workflows/")

    specs = services.stage_specs_of(Workflow.objects.for_org(org_a).get(pk=workflow.pk))
    assert [(s.name, s.rule) for s in specs] == [("Final check", "quorum"), ("Legal", "any")]
    assert [a.membership.user.email for a in specs[0].approvers] == ["alice@alpha.test"]

    # on a phone the builder fits, and the add button stops at the cap
    _sign_in(phone, live_server, "alice@alpha.test")
    phone.goto(f"{live_server.url}/o/alpha/approvals/workflows/new/")
    assert no_horizontal_scroll(phone)
    for _ in range(12):
        if phone.locator("[data-stage-add]").is_disabled():
            break
        phone.click("[data-stage-add]")
    assert phone.locator("[data-stage-list] [data-stage-row]").count() == 10
    assert phone.locator("[data-stage-limit]").is_visible()
    assert no_horizontal_scroll(phone)


def test_typing_at_in_a_comment_suggests_members_and_inserts_the_handle(
    phone, live_server, org_a, people
):
    alice_m, amy, _abe = people
    (channel,) = connect_sandbox(org_a, alice_m, ["sbx-kitchen"])
    post = authoring.create_post(org_a, by=alice_m, text="Weekend brunch", channels=[channel])
    _sign_in(phone, live_server, "alice@alpha.test")
    phone.goto(f"{live_server.url}/o/alpha/posts/{post.pk}/")
    box = phone.locator("textarea[name=body]")
    box.click()
    box.type("Please look @Am")
    phone.wait_for_selector(".mention-list li")
    assert "Amy Approver" in phone.locator(".mention-list").inner_text()
    assert no_horizontal_scroll(phone)
    phone.keyboard.press("Enter")  # picks the suggestion, does not submit
    assert box.input_value() == "Please look @amy "
    box.type("thanks")
    phone.get_by_role("button", name="Add comment").click()
    phone.wait_for_selector("text=Comment added.")
    assert phone.locator("#comments .mention", has_text="@amy").count() == 1
    from accounts.models import Notification

    assert Notification.objects.for_org(org_a).filter(recipient=amy.user, kind="mention").exists()
