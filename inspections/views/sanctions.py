"""Sanctions: proposed on a finding by an officer, approved or rejected by another manager."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from core.web import add_errors

from .. import selectors
from ..filters import SanctionFilter
from ..forms.office import (
    DecisionForm,
    SanctionProposeForm,
)
from ..models import (
    SanctionStatus,
)
from ..services import sanctions as sanction_services
from ._common import APPROVE, PROPOSE, VIEW_FINDING, VIEW_SANCTION, filtered_list, staff


@staff(VIEW_FINDING, PROPOSE)
def sanction_propose(request, pk):
    finding = selectors.finding_get(user=request.user, pk=pk)
    form = SanctionProposeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            sanction = sanction_services.sanction_propose(
                finding=finding,
                sanction_type=data["sanction_type"],
                amount_vnd=data["amount_vnd"],
                note=data["note"],
                actor=request.user,
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("Sanction #%(id)s proposed: a manager decides on it.") % {"id": sanction.pk})
            return redirect("inspections:sanction_detail", pk=sanction.pk)
    return render(
        request,
        "inspections/office/sanction_form.html",
        {"finding": finding, "form": form},
        status=400 if form.errors else 200,
    )


@require_safe
@staff(VIEW_SANCTION)
def sanction_list(request):
    filterset = SanctionFilter(request.GET, queryset=selectors.sanction_list(user=request.user), request=request)
    return filtered_list(
        request, filterset=filterset, template="inspections/office/sanction_list.html", sort="-proposed_at"
    )


def _sanction_page(request, sanction, *, form=None, status=200):
    can_decide = request.user.has_perm(APPROVE) and sanction.status == SanctionStatus.PROPOSED
    return render(
        request,
        "inspections/office/sanction_detail.html",
        {
            "sanction": sanction,
            "can_decide": can_decide,
            "own_proposal": sanction.proposed_by_id == request.user.pk,
            "form": form or DecisionForm(),
        },
        status=status,
    )


@require_safe
@staff(VIEW_SANCTION)
def sanction_detail(request, pk):
    return _sanction_page(request, selectors.sanction_get(user=request.user, pk=pk))


@require_POST
@staff(VIEW_SANCTION, APPROVE)
def sanction_decide(request, pk, decision):
    sanction = selectors.sanction_get(user=request.user, pk=pk)
    form = DecisionForm(request.POST)
    if decision not in ("approve", "reject"):
        raise Http404
    if form.is_valid():
        note = form.cleaned_data["note"]
        try:
            if decision == "approve":
                sanction_services.sanction_approve(sanction=sanction, actor=request.user, note=note)
                messages.success(request, _("Sanction #%(id)s approved and applied.") % {"id": sanction.pk})
            else:
                sanction_services.sanction_reject(sanction=sanction, actor=request.user, reason=note)
                messages.success(request, _("Sanction #%(id)s rejected.") % {"id": sanction.pk})
        except ValidationError as exc:
            add_errors(form, exc, aliases={"reason": "note"})
        else:
            return redirect("inspections:sanction_detail", pk=sanction.pk)
    return _sanction_page(request, sanction, form=form, status=400)


urlpatterns = [
    path("findings/<int:pk>/sanction/", sanction_propose, name="sanction_propose"),
    path("sanctions/", sanction_list, name="sanction_list"),
    path("sanctions/<int:pk>/", sanction_detail, name="sanction_detail"),
    path("sanctions/<int:pk>/<str:decision>/", sanction_decide, name="sanction_decide"),
]
