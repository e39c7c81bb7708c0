"""Demo users, one per role (and one officer limited to a province), for `seed_demo`."""

from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token

from .roles import Role, sync_roles

# (username, role, password, all provinces?, province codes)
DEMO_USERS = [
    ("manager", Role.MANAGER, "demo-manager-2026", True, []),
    ("officer", Role.OFFICER, "demo-officer-2026", True, []),
    ("officer_hn", Role.OFFICER, "demo-officer-2026", False, ["001"]),
    ("inspector", Role.INSPECTOR, "demo-inspector-2026", False, ["001", "079"]),
    # the demo's other provinces have inspectors too, so the scheduler's tasks have someone to go to (issue 13)
    ("inspector_bac", Role.INSPECTOR, "demo-inspector-2026", False, ["031", "038", "048"]),
    ("inspector_nam", Role.INSPECTOR, "demo-inspector-2026", False, ["056", "066", "092"]),
    ("auditor", Role.AUDITOR, "demo-auditor-2026", True, []),
    ("integration", Role.INTEGRATION, "demo-integration-2026", True, []),
]


def ensure_demo_users() -> list[dict]:
    """Create or reset the demo users; returns what to print (name, role, password, token)."""
    from django.contrib.auth.models import Group

    sync_roles()
    User = get_user_model()
    printed = []
    for username, role, password, all_provinces, codes in DEMO_USERS:
        user, _created = User.objects.get_or_create(username=username)
        user.set_password(password)
        user.all_provinces = all_provinces
        user.is_staff = role == Role.MANAGER  # managers manage users in the admin
        user.first_name = username.replace("_", " ").title()
        # an address, so the nightly digest reaches the demo team (the console/file mail backend shows it)
        user.email = "" if role == Role.INTEGRATION else f"{username}@demo.sim-agent-watch.example"
        user.save()
        user.groups.set([Group.objects.get(name=role.value)])
        user.provinces.set(codes)
        token = Token.objects.get_or_create(user=user)[0].key if role == Role.INTEGRATION else ""
        printed.append(
            {
                "username": username,
                "role": role.label,
                "password": password,
                "token": token,
                "provinces": ", ".join(codes) or "all",
            }
        )
    return printed
