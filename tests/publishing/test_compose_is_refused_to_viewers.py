"""A viewer may read posts but cannot compose (403 on the page and the API)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Membership
from publishing.models import Post
from tests.channels.factories import connect_sandbox
from tests.conftest import api_client_for


@pytest.mark.django_db
def test_a_viewer_cannot_open_or_post_the_composer(client, org_a, alice_m, vera):
    (sandbox,) = connect_sandbox(org_a, alice_m, ["sbx-kitchen"])
    client.force_login(vera)
    assert client.get(reverse("compose", args=[org_a.slug])).status_code == 403
    response = client.post(
        reverse("compose", args=[org_a.slug]),
        {"text": "Hi", "channels": [sandbox.pk], "action": "save"},
    )
    assert response.status_code == 403
    assert client.get(reverse("post_list", args=[org_a.slug])).status_code == 200
    api = api_client_for(Membership.objects.for_org(org_a).get(user=vera))
    assert (
        api.post(
            "/api/v1/posts/", {"text": "Hi", "channels": [sandbox.pk]}, format="json"
        ).status_code
        == 403
    )
    assert Post.objects.for_org(org_a).count() == 0
