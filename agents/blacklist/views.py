"""Blacklist pages: the list (filters, keyset pages, masked), an entry with its identities and history, a
manager's lift and add forms. Thin: forms, selectors and services."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from core.decorators import people_only
from core.pagination import keyset_paginate
from core.web import add_errors

from .. import selectors as agent_selectors
from . import selectors, services
from .filters import BlacklistFilter
from .forms import AddForm, LiftForm
from .services import ADD_PERMISSION, LIFT_PERMISSION, VIEW_PERMISSION

SORTS = ("-listed_at", "listed_at", "expires_at")
PAGE_SIZE = 50


@require_safe
@login_required
@people_only
@permission_required(VIEW_PERMISSION, raise_exception=True)
def blacklist_list(request):
    filterset = BlacklistFilter(request.GET, queryset=selectors.entry_list(user=request.user), request=request)
    results = filterset.qs if filterset.is_valid() else filterset.queryset.none()
    page = keyset_paginate(results, request.GET, size=PAGE_SIZE, sort_options=SORTS, default_sort="-listed_at")
    context = {
        "filter": filterset,
        "page": page,
        "sorts": SORTS,
        "can_add": services.may_add(request.user),
        "years": settings.BLACKLIST_YEARS,
    }
    if request.headers.get("HX-Request"):
        return render(request, "agents/blacklist/list_rows.html", context)
    return render(request, "agents/blacklist/list.html", context)


def _detail(request, entry, *, form=None, status=200):
    context = {
        "entry": entry,
        "keys": selectors.entry_keys(entry),
        "history": selectors.entry_history(entry),
        "agent_visible": agent_selectors.agent_list(user=request.user).filter(pk=entry.agent_id).exists(),
        "can_lift": services.may_lift(request.user) and entry.state == entry.State.ACTIVE,
        "form": form,
    }
    return render(request, "agents/blacklist/detail.html", context, status=status)


@require_safe
@login_required
@people_only
@permission_required(VIEW_PERMISSION, raise_exception=True)
def blacklist_detail(request, pk):
    return _detail(request, selectors.entry_get(user=request.user, pk=pk))


@require_http_methods(["GET", "POST"])
@login_required
@people_only
@permission_required(LIFT_PERMISSION, raise_exception=True)
def blacklist_lift(request, pk):
    entry = selectors.entry_get(user=request.user, pk=pk)
    form = LiftForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.blacklist_lift(entry=entry, reason=form.cleaned_data["reason"], actor=request.user)
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(request, _("The entry of %(code)s is lifted.") % {"code": entry.agent_code})
                return redirect("agents:blacklist_detail", pk=entry.pk)
    return render(request, "agents/blacklist/lift.html", {"entry": entry, "form": form}, status=status)


@require_http_methods(["GET", "POST"])
@login_required
@people_only
@permission_required(ADD_PERMISSION, raise_exception=True)
def blacklist_add(request):
    form = AddForm(request.POST or None, initial={"agent_code": request.GET.get("agent", "")[:32]})
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            agent = agent_selectors.agent_by_code(user=request.user, code=form.cleaned_data["agent_code"].strip())
            if agent is None:  # not there and not yours read alike
                form.add_error("agent_code", _("No agent with this code in your provinces."))
            else:
                try:
                    entry = services.blacklist_add(
                        agent=agent,
                        reason=form.cleaned_data["reason"],
                        years=form.cleaned_data["years"],
                        actor=request.user,
                    )
                except ValidationError as exc:
                    add_errors(form, exc, aliases={"agent": "agent_code"})
                else:
                    messages.success(request, _("%(code)s is on the blacklist.") % {"code": agent.code})
                    return redirect("agents:blacklist_detail", pk=entry.pk)
    context = {"form": form, "years": settings.BLACKLIST_YEARS}
    return render(request, "agents/blacklist/add.html", context, status=status)
