from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InspectionsConfig(AppConfig):
    name = "inspections"
    verbose_name = _("Inspections")

    def ready(self):
        from core.texts import register_parameter_words, register_system_texts

        from .texts import ALL as system_texts
        from .texts import AS_TYPED, CRITICAL_FLAGS, SANCTION_APPROVED, rule_names, sanction_type_name

        register_system_texts(*system_texts)  # reasons written into records, shown translated (core.texts)
        register_parameter_words(CRITICAL_FLAGS, "rules", rule_names)  # stored rule codes, read as rule names
        register_parameter_words(SANCTION_APPROVED, "type", sanction_type_name)  # stored English name, read in words
        register_parameter_words(SANCTION_APPROVED, "basis", str)  # the catalogue's legal basis, bilingual as is
        for msgid, name in AS_TYPED:  # user names and province names: never "translated" (a user called inspector)
            register_parameter_words(msgid, name, str)
        from core.registry import (
            HOME_PAGES,
            NavItem,
            PageSection,
            register_audit_actions,
            register_audit_anchors,
            register_home,
            register_nav,
            register_permissions,
            register_section,
            register_seeder,
        )
        from core.roles import Role

        from .models import TaskStatus
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

        # services.tasks.task_transition writes "inspection.<new status>"
        moves = {
            TaskStatus.PLANNED: _("Inspection task back to planned"),
            TaskStatus.ASSIGNED: _("Inspection task assigned"),
            TaskStatus.IN_PROGRESS: _("Inspection started"),
            TaskStatus.SUBMITTED: _("Inspection report submitted"),
            TaskStatus.RETURNED: _("Inspection report returned"),
            TaskStatus.CLOSED: _("Inspection task closed"),
            TaskStatus.CANCELLED: _("Inspection task cancelled"),
        }
        register_audit_actions({f"inspection.{status.lower()}": label for status, label in moves.items()})
        register_audit_actions(
            {
                "inspection.create": _("Inspection task created"),
                "inspection.link_flag": _("Flag linked to an inspection task"),
                "inspection.schedule": _("Inspections scheduled"),
                "inspection.due_date": _("Inspection due date brought forward"),
                "inspection.escalate": _("Overdue work escalated"),
                "inspection.check_in": _("Inspector checked in"),
                "inspection.answers": _("Checklist answers saved"),
                "inspection.remarks": _("Inspector's remarks saved"),
                "inspection.photo_add": _("Inspection photo added"),
                "inspection.photo_remove": _("Inspection photo removed"),
                "inspection.sim_add": _("Pre-activated SIM recorded"),
                "inspection.sim_remove": _("Pre-activated SIM removed"),
                "inspection.check_out": _("Inspector checked out"),
                "inspection.accept": _("Inspection report accepted"),
                "finding.resolved": _("Finding resolved"),
                "sanction.propose": _("Sanction proposed"),
                "sanction.approve": _("Sanction approved"),
                "sanction.reject": _("Sanction rejected"),
                "corrective_action.create": _("Corrective action created"),
                "corrective_action.evidence": _("Corrective action evidence added"),
                "corrective_action.verified": _("Corrective action verified"),
                "corrective_action.not_verified": _("Corrective action not verified"),
                "checklist.new_version": _("New checklist version"),
                "risk.rescore": _("Risk scores recomputed"),
                "risk.policy_update": _("Risk policy changed"),
                "nightly.run": _("Nightly run"),
            }
        )

        # the phone's Idempotency-Keys are kept 30 days (services.field_requests), then deleted each night
        from core.registry import NightlyStep, register_nightly_step

        from .services.field_requests import request_keys_purge

        register_nightly_step(
            NightlyStep("field_request_keys", _("Old phone request keys deleted"), request_keys_purge, order=60)
        )

        from core.events import register_event_types

        register_event_types({"sanction.approved": _("Sanction approved")})

        from .demo import seed_inspections

        register_seeder(30, "Checklists and inspection tasks", seed_inspections)
