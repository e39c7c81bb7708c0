from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InspectionsConfig(AppConfig):
    name = "inspections"
    verbose_name = _("Inspections")

    def ready(self):
        from core.registry import (
            HOME_PAGES,
            NavItem,
            PageSection,
            register_audit_anchors,
            register_home,
            register_nav,
            register_permissions,
            register_section,
            register_seeder,
        )
        from core.roles import Role

        from .selectors import nightly_audit_anchors

        register_audit_anchors("nightly runs", nightly_audit_anchors)

        view = (
            "inspections.view_inspectiontask",
            "inspections.view_inspectionreport",
            "inspections.view_finding",
            "inspections.view_sanction",
            "inspections.view_sanctiontype",
            "inspections.view_correctiveaction",
            "inspections.view_checklisttemplate",
            "inspections.view_riskpolicy",
            "inspections.view_nightlyrun",
        )
        # DESIGN section 2: officers schedule and review inspections and propose sanctions; managers also
        # approve sanctions and manage checklists (and the risk policy); auditors read; inspectors do their tasks.
        officer = (
            *view,
            "inspections.add_inspectiontask",
            "inspections.change_inspectiontask",
            "inspections.review_inspection",
            "inspections.propose_sanction",
            "inspections.add_correctiveaction",
            "inspections.change_correctiveaction",
        )
        register_permissions(Role.OFFICER, *officer)
        register_permissions(
            Role.MANAGER,
            *officer,
            "inspections.approve_sanction",
            "inspections.add_checklisttemplate",
            "inspections.change_checklisttemplate",
            "inspections.change_riskpolicy",
        )
        register_permissions(Role.AUDITOR, *view)
        register_permissions(Role.INSPECTOR, "inspections.perform_inspection")

        staff = frozenset({Role.OFFICER, Role.MANAGER, Role.AUDITOR})
        register_nav(NavItem(_("Inspections"), "inspections:task_list", "inspections.view_inspectiontask", 20, staff))
        register_nav(
            NavItem(
                _("My tasks"), "inspections:my_tasks", "inspections.perform_inspection", 5, frozenset({Role.INSPECTOR})
            )
        )
        if Role.INSPECTOR not in HOME_PAGES:
            register_home(Role.INSPECTOR, "inspections:my_tasks")
        # inspection history, findings, sanctions, actions and risk factors on agent and point pages; the
        # dashboard's overdue work
        register_section(
            PageSection("agents.registrationpoint", "inspections:point_section", "inspections.view_inspectiontask", 10)
        )
        register_section(
            PageSection("agents.agent", "inspections:agent_section", "inspections.view_inspectiontask", 10)
        )
        register_section(PageSection("home", "inspections:home_section", "inspections.view_inspectiontask", 10))

        from .demo import seed_inspections

        register_seeder(30, "Checklists and inspection tasks", seed_inspections)
