"""A workflow's settings are listed once (``Workflow.SETTINGS``): the services, the API and the builder read that list."""

from __future__ import annotations

import pytest

from approvals import services
from approvals.forms import WorkflowForm
from approvals.models import Workflow
from approvals.serializers import WorkflowIn, WorkflowOut

from .conftest import make_workflow, person, stage


def test_the_api_takes_and_gives_exactly_the_workflow_settings():
    assert set(WorkflowIn().fields) == {"name", "stages", *Workflow.SETTINGS}
    assert set(WorkflowOut.Meta.fields) == {
        "id",
        "name",
        "stages",
        "created_at",
        "updated_at",
        *Workflow.SETTINGS,
    }


def test_the_builder_has_a_field_for_every_setting():
    assert set(Workflow.SETTINGS) <= set(WorkflowForm.base_fields)


def test_every_setting_is_a_field_of_the_model():
    names = {f.name for f in Workflow._meta.get_fields()}
    assert set(Workflow.SETTINGS) <= names


@pytest.mark.django_db
def test_the_service_refuses_a_name_that_is_not_a_setting(org_a, people):
    with pytest.raises(TypeError, match="unexpected workflow fields"):
        make_workflow(org_a, people.owner, stage("Brand", person(people.amy)), colour="red")
    workflow = make_workflow(org_a, people.owner, stage("Brand", person(people.amy)), priority=7)
    with pytest.raises(TypeError):
        services.update_workflow(workflow, by=people.owner, name="Brand review", organization=None)
