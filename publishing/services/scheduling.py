"""publishing.services.scheduling (see the package docstring)."""

__all__: list[str] = []
