"""reports.evidence: see the module docstrings; `ready()` registers what this sub-package adds to other apps."""

VIEW = "reports.view_evidencepack"
ADD = "reports.add_evidencepack"


def ready() -> None:
    """Called from ReportsConfig.ready(): permissions, page sections, audit anchors and action labels."""
    from core.registry import (
        PageSection,
        register_audit_actions,
        register_audit_anchors,
        register_permissions,
        register_queue_sweep,
        register_section,
    )
    from core.roles import Role

    from .selectors import evidence_audit_anchors
    from .services import AUDIT_ACTIONS, waiting_packs

    register_queue_sweep("evidence packs", waiting_packs)

    # DESIGN section 2: officers and managers make packs; auditors are read-only: they see and download
    # the packs already made but do not make one.
    for role in (Role.OFFICER, Role.MANAGER):
        register_permissions(role, VIEW, ADD)
    register_permissions(Role.AUDITOR, VIEW)
    # the agents app is below reports: its pages load this section as an htmx fragment
    register_section(PageSection("agents.agent", "reports:agent_evidence_section", VIEW, 40))
    register_section(PageSection("agents.registrationpoint", "reports:point_evidence_section", VIEW, 40))
    register_audit_anchors("evidence packs", evidence_audit_anchors)
    register_audit_actions(AUDIT_ACTIONS)
