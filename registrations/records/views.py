"""Registration pages: search, the record page (masked), and reveal (once, with a reason, audited)."""

import secrets
import time

from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from core.decorators import people_only
from core.models import Province
from core.pagination import keyset_paginate
from core.scoping import province_scope
from core.web import search_recall, search_stash

from . import selectors, services
from .filters import RegistrationFilter
from .forms import RevealForm
from .masking import revealed as revealed_values

PAGE_SIZE = 50
# Shown first on the search form; the others fold under "More filters" unless one is in use.
PRIMARY_FILTERS = ("external_id", "msisdn", "subscriber_name", "iccid", "id_type", "id_number")
# Personal values: searched by POST, never carried in a URL (DESIGN section 2; access logs keep URLs).
PERSONAL_FILTERS = ("msisdn", "id_number", "subscriber_name")
SEARCH_NAMESPACE = "registrations"


@never_cache  # the form holds the phone or ID number typed
@require_http_methods(["GET", "POST"])
@login_required
@people_only
@permission_required("registrations.view_registration", raise_exception=True)
def registration_list(request):
    """The search. A search by phone or ID number is POSTed: its values stay in the session behind a short-
    lived token (core.web.search_stash) and the address shows only that token and the other filters."""
    if request.method == "POST":
        params = search_stash(request, request.POST, personal=PERSONAL_FILTERS, namespace=SEARCH_NAMESPACE)
        url = f"{request.path}?{params.urlencode()}" if params else request.path
        if not request.headers.get("HX-Request"):
            return redirect(url)
        response = _list(request, params)
        response["HX-Push-Url"] = url
        return response
    if any(request.GET.get(name, "").strip() for name in PERSONAL_FILTERS):
        # an address typed or bookmarked with a phone or ID number in it: not searched, and said why
        return _list(request, QueryDict(), refused=True)
    return _list(request, request.GET)


def _list(request, params: QueryDict, *, refused: bool = False):
    queryset = selectors.registration_rows(user=request.user)
    data, expired = search_recall(request, params, namespace=SEARCH_NAMESPACE)
    filterset = RegistrationFilter(data, queryset=queryset, request=request)
    # An unreadable filter (a number that is no phone number), an expired search or one refused finds
    # nothing, rather than everything.
    results = filterset.qs if filterset.is_valid() and not expired and not refused else queryset.none()
    page = keyset_paginate(
        results, params, size=PAGE_SIZE, sort_options=selectors.LIST_SORTS, default_sort="-registered_at"
    )
    context = {
        "filter": filterset,
        "page": page,
        "sorts": selectors.LIST_SORTS,
        "search_expired": expired,
        "search_refused": refused,
    }
    status = 400 if refused else 200
    if request.headers.get("HX-Request"):  # htmx filter/pager: only the table
        return render(request, "registrations/registration_list_rows.html", context, status=status)
    scope = province_scope(request.user)
    context["scope_provinces"] = None if scope is None else Province.objects.filter(code__in=scope).order_by("name")
    context["primary_filters"] = PRIMARY_FILTERS
    context["more_filters_used"] = any(data.get(name) for name in filterset.filters if name not in PRIMARY_FILTERS)
    return render(request, "registrations/registration_list.html", context, status=status)


def _detail(request, registration, *, form=None, revealed=None, status=200):
    context = {
        "registration": registration,
        "related": selectors.related_records(user=request.user, registration=registration),
        "can_reveal": request.user.has_perm(services.REVEAL_PERMISSION),
        "reveal_form": form or RevealForm(),
        "revealed": revealed,
    }
    return render(request, "registrations/registration_detail.html", context, status=status)


# A reveal is answered by a redirect to the record page carrying a single-use grant (post/redirect/get,
# issue 13): the GET shows the values once and spends the grant, so a reload masks them again and never
# re-sends the form or writes a second audit event. The session keeps only the grant, never the values.
REVEAL_GRANTS_KEY = "reveal_grants"
REVEAL_GRANT_SECONDS = 60


def _grant_reveal(request, registration) -> str:
    now = time.time()
    grants = {t: g for t, g in request.session.get(REVEAL_GRANTS_KEY, {}).items() if g["expires"] > now}
    token = secrets.token_urlsafe(12)
    grants[token] = {"pk": registration.pk, "expires": now + REVEAL_GRANT_SECONDS}
    request.session[REVEAL_GRANTS_KEY] = grants
    return token


def _spend_reveal(request, registration) -> bool:
    token = request.GET.get("reveal", "")
    grants = request.session.get(REVEAL_GRANTS_KEY, {})
    grant = grants.pop(token, None) if token else None
    if grant is None:
        return False
    request.session[REVEAL_GRANTS_KEY] = grants
    return grant["pk"] == registration.pk and grant["expires"] > time.time()


@never_cache  # a revealed page must not stay in any cache (nor the back button's)
@require_safe
@login_required
@people_only
@permission_required("registrations.view_registration", raise_exception=True)
def registration_detail(request, pk):
    registration = selectors.registration_get(user=request.user, pk=pk)
    if request.GET.get("reveal"):
        if request.user.has_perm(services.REVEAL_PERMISSION) and _spend_reveal(request, registration):
            return _detail(request, registration, revealed=revealed_values(registration))
        return redirect("registrations:registration_detail", pk=registration.pk)  # spent or expired: masked
    return _detail(request, registration)


@never_cache  # Cache-Control: no-store: the unmasked values must not stay in any cache
@require_POST
@login_required
@people_only
@permission_required("registrations.view_registration", raise_exception=True)
@permission_required(services.REVEAL_PERMISSION, raise_exception=True)
def registration_reveal(request, pk):
    """POST a reason: one audit event, then a redirect to the record page that shows the values once."""
    registration = selectors.registration_get(user=request.user, pk=pk)
    form = RevealForm(request.POST)
    if form.is_valid():
        try:
            values = services.registration_reveal(
                registration=registration, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            del values  # read again, once, by the page the grant opens
            token = _grant_reveal(request, registration)
            return redirect(f"{reverse('registrations:registration_detail', args=[registration.pk])}?reveal={token}")
    return _detail(request, registration, form=form, status=400)
