"""Mastodon account ids are unique per server only: a channel's external id is ``<id>@<host>``.

Two loopback fakes play two servers whose accounts have the same id. They connect through the
real pages as two channels, reconnecting one finds it again, each channel publishes to its own
server, and the data migration qualifies the ids stored before.
"""

from __future__ import annotations

import importlib
import logging
from urllib.parse import urlsplit

import pytest
from django.db.migrations.loader import MigrationLoader
from django.urls import reverse

from channels_registry import selectors, services
from channels_registry.models import Channel, ChannelCredential
from channels_registry.providers.base import Credentials
from channels_registry.providers.mastodon import MastodonProvider, qualified_account_id
from publishing.models import PostVariant
from publishing.scheduler import services as scheduling
from socialops.audit.models import AuditEvent
from tests.fakes.mastodon import MastodonFake
from tests.publishing.scheduler_factories import make_post, tick

pytestmark = pytest.mark.django_db

MIGRATION = "0003_qualify_mastodon_external_ids"
migration = importlib.import_module(f"channels_registry.migrations.{MIGRATION}")


@pytest.fixture
def servers(settings):
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    settings.SOCIALOPS_PROVIDERS = {
        **settings.SOCIALOPS_PROVIDERS,
        "mastodon": {"client_id": "", "client_secret": "", "poll_interval": 0},
    }
    one, two = (
        MastodonFake(domain="one.example").start(),
        MastodonFake(domain="two.example").start(),
    )
    assert one.owner_id == two.owner_id  # the same id on two servers
    yield one, two
    one.stop()
    two.stop()


def host_of(server: MastodonFake) -> str:
    return f"127.0.0.1:{urlsplit(server.url).port}"


def connect(client, org, server: MastodonFake, *, expect_redirect: bool = True):
    """Channels → Connect → the server's consent → our callback → the chooser → pick the account."""
    import httpx

    started = client.post(
        reverse("channel_connect", args=[org.slug]),
        {"network": "mastodon", "instance_url": server.url},
    )
    assert started.status_code == 302, started.context and started.context["form"].errors
    back = httpx.get(started["Location"], follow_redirects=False).headers["location"]
    parts = urlsplit(back)
    chooser = client.get(f"{parts.path}?{parts.query}")
    assert chooser.status_code == 302
    page = client.get(chooser["Location"])
    assert page.status_code == 200
    wanted = f"{server.owner_id}@{host_of(server)}"
    assert wanted.encode() in page.content  # the chooser offers the qualified id
    response = client.post(chooser["Location"], {"accounts": [wanted], "timezone": "Asia/Jakarta"})
    if expect_redirect:
        assert response.status_code == 302, response.content.decode()[:2000]
    return response


def test_the_same_account_id_on_two_servers_connects_as_two_channels(alice_client, org_a, servers):
    one, two = servers
    connect(alice_client, org_a, one)
    connect(alice_client, org_a, two)

    channels = {
        c.external_id: c for c in Channel.objects.for_org(org_a).filter(provider="mastodon")
    }
    assert set(channels) == {f"{one.owner_id}@{host_of(one)}", f"{two.owner_id}@{host_of(two)}"}
    first, second = (
        channels[f"{one.owner_id}@{host_of(one)}"],
        channels[f"{two.owner_id}@{host_of(two)}"],
    )
    assert first.url == "https://one.example/@brand" and second.url == "https://two.example/@brand"
    assert selectors.credentials_for(first).extra["instance_url"] == one.url
    assert selectors.credentials_for(second).extra["instance_url"] == two.url
    assert AuditEvent.objects.for_org(org_a).filter(action="channel.connected").count() == 2


def test_reconnecting_on_the_same_server_finds_the_same_channel(
    alice_client, org_a, alice_m, servers
):
    one, two = servers
    connect(alice_client, org_a, one)
    connect(alice_client, org_a, two)
    channel = Channel.objects.for_org(org_a).get(external_id=f"{one.owner_id}@{host_of(one)}")
    old_token = selectors.credentials_for(channel).access_token
    services.mark_needs_reauth(channel, reason="The access token was revoked")

    # "Reconnect" sends a Mastodon channel to the connect form (the server is typed again).
    response = alice_client.post(reverse("channel_reconnect", args=[org_a.slug, channel.pk]))
    assert response.status_code == 302 and "network=mastodon" in response["Location"]
    connect(alice_client, org_a, one)

    assert Channel.objects.for_org(org_a).filter(provider="mastodon").count() == 2  # no duplicate
    channel = Channel.objects.for_org(org_a).get(pk=channel.pk)
    assert channel.status == Channel.Status.ACTIVE
    assert selectors.credentials_for(channel).access_token not in (old_token, "")
    assert (
        AuditEvent.objects.for_org(org_a)
        .filter(action="channel.reconnected", object_id=str(channel.pk))
        .exists()
    )
    # the other server's channel kept its own authorization
    other = Channel.objects.for_org(org_a).get(external_id=f"{two.owner_id}@{host_of(two)}")
    assert selectors.credentials_for(other).extra["instance_url"] == two.url


