from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AgentsConfig(AppConfig):
    name = "agents"
    verbose_name = _("Agents and registration points")

    def ready(self):
        from core.registry import NavItem, register_nav, register_permissions, register_seeder
        from core.roles import Role

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

        from .demo import seed_agents

        register_seeder(10, "Agents and points", seed_agents)
