"""enforcement.sanctions: the sanction ladder (issue 16). Repeat findings within a window suggest the next
sanction (warning, fine, suspension, termination) for an officer to confirm and a manager to approve.

- models: the ladder's versions and the suggestions; ladder: its pure arithmetic
- services: changing the ladder, suggesting (on an accepted report and nightly), confirming, dismissing
- selectors: scoped reads and where findings stand on the ladder
- views: the ladder page and its form, suggestions, the sections on inspections' sanction pages and where a
  point or an agent stands (sections of their pages)

`ready()` registers what this sub-package adds: permissions, navigation, page sections, the findings hook,
the nightly step, audit labels and the demo seeder.
"""


def ready() -> None:
    """Called from EnforcementConfig.ready()."""
    from django.utils.translation import gettext_lazy as _

    from core.registry import (
        NavItem,
        NightlyStep,
        PageSection,
        register_audit_actions,
        register_digest_section,
        register_nav,
        register_nightly_step,
        register_permissions,
        register_section,
        register_seeder,
    )
    from core.roles import Role
    from core.texts import register_system_texts
    from inspections.hooks import on_findings_recorded

    from . import tasks
    from .demo import seed_sanction_ladder
    from .services import CHANGE_PERMISSION, findings_recorded
    from .texts import DEFAULT_LADDER_REASON

    register_system_texts(DEFAULT_LADDER_REASON)  # the default ladder's reason, in the reader's language
    view = ("enforcement.view_ladderversion", "enforcement.view_sanctionsuggestion")
    # everyone on the compliance team reads the ladder and its suggestions; officers confirm or dismiss
    # suggestions (with inspections.propose_sanction); managers change the ladder
    for role in (Role.OFFICER, Role.AUDITOR):
        register_permissions(role, *view)
    register_permissions(Role.MANAGER, *view, CHANGE_PERMISSION)
    register_nav(
        NavItem(
            _("Sanction ladder"),
            "enforcement:ladder",
            "enforcement.view_ladderversion",
            order=25,
            roles=frozenset({Role.OFFICER, Role.MANAGER, Role.AUDITOR}),
            also_active=("enforcement:ladder_edit", "enforcement:suggestion_list", "enforcement:suggestion_detail"),
        )
    )
    # "rung N of M" on inspections' proposal page (a finding) and approval page (a sanction)
    register_section(
        PageSection("inspections.finding", "enforcement:finding_ladder_section", "enforcement.view_sanctionsuggestion")
    )
    register_section(
        PageSection(
            "inspections.sanction", "enforcement:sanction_ladder_section", "enforcement.view_sanctionsuggestion"
        )
    )
    # where a point or an agent stands on the ladder, on their pages (after inspections' own section)
    register_section(
        PageSection(
            "agents.registrationpoint",
            "enforcement:point_ladder_section",
            "enforcement.view_sanctionsuggestion",
            order=15,
        )
    )
    register_section(
        PageSection("agents.agent", "enforcement:agent_ladder_section", "enforcement.view_sanctionsuggestion", order=15)
    )
    register_digest_section(40, tasks.waiting_digest_section)  # the daily e-mail: suggestions awaiting an officer
    on_findings_recorded(findings_recorded)
    register_nightly_step(
        NightlyStep(
            name="sanction_ladder",
            label=_("Sanction ladder suggestions"),
            run=tasks.ladder_step,
            order=40,
            describe=tasks.ladder_step_lines,
        )
    )
    register_audit_actions(
        {
            "sanction_ladder.change": _("Sanction ladder changed"),
            "sanction_ladder.suggest": _("Sanction suggested by the ladder"),
            "sanction_ladder.confirm": _("Ladder suggestion confirmed"),
            "sanction_ladder.dismiss": _("Ladder suggestion dismissed"),
        }
    )
    register_seeder(45, "Sanction ladder", seed_sanction_ladder)
