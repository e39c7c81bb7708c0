"""enforcement.remediation: the subscriber remediation ladder (issue 16); see services.py. `ready()` registers
what this sub-package adds: permissions, navigation, the nightly step, audit labels, the event, the seeder."""


def ready() -> None:
    """Called from EnforcementConfig.ready()."""
    from django.utils.translation import gettext_lazy as _

    from core.events import register_event_types
    from core.registry import (
        NavItem,
        NightlyStep,
        register_audit_actions,
        register_digest_section,
        register_nav,
        register_nightly_step,
        register_permissions,
        register_seeder,
    )
    from core.roles import Role
    from core.texts import register_system_texts

    from . import tasks  # noqa: F401  (a worker knows the tasks by name)
    from .demo import seed_remediation
    from .outcomes import REJECT_TEXTS
    from .services import (
        ISSUE_PERMISSION,
        LISTS_READY_EVENT,
        OUTCOME_PERMISSION,
        POLICY_PERMISSION,
        VIEW_PERMISSION,
        nightly_advance,
        step_lines,
    )

    readers = (Role.OFFICER, Role.MANAGER, Role.AUDITOR)
    for role in readers:
        register_permissions(role, VIEW_PERMISSION, "enforcement.view_ladderpolicy")
    # the lists carry MSISDNs for the operator's CRM: staff and integration accounts only, every download audited
    for role in (Role.OFFICER, Role.MANAGER, Role.INTEGRATION):
        register_permissions(role, ISSUE_PERMISSION, OUTCOME_PERMISSION)
    register_permissions(Role.INTEGRATION, VIEW_PERMISSION)
    register_permissions(Role.MANAGER, POLICY_PERMISSION)
    register_nav(
        NavItem(
            _("Remediation"),
            "enforcement:remediation_case_list",
            VIEW_PERMISSION,
            order=350,
            roles=frozenset(readers),
            also_active=(
                "enforcement:remediation_case_detail",
                "enforcement:remediation_step_list",
                "enforcement:remediation_lists",
                "enforcement:remediation_policy",
                "enforcement:remediation_outcomes",
                "enforcement:remediation_outcome_job",
            ),
        )
    )
    register_nightly_step(
        NightlyStep("remediation", _("Remediation ladder"), nightly_advance, order=20, describe=step_lines)
    )
    register_audit_actions(
        {
            "remediation.advance": _("Remediation ladder moved on"),
            "remediation.policy_update": _("Remediation ladder policy changed"),
            "remediation.list_issue": _("Remediation step list marked as sent"),
            "remediation.list_download": _("Remediation step list downloaded (with MSISDNs)"),
            "remediation.outcomes_upload": _("Remediation outcomes uploaded"),
            "remediation.outcomes_apply": _("Remediation outcomes recorded"),
        }
    )
    register_digest_section(60, tasks.lists_digest_section)
    register_system_texts(*REJECT_TEXTS)
    register_event_types({LISTS_READY_EVENT: _("Remediation step lists ready")})
    register_seeder(85, "Remediation ladder", seed_remediation)
