from functools import wraps

from django.core.exceptions import PermissionDenied

from .roles import Role, role_of


def people_only(view):
    """Pages are for people: integration accounts work through the API (and upload pages that allow them)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if role_of(request.user) == Role.INTEGRATION:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper
