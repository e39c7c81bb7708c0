"""The access matrix's sanction ladder (tests/test_access_matrix.py): the suggestion of a scene finding, made
on first use, and a valid ladder form."""

from enforcement.sanctions import services
from enforcement.sanctions.models import SanctionSuggestion


def suggestion_for(finding) -> SanctionSuggestion:
    services.suggestions_make(finding_ids=[finding.pk])
    return SanctionSuggestion.objects.get(finding=finding)


def ladder_form(_obj=None) -> dict:
    return {
        "window_days": "180",
        "point_rung_1": "warning",
        "point_rung_2": "suspend-point",
        "agent_rung_1": "warning",
        "agent_rung_2": "terminate-agent",
        "reason": "matrix check",
    }
