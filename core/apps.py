from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Core")

    def ready(self):
        from django.db.models.signals import post_migrate

        from . import roles, signals, webhooks  # noqa: F401  (connects auth signals)
        from .audit import CORE_ACTION_LABELS, VERIFY_PERMISSION
        from .registry import register_audit_actions, register_permissions

        roles.register_core()
        register_audit_actions(CORE_ACTION_LABELS)
        # the audit trail's readers may check its chain (a read: it changes nothing but its own record)
        register_permissions(roles.Role.MANAGER, VERIFY_PERMISSION)
        register_permissions(roles.Role.AUDITOR, VERIFY_PERMISSION)
        webhooks.ready()
        post_migrate.connect(roles.sync_roles_after_migrate, dispatch_uid="core.sync_roles")
