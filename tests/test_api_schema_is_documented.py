"""The OpenAPI schema documents the API (issue 13: 4): every operation has a summary, a
description and a resource tag (described in the settings), every property of every component and
every parameter has a description, and every time is typed as a date or a date-time."""

from __future__ import annotations

import re

import pytest
import yaml
from django.conf import settings
from django.core.management import call_command

#: a string property whose name says it is a time must carry ``format: date`` or ``date-time``
TIME_NAME = re.compile(r"(^(at|start|end|date|week)$)|(_(at|on|until|since|local)$)")


@pytest.fixture(scope="module")
def schema(tmp_path_factory, django_db_blocker):
    path = tmp_path_factory.mktemp("schema") / "schema.yaml"
    with django_db_blocker.unblock():
        call_command("spectacular", "--file", str(path))
    return yaml.safe_load(path.read_text())


def _operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                yield f"{method.upper()} {path}", operation


def _properties(schema):
    for name, component in schema["components"]["schemas"].items():
        for field, prop in (component.get("properties") or {}).items():
            yield f"{name}.{field}", field, prop


def test_every_operation_has_a_summary_a_description_and_a_resource_tag(schema):
    described_tags = {tag["name"] for tag in settings.SPECTACULAR_SETTINGS["TAGS"]}
    problems = []
    for name, operation in _operations(schema):
        if not operation.get("summary"):
            problems.append(f"{name}: no summary")
        if not operation.get("description"):
            problems.append(f"{name}: no description")
        tags = operation.get("tags") or []
        if len(tags) != 1 or tags[0] not in described_tags:
            problems.append(f"{name}: tags {tags} (one of {sorted(described_tags)})")
    assert not problems, "\n".join(problems)


def test_the_tags_are_resources_with_descriptions(schema):
    tags = {tag["name"]: tag.get("description") for tag in schema["tags"]}
    assert "v1" not in tags and len(tags) >= 10
    assert all(tags.values()), tags


def test_every_property_has_a_description(schema):
    missing = [name for name, _field, prop in _properties(schema) if not prop.get("description")]
    assert not missing, (
        "add a help_text (or a socialops/schema_glossary.py entry) for:\n" + "\n".join(missing)
    )


def test_every_parameter_has_a_description(schema):
    missing = [
        f"{name} {parameter['in']} {parameter['name']}"
        for name, operation in _operations(schema)
        for parameter in operation.get("parameters", [])
        if not parameter.get("description")
    ]
    assert not missing, "\n".join(missing)


def test_times_are_typed_as_dates_or_date_times(schema):
    untyped = []
    for name, field, prop in _properties(schema):
        if not TIME_NAME.search(field):
            continue
        shapes = [prop, *prop.get("allOf", []), *prop.get("oneOf", [])]
        if prop.get("type") == "array":
            shapes.append(prop.get("items", {}))
        strings = [s for s in shapes if s.get("type") == "string"]
        if strings and not any(s.get("format") in {"date", "date-time"} for s in strings):
            untyped.append(name)
    assert not untyped, untyped


def test_the_main_requests_have_examples(schema):
    def examples(path, method):
        body = schema["paths"][path][method]["requestBody"]["content"]["application/json"]
        return body.get("examples") or {}

    assert examples("/api/v1/posts/", "post")
    assert examples("/api/v1/posts/{id}/schedule/", "post")
    errors = schema["paths"]["/api/v1/posts/"]["post"]["responses"]["400"]["content"]
    assert errors["application/json"].get("examples")


def test_the_bulk_schedule_shows_a_request_and_its_400_in_the_error_shape(schema):
    operation = schema["paths"]["/api/v1/posts/bulk/"]["post"]
    (request,) = operation["requestBody"]["content"]["application/json"]["examples"].values()
    assert len(request["value"]["posts"]) >= 2
    error = operation["responses"]["400"]["content"]["application/json"]
    assert error["schema"] == {"$ref": "#/components/schemas/Error"}
    bulk = [
        example["value"]["error"]
        for example in error["examples"].values()
        if any(key.startswith("posts.") for key in example["value"]["error"]["fields"])
    ]
    assert bulk, error["examples"]
    keys = [key for example in bulk for key in example["fields"]]
    assert all(re.fullmatch(r"posts\.\d+\.[a-z_]+(\.\d+)?", key) for key in keys), keys
    assert {example["code"] for example in bulk} == {"validation_error"}


def test_reads_of_one_object_document_if_none_match_and_the_304(schema):
    operation = schema["paths"]["/api/v1/posts/{id}/"]["get"]
    assert "If-None-Match" in {p["name"] for p in operation["parameters"]}
    assert "ETag" in operation["responses"]["304"]["headers"]
