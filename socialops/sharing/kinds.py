"""The registry of share-link kinds: each upper layer registers its own in ``AppConfig.ready()``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class ShareKind:
    key: str
    #: what one link of this kind is called ("Calendar share link"), lazily translated
    label: Any
    #: the signing salt of its tokens
    salt: str
    #: link -> None when it may open, or a reason ("revoked", "expired") to refuse it with a 410
    check: Callable[[Any], str | None] | None = None


_KINDS: dict[str, ShareKind] = {}


def register_kind(
    key: str,
    *,
    label: Any,
    salt: str | None = None,
    check: Callable[[Any], str | None] | None = None,
) -> ShareKind:
    """Register (or register again, e.g. on a second ``ready()``) the kind ``key``."""
    if not key or len(key) > 30:
        raise ImproperlyConfigured(f"A share-link kind is 1 to 30 characters: {key!r}.")
    kind = ShareKind(key, label, salt or f"socialops.sharing.{key}", check)
    known = _KINDS.get(key)
    if known is not None and known.salt != kind.salt:
        raise ImproperlyConfigured(f"The share-link kind {key!r} is registered with another salt.")
    _KINDS[key] = kind
    return kind


def unregister_kind(key: str) -> None:
    """For tests that register a kind of their own."""
    _KINDS.pop(key, None)


def get_kind(key: str) -> ShareKind:
    try:
        return _KINDS[key]
    except KeyError:
        raise ImproperlyConfigured(f"No share-link kind {key!r} is registered.") from None


def kind_label(key: str) -> str:
    """The kind's label, or its key when no app registered it (a link of a removed kind)."""
    kind = _KINDS.get(key)
    return str(kind.label) if kind is not None else key


def registered_kinds() -> list[ShareKind]:
    return list(_KINDS.values())
