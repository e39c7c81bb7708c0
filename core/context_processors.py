from django.urls import NoReverseMatch, reverse

from .registry import NAV_ITEMS
from .roles import Role, role_of


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    role = role_of(user)
    items, matches = [], []
    for item in NAV_ITEMS:
        if item.roles and role not in item.roles:
            continue
        if item.permission and not user.has_perm(item.permission):
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        entry = {"label": item.label, "url": url, "active": False}
        items.append(entry)
        for prefix in [url, *_urls(item.also_active)]:
            if request.path == prefix or (prefix != "/" and request.path.startswith(prefix)):
                matches.append((len(prefix), entry))
    # One active item: the longest URL the path starts with (/registrations/flags/ is Flags, not Registrations).
    if matches:
        max(matches, key=lambda match: match[0])[1]["active"] = True
    return {"nav_items": items, "user_role": role, "user_role_label": Role(role).label if role else ""}


def _urls(url_names) -> list[str]:
    urls = []
    for name in url_names:
        try:
            urls.append(reverse(name))
        except NoReverseMatch:
            continue
    return urls
