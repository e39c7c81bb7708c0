"""The enforcement app's models live in the sub-packages that own them (DESIGN section 8)."""

from .remediation.models import CaseStep, LadderPolicy, LadderPolicyVersion, ListIssue, RemediationCase

__all__ = ["CaseStep", "LadderPolicy", "LadderPolicyVersion", "ListIssue", "RemediationCase"]
