"""publishing.services.authoring (see the package docstring)."""

__all__: list[str] = []
