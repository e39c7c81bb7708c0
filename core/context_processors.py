from django.urls import NoReverseMatch, reverse

from .registry import NAV_ITEMS
from .roles import Role, role_of


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    role = role_of(user)
    items = []
    for item in NAV_ITEMS:
        if item.roles and role not in item.roles:
            continue
        if item.permission and not user.has_perm(item.permission):
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        items.append(
            {
                "label": item.label,
                "url": url,
                "active": request.path == url or (url != "/" and request.path.startswith(url)),
            }
        )
    return {"nav_items": items, "user_role": role, "user_role_label": Role(role).label if role else ""}