def test_publishing_to_each_channel_goes_to_its_own_server(
    alice_client, org_a, alice, alice_m, servers
):
    one, two = servers
    connect(alice_client, org_a, one)
    connect(alice_client, org_a, two)
    channels = list(Channel.objects.for_org(org_a).filter(provider="mastodon").order_by("pk"))
    post = make_post(org_a, alice, channels, text="Hello, two servers")
    scheduling.publish_now(post, by=alice_m)

    results = tick()

    assert [r.outcome for r in results] == ["published", "published"]
    for server, channel in ((one, channels[0]), (two, channels[1])):
        (sent,) = server.requests_to("POST", r"^/api/v1/statuses$")
        assert sent.bearer == selectors.credentials_for(channel).access_token
        assert sent.form()["status"] == "Hello, two servers"
        variant = PostVariant.objects.for_org(org_a).get(post=post, channel=channel)
        assert variant.external_id in server.statuses
        assert server.statuses[variant.external_id]["account_id"] == server.owner_id


# --- the data migration ----------------------------------------------------------------------


@pytest.fixture
def historical_apps():
    return (
        MigrationLoader(None, ignore_no_migrations=True)
        .project_state(("channels_registry", MIGRATION))
        .apps
    )


@pytest.fixture
def logged():
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = logging.getLogger("channels_registry.migrations")
    logger.addHandler(handler)
    yield records
    logger.removeHandler(handler)


def legacy(org, external_id, *, handle="", instance_url=None, provider="mastodon", blob=None):
    channel = Channel.objects.create(
        organization=org,
        provider=provider,
        external_id=external_id,
        handle=handle,
        name=handle or external_id,
    )
    if instance_url is not None:
        services._store_credentials(
            channel,
            Credentials(
                access_token="tok",
                scopes=MastodonProvider.default_scopes,
                extra={"instance_url": instance_url},
            ),
        )
    if blob is not None:
        ChannelCredential.objects.create(organization=org, channel=channel, blob=blob)
    return channel


def ids(org):
    return dict(Channel.objects.for_org(org).values_list("name", "external_id"))


def test_the_migration_qualifies_legacy_ids_with_the_stored_server(
    org_a, org_b, historical_apps, logged
):
    legacy(
        org_a, "109", handle="@brand@mastodon.social", instance_url="https://Mastodon.Social:443"
    )
    legacy(
        org_a, "110", handle="@ported@social.example", instance_url="https://social.example:8443"
    )
    legacy(org_a, "111", handle="@buku@bücher.example", instance_url="https://bücher.example")
    legacy(
        org_a, "112", handle="@gone@old.example"
    )  # disconnected: no credentials, the handle names the server
    legacy(
        org_a, "113", handle="@odd@blob.example", blob="not a fernet token"
    )  # unreadable: the handle
    legacy(org_a, "114", handle="nobody")  # no server anywhere: left and logged
    legacy(
        org_a, "115@done.example", handle="@done@done.example", instance_url="https://done.example"
    )
    legacy(org_a, "sbx-kitchen", handle="kitchen", provider="sandbox")
    legacy(org_b, "109", handle="@brand@fosstodon.org", instance_url="https://fosstodon.org")

    assert migration.qualify_mastodon_ids(historical_apps, None) == 6

    assert ids(org_a) == {
        "@brand@mastodon.social": "109@mastodon.social",
        "@ported@social.example": "110@social.example:8443",
        "@buku@bücher.example": "111@xn--bcher-kva.example",
        "@gone@old.example": "112@old.example",
        "@odd@blob.example": "113@blob.example",
        "nobody": "114",
        "@done@done.example": "115@done.example",
        "kitchen": "sbx-kitchen",
    }
    assert ids(org_b) == {"@brand@fosstodon.org": "109@fosstodon.org"}
    assert any("114" in r.getMessage() and "left unqualified" in r.getMessage() for r in logged)
    # run again: nothing left to do
    assert migration.qualify_mastodon_ids(historical_apps, None) == 0

    assert migration.unqualify_mastodon_ids(historical_apps, None) == 7
    assert (
        ids(org_a)["@ported@social.example"] == "110" and ids(org_a)["@done@done.example"] == "115"
    )
    assert ids(org_b) == {"@brand@fosstodon.org": "109"}


def test_reversing_keeps_two_servers_same_id_apart_and_logs_it(org_a, historical_apps, logged):
    legacy(org_a, "109@one.example", handle="@a@one.example")
    legacy(org_a, "109@two.example", handle="@b@two.example")
    assert migration.unqualify_mastodon_ids(historical_apps, None) == 1
    assert sorted(ids(org_a).values()) == ["109", "109@two.example"]
    assert any("already has the id" in r.getMessage() for r in logged)


def test_a_migrated_channel_works_and_is_found_again_on_reconnect(
    alice_client, org_a, servers, historical_apps
):
    one, _two = servers
    token = one.issue_token(one.owner_id, " ".join(MastodonProvider.default_scopes))
    channel = Channel.objects.create(
        organization=org_a,
        provider="mastodon",
        external_id=one.owner_id,
        handle="@brand@127.0.0.1",
        name="Brand Team",
    )
    services._store_credentials(
        channel,
        Credentials(
            access_token=token,
            scopes=MastodonProvider.default_scopes,
            extra={"instance_url": one.url},
        ),
    )
    migration.qualify_mastodon_ids(historical_apps, None)
    channel = Channel.objects.for_org(org_a).get(pk=channel.pk)
    assert channel.external_id == qualified_account_id(one.owner_id, one.url)

    services.check_channel_health(channel)
    assert Channel.objects.for_org(org_a).get(pk=channel.pk).last_error == ""

    connect(alice_client, org_a, one)
    assert list(Channel.objects.for_org(org_a).values_list("pk", flat=True)) == [channel.pk]
