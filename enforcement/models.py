"""The enforcement app's models live in the sub-packages that own them (DESIGN section 8)."""

from .campaigns.models import Campaign, CampaignBaseline
from .remediation.models import CaseStep, LadderPolicy, LadderPolicyVersion, ListIssue, RemediationCase
from .sanctions.models import LadderVersion, SanctionSuggestion

__all__ = [
    "Campaign",
    "CampaignBaseline",
    "CaseStep",
    "LadderPolicy",
    "LadderPolicyVersion",
    "LadderVersion",
    "ListIssue",
    "RemediationCase",
    "SanctionSuggestion",
]
