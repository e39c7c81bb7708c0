"""Webhook pages: endpoints, one endpoint with its delivery log, and the manager's changes. Thin: forms,
selectors and services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from ..decorators import people_only
from ..pagination import keyset_paginate
from ..web import add_errors
from . import selectors, services
from .forms import EndpointForm
from .services import VIEW_PERMISSION

PAGE_SIZE = 50


def _manager_only(request) -> None:
    if not services.may_manage(request.user):
        raise PermissionDenied


@require_safe
@login_required
@people_only
@permission_required(VIEW_PERMISSION, raise_exception=True)
def webhook_list(request):
    context = {
        "endpoints": selectors.endpoint_list(),
        "can_manage": services.may_manage(request.user),
        "limited_manager": request.user.has_perm(services.MANAGE_PERMISSION) and not services.may_manage(request.user),
    }
    return render(request, "core/webhooks/list.html", context)


def _detail(request, endpoint, *, secret: str = "", status: int = 200):
    page = keyset_paginate(selectors.delivery_log(endpoint), request.GET, size=PAGE_SIZE)
    context = {
        "endpoint": endpoint,
        "events": [selectors.event_label(code) for code in endpoint.event_types],
        "page": page,
        "deliveries": [(d, selectors.event_label(d.event_type)) for d in page.items],
        "can_manage": services.may_manage(request.user),
        "secret": secret,
    }
    if request.headers.get("HX-Request"):
        return render(request, "core/webhooks/log_rows.html", context)
    return render(request, "core/webhooks/detail.html", context, status=status)


@require_safe
@login_required
@people_only
@permission_required(VIEW_PERMISSION, raise_exception=True)
def webhook_detail(request, pk):
    return _detail(request, selectors.endpoint_get(pk))


@never_cache  # the answer holds the new secret
@require_http_methods(["GET", "POST"])
@login_required
@people_only
def webhook_create(request):
    _manager_only(request)
    form = EndpointForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                endpoint, secret = services.endpoint_create(actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(request, _("Endpoint %(name)s created.") % {"name": endpoint.name})
                # shown once, in this answer only (never in a URL or a later page)
                return _detail(request, endpoint, secret=secret)
    return render(request, "core/webhooks/form.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
@login_required
@people_only
def webhook_edit(request, pk):
    _manager_only(request)
    endpoint = selectors.endpoint_get(pk)
    initial = {k: getattr(endpoint, k) for k in ("name", "url", "event_types", "enabled")}
    form = EndpointForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.endpoint_update(actor=request.user, endpoint=endpoint, **form.cleaned_data)
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(request, _("Endpoint saved."))
                return redirect("core:webhook_detail", pk=endpoint.pk)
    return render(request, "core/webhooks/form.html", {"form": form, "endpoint": endpoint}, status=status)


@never_cache  # the answer holds the new secret
@require_POST
@login_required
@people_only
def webhook_rotate(request, pk):
    _manager_only(request)
    endpoint = selectors.endpoint_get(pk)
    secret = services.endpoint_rotate_secret(actor=request.user, endpoint=endpoint)
    messages.success(request, _("New secret made: the old one no longer signs anything."))
    endpoint.refresh_from_db()
    return _detail(request, endpoint, secret=secret)


@require_POST
@login_required
@people_only
def webhook_test(request, pk):
    _manager_only(request)
    endpoint = selectors.endpoint_get(pk)
    services.endpoint_test(actor=request.user, endpoint=endpoint)
    messages.success(request, _("Test message queued: its attempt appears in the log below within a minute."))
    return redirect("core:webhook_detail", pk=endpoint.pk)
