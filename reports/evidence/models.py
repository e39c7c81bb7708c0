"""Models of this sub-package (none yet)."""

__all__: list[str] = []
