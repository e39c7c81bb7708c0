"""Roles of DESIGN section 2, kept as auth groups whose permissions come from the registry."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from .registry import ROLE_PERMISSIONS, NavItem, register_nav, register_permissions


class Role(models.TextChoices):
    OFFICER = "officer", _("Compliance officer")
    MANAGER = "manager", _("Compliance manager")
    INSPECTOR = "inspector", _("Field inspector")
    AUDITOR = "auditor", _("Auditor")
    INTEGRATION = "integration", _("Integration (API)")


STAFF = (Role.OFFICER, Role.MANAGER)
READERS = (Role.OFFICER, Role.MANAGER, Role.AUDITOR)


def register_core() -> None:
    for role in READERS:
        register_permissions(role, "core.view_dashboard", "core.view_province")
    for role in STAFF:
        register_permissions(role, "core.reveal_personal_data")
    for role in (Role.MANAGER, Role.AUDITOR):
        register_permissions(role, "core.view_auditevent")
    register_permissions(Role.MANAGER, "core.view_user", "core.add_user", "core.change_user", "auth.view_group")
    register_permissions(Role.INSPECTOR, "core.view_province")
    register_permissions(Role.INTEGRATION, "core.use_integration_api")

    register_nav(NavItem(_("Home"), "home", order=0))
    register_nav(NavItem(_("Audit trail"), "core:audit_list", "core.view_auditevent", order=900))
    register_nav(NavItem(_("Users"), "core:user_list", "core.view_user", order=950))
    register_nav(NavItem(_("API"), "api-docs", "core.use_integration_api", order=990))


def sync_roles() -> None:
    """Make each role's group hold exactly the registered permissions that exist."""
    from django.contrib.auth.models import Group, Permission

    for role in Role:
        group, _created = Group.objects.get_or_create(name=role.value)
        wanted = ROLE_PERMISSIONS.get(role.value, set())
        perms = []
        for perm in wanted:
            app_label, codename = perm.split(".", 1)
            perms.extend(Permission.objects.filter(content_type__app_label=app_label, codename=codename))
        group.permissions.set(perms)


def sync_roles_after_migrate(sender, **kwargs) -> None:
    # Runs after each app's migrations; the last run sees every app's permissions.
    if kwargs.get("plan") is not None or kwargs.get("app_config") is not None:
        sync_roles()


def role_of(user) -> str | None:
    """The user's role (the first role group it belongs to); cached on the user object."""
    if not getattr(user, "is_authenticated", False):
        return None
    if not hasattr(user, "_role_cache"):
        names = {g.name for g in user.groups.all()}
        user._role_cache = next((r.value for r in Role if r.value in names), None)
    return user._role_cache
