from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse

from .filters import AuditEventFilter
from .models import AuditEvent, Province
from .pagination import keyset_paginate
from .registry import HOME_PAGES
from .roles import Role, role_of
from .scoping import province_scope


@login_required
def home(request):
    """Each role lands on what it works with first."""
    role = role_of(request.user)
    if role in HOME_PAGES:
        try:
            return redirect(reverse(HOME_PAGES[role]))
        except NoReverseMatch:  # like the navigation: an app's page that is not installed is skipped
            pass
    scope = province_scope(request.user)
    context = {
        "role": role,
        "provinces": Province.objects.for_user(request.user) if scope is not None else None,
        "recent_events": None,
    }
    if request.user.has_perm("core.view_auditevent"):
        context["recent_events"] = AuditEvent.objects.for_user(request.user).select_related("actor")[:10]
    template = {
        Role.INSPECTOR: "core/home_inspector.html",
        Role.INTEGRATION: "core/home_integration.html",
        Role.AUDITOR: "core/home_auditor.html",
    }.get(role, "core/home_staff.html")
    return render(request, template, context)


@login_required
@permission_required("core.view_auditevent", raise_exception=True)
def audit_list(request):
    filterset = AuditEventFilter(request.GET, queryset=AuditEvent.objects.for_user(request.user))
    page = keyset_paginate(filterset.qs, request.GET, size=50)
    return render(request, "core/audit_list.html", {"filter": filterset, "page": page})
