"""One task's page and what staff do on it: assign, unassign, cancel, review the submitted report."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST, require_safe

from core.web import add_errors

from .. import selectors
from ..forms.office import (
    AssignForm,
    ReasonForm,
    ReviewForm,
)
from ..models import (
    CorrectiveAction,
    TaskStatus,
)
from ..services import integrity as integrity_services
from ..services import review as review_services
from ..services import tasks as task_services
from ._common import ADD_ACTION, CHANGE_TASK, PROPOSE, REVIEW, VIEW_TASK, staff

# How far from the point a check-in may be before the page warns (metres)
DISTANCE_WARNING_M = 200


def _task_context(request, task, **forms) -> dict:
    user = request.user
    report = selectors.task_report(task)
    photos_by_item, loose_photos = {}, []
    if report is not None:
        for photo in report.photos.all():
            if photo.item_id:
                photos_by_item.setdefault(photo.item_id, []).append(photo)
            else:
                loose_photos.append(photo)
    verifies = list(CorrectiveAction.objects.filter(follow_up_task=task).select_related("finding").order_by("id"))
    assignable = task.status in (TaskStatus.PLANNED, TaskStatus.ASSIGNED)
    context = {
        "task": task,
        "report": report,
        "answers": [(a, photos_by_item.get(a.item_id, [])) for a in report.answers.all()] if report else [],
        "loose_photos": loose_photos,
        "far": report is not None
        and report.checkin_distance_m is not None
        and report.checkin_distance_m > DISTANCE_WARNING_M,
        "distance_warning_m": DISTANCE_WARNING_M,
        "events": selectors.task_events(task),
        "flags": task.flags.select_related("rule").order_by("-last_seen"),
        "findings": selectors.task_findings(task),
        "verifies": verifies,
        "overdue": task.is_overdue(),
        "can_assign": user.has_perm(REVIEW) and assignable,
        "can_unassign": user.has_perm(REVIEW) and task.status == TaskStatus.ASSIGNED,
        "can_cancel": user.has_perm(CHANGE_TASK)
        and task.status in (TaskStatus.PLANNED, TaskStatus.ASSIGNED, TaskStatus.IN_PROGRESS),
        "can_review": user.has_perm(REVIEW) and task.status == TaskStatus.SUBMITTED and report is not None,
        "can_propose": user.has_perm(PROPOSE),
        "can_add_action": user.has_perm(ADD_ACTION),
    }
    # the reviewer's "Visit integrity" panel, once the inspector has sent the report
    if report is not None and report.submitted_at is not None:
        report.task = task
        context["integrity"] = integrity_services.visit_integrity(report, user=user)
    if context["can_assign"]:
        eligible = selectors.with_workload(selectors.inspectors(province=task.point.province_id), user=user)
        context["assign_form"] = forms.get("assign_form") or AssignForm(
            inspectors=eligible, initial={"inspector": task.inspector_id}
        )
    if context["can_review"]:
        context["review_form"] = forms.get("review_form") or ReviewForm(actions=_verifiable(task))
    return context


def _verifiable(task):
    return CorrectiveAction.objects.filter(follow_up_task=task).order_by("id")


@require_safe
@staff(VIEW_TASK)
def task_detail(request, pk):
    task = selectors.task_get(user=request.user, pk=pk)
    return render(request, "inspections/office/task_detail.html", _task_context(request, task))


@require_POST
@staff(VIEW_TASK, REVIEW)
def task_assign(request, pk):
    task = selectors.task_get(user=request.user, pk=pk)
    eligible = selectors.with_workload(selectors.inspectors(province=task.point.province_id), user=request.user)
    form = AssignForm(request.POST, inspectors=eligible)
    if form.is_valid():
        try:
            task_services.task_assign(task=task, inspector=form.cleaned_data["inspector"], actor=request.user)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(
                request,
                _("Task #%(id)s assigned to %(user)s.") % {"id": task.pk, "user": form.cleaned_data["inspector"]},
            )
            return redirect("inspections:task_detail", pk=task.pk)
    task.refresh_from_db()
    return render(
        request, "inspections/office/task_detail.html", _task_context(request, task, assign_form=form), status=400
    )


@require_POST
@staff(VIEW_TASK, REVIEW)
def task_unassign(request, pk):
    task = selectors.task_get(user=request.user, pk=pk)
    try:
        task_services.task_unassign(task=task, actor=request.user, reason=request.POST.get("reason", "").strip())
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Task #%(id)s is unassigned.") % {"id": task.pk})
    return redirect("inspections:task_detail", pk=task.pk)


@staff(VIEW_TASK, CHANGE_TASK)
def task_cancel(request, pk):
    task = selectors.task_get(user=request.user, pk=pk)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            task_services.task_cancel(task=task, actor=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("Task #%(id)s is cancelled.") % {"id": task.pk})
            return redirect("inspections:task_detail", pk=task.pk)
    return render(
        request,
        "inspections/office/task_cancel.html",
        {"task": task, "form": form},
        status=400 if form.errors else 200,
    )


@require_POST
@staff(VIEW_TASK, REVIEW)
def task_review(request, pk):
    """Accept (findings, verification of a follow-up's actions) or return to the inspector."""
    task = selectors.task_get(user=request.user, pk=pk)
    form = ReviewForm(request.POST, actions=_verifiable(task))
    if form.is_valid():
        data = form.cleaned_data
        try:
            if data["decision"] == ReviewForm.RETURN:
                review_services.report_return(task=task, actor=request.user, reason=data["note"])
                messages.success(request, _("Returned to the inspector: it is back on their phone."))
            else:
                findings = review_services.report_accept(
                    task=task,
                    actor=request.user,
                    note=data["note"],
                    verified_actions=data["verified"] if "verified" in form.fields else None,
                )
                messages.success(
                    request,
                    ngettext(
                        "Report accepted: %(n)d finding recorded.",
                        "Report accepted: %(n)d findings recorded.",
                        len(findings),
                    )
                    % {"n": len(findings)},
                )
        except ValidationError as exc:
            add_errors(form, exc, aliases={"reason": "note"})
        else:
            return redirect("inspections:task_detail", pk=task.pk)
    task.refresh_from_db()
    return render(
        request, "inspections/office/task_detail.html", _task_context(request, task, review_form=form), status=400
    )


urlpatterns = [
    path("tasks/<int:pk>/", task_detail, name="task_detail"),
    path("tasks/<int:pk>/assign/", task_assign, name="task_assign"),
    path("tasks/<int:pk>/unassign/", task_unassign, name="task_unassign"),
    path("tasks/<int:pk>/cancel/", task_cancel, name="task_cancel"),
    path("tasks/<int:pk>/review/", task_review, name="task_review"),
]
