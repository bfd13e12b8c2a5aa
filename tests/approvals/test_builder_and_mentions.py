"""The workflow builder takes any number of stages (up to a cap), @mention suggestions, and what pages say."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Notification
from approvals import services
from approvals.forms import MAX_STAGES
from approvals.models import ApprovalLink, Workflow
from approvals.templatetags.approvals_tags import with_mentions
from socialops.errors import ValidationFailed

from .. import factories as f
from .conftest import link_tokens, make_workflow, person, stage, submit

pytestmark = pytest.mark.django_db


def _workflow_post(people, stages: dict, **extra):
    data = {
        "name": "Many stages",
        "priority": 10,
        "is_active": "on",
        "link_ttl_hours": 72,
        "resubmit_to": "first_stage",
    }
    data.update(stages)
    data.update(extra)
    return data


def _stage(n, name, *people_pks, rule="any", sla=24):
    return {
        f"stage_{n}_name": name,
        f"stage_{n}_rule": rule,
        f"stage_{n}_quorum": 1,
        f"stage_{n}_sla_hours": sla,
        f"stage_{n}_people": list(people_pks),
    }


# --- The builder ------------------------------------------------------------------------------------


def test_the_builder_saves_more_stages_than_the_old_four_slots_in_row_order(client, people):
    client.force_login(people.owner.user)
    stages = {}
    for n in range(1, 7):
        stages.update(_stage(n, f"Step {n}", people.amy.pk))
    response = client.post(
        f"/o/{people.org.slug}/approvals/workflows/new/", _workflow_post(people, stages)
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    workflow = Workflow.objects.for_org(people.org).get(name="Many stages")
    assert [s.name for s in services.stage_specs_of(workflow)] == [f"Step {n}" for n in range(1, 7)]


def test_rows_with_gaps_in_their_numbers_keep_their_order_and_blank_rows_are_skipped(
    client, people
):
    """A removed row leaves a gap when the script did not renumber; an empty row is no stage."""
    client.force_login(people.owner.user)
    stages = {
        **_stage(7, "Last", people.abe.pk),
        **_stage(2, "First", people.amy.pk),
        **_stage(4, "", sla=24),
    }
    response = client.post(
        f"/o/{people.org.slug}/approvals/workflows/new/", _workflow_post(people, stages)
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    workflow = Workflow.objects.for_org(people.org).get(name="Many stages")
    assert [s.name for s in services.stage_specs_of(workflow)] == ["First", "Last"]


def test_more_than_the_cap_is_refused_with_a_clear_message_and_nothing_is_saved(client, people):
    client.force_login(people.owner.user)
    stages = {}
    for n in range(1, MAX_STAGES + 2):
        stages.update(_stage(n, f"Step {n}", people.amy.pk))
    response = client.post(
        f"/o/{people.org.slug}/approvals/workflows/new/", _workflow_post(people, stages)
    )
    assert response.status_code == 200
    assert f"A workflow can have at most {MAX_STAGES} stages." in response.content.decode()
    assert not Workflow.objects.for_org(people.org).filter(name="Many stages").exists()


def test_the_services_enforce_the_cap_too(org_a, people):
    with pytest.raises(ValidationFailed, match="at most 10 stages"):
        make_workflow(
            org_a,
            people.owner,
            *[stage(f"S{i}", person(people.amy)) for i in range(MAX_STAGES + 1)],
        )


def test_without_javascript_the_edit_page_shows_the_stages_plus_one_empty_row(
    client, people, workflow
):
    client.force_login(people.owner.user)
    page = client.get(f"/o/{people.org.slug}/approvals/workflows/{workflow.pk}/").content.decode()
    assert page.count("data-stage-row") == 3  # the stage, one empty row, the script's template
    assert 'name="stage_1_name"' in page and 'name="stage_2_name"' in page
    assert 'name="stage_3_name"' not in page
    assert 'name="stage___N___name"' in page  # inside <template>: never submitted
    assert "js/approvals.js" in page
    new = client.get(f"/o/{people.org.slug}/approvals/workflows/new/").content.decode()
    assert 'name="stage_1_name"' in new and 'name="stage_2_name"' not in new


def test_a_stage_error_lands_on_its_own_row_when_an_earlier_row_is_empty(client, people):
    client.force_login(people.owner.user)
    stages = {**_stage(1, ""), **_stage(2, "Legal")}  # row 2 has a name but no approver
    response = client.post(
        f"/o/{people.org.slug}/approvals/workflows/new/", _workflow_post(people, stages)
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors.get("stage_2_people") == ["Add at least one approver."]
    assert "stage_1_people" not in form.errors


def test_editing_keeps_every_stage_beyond_four(client, people, org_a):
    workflow = make_workflow(
        org_a, people.owner, *[stage(f"S{i}", person(people.amy)) for i in range(1, 7)]
    )
    client.force_login(people.owner.user)
    page = client.get(f"/o/{people.org.slug}/approvals/workflows/{workflow.pk}/").content.decode()
    assert 'value="S6"' in page and 'name="stage_7_name"' in page


def test_the_workflow_list_says_who_approves_and_where_it_applies(
    client, people, org_a, django_assert_max_num_queries
):
    team = f.make_team(org_a, "Marketing", by=people.owner)
    make_workflow(
        org_a,
        people.owner,
        stage("Brand", person(people.amy), backup=people.bea),
        stage("Legal", services.ApproverSpec("team", team=team), rule="all"),
        default_for_team_ids=[team.pk],
    )
    for i in range(3):
        make_workflow(org_a, people.owner, stage("Check", person(people.abe)), name=f"Other {i}")
    client.force_login(people.owner.user)
    with django_assert_max_num_queries(16):
        page = client.get(f"/o/{people.org.slug}/approvals/workflows/").content.decode()
    assert "Amy Approver" in page and "backup: Bea Backup" in page
    assert "everyone in Marketing" in page and "all of them approve" in page
    assert "Default for: Marketing" in page


# --- @mention suggestions ------------------------------------------------------------------------------


def test_suggestions_match_names_and_e_mails_and_give_the_handle_to_type(client, people, draft):
    client.force_login(people.owner.user)
    url = f"/o/{people.org.slug}/approvals/posts/{draft.pk}/mentions/"
    got = client.get(url, {"q": "am"}).json()["results"]
    assert got == [{"handle": "amy", "name": "Amy Approver"}]
    assert {r["handle"] for r in client.get(url, {"q": "approver"}).json()["results"]} >= {
        "amy",
        "abe",
    }
    assert client.get(url, {"q": "zzz"}).json() == {"results": []}


def test_a_shared_local_part_suggests_the_full_e_mail(client, people, draft, org_a):
    f.add_member(org_a, f.make_user("amy@elsewhere.test", name="Amy Other"))
    client.force_login(people.owner.user)
    got = client.get(
        f"/o/{people.org.slug}/approvals/posts/{draft.pk}/mentions/", {"q": "amy"}
    ).json()["results"]
    assert {r["handle"] for r in got} == {"amy@alpha.test", "amy@elsewhere.test"}
    # and what is suggested is what the comment resolves
    comment = services.add_comment(draft, by=people.owner, body="@amy@elsewhere.test look")
    assert len(comment.mentions) == 1


def test_suggestions_leave_out_former_members_and_other_organizations(client, people, draft, bob_m):
    from accounts import services as accounts_services

    accounts_services.deactivate_member(people.abe, by=people.owner)
    client.force_login(people.owner.user)
    got = client.get(
        f"/o/{people.org.slug}/approvals/posts/{draft.pk}/mentions/", {"q": "b"}
    ).json()["results"]
    handles = {r["handle"] for r in got}
    assert "abe" not in handles and "bob" not in handles and "bea" in handles


def test_suggestions_need_access_to_the_post(client, people, draft, bob):
    url = f"/o/{people.org.slug}/approvals/posts/{draft.pk}/mentions/"
    assert client.get(url, {"q": "a"}).status_code == 302  # signed out: to the login page
    client.force_login(bob)
    assert client.get(url, {"q": "a"}).status_code == 404


def test_the_comment_boxes_ask_the_suggestions_endpoint(client, people, workflow, draft):
    request = submit(draft, people.author)
    client.force_login(people.amy.user)
    url = f"/o/{people.org.slug}/approvals/posts/{draft.pk}/mentions/"
    post_page = client.get(f"/o/{people.org.slug}/posts/{draft.pk}/").content.decode()
    assert f'data-mentions-url="{url}"' in post_page
    review = client.get(f"/o/{people.org.slug}/approvals/requests/{request.pk}/").content.decode()
    assert review.count(f'data-mentions-url="{url}"') == 2  # the comment and the decision comment


def test_the_link_page_suggests_people_while_its_link_is_usable(client, people, workflow, draft):
    from django.core import mail

    submit(draft, people.author)
    (token,) = link_tokens(mail.outbox, "amy@alpha.test")
    page = client.get(f"/a/{token}/").content.decode()
    assert f'data-mentions-url="/a/{token}/mentions/"' in page
    got = client.get(f"/a/{token}/mentions/", {"q": "car"}).json()["results"]
    assert got == [{"handle": "carl", "name": "Carl Contributor"}]
    assert client.get(f"/a/{token[:-3]}xyz/mentions/", {"q": "a"}).status_code == 404
    ApprovalLink.objects.unscoped().update(expires_at=timezone.now() - timedelta(minutes=1))
    expired = client.get(f"/a/{token}/mentions/", {"q": "a"})
    assert expired.status_code == 404 and expired.json() == {"results": []}


def test_a_mention_in_a_decision_comment_notifies_that_person(people, workflow, draft):
    request = submit(draft, people.author)
    services.decide(
        request,
        by=people.amy,
        decision="request_changes",
        comment="@bea can you fix the price?",
    )
    assert (
        Notification.objects.for_org(people.org)
        .filter(recipient=people.bea.user, kind="mention")
        .exists()
    )
    assert not (
        Notification.objects.for_org(people.org)
        .filter(recipient=people.amy.user, kind="mention")
        .exists()
    )


def test_mentions_are_marked_and_the_rest_is_escaped():
    html = with_mentions("<b>hi</b> @amy and @abe@alpha.test\nbye")
    assert "&lt;b&gt;hi&lt;/b&gt;" in html
    assert '<span class="mention">@amy</span>' in html
    assert '<span class="mention">@abe@alpha.test</span>' in html
    assert "<br>" in html


# --- What the pages say ----------------------------------------------------------------------------------


def test_the_post_page_says_whom_it_waits_for_and_until_when(client, people, workflow, draft):
    submit(draft, people.author)
    client.force_login(people.author.user)
    page = client.get(f"/o/{people.org.slug}/posts/{draft.pk}/").content.decode()
    assert "Stage 1 of 1: Brand" in page
    assert "Amy Approver" in page and "Abe Approver" in page and "due " in page
    assert "Withdraw (back to draft)" in page


def test_the_submit_page_names_the_approvers_and_uses_the_channel_zone(
    client, people, workflow, draft
):
    client.force_login(people.author.user)
    page = client.get(f"/o/{people.org.slug}/approvals/posts/{draft.pk}/submit/").content.decode()
    assert "Amy Approver, Abe Approver" in page and "backup: Bea Backup" in page
    assert "Launch day: fresh bread at 7" in page
    zone = draft.variants.first().channel.timezone
    assert f'<option value="{zone}" selected>' in page


def test_a_used_link_says_when_and_offers_a_way_in(client, people, workflow, draft):
    from django.core import mail

    submit(draft, people.author)
    (token,) = link_tokens(mail.outbox, "amy@alpha.test")
    done = client.post(f"/a/{token}/", {"decision": "approve"}).content.decode()
    assert "Launch day" in done and "You approved this post." in done
    again = client.get(f"/a/{token}/")
    assert again.status_code == 410
    body = again.content.decode()
    assert "It was used on" in body and "Sign in to SocialOps" in body


def test_an_expired_link_says_until_when_and_what_to_do(client, people, workflow, draft):
    from django.core import mail

    submit(draft, people.author)
    (token,) = link_tokens(mail.outbox, "amy@alpha.test")
    ApprovalLink.objects.unscoped().update(expires_at=timezone.now() - timedelta(hours=1))
    body = client.get(f"/a/{token}/").content.decode()
    assert "It was valid until" in body and "Waiting for me" in body
    assert "Ask the author" not in body


def test_out_of_office_shows_the_zone_and_whom_i_cover_for(client, people):
    now = timezone.now()
    services.set_out_of_office(
        people.abe,
        by=people.abe,
        delegate=people.amy,
        starts_at=now + timedelta(days=1),
        ends_at=now + timedelta(days=3),
    )
    client.force_login(people.amy.user)
    page = client.get(f"/o/{people.org.slug}/approvals/away/").content.decode()
    assert "Times are in your time zone" in page
    assert "You are covering for" in page and "Abe Approver" in page


def test_the_api_refuses_more_stages_than_the_cap(people):
    from ..conftest import api_client_for

    api = api_client_for(people.owner)
    stages = [
        {
            "name": f"S{i}",
            "rule": "any",
            "approvers": [{"kind": "person", "membership": people.amy.pk}],
        }
        for i in range(MAX_STAGES + 1)
    ]
    response = api.post(
        "/api/v1/approval-workflows/", {"name": "Too long", "stages": stages}, format="json"
    )
    assert response.status_code == 400
    assert "at most 10 stages" in str(response.json())
    assert not Workflow.objects.for_org(people.org).filter(name="Too long").exists()


def test_a_refused_decision_is_explained_next_to_the_buttons_and_the_comment_is_kept(
    client, people, workflow, draft
):
    request = submit(draft, people.author)
    client.force_login(people.amy.user)
    response = client.post(
        f"/o/{people.org.slug}/approvals/requests/{request.pk}/decide/",
        {"decision": "reject", "comment": "   "},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="decide-error"' in page and "Say why in a comment" in page
    assert "#decide" in page  # the form posts back to its own place on the page
    other = client.post(
        f"/o/{people.org.slug}/approvals/requests/{request.pk}/decide/",
        {"decision": "request_changes", "comment": "Typo in @carl's line"},
    )
    assert other.status_code == 302


def test_a_decision_that_is_no_longer_possible_is_said_at_the_top(client, people, workflow, draft):
    request = submit(draft, people.author)
    services.decide(request, by=people.abe, decision="approve")
    client.force_login(people.amy.user)
    response = client.post(
        f"/o/{people.org.slug}/approvals/requests/{request.pk}/decide/", {"decision": "approve"}
    )
    assert response.status_code == 400
    assert "already been decided" in response.content.decode()


def test_on_the_link_page_a_missing_comment_is_said_by_the_buttons_and_the_link_stays_usable(
    client, people, workflow, draft
):
    from django.core import mail

    submit(draft, people.author)
    (token,) = link_tokens(mail.outbox, "amy@alpha.test")
    response = client.post(f"/a/{token}/", {"decision": "reject", "comment": ""})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="decide-error"' in page and 'action="#decide"' in page
    assert client.post(f"/a/{token}/", {"decision": "approve"}).status_code == 200


def test_suggestions_cost_the_same_for_5_or_40_matching_members(people, draft):
    """Visibility is decided for the post once (open channel, admins), not with a query per member."""
    from accounts.capabilities import Role

    from .. import factories as f

    def count():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            got = services.mention_suggestions(people.org, "zed", post=draft)
        return len(ctx.captured_queries), got

    for i in range(5):
        f.add_member(people.org, f.make_user(f"zed{i}@alpha.test", name=f"Zed {i}"), Role.VIEWER)
    few, got_few = count()
    for i in range(5, 40):
        f.add_member(people.org, f.make_user(f"zed{i}@alpha.test", name=f"Zed {i}"), Role.VIEWER)
    many, got_many = count()
    assert len(got_few) == 5 and len(got_many) == services.MENTION_SUGGESTIONS
    assert few == many
