"""The compliance staff's pages: planning and assignment, tasks (by hand, from a flag, in bulk), review,
findings, sanctions, corrective actions with evidence, checklists, and the sections on point, agent and home
pages. Thin views: a form, one service or selector, a template."""

import datetime as dt
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from agents import selectors as agent_selectors
from agents.filters import PointFilter
from agents.models import Status
from core.decorators import people_only
from registrations.checks import selectors as flag_selectors

from .. import escalation, selectors
from ..filters import ActionFilter, FindingFilter, SanctionFilter, TaskFilter
from ..forms.office import (
    ActionCreateForm,
    AssignForm,
    BulkAssignForm,
    BulkTaskForm,
    ChecklistItemFormSet,
    ChecklistMetaForm,
    DecisionForm,
    EvidenceForm,
    ReasonForm,
    ReviewForm,
    SanctionProposeForm,
    TaskCreateForm,
    TaskDueForm,
    add_errors,
)
from ..models import (
    OPEN_TASK_STATUSES,
    ChecklistTemplate,
    CorrectiveAction,
    FindingStatus,
    RiskPolicy,
    SanctionStatus,
    TaskStatus,
)
from ..services import actions as action_services
from ..services import checklists as checklist_services
from ..services import review as review_services
from ..services import sanctions as sanction_services
from ..services import tasks as task_services
from ..services.checklists import ITEM_FIELDS

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
HOME_ROWS = 10
# How far from the point a check-in may be before the page warns (metres)
DISTANCE_WARNING_M = 200
# Tasks in bulk: each point is its own transaction with its audit event; beyond this, narrow the filter.
BULK_LIMIT = 500
RISK_INCLUDE = "inspections/_risk_factors.html"


def staff(*perms):
    """Signed in, a person (not an integration account), with every permission in `perms` (else 403)."""

    def decorate(view):
        wrapped = view
        for perm in reversed(perms):
            wrapped = permission_required(perm, raise_exception=True)(wrapped)
        return login_required(people_only(wrapped))

    return decorate


