"""agents.blacklist: terminated agents' identities listed for a set period (issue 16); see models.py and
services.py. `ready()` registers what this sub-package adds: permissions, navigation, audit labels, seeder."""


def ready() -> None:
    """Called from AgentsConfig.ready()."""
    from django.utils.translation import gettext_lazy as _

    from core.registry import NavItem, register_audit_actions, register_nav, register_permissions, register_seeder
    from core.roles import Role

    from .demo import seed_blacklist
    from .services import ADD_PERMISSION, LIFT_PERMISSION, VIEW_PERMISSION

    # officers and auditors read; managers also list by hand and lift
    register_permissions(Role.OFFICER, VIEW_PERMISSION)
    register_permissions(Role.AUDITOR, VIEW_PERMISSION)
    register_permissions(Role.MANAGER, VIEW_PERMISSION, ADD_PERMISSION, LIFT_PERMISSION)
    register_nav(
        NavItem(
            _("Blacklist"),
            "agents:blacklist_list",
            VIEW_PERMISSION,
            order=12,
            roles=frozenset({Role.OFFICER, Role.MANAGER, Role.AUDITOR}),
            also_active=("agents:blacklist_detail", "agents:blacklist_add", "agents:blacklist_lift"),
        )
    )
    register_audit_actions(
        {
            "blacklist.list": _("Agent blacklisted"),
            "blacklist.lift": _("Blacklist entry lifted"),
        }
    )
    # after the registrations' seeder: its points and agents are not among those it spreads registrations over
    register_seeder(25, "Blacklist", seed_blacklist)
