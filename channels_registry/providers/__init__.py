"""The registry of networks: key → provider class (imported on first use)."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from django.conf import settings

if (
    TYPE_CHECKING
):  # imported lazily: the providers import the whole egress client (socialops.egress)
    from .base import Capabilities, Provider

#: the built-in simulated network (no network calls): demo organizations and the consent page we play
SANDBOX = "sandbox"

REGISTRY: dict[str, str] = {
    SANDBOX: "channels_registry.providers.sandbox.SandboxProvider",
    "mastodon": "channels_registry.providers.mastodon.MastodonProvider",
    "bluesky": "channels_registry.providers.bluesky.BlueskyProvider",
    "x": "channels_registry.providers.x.XProvider",
    "facebook": "channels_registry.providers.facebook.FacebookProvider",
    "instagram": "channels_registry.providers.instagram.InstagramProvider",
    "linkedin": "channels_registry.providers.linkedin.LinkedInProvider",
}


def provider_class(key: str) -> type[Provider]:
    try:
        dotted = REGISTRY[key]
    except KeyError as exc:
        raise KeyError(f"Unknown network {key!r}") from exc
    module_name, class_name = dotted.rsplit(".", 1)
    return getattr(import_module(module_name), class_name)


def get_provider(key: str, **kwargs) -> Provider:
    """A provider configured from ``settings.SOCIALOPS_PROVIDERS[key]`` (client id/secret, URL overrides)."""
    from .base import ProviderConfig

    conf = dict(getattr(settings, "SOCIALOPS_PROVIDERS", {}).get(key, {}))
    config = ProviderConfig(
        client_id=conf.pop("client_id", ""),
        client_secret=conf.pop("client_secret", ""),
        urls=conf.pop("urls", {}),
        extra=conf,
    )
    return provider_class(key)(config, **kwargs)


def capabilities_of(key: str) -> Capabilities | None:
    """What ``key``'s network can do and how it counts (None: no such network installed)."""
    try:
        return provider_class(key).capabilities
    except (KeyError, ImportError, AttributeError):
        return None


def network_with_auth(auth_kind: str) -> str:
    """The key of the (first) network that connects with ``auth_kind`` (e.g. "atproto")."""
    for key in REGISTRY:
        caps = capabilities_of(key)
        if caps is not None and caps.auth_kind == auth_kind:
            return key
    raise KeyError(f"No network connects with {auth_kind!r}")


def webhook_headers() -> frozenset[str]:
    """Every header some network verifies or recognises its pushes by (lower-case names)."""
    return frozenset(
        h for key in REGISTRY if (caps := capabilities_of(key)) for h in caps.webhook_headers
    )
