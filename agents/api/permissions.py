"""Which model permission each API call needs; the role groups (core.roles) hold the permissions."""

from rest_framework.permissions import BasePermission

STATUS_PERMISSION = "agents.change_agent_status"
# HTTP method -> the model permission's action; PUT and DELETE are not offered.
METHOD_ACTIONS = {"GET": "view", "HEAD": "view", "OPTIONS": "view", "POST": "add", "PATCH": "change"}


def required_permission(request, view) -> str | None:
    """`<app>.<action>_<model>` for `view.permission_model`; a status action needs the status permission."""
    if getattr(view, "status_action", ""):
        return STATUS_PERMISSION
    action = METHOD_ACTIONS.get(request.method)
    if action is None:
        return None
    opts = view.permission_model._meta
    return f"{opts.app_label}.{action}_{opts.model_name}"


class ModelActionPermission(BasePermission):
    """GET -> view_*, POST -> add_*, PATCH -> change_*, suspend/reinstate/terminate -> change_agent_status.

    Province scope is not checked here: the selectors answer 404 for objects out of scope.
    """

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        perm = required_permission(request, view)
        if perm is None:
            # A method without a permission must not be handled: let the view answer 405.
            return not hasattr(view, request.method.lower())
        return user.has_perm(perm)
