"""Findings: the list and one finding's page (with its sanctions and corrective actions)."""

from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_safe

from .. import selectors
from ..filters import FindingFilter
from ..models import (
    FindingStatus,
)
from ._common import ADD_ACTION, PROPOSE, VIEW_FINDING, filtered_list, staff


@require_safe
@staff(VIEW_FINDING)
def finding_list(request):
    data = request.GET
    if not set(data) & set(FindingFilter.base_filters):
        # no filter chosen (a next-page link carries only its cursor): the open findings
        data = {**data.dict(), "status": FindingStatus.OPEN}
    filterset = FindingFilter(
        data,
        queryset=selectors.finding_list(user=request.user),
        request=request,
    )
    return filtered_list(
        request, filterset=filterset, template="inspections/office/finding_list.html", sort="-created_at"
    )


@require_safe
@staff(VIEW_FINDING)
def finding_detail(request, pk):
    finding = selectors.finding_get(user=request.user, pk=pk)
    return render(
        request,
        "inspections/office/finding_detail.html",
        {
            "finding": finding,
            "sanctions": selectors.sanction_list(user=request.user).filter(finding=finding),
            "actions": selectors.action_list(user=request.user).filter(finding=finding),
            "can_propose": request.user.has_perm(PROPOSE),
            "can_add_action": request.user.has_perm(ADD_ACTION) and finding.status == FindingStatus.OPEN,
            "today": timezone.localdate(),
        },
    )


urlpatterns = [
    path("findings/", finding_list, name="finding_list"),
    path("findings/<int:pk>/", finding_detail, name="finding_detail"),
]
