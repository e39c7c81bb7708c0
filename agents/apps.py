from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AgentsConfig(AppConfig):
    name = "agents"
    verbose_name = _("Agents and registration points")

    def ready(self):
        from core.texts import register_system_texts

        from .texts import ALL as system_texts

        register_system_texts(*system_texts)  # reasons written into records, shown translated (core.texts)
        from core.registry import (
            NavItem,
            register_audit_actions,
            register_nav,
            register_permissions,
            register_queue_sweep,
            register_seeder,
        )
        from core.roles import Role

        from .services import waiting_import_jobs

        register_queue_sweep("agents and points imports", waiting_import_jobs)

        view = ("agents.view_agent", "agents.view_registrationpoint", "agents.view_statuschange")
        write = (
            "agents.add_agent",
            "agents.change_agent",
            "agents.add_registrationpoint",
            "agents.change_registrationpoint",
        )
        for role in (Role.OFFICER, Role.MANAGER):
            register_permissions(role, *view, *write, "agents.change_agent_status", "agents.import_agents")
        register_permissions(Role.AUDITOR, *view)
        register_permissions(Role.INTEGRATION, *view, *write, "agents.import_agents")

        register_nav(
            NavItem(
                _("Agents"),
                "agents:agent_list",
                "agents.view_agent",
                order=10,
                roles=frozenset({Role.OFFICER, Role.MANAGER, Role.AUDITOR}),
            )
        )
        register_nav(
            NavItem(
                _("Points"),
                "agents:point_list",
                "agents.view_registrationpoint",
                order=11,
                roles=frozenset({Role.OFFICER, Role.MANAGER, Role.AUDITOR}),
            )
        )

        register_audit_actions(
            {
                "agent.create": _("Agent created"),
                "agent.update": _("Agent changed"),
                "agent.suspend": _("Agent suspended"),
                "agent.reinstate": _("Agent reinstated"),
                "agent.terminate": _("Agent terminated"),
                "point.create": _("Point created"),
                "point.update": _("Point changed"),
                "point.suspend": _("Point suspended"),
                "point.reinstate": _("Point reinstated"),
                "point.terminate": _("Point terminated"),
                "agents.import": _("Agents imported"),
                "points.import": _("Points imported"),
                "agents.export": _("Agents exported"),
                "points.export": _("Points exported"),
            }
        )

        from .demo import seed_agents

        register_seeder(10, "Agents and points", seed_agents)

        from . import blacklist

        blacklist.ready()
