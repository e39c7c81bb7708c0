"""reports.dashboard: the home page of officers, managers and auditors (issue 12), scoped by province."""


def ready() -> None:
    """Called from ReportsConfig.ready(): the home page of three roles, the nightly counts, audit labels."""
    from django.utils.translation import gettext_lazy as _

    from core.registry import NightlyStep, register_audit_actions, register_home, register_nightly_step
    from core.roles import Role
    from registrations.checks.selectors import register_rule_count_source

    from .selectors import queue_rule_counts
    from .services import dashboard_aggregate, step_lines

    for role in (Role.OFFICER, Role.MANAGER, Role.AUDITOR):
        register_home(role, "reports:dashboard")
    register_nightly_step(
        NightlyStep("dashboard", _("Dashboard counts"), dashboard_aggregate, order=80, describe=step_lines)
    )
    register_audit_actions({"dashboard.aggregate": _("Dashboard counts prepared")})
    register_rule_count_source(queue_rule_counts)
