"""Who may read registrations through the API: the role groups (core.roles) hold the permissions.

Integration accounts push registrations but never read personal data back (DESIGN section 2:
write-only for PII), so they hold no view permission here; auditors read masked data but never reveal.
"""

from rest_framework.permissions import BasePermission


class HasViewPermissions(BasePermission):
    """Every permission in `view.required_permissions` (a tuple of "app_label.codename")."""

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        return all(user.has_perm(perm) for perm in view.required_permissions)