def _next(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


def _paginate(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def _page_query(request) -> str:
    """The current filters without the page number, for the pager's links."""
    return urlencode([(k, v) for k, v in request.GET.items() if k != "page" and v not in ("", None)])


def _list(request, *, filterset, template, extra=None):
    results = filterset.qs if filterset.is_valid() else filterset.queryset.none()
    context = {"filter": filterset, "page_obj": _paginate(request, results), "page_query": _page_query(request)}
    context.update(extra or {})
    if request.headers.get("HX-Request"):  # htmx filters and pager: only the table
        return render(request, template.replace(".html", "_rows.html"), context)
    return render(request, template, context)


# --- planning -----------------------------------------------------------------------------------


def _workload(user):
    return selectors.with_workload(selectors.inspectors(user=user), user=user)


@staff(VIEW_TASK)
def task_list(request):
    """The planning page: filters, unassigned tasks first then by due date, the inspectors' workload."""
    filterset = TaskFilter(request.GET, queryset=selectors.task_list(user=request.user), request=request)
    results = selectors.planning_order(filterset.qs) if filterset.is_valid() else filterset.queryset.none()
    context = {
        "filter": filterset,
        "page_obj": _paginate(request, results),
        "page_query": _page_query(request),
        "today": timezone.localdate(),
        "can_assign": request.user.has_perm(REVIEW),
        "queue_path": request.get_full_path(),
    }
    if request.headers.get("HX-Request"):
        return render(request, "inspections/office/task_list_rows.html", context)
    context["workload"] = list(_workload(request.user))
    context["links"] = _optional_links(
        ("inspections:policy", _("Risk policy")), ("inspections:nightly_list", _("Nightly runs"))
    )
    return render(request, "inspections/office/task_list.html", context)


def _optional_links(*names) -> list[tuple[str, str]]:
    """Links to pages other parts of the app add, when they exist."""
    links = []
    for name, label in names:
        try:
            links.append((reverse(name), label))
        except NoReverseMatch:
            continue
    return links


@require_POST
@staff(VIEW_TASK, REVIEW)
def task_assign_bulk(request):
    back = _next(request, reverse("inspections:task_list"))
    form = BulkAssignForm(
        request.POST,
        tasks=selectors.task_list(user=request.user).filter(status__in=OPEN_TASK_STATUSES),
        inspectors=selectors.inspectors(user=request.user),
    )
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(back)
    result = task_services.tasks_assign_bulk(
        tasks=form.cleaned_data["ids"].order_by("due_date", "id"),
        inspector=form.cleaned_data["inspector"],
        actor=request.user,
    )
    inspector = form.cleaned_data["inspector"].get_username()
    if result["assigned"]:
        n = len(result["assigned"])
        messages.success(
            request,
            ngettext("Assigned %(n)d task to %(user)s.", "Assigned %(n)d tasks to %(user)s.", n)
            % {"n": n, "user": inspector},
        )
    for task, why in result["skipped"]:
        messages.error(
            request, _("Task #%(id)s (%(point)s): %(why)s") % {"id": task.pk, "point": task.point.code, "why": why}
        )
    return redirect(back)


# --- creating tasks -----------------------------------------------------------------------------


def _default_due(days: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=days)


@staff(VIEW_TASK, ADD_TASK)
def task_create(request):
    initial = {"due_date": _default_due(7), "point_code": request.GET.get("point", "")}
    form = TaskCreateForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            task = task_services.task_create(
                point=data["point_code"],
                kind=data["kind"],
                due_date=data["due_date"],
                reason=data["reason"].strip(),
                actor=request.user,
            )
        except task_services.OpenTaskExists as exc:
            messages.info(request, exc.messages[0])
            return redirect("inspections:task_detail", pk=exc.task.pk)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(
                request, _("Task #%(id)s planned for %(point)s.") % {"id": task.pk, "point": task.point.code}
            )
            return redirect("inspections:task_detail", pk=task.pk)
    return render(request, "inspections/office/task_form.html", {"form": form})


@staff(VIEW_TASK, ADD_TASK)
def task_create_from_flag(request, flag_id):
    """A RISK task at the flag's point. If the point already has an open task, the page offers to link the
    flag to it instead (a write, so a POST), and then opens that task."""
    flag = flag_selectors.flag_get(user=request.user, pk=flag_id)
    if flag.point_id is None:
        raise Http404
    existing = task_services.open_task_for(flag.point)
    policy = RiskPolicy.current()
    initial = {
        "due_date": _default_due(policy.risk_task_due_days),
        "reason": _("Flag %(rule)s #%(id)s") % {"rule": flag.rule.code, "id": flag.pk},
    }
    form = TaskDueForm(request.POST or None, initial=initial)
    if request.method == "POST" and (existing is not None or form.is_valid()):
        data = form.cleaned_data if existing is None else {"due_date": existing.due_date, "reason": ""}
        try:
            task = task_services.task_create_from_flag(
                flag=flag, due_date=data["due_date"], reason=data["reason"].strip(), actor=request.user
            )
        except task_services.OpenTaskExists as exc:
            messages.info(
                request,
                _("The point already has an open task: flag #%(flag)s is now linked to task #%(task)s.")
                % {"flag": flag.pk, "task": exc.task.pk},
            )
            return redirect("inspections:task_detail", pk=exc.task.pk)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(
                request, _("Task #%(id)s planned for %(point)s.") % {"id": task.pk, "point": task.point.code}
            )
            return redirect("inspections:task_detail", pk=task.pk)
    return render(request, "inspections/office/task_from_flag.html", {"form": form, "flag": flag, "existing": existing})


@staff(VIEW_TASK, ADD_TASK)
def task_bulk_create(request):
    """Tasks for every point the points list's filters match: a preview (how many, how many already have an
    open task), then one task per point; the result lists what was created and what was skipped."""
    points = PointFilter(request.GET, queryset=agent_selectors.point_list(user=request.user), request=request)
    matching = points.qs if points.is_valid() else points.queryset.none()
    counts = {
        "points": matching.count(),
        "open": matching.filter(inspection_tasks__status__in=OPEN_TASK_STATUSES).distinct().count(),
        "terminated": matching.filter(status=Status.TERMINATED).count(),
    }
    counts["new"] = max(counts["points"] - counts["open"] - counts["terminated"], 0)
    form = BulkTaskForm(request.POST or None, initial={"due_date": _default_due(14)})
    result = None
    if request.method == "POST" and form.is_valid():
        if counts["points"] > BULK_LIMIT:
            form.add_error(
                None,
                _("%(n)d points match: narrow the filter to at most %(max)d.")
                % {"n": counts["points"], "max": BULK_LIMIT},
            )
        elif counts["new"] == 0:
            form.add_error(None, _("No point of this list needs a new task."))
        else:
            data = form.cleaned_data
            result = task_services.tasks_create_bulk(
                points=matching.order_by("code"),
                kind=data["kind"],
                due_date=data["due_date"],
                reason=data["reason"].strip(),
                actor=request.user,
            )
    return render(
        request,
        "inspections/office/task_bulk.html",
        {
            "filter": points,
            "counts": counts,
            "form": form,
            "result": result,
            "limit": BULK_LIMIT,
            "filter_query": request.GET.urlencode(),
            "sample": list(matching.order_by("code")[:10]),
        },
    )


# --- one task -----------------------------------------------------------------------------------


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


# --- findings -----------------------------------------------------------------------------------


@staff(VIEW_FINDING)
def finding_list(request):
    filterset = FindingFilter(
        request.GET or {"status": FindingStatus.OPEN},
        queryset=selectors.finding_list(user=request.user),
        request=request,
    )
    return _list(request, filterset=filterset, template="inspections/office/finding_list.html")


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


# --- sanctions ----------------------------------------------------------------------------------


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


@staff(VIEW_SANCTION)
def sanction_list(request):
    filterset = SanctionFilter(request.GET, queryset=selectors.sanction_list(user=request.user), request=request)
    return _list(request, filterset=filterset, template="inspections/office/sanction_list.html")


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


# --- corrective actions -------------------------------------------------------------------------


@staff(VIEW_FINDING, ADD_ACTION)
def action_create(request, pk):
    finding = selectors.finding_get(user=request.user, pk=pk)
    form = ActionCreateForm(request.POST or None, initial={"due_date": _default_due(30)})
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


@staff(VIEW_ACTION)
def action_list(request):
    filterset = ActionFilter(request.GET, queryset=selectors.action_list(user=request.user), request=request)
    return _list(
        request,
        filterset=filterset,
        template="inspections/office/action_list.html",
        extra={"today": timezone.localdate()},
    )


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


# --- checklists ---------------------------------------------------------------------------------


@staff(VIEW_CHECKLIST)
def checklist_list(request):
    return render(
        request,
        "inspections/office/checklist_list.html",
        {"versions": selectors.checklist_versions(), "can_edit": request.user.has_perm(EDIT_CHECKLIST)},
    )


@staff(VIEW_CHECKLIST)
def checklist_detail(request, pk):
    template = selectors.checklist_versions().filter(pk=pk).first()
    if template is None:
        raise Http404
    return render(
        request,
        "inspections/office/checklist_detail.html",
        {
            "template": template,
            "items": template.items.order_by("position"),
            "report_count": template.reports.count(),
            "can_edit": request.user.has_perm(EDIT_CHECKLIST),
        },
    )


@staff(VIEW_CHECKLIST, EDIT_CHECKLIST)
def checklist_edit(request, pk):
    """The items as a formset (reorder, delete, add); saving makes a new version that becomes the one in use."""
    template = ChecklistTemplate.objects.filter(pk=pk).first()
    if template is None:
        raise Http404
    items = [{f: getattr(i, f) for f in ITEM_FIELDS} for i in template.items.order_by("position")]
    meta = ChecklistMetaForm(request.POST or None, initial={"name": template.name})
    formset = ChecklistItemFormSet(
        request.POST or None, initial=[{**i, "ORDER": n} for n, i in enumerate(items, 1)], prefix="items"
    )
    if request.method == "POST" and meta.is_valid() and formset.is_valid():
        # ordered_forms leaves out deleted rows and the blank extra row
        new_items = [{k: f.cleaned_data.get(k) for k in ITEM_FIELDS} for f in formset.ordered_forms]
        try:
            new = checklist_services.checklist_new_version(
                template=template,
                items=new_items,
                name=meta.cleaned_data["name"],
                change_note=meta.cleaned_data["change_note"],
                actor=request.user,
            )
        except ValidationError as exc:
            add_errors(meta, exc)
        else:
            messages.success(request, _("Version %(v)d saved and now in use.") % {"v": new.version})
            return redirect("inspections:checklist_detail", pk=new.pk)
    return render(
        request,
        "inspections/office/checklist_edit.html",
        {"template": template, "meta": meta, "formset": formset},
        status=400 if request.method == "POST" else 200,
    )


# --- sections of other apps' pages (htmx fragments) ---------------------------------------------


def _risk_include() -> str | None:
    """The risk factors fragment, once the risk part of the app provides it."""
    try:
        get_template(RISK_INCLUDE)
    except TemplateDoesNotExist:
        return None
    return RISK_INCLUDE


def _section_context(request, data: dict, obj, kind: str) -> dict:
    return {
        **data,
        "obj": obj,
        "kind": kind,
        "risk_include": _risk_include(),
        "can_create": request.user.has_perm(ADD_TASK),
    }


@staff(VIEW_TASK)
def point_section(request, pk):
    point = agent_selectors.point_get(user=request.user, pk=pk)
    data = selectors.point_section(user=request.user, point=point)
    return render(request, "inspections/sections/inspections.html", _section_context(request, data, point, "point"))


@staff(VIEW_TASK)
def agent_section(request, pk):
    agent = agent_selectors.agent_get(user=request.user, pk=pk)
    data = selectors.agent_section(user=request.user, agent=agent)
    return render(request, "inspections/sections/inspections.html", _section_context(request, data, agent, "agent"))


def _first(queryset, limit=HOME_ROWS) -> tuple[list, int]:
    rows = list(queryset[: limit + 1])
    if len(rows) <= limit:
        return rows, len(rows)
    return rows[:limit], queryset.count()


@staff(VIEW_TASK)
def home_section(request):
    """The dashboard's late work: overdue tasks and corrective actions, critical flags nobody reviewed,
    sanctions waiting for a manager."""
    user = request.user
    tasks, task_count = _first(escalation.overdue_tasks(user))
    actions, action_count = _first(escalation.overdue_actions(user))
    context = {
        "tasks": tasks,
        "task_count": task_count,
        "actions": actions,
        "action_count": action_count,
        "today": timezone.localdate(),
        "show_flags": user.has_perm("registrations.view_flag"),
        "show_sanctions": user.has_perm(APPROVE),
    }
    if context["show_flags"]:
        context["flags"], context["flag_count"] = _first(escalation.unreviewed_critical_flags(user))
    if context["show_sanctions"]:
        context["sanctions"], context["sanction_count"] = _first(selectors.sanctions_awaiting_approval(user=user))
    return render(request, "inspections/sections/home.html", context)


urlpatterns = [
    path("", task_list, name="task_list"),
    path("tasks/assign/", task_assign_bulk, name="task_assign_bulk"),
    path("tasks/new/", task_create, name="task_create"),
    path("tasks/from-flag/<int:flag_id>/", task_create_from_flag, name="task_create_from_flag"),
    path("tasks/bulk/", task_bulk_create, name="task_bulk_create"),
    path("tasks/<int:pk>/", task_detail, name="task_detail"),
    path("tasks/<int:pk>/assign/", task_assign, name="task_assign"),
    path("tasks/<int:pk>/unassign/", task_unassign, name="task_unassign"),
    path("tasks/<int:pk>/cancel/", task_cancel, name="task_cancel"),
    path("tasks/<int:pk>/review/", task_review, name="task_review"),
    path("findings/", finding_list, name="finding_list"),
    path("findings/<int:pk>/", finding_detail, name="finding_detail"),
    path("findings/<int:pk>/sanction/", sanction_propose, name="sanction_propose"),
    path("findings/<int:pk>/action/", action_create, name="action_create"),
    path("sanctions/", sanction_list, name="sanction_list"),
    path("sanctions/<int:pk>/", sanction_detail, name="sanction_detail"),
    path("sanctions/<int:pk>/<str:decision>/", sanction_decide, name="sanction_decide"),
    path("actions/", action_list, name="action_list"),
    path("actions/<int:pk>/", action_detail, name="action_detail"),
    path("actions/<int:pk>/evidence/", action_evidence, name="action_evidence"),
    path("actions/<int:pk>/evidence/file/", action_evidence_file, name="action_evidence_file"),
    path("checklists/", checklist_list, name="checklist_list"),
    path("checklists/<int:pk>/", checklist_detail, name="checklist_detail"),
    path("checklists/<int:pk>/edit/", checklist_edit, name="checklist_edit"),
    path("sections/points/<int:pk>/", point_section, name="point_section"),
    path("sections/agents/<int:pk>/", agent_section, name="agent_section"),
    path("sections/home/", home_section, name="home_section"),
]
