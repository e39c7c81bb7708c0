"""reports.subjects: see the module docstrings; `ready()` registers what this sub-package adds to other apps."""


def ready() -> None:
    """Called from ReportsConfig.ready(): permissions, navigation, page sections, nightly steps."""
    from django.utils.translation import gettext_lazy as _

    from core.registry import (
        NavItem,
        NightlyStep,
        register_audit_actions,
        register_digest_section,
        register_nav,
        register_nightly_step,
        register_permissions,
    )
    from core.roles import Role

    from . import tasks

    view = "reports.view_subjectrequest"
    # officers and managers handle requests; auditors read them (no personal data: masked, no download)
    for role in (Role.OFFICER, Role.MANAGER):
        register_permissions(role, view, "reports.add_subjectrequest", "reports.change_subjectrequest")
    register_permissions(Role.AUDITOR, view)
    register_nav(
        NavItem(
            _("Subscriber requests"),
            "reports:subject_request_list",
            view,
            order=75,
            roles=frozenset({Role.OFFICER, Role.MANAGER, Role.AUDITOR}),
        )
    )
    register_audit_actions(
        {
            "subject_request.create": _("Subscriber request recorded"),
            "subject_request.acknowledge": _("Subscriber request acknowledged"),
            "subject_request.verify": _("Subscriber's identity checked"),
            "subject_request.carry_out": _("Subscriber request carried out"),
            "subject_request.reject": _("Subscriber request rejected"),
            "subject_request.export": _("Subscriber's data downloaded"),
            "registration.correct": _("Registration corrected at the subscriber's request"),
            "registration.anonymise": _("Subscriber's personal data erased"),
            "retention.apply": _("Retention applied"),
        }
    )
    register_nightly_step(
        NightlyStep(
            name="retention",
            label=_("Retention"),
            run=tasks.retention_step,
            order=50,
            describe=tasks.retention_step_lines,
        )
    )
    register_digest_section(50, tasks.overdue_digest_section)
