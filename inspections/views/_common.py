"""What the compliance staff's pages share: the permissions they check, the `staff` decorator, the list
helper (keyset pages, like every list of the app) and small helpers."""

import datetime as dt

from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from core.decorators import people_only
from core.pagination import keyset_paginate

VIEW_TASK = "inspections.view_inspectiontask"
ADD_TASK = "inspections.add_inspectiontask"
CHANGE_TASK = "inspections.change_inspectiontask"
REVIEW = "inspections.review_inspection"
VIEW_FINDING = "inspections.view_finding"
VIEW_SANCTION = "inspections.view_sanction"
PROPOSE = "inspections.propose_sanction"
APPROVE = "inspections.approve_sanction"
VIEW_ACTION = "inspections.view_correctiveaction"
ADD_ACTION = "inspections.add_correctiveaction"
CHANGE_ACTION = "inspections.change_correctiveaction"
VIEW_CHECKLIST = "inspections.view_checklisttemplate"
EDIT_CHECKLIST = "inspections.change_checklisttemplate"
PAGE_SIZE = 50


def staff(*perms):
    """Signed in, a person (not an integration account), with every permission in `perms` (else 403)."""

    def decorate(view):
        wrapped = view
        for perm in reversed(perms):
            wrapped = permission_required(perm, raise_exception=True)(wrapped)
        return login_required(people_only(wrapped))

    return decorate


def next_url(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


def filtered_list(request, *, filterset, template, sort: str, extra=None):
    """A list page: its FilterSet, keyset pages in the model's order (`sort`), the rows alone for htmx."""
    results = filterset.qs if filterset.is_valid() else filterset.queryset.none()
    page = keyset_paginate(results, request.GET, size=PAGE_SIZE, sort_options=(sort,), default_sort=sort)
    context = {"filter": filterset, "page": page, **(extra or {})}
    if request.headers.get("HX-Request"):  # htmx filters and pager: only the table
        return render(request, template.replace(".html", "_rows.html"), context)
    return render(request, template, context)


def default_due(days: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=days)
