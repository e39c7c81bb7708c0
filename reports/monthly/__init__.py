"""reports.monthly: see the module docstrings; `ready()` registers what this sub-package adds to other apps."""


def ready() -> None:
    """Called from ReportsConfig.ready(): permissions, navigation, page sections, nightly steps."""
    from django.utils.translation import gettext_lazy as _

    from core.registry import (
        NavItem,
        NightlyStep,
        register_audit_actions,
        register_audit_anchors,
        register_nav,
        register_nightly_step,
        register_permissions,
    )
    from core.roles import Role

    from .selectors import issue_audit_anchors
    from .services import ISSUED_ACTION, PREPARED_ACTION, nightly_prepare, step_lines

    # DESIGN section 2: officers, managers and auditors read the report; only managers issue it.
    for role in (Role.OFFICER, Role.MANAGER, Role.AUDITOR):
        register_permissions(role, "reports.view_reportissue")
    register_permissions(Role.MANAGER, "reports.add_reportissue")
    readers = frozenset({Role.OFFICER, Role.MANAGER, Role.AUDITOR})
    register_nav(
        NavItem(
            _("Monthly report"),
            "reports:monthly",
            "reports.view_reportissue",
            60,
            readers,
            also_active=("reports:monthly_issue_detail",),
        )
    )
    register_audit_actions({ISSUED_ACTION: _("Monthly report issued"), PREPARED_ACTION: _("Monthly report prepared")})
    register_audit_anchors("issued monthly reports", issue_audit_anchors)
    register_nightly_step(
        NightlyStep("monthly_report", _("Last month's report prepared"), nightly_prepare, order=10, describe=step_lines)
    )
