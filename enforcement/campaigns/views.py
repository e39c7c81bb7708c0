"""Campaign pages: the list (filters, figures per campaign linking to its cases), one campaign, the
manager's form and closing. Thin: forms, selectors and services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from core.decorators import people_only
from core.pagination import keyset_paginate
from core.web import add_errors

from . import selectors, services
from .filters import CampaignFilter
from .forms import CampaignForm, WithdrawForm
from .models import Campaign
from .progress import Progress
from .services import ADD_PERMISSION, CLOSE_PERMISSION, VIEW_PERMISSION, WITHDRAW_PERMISSION

PAGE_SIZE = 50


def _reader(view):
    return require_safe(login_required(people_only(permission_required(VIEW_PERMISSION, raise_exception=True)(view))))


@_reader
def campaign_list(request):
    queryset = selectors.campaign_list(user=request.user)
    filterset = CampaignFilter(request.GET, queryset=queryset, request=request)
    results = filterset.qs if filterset.is_valid() else queryset.none()
    page = keyset_paginate(
        results, request.GET, size=PAGE_SIZE, sort_options=selectors.LIST_SORTS, default_sort="-created_at"
    )
    progress = selectors.progress_for(user=request.user, campaigns=page.items)
    rows = [(c, progress[c.pk]) for c in page.items]
    context = {
        "filter": filterset,
        "page": page,
        "rows": rows,
        "counts": selectors.status_counts(results),
    }
    if request.headers.get("HX-Request"):
        return render(request, "enforcement/campaigns/campaign_rows.html", context)
    return render(request, "enforcement/campaigns/campaign_list.html", context)


def _detail(request, campaign, withdraw_form=None, status=200):
    progress = selectors.progress_for(user=request.user, campaigns=[campaign])[campaign.pk]
    is_open = campaign.status == Campaign.Status.OPEN
    can_withdraw = is_open and request.user.has_perm(WITHDRAW_PERMISSION)
    context = {
        "campaign": campaign,
        "progress": progress,
        "can_close": is_open and request.user.has_perm(CLOSE_PERMISSION) and not progress[Progress.PENDING],
        "can_withdraw": can_withdraw,
        "withdraw_form": (withdraw_form or WithdrawForm()) if can_withdraw else None,
    }
    return render(request, "enforcement/campaigns/campaign_detail.html", context, status=status)


@_reader
def campaign_detail(request, pk):
    return _detail(request, selectors.campaign_get(user=request.user, pk=pk))


@require_http_methods(["GET", "POST"])
@login_required
@people_only
@permission_required(ADD_PERMISSION, raise_exception=True)
def campaign_create(request):
    status = 200
    if request.method == "POST":
        form = CampaignForm(request.POST)
        status = 400
        if form.is_valid():
            try:
                campaign = services.campaign_create(actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("Campaign #%(id)s started: %(n)s subscriptions put on the ladder, %(skipped)s already on it.")
                    % {"id": campaign.pk, "n": campaign.matched - campaign.skipped, "skipped": campaign.skipped},
                )
                return redirect("enforcement:campaign_detail", pk=campaign.pk)
    else:
        form = CampaignForm(initial=CampaignForm.initial_values())
    return render(request, "enforcement/campaigns/campaign_form.html", {"form": form}, status=status)


@require_POST
@login_required
@people_only
@permission_required(CLOSE_PERMISSION, raise_exception=True)
def campaign_close(request, pk):
    campaign = selectors.campaign_get(user=request.user, pk=pk)
    try:
        services.campaign_close(campaign=campaign, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Campaign #%(id)s closed.") % {"id": campaign.pk})
    return redirect("enforcement:campaign_detail", pk=campaign.pk)


@require_POST
@login_required
@people_only
@permission_required(WITHDRAW_PERMISSION, raise_exception=True)
def campaign_withdraw(request, pk):
    campaign = selectors.campaign_get(user=request.user, pk=pk)
    form = WithdrawForm(request.POST)
    if form.is_valid():
        try:
            campaign = services.campaign_withdraw(
                campaign=campaign, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            if not hasattr(exc, "error_dict"):  # no longer open: said on the page it comes back to
                messages.error(request, " ".join(exc.messages))
                return redirect("enforcement:campaign_detail", pk=campaign.pk)
            add_errors(form, exc)
        else:
            messages.success(request, _("Campaign #%(id)s withdrawn: its open cases are closed.") % {"id": campaign.pk})
            return redirect("enforcement:campaign_detail", pk=campaign.pk)
    return _detail(request, campaign, withdraw_form=form, status=400)
