"""The enforcement app's models live in the sub-packages that own them (DESIGN section 8)."""

from .remediation.models import CaseStep, LadderPolicy, LadderPolicyVersion, ListIssue, RemediationCase
from .sanctions.models import LadderVersion, SanctionSuggestion

__all__ = [
    "CaseStep",
    "LadderPolicy",
    "LadderPolicyVersion",
    "LadderVersion",
    "ListIssue",
    "RemediationCase",
    "SanctionSuggestion",
]
