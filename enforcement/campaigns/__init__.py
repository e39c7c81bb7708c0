"""enforcement.campaigns: re-verification campaigns (issue 16); see models.py and services.py. `ready()`
registers what this sub-package adds: permissions, navigation, the nightly step, audit labels, the event,
the seeder."""


def ready() -> None:
    """Called from EnforcementConfig.ready()."""
    from django.utils.translation import gettext_lazy as _

    from core.events import register_event_types
    from core.registry import (
        NavItem,
        NightlyStep,
        register_audit_actions,
        register_nav,
        register_nightly_step,
        register_permissions,
        register_seeder,
    )
    from core.roles import Role

    from . import tasks  # noqa: F401  (a worker knows the tasks by name)
    from .demo import seed_campaigns
    from .services import (
        ADD_PERMISSION,
        CLOSE_PERMISSION,
        PROGRESS_EVENT,
        VIEW_PERMISSION,
        nightly_campaigns,
        step_lines,
    )

    readers = (Role.OFFICER, Role.MANAGER, Role.AUDITOR)
    for role in (*readers, Role.INTEGRATION):
        register_permissions(role, VIEW_PERMISSION)
    register_permissions(Role.MANAGER, ADD_PERMISSION, CLOSE_PERMISSION)
    register_nav(
        NavItem(
            _("Campaigns"),
            "enforcement:campaign_list",
            VIEW_PERMISSION,
            order=355,
            roles=frozenset(readers),
            also_active=(
                "enforcement:campaign_detail",
                "enforcement:campaign_create",
                "enforcement:campaign_close",
                "enforcement:campaign_withdraw",
            ),
        )
    )
    # after the remediation ladder's step (order 20): cases it closed are counted as they stand
    register_nightly_step(
        NightlyStep("campaigns", _("Re-verification campaigns"), nightly_campaigns, order=21, describe=step_lines)
    )
    register_audit_actions(
        {
            "campaign.create": _("Re-verification campaign started"),
            "campaign.settle": _("Re-verification campaign cases settled"),
            "campaign.close": _("Re-verification campaign closed"),
            "campaign.withdraw": _("Re-verification campaign withdrawn"),
        }
    )
    register_event_types({PROGRESS_EVENT: _("Re-verification campaign progress")})
    # after the sanctions', the blacklist's and the remediation seeders: their terminated agents, the ladder
    register_seeder(88, "Re-verification campaigns", seed_campaigns)
