"""The enforcement app's models live in the sub-packages that own them (DESIGN section 8)."""

from .sanctions.models import LadderVersion, SanctionSuggestion

__all__ = ["LadderVersion", "SanctionSuggestion"]
