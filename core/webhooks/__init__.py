"""core.webhooks: signed webhooks to the operator's systems (issue 16); see services.py. `ready()` registers
what this sub-package adds: permissions, navigation, audit labels, the delivery subscriber, sweep, seeder."""


def ready() -> None:
    """Called from CoreConfig.ready()."""
    from django.utils.translation import gettext_lazy as _

    from .. import events
    from ..registry import (
        NavItem,
        register_audit_actions,
        register_nav,
        register_permissions,
        register_queue_sweep,
        register_seeder,
    )
    from ..roles import Role
    from . import tasks  # noqa: F401  (a worker knows the tasks by name)
    from .demo import seed_webhooks
    from .services import MANAGE_PERMISSION, VIEW_PERMISSION, deliveries_for_event, waiting_deliveries

    # managers manage (those with every province: services.may_manage), auditors read
    register_permissions(Role.MANAGER, VIEW_PERMISSION, "core.add_webhookendpoint", MANAGE_PERMISSION)
    register_permissions(Role.AUDITOR, VIEW_PERMISSION)
    register_nav(
        NavItem(
            _("Webhooks"),
            "core:webhook_list",
            VIEW_PERMISSION,
            order=920,
            roles=frozenset({Role.MANAGER, Role.AUDITOR}),
            also_active=("core:webhook_detail", "core:webhook_create", "core:webhook_edit"),
        )
    )
    register_audit_actions(
        {
            "webhook.create": _("Webhook endpoint created"),
            "webhook.update": _("Webhook endpoint changed"),
            "webhook.rotate_secret": _("Webhook secret replaced"),
            "webhook.test": _("Webhook test message sent"),
        }
    )
    events.subscribe(deliveries_for_event)
    register_queue_sweep("webhook deliveries", waiting_deliveries)
    register_seeder(90, "Webhook endpoint", seed_webhooks)
