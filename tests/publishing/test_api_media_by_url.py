"""POST /api/v1/media/ with JSON {"url": ...}: the file is fetched through the egress guard and
checked exactly like an upload; private addresses, redirects to them, non-media, oversize files,
slow servers and HTTP errors are refused with stable codes, never echoing the remote's body.

The test server listens on 127.0.0.1, which the guard refuses unless ``OUTBOUND_ALLOW_LOOPBACK``
(the setting the providers' contract tests use for their fakes).
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from publishing.models import MediaAsset
from tests.conftest import api_client_for

from .media_factories import image_bytes, media_root  # noqa: F401

pytestmark = pytest.mark.django_db
URL = "/api/v1/media/"
PHOTO = image_bytes(800, 600)


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):  # noqa: N802 - http.server's name
        server = self.server
        server.paths.append(self.path)
        status, headers, body, stall = server.routes.get(self.path, (404, {}, b"nope", 0))
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if stall:
            self.wfile.write(body[:10])
            self.wfile.flush()
            server.release.wait(stall)
            return
        self.wfile.write(body)


@pytest.fixture
def remote(settings):
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    server.paths, server.release = [], threading.Event()
    server.routes = {
        "/photo.jpg": (200, {"Content-Type": "image/jpeg"}, PHOTO, 0),
        "/page.jpg": (200, {"Content-Type": "image/jpeg"}, b"<html>SECRET-BODY</html>", 0),
        "/missing.jpg": (404, {"Content-Type": "text/plain"}, b"SECRET-BODY internal trace", 0),
        "/hop": (302, {"Location": "/photo.jpg"}, b"", 0),
        "/to-metadata": (
            302,
            {"Location": "http://169.254.169.254/latest/meta-data/"},
            b"",
            0,
        ),
        "/loop": (302, {"Location": "/loop"}, b"", 0),
        "/slow.jpg": (200, {"Content-Type": "image/jpeg"}, PHOTO, 30),
    }
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()


def _add(api, url, **extra):
    return api.post(URL, {"url": url, **extra}, format="json")


def _error(response):
    return response.json()["error"]


def test_an_image_by_url_is_fetched_checked_and_stored_once(alice_api, org_a, remote):
    created = _add(alice_api, f"{remote.url}/photo.jpg", alt_text="A photo")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["kind"] == "image" and (body["width"], body["height"]) == (800, 600)
    assert body["original_name"] == "photo.jpg" and body["alt_text"] == "A photo"
    # the same bytes by another road (a redirect, or a multipart upload) are the same asset
    again = _add(alice_api, f"{remote.url}/hop")
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    assert remote.paths == ["/photo.jpg", "/hop", "/photo.jpg"]
    assert MediaAsset.objects.for_org(org_a).count() == 1


def test_a_file_that_is_not_media_is_refused_like_an_upload(alice_api, org_a, remote):
    response = _add(alice_api, f"{remote.url}/page.jpg")
    assert response.status_code == 400
    error = _error(response)
    assert error["code"] == "unsupported_media"
    assert "page.jpg is not an image" in error["message"]
    assert error["fields"] == {"url": [error["message"]]}
    assert "SECRET-BODY" not in response.content.decode()
    assert MediaAsset.objects.for_org(org_a).count() == 0


def test_an_http_error_says_its_status_and_never_the_remote_body(alice_api, remote):
    response = _add(alice_api, f"{remote.url}/missing.jpg")
    assert response.status_code == 400
    assert _error(response)["code"] == "remote_error"
    assert "404" in _error(response)["message"]
    assert "SECRET-BODY" not in response.content.decode()


def test_a_file_over_the_upload_cap_is_refused(alice_api, org_a, remote, settings):
    settings.MEDIA_MAX_IMAGE_BYTES = settings.MEDIA_MAX_VIDEO_BYTES = 1000
    response = _add(alice_api, f"{remote.url}/photo.jpg")
    assert response.status_code == 400
    assert _error(response)["code"] == "media_too_large"
    assert MediaAsset.objects.for_org(org_a).count() == 0


def test_a_server_that_stalls_is_cut_off(alice_api, org_a, remote, settings):
    settings.MEDIA_FETCH_TIMEOUT = 0.5
    response = _add(alice_api, f"{remote.url}/slow.jpg")
    assert response.status_code == 400
    assert _error(response)["code"] == "fetch_timeout"
    assert MediaAsset.objects.for_org(org_a).count() == 0


def test_a_redirect_to_a_private_address_is_refused(alice_api, remote):
    response = _add(alice_api, f"{remote.url}/to-metadata")
    assert response.status_code == 400
    assert _error(response)["code"] == "destination_not_allowed"
    assert remote.paths == ["/to-metadata"]


def test_endless_redirects_stop(alice_api, remote):
    response = _add(alice_api, f"{remote.url}/loop")
    assert response.status_code == 400
    assert _error(response)["code"] == "fetch_failed"
    assert len(remote.paths) == 4  # the first request and three redirects


def test_loopback_is_refused_when_not_allowed_and_nothing_is_requested(alice_api, remote, settings):
    settings.OUTBOUND_ALLOW_LOOPBACK = False
    response = _add(alice_api, f"{remote.url}/photo.jpg")
    assert response.status_code == 400
    assert _error(response)["code"] == "destination_not_allowed"
    assert remote.paths == []


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.1/photo.jpg",
        "http://169.254.169.254/latest/meta-data/",
        "http://100.100.100.200/latest/meta-data/",
        "http://[::ffff:127.0.0.1]/photo.jpg",
    ],
)
def test_private_and_metadata_addresses_are_refused(alice_api, org_a, url, settings):
    settings.OUTBOUND_ALLOW_LOOPBACK = False
    response = _add(alice_api, url)
    assert response.status_code == 400, response.json()
    assert _error(response)["code"] == "destination_not_allowed"
    assert _error(response)["fields"]["url"]
    assert MediaAsset.objects.for_org(org_a).count() == 0


def test_a_viewer_fetches_nothing(org_a, vera, remote):
    from tests import factories as f

    viewer = api_client_for(f.membership(org_a, vera))
    response = _add(viewer, f"{remote.url}/photo.jpg")
    assert response.status_code == 403
    assert remote.paths == []


def test_another_organization_gets_its_own_asset_and_cannot_read_ours(
    alice_api, org_b, bob_m, remote
):
    mine = _add(alice_api, f"{remote.url}/photo.jpg").json()
    bob_api = api_client_for(bob_m)
    assert bob_api.get(f"{URL}{mine['id']}/").status_code == 404
    theirs = _add(bob_api, f"{remote.url}/photo.jpg")
    assert theirs.status_code == 201 and theirs.json()["id"] != mine["id"]
    assert MediaAsset.objects.for_org(org_b).count() == 1


def test_a_url_that_is_not_http_is_a_validation_error(alice_api):
    response = _add(alice_api, "file:///etc/passwd")
    assert response.status_code == 400
    assert "url" in _error(response)["fields"]


def test_a_replayed_idempotency_key_does_not_fetch_again(alice_api, org_a, remote):
    body = {"url": f"{remote.url}/photo.jpg"}
    first = alice_api.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="media-1")
    assert first.status_code == 201, first.json()
    again = alice_api.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="media-1")
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert remote.paths == ["/photo.jpg"]
    assert MediaAsset.objects.for_org(org_a).count() == 1
