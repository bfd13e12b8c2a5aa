"""The one outbound HTTP client refuses every destination that is not a public host, resolves a
name once and connects to the address it checked (no DNS rebinding), keeps the name for the Host
header and TLS, and never repeats what a remote server sent in a message people see.

DNS is faked by replacing ``socket.getaddrinfo`` (what the check and httpcore's own dialing both
call); "public" hosts are played by a local server: the test's ``socket.create_connection``
records the address it is asked to dial and sends the bytes to 127.0.0.1 instead.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.urls import reverse

import channels_registry.providers  # noqa: F401 - import order: the providers package before http
from channels_registry.http import (
    GuardedTransport,
    HttpClient,
    check_destination,
    is_public_address,
)
from channels_registry.providers.errors import BlockedDestination, TransientError
from tests.fakes.mastodon import MastodonFake

PUBLIC = "93.184.216.34"  # a global address the test plays with a local server
NAME = "rebind.example"

_real_getaddrinfo = socket.getaddrinfo
_real_create_connection = socket.create_connection


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):  # noqa: N802
        self.server.seen.append({"host": self.headers.get("Host"), "path": self.path})
        body = b'{"ok": true}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.seen = []
    httpd.daemon_threads = True
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def network(monkeypatch):
    """``network.answers[name] = [[first answer…], [later answers…]]``; ``network.dialed`` lists
    every (address, port) a socket was opened to; ``network.lookups`` every name resolved."""

    class Net:
        answers: dict[str, list[list[str]]] = {}
        lookups: list[str] = []
        dialed: list[tuple[str, int]] = []

    net = Net()
    net.answers, net.lookups, net.dialed = {}, [], []

    def getaddrinfo(host, port, *args, **kwargs):
        if host not in net.answers:
            return _real_getaddrinfo(host, port, *args, **kwargs)
        net.lookups.append(host)
        queue = net.answers[host]
        addresses = queue.pop(0) if len(queue) > 1 else queue[0]
        out = []
        for address in addresses:
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            sockaddr = (
                (address, int(port or 0), 0, 0)
                if family == socket.AF_INET6
                else (address, int(port or 0))
            )
            out.append((family, socket.SOCK_STREAM, 6, "", sockaddr))
        return out

    def create_connection(address, *args, **kwargs):
        net.dialed.append((address[0], address[1]))
        host = "127.0.0.1" if address[0] == PUBLIC else address[0]
        return _real_create_connection((host, address[1]), *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket, "create_connection", create_connection)
    return net


def test_a_name_that_rebinds_to_loopback_is_dialed_at_the_address_that_was_checked(
    settings, server, network
):
    settings.OUTBOUND_ALLOW_LOOPBACK = False
    port = server.server_address[1]
    # The attacker's DNS answers a public address first (to the check), then 127.0.0.1.
    network.answers[NAME] = [[PUBLIC], ["127.0.0.1"]]
    with HttpClient() as http:
        response = http.get(f"http://{NAME}:{port}/hello")
    assert response.json() == {"ok": True}
    assert network.lookups == [NAME]  # resolved once
    assert network.dialed == [(PUBLIC, port)]  # and the socket went to the checked answer
    assert server.seen == [{"host": f"{NAME}:{port}", "path": "/hello"}]  # the URL kept its name


def test_a_name_is_resolved_and_checked_again_for_a_new_connection(settings, server, network):
    settings.OUTBOUND_ALLOW_LOOPBACK = False
    port = server.server_address[1]
    network.answers[NAME] = [[PUBLIC], ["127.0.0.1"]]
    with HttpClient() as http:
        http.get(f"http://{NAME}:{port}/first", headers={"Connection": "close"})
        with pytest.raises(BlockedDestination, match="private or local address"):
            http.get(f"http://{NAME}:{port}/second")
    assert network.dialed == [(PUBLIC, port)]
    assert [s["path"] for s in server.seen] == ["/first"]


@pytest.mark.parametrize(
    "address",
    [
        "100.100.100.200",  # cloud metadata in the shared 100.64.0.0/10 range
        "100.64.0.1",
        "169.254.169.254",
        "10.0.0.7",
        "127.0.0.1",
        "0.0.0.0",  # noqa: S104 - an address to refuse, not one to bind
        "192.0.0.8",
        "224.0.0.1",  # multicast
        "2002:7f00:1::",  # 6to4 wrapping of 127.0.0.1
        "2002:808:808::1",  # 6to4 even of a public IPv4: a relay decides where it goes
        "::ffff:127.0.0.1",  # IPv4-mapped loopback
        "::ffff:100.100.100.200",
        "::127.0.0.1",  # IPv4-compatible (deprecated)
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
        "64:ff9b:1::1",  # local-use NAT64
        "fd00:ec2::254",  # unique local (AWS metadata over IPv6)
        "fe80::1",
        "fec0::1",  # site-local (deprecated)
        "ff02::1",
        "::1",
    ],
)
def test_an_address_that_is_not_a_public_host_is_refused(settings, network, address):
    settings.OUTBOUND_ALLOW_LOOPBACK = False
    assert not is_public_address(ipaddress.ip_address(address))
    network.answers[NAME] = [[address]]
    with pytest.raises(BlockedDestination, match="private or local address"):
        check_destination(f"https://{NAME}/")
    with HttpClient() as http, pytest.raises(BlockedDestination):
        http.get(f"https://{NAME}/")
    assert network.dialed == []


@pytest.mark.parametrize(
    "address", ["8.8.8.8", "2606:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"]
)
def test_a_public_address_passes(address):
    assert is_public_address(ipaddress.ip_address(address))


def test_a_name_that_answers_a_public_and_a_private_address_is_refused(settings, network):
    settings.OUTBOUND_ALLOW_LOOPBACK = False
    network.answers[NAME] = [[PUBLIC, "10.0.0.7"]]
    with HttpClient() as http, pytest.raises(BlockedDestination):
        http.get(f"http://{NAME}/")
    assert network.dialed == []


def test_loopback_is_allowed_only_with_the_test_setting(settings, server, network):
    port = server.server_address[1]
    network.answers[NAME] = [["127.0.0.1"]]
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    with HttpClient() as http:
        assert http.get(f"http://{NAME}:{port}/ok").status_code == 200
    settings.OUTBOUND_ALLOW_LOOPBACK = False
    with HttpClient() as http, pytest.raises(BlockedDestination):
        http.get(f"http://{NAME}:{port}/no")
    network.answers[NAME] = [["10.1.2.3"]]
    settings.OUTBOUND_ALLOW_LOOPBACK = True  # loopback only, never the rest of the private ranges
    with HttpClient() as http, pytest.raises(BlockedDestination):
        http.get(f"http://{NAME}:{port}/no")


# --- TLS: the socket goes to the pinned address, SNI and the certificate check use the name ------


def _certificate(tmp_path, name: str):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / f"{name}.pem", tmp_path / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture
def tls_server(tmp_path):
    cert_path, key_path = _certificate(tmp_path, NAME)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.seen, httpd.sni = [], []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    context.sni_callback = lambda sock, server_name, ctx: httpd.sni.append(server_name)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    httpd.daemon_threads = True
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    yield httpd, cert_path
    httpd.shutdown()
    httpd.server_close()


def test_tls_uses_the_name_for_sni_and_the_certificate_while_dialing_the_checked_address(
    settings, network, tls_server, tmp_path
):
    settings.OUTBOUND_ALLOW_LOOPBACK = False
    httpd, cert_path = tls_server
    port = httpd.server_address[1]
    network.answers[NAME] = [[PUBLIC], ["127.0.0.1"]]
    trusted = ssl.create_default_context(cafile=str(cert_path))
    with HttpClient(transport=GuardedTransport(verify=trusted)) as http:
        assert http.get(f"https://{NAME}:{port}/secure").json() == {"ok": True}
    assert network.dialed == [(PUBLIC, port)]
    assert httpd.sni == [NAME]  # the certificate names rebind.example, not the address: it verified
    assert httpd.seen == [{"host": f"{NAME}:{port}", "path": "/secure"}]

    other_cert, _key = _certificate(tmp_path, "other.example")
    network.answers[NAME] = [[PUBLIC]]
    with HttpClient(
        transport=GuardedTransport(verify=ssl.create_default_context(cafile=str(other_cert)))
    ) as http:
        with pytest.raises(TransientError, match="certificate could not be verified"):
            http.get(f"https://{NAME}:{port}/secure")


def test_the_default_trust_store_is_loaded_once_and_follows_ssl_cert_file(
    settings, network, tls_server, tmp_path, monkeypatch
):
    """Every provider builds a client: the CA bundle (~20 ms to load) is read once per process and
    shared, and a changed ``SSL_CERT_FILE`` still decides which certificates are trusted."""
    settings.OUTBOUND_ALLOW_LOOPBACK = False
    httpd, cert_path = tls_server
    port = httpd.server_address[1]
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_path))
    first, second = GuardedTransport(), GuardedTransport()
    assert first._pool._ssl_context is second._pool._ssl_context
    network.answers[NAME] = [[PUBLIC]]
    with HttpClient() as http:  # the default transport, the shared context: trusts cert_path
        assert http.get(f"https://{NAME}:{port}/secure").json() == {"ok": True}

    other_cert, _key = _certificate(tmp_path, "other.example")
    monkeypatch.setenv("SSL_CERT_FILE", str(other_cert))
    assert GuardedTransport()._pool._ssl_context is not first._pool._ssl_context
    network.answers[NAME] = [[PUBLIC]]
    with HttpClient() as http, pytest.raises(TransientError, match="could not be verified"):
        http.get(f"https://{NAME}:{port}/secure")


def test_an_injected_transport_is_still_checked_before_the_request(settings, network):
    import httpx

    settings.OUTBOUND_ALLOW_LOOPBACK = False
    network.answers[NAME] = [["100.100.100.200"]]
    sent = []
    transport = httpx.MockTransport(
        lambda request: sent.append(request) or httpx.Response(200, json={})
    )
    with HttpClient(transport=transport) as http, pytest.raises(BlockedDestination):
        http.get(f"https://{NAME}/")
    assert sent == []


# --- Messages never repeat the remote body ---------------------------------------------------------

MARKER = "INTERNAL-ADMIN-BANNER-7731"


@pytest.fixture
def mastodon(settings):
    server = MastodonFake().start()
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    settings.SOCIALOPS_PROVIDERS = {
        **settings.SOCIALOPS_PROVIDERS,
        "mastodon": {"client_id": "", "client_secret": "", "poll_interval": 0},
    }
    yield server
    server.stop()


@pytest.mark.django_db
def test_a_mastodon_instance_answering_a_page_is_an_error_that_does_not_repeat_it(
    alice_client, org_a, mastodon
):
    mastodon.fail_next(
        r"^/api/v1/apps$",
        200,
        f"<html><title>{MARKER}</title> db=10.0.0.5</html>",
        headers={"Content-Type": "text/html"},
    )
    response = alice_client.post(
        reverse("channel_connect", args=[org_a.slug]),
        {"network": "mastodon", "instance_url": mastodon.url},
    )
    assert response.status_code == 200
    assert (
        b"Could not register SocialOps with" in response.content and b"not JSON" in response.content
    )
    assert MARKER.encode() not in response.content and b"10.0.0.5" not in response.content
