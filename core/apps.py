from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Core")

    def ready(self):
        from django.db.models.signals import post_migrate

        from . import roles, signals  # noqa: F401  (connects auth signals)

        roles.register_core()
        post_migrate.connect(roles.sync_roles_after_migrate, dispatch_uid="core.sync_roles")
