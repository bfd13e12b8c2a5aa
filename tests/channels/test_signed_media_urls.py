from datetime import timedelta

import pytest
from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from channels_registry.media_urls import SALT, org_media_path, signed_media_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def stored(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    path = default_storage.save(
        org_media_path(7, "photos/a.jpg"), ContentFile(b"\xff\xd8\xff jpeg bytes")
    )
    return path


def _path(url):
    return url.replace("http://testserver", "")


def test_a_network_fetches_the_file_by_its_signed_url_without_signing_in(client, stored):
    url = signed_media_url(stored, organization_id=7)
    r = client.get(_path(url))
    assert r.status_code == 200
    assert b"".join(r.streaming_content) == b"\xff\xd8\xff jpeg bytes"
    assert r["Content-Type"] == "image/jpeg"


def test_an_expired_link_is_refused(client, stored):
    url = signed_media_url(stored, organization_id=7, ttl=timedelta(seconds=-1))
    assert client.get(_path(url)).status_code == 404


def test_a_tampered_link_is_refused(client, stored):
    url = signed_media_url(stored, organization_id=7)
    assert client.get(_path(url)[:-3] + "abc/").status_code == 404


def test_a_link_cannot_name_another_organizations_file(client, stored):
    forged = signing.dumps({"p": stored, "o": 8, "t": 60}, salt=SALT, compress=True)
    assert client.get(f"/media/s/{forged}/").status_code == 404
    with pytest.raises(ValueError):
        signed_media_url(stored, organization_id=8)
    with pytest.raises(ValueError):
        signed_media_url("org/7/../8/x.jpg", organization_id=7)
