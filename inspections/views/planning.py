"""The planning page (filters, the inspectors' workload, assigning in bulk) and making tasks: by hand,
from a flag, or one per point of a filtered points list."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST, require_safe

from agents import selectors as agent_selectors
from agents.filters import PointFilter
from agents.models import Status
from core.renderers import cache_select
from core.web import add_errors
from registrations.checks import selectors as flag_selectors

from .. import selectors
from ..filters import TaskFilter
from ..forms.office import (
    BulkAssignForm,
    BulkTaskForm,
    TaskCreateForm,
    TaskDueForm,
)
from ..models import (
    OPEN_TASK_STATUSES,
    RiskPolicy,
)
from ..services import tasks as task_services
from ._common import ADD_TASK, PAGE_SIZE, REVIEW, VIEW_TASK, default_due, next_url, staff


def _workload(user):
    # the table shows names and counts: not every column of each account
    inspectors = selectors.inspectors(user=user).only("username", "first_name", "last_name")
    return selectors.with_workload(inspectors, user=user)


@require_safe
@staff(VIEW_TASK)
def task_list(request):
    """The planning page: filters, unassigned tasks first then by due date, the inspectors' workload."""
    filterset = TaskFilter(request.GET, queryset=selectors.planning_rows(user=request.user), request=request)
    results = filterset.qs if filterset.is_valid() else filterset.queryset.none()
    context = {
        "filter": filterset,
        "page": selectors.planning_page(results, request.GET, size=PAGE_SIZE),
        "count": results.count(),
        "today": timezone.localdate(),
        "can_assign": request.user.has_perm(REVIEW),
        "queue_path": request.get_full_path(),
        # each row's tick box label, translated once (rows.with_id), not a {% blocktranslate %} per row
        "tick_label": _("Tick task %(id)s"),
    }
    if request.headers.get("HX-Request"):
        return render(request, "inspections/office/task_list_rows.html", context)
    context["workload"] = list(_workload(request.user))
    # the inspector filter offers the same accounts as the workload table, in the same order: its options from
    # those rows rather than a second query of them (issue 15); a chosen one is still validated by its queryset
    inspector = filterset.form.fields.get("inspector")
    if inspector is not None:
        inspector.widget.choices = [("", inspector.empty_label), *((u.pk, str(u)) for u in context["workload"])]
        cache_select(inspector.widget)  # the same accounts on every page: written once, not per request
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
    back = next_url(request, reverse("inspections:task_list"))
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


@staff(VIEW_TASK, ADD_TASK)
def task_create(request):
    initial = {"due_date": default_due(7), "point_code": request.GET.get("point", "")}
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
        "due_date": default_due(policy.risk_task_due_days),
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
    form = BulkTaskForm(request.POST or None, initial={"due_date": default_due(14)})
    result = None
    if request.method == "POST" and form.is_valid():
        # over the limit, the service's refusal is the one to show
        if counts["new"] == 0 and counts["points"] <= task_services.BULK_LIMIT:
            form.add_error(None, _("No point of this list needs a new task."))
        else:
            data = form.cleaned_data
            try:
                result = task_services.tasks_create_bulk(
                    points=matching.order_by("code"),
                    kind=data["kind"],
                    due_date=data["due_date"],
                    reason=data["reason"].strip(),
                    actor=request.user,
                )
            except ValidationError as exc:
                add_errors(form, exc)
    return render(
        request,
        "inspections/office/task_bulk.html",
        {
            "filter": points,
            "counts": counts,
            "form": form,
            "result": result,
            "limit": task_services.BULK_LIMIT,
            "filter_query": request.GET.urlencode(),
            "sample": list(matching.order_by("code")[:10]),
        },
    )


urlpatterns = [
    path("", task_list, name="task_list"),
    path("tasks/assign/", task_assign_bulk, name="task_assign_bulk"),
    path("tasks/new/", task_create, name="task_create"),
    path("tasks/from-flag/<int:flag_id>/", task_create_from_flag, name="task_create_from_flag"),
    path("tasks/bulk/", task_bulk_create, name="task_bulk_create"),
]
