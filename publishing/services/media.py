"""publishing.services.media (see the package docstring)."""

__all__: list[str] = []
