"""Corrective actions: made on a finding, evidence uploaded, the evidence file streamed to staff."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from core.web import add_errors

from .. import selectors
from ..filters import ActionFilter
from ..forms.office import (
    ActionCreateForm,
    EvidenceForm,
)
from ..services import actions as action_services
from ._common import ADD_ACTION, CHANGE_ACTION, VIEW_ACTION, VIEW_FINDING, default_due, filtered_list, staff


@staff(VIEW_FINDING, ADD_ACTION)
def action_create(request, pk):
    finding = selectors.finding_get(user=request.user, pk=pk)
    form = ActionCreateForm(request.POST or None, initial={"due_date": default_due(30)})
    if request.method == "POST" and form.is_valid():
        try:
            action = action_services.action_create(finding=finding, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("Corrective action #%(id)s recorded.") % {"id": action.pk})
            return redirect("inspections:action_detail", pk=action.pk)
    return render(
        request,
        "inspections/office/action_form.html",
        {"finding": finding, "form": form},
        status=400 if form.errors else 200,
    )


@require_safe
@staff(VIEW_ACTION)
def action_list(request):
    filterset = ActionFilter(request.GET, queryset=selectors.action_list(user=request.user), request=request)
    return filtered_list(
        request,
        filterset=filterset,
        template="inspections/office/action_list.html",
        sort="due_date",
        extra={"today": timezone.localdate()},
    )


@require_safe
@staff(VIEW_ACTION)
def action_detail(request, pk):
    action = selectors.action_get(user=request.user, pk=pk)
    return render(
        request,
        "inspections/office/action_detail.html",
        {
            "action": action,
            "overdue": action.is_overdue(),
            "can_submit": request.user.has_perm(CHANGE_ACTION) and action.status in action_services.EVIDENCE_FROM,
            "evidence_type": action_services.evidence_content_type(action) if action.evidence_file else "",
        },
    )


@staff(VIEW_ACTION, CHANGE_ACTION)
def action_evidence(request, pk):
    action = selectors.action_get(user=request.user, pk=pk)
    form = EvidenceForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            action_services.action_submit_evidence(
                action=action, note=form.cleaned_data["note"], file=form.cleaned_data["file"], actor=request.user
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("Evidence recorded: a follow-up inspection will verify it."))
            return redirect("inspections:action_detail", pk=action.pk)
    return render(
        request,
        "inspections/office/action_evidence.html",
        {"action": action, "form": form},
        status=400 if form.errors else 200,
    )


@require_safe
@staff(VIEW_ACTION)
def action_evidence_file(request, pk):
    """The evidence file, streamed from storage to a user who may see the action (never a public URL)."""
    action = selectors.action_get(user=request.user, pk=pk)
    if not action.evidence_file:
        raise Http404
    content_type = action_services.evidence_content_type(action)
    extension = action_services.EVIDENCE_TYPES.get(content_type, "")
    response = FileResponse(
        action.evidence_file.storage.open(action.evidence_file.name, "rb"),
        content_type=content_type,
        as_attachment=content_type == "application/octet-stream",
        filename=f"evidence-{action.pk}{extension}",
    )
    response["Cache-Control"] = "private, no-store"
    return response


urlpatterns = [
    path("findings/<int:pk>/action/", action_create, name="action_create"),
    path("actions/", action_list, name="action_list"),
    path("actions/<int:pk>/", action_detail, name="action_detail"),
    path("actions/<int:pk>/evidence/", action_evidence, name="action_evidence"),
    path("actions/<int:pk>/evidence/file/", action_evidence_file, name="action_evidence_file"),
]
