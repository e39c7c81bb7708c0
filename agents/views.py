"""Pages for compliance staff: thin views over selectors, forms and services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from core.decorators import people_only
from core.models import ImportJob
from core.pagination import keyset_paginate
from core.web import add_errors, csv_export

from . import importers, selectors, services
from .blacklist import selectors as blacklist_selectors
from .blacklist import services as blacklist_services
from .blacklist.keys import masked_owner
from .filters import AgentFilter, PointFilter
from .forms import AgentForm, ImportForm, PointForm, StatusActionForm
from .models import Agent

AGENT_SORTS = ("code", "-code", "name", "-name", "-risk_score", "risk_score", "-updated_at")
POINT_SORTS = AGENT_SORTS
PAGE_SIZE = 50


def _list(request, *, filter_class, queryset, sorts, template, extra=None):
    filterset = filter_class(request.GET, queryset=queryset, request=request)
    page = keyset_paginate(filterset.qs, request.GET, size=PAGE_SIZE, sort_options=sorts, default_sort="code")
    for obj in page.items:
        if isinstance(obj, Agent):
            obj.parent_code_shown = selectors.visible_parent_code(obj, user=request.user)
    context = {"filter": filterset, "page": page, "sorts": sorts, **(extra or {})}
    if request.headers.get("HX-Request"):  # htmx filter/sort/pager: only the table
        return render(request, template.replace(".html", "_rows.html"), context)
    return render(request, template, context)


@require_safe
@login_required
@people_only
@permission_required("agents.view_agent", raise_exception=True)
def agent_list(request):
    return _list(
        request,
        filter_class=AgentFilter,
        queryset=selectors.agent_rows(user=request.user),
        sorts=AGENT_SORTS,
        template="agents/agent_list.html",
    )


@require_safe
@login_required
@people_only
@permission_required("agents.view_registrationpoint", raise_exception=True)
def point_list(request):
    return _list(
        request,
        filter_class=PointFilter,
        queryset=selectors.point_rows(user=request.user),
        sorts=POINT_SORTS,
        template="agents/point_list.html",
    )


@require_safe
@login_required
@people_only
@permission_required("agents.view_agent", raise_exception=True)
def agent_detail(request, pk):
    agent = selectors.agent_get(user=request.user, pk=pk)
    points = selectors.point_list(user=request.user).filter(agent=agent)
    # the whole dealer tree (issue 13): a parent whose sub-agents hold the points is not "0 points"
    tree = selectors.agent_tree_ids([agent.pk])
    tree_points = selectors.point_list(user=request.user).filter(agent_id__in=tree)
    return render(
        request,
        "agents/agent_detail.html",
        {
            "agent": agent,
            "parent": selectors.visible_parent(agent, user=request.user),
            "points": points.order_by("code")[:50],
            "point_count": points.count(),
            "tree_point_count": tree_points.count() if len(tree) > 1 else None,
            "sub_agent_count": selectors.agent_list(user=request.user).filter(pk__in=tree).exclude(pk=agent.pk).count(),
            "children": selectors.agent_list(user=request.user).filter(parent=agent).order_by("code")[:50],
            "history": selectors.status_history(agent)[:100],
            "action_form": StatusActionForm(),
            "owner_doc": masked_owner(agent.owner_id_doc_type, agent.owner_id_doc_number),
            "blacklist_entries": (
                blacklist_selectors.agent_entries(user=request.user, agent=agent)
                if request.user.has_perm(blacklist_services.VIEW_PERMISSION)
                else []
            ),
            "can_blacklist": blacklist_services.may_add(request.user),
        },
    )


@require_safe
@login_required
@people_only
@permission_required("agents.view_registrationpoint", raise_exception=True)
def point_detail(request, pk):
    point = selectors.point_get(user=request.user, pk=pk)
    agent_visible = selectors.agent_list(user=request.user).filter(pk=point.agent_id).exists()
    return render(
        request,
        "agents/point_detail.html",
        {
            "point": point,
            "agent_visible": agent_visible,
            "history": selectors.status_history(point)[:100],
            "action_form": StatusActionForm(),
            "owner_doc": masked_owner(point.owner_id_doc_type, point.owner_id_doc_number),
        },
    )


def _edit(request, *, form_class, instance, create, update, template, kind):
    form = form_class(request.POST or None, instance=instance, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            if instance is None:
                obj = create(actor=request.user, **form.service_data())
                messages.success(request, _("Created %(obj)s.") % {"obj": obj})
            else:
                # a fresh copy: the form has already written its values onto `instance`
                fresh = type(instance).objects.get(pk=instance.pk)
                obj = update(actor=request.user, **{kind: fresh}, **form.service_data())
                messages.success(request, _("Saved %(obj)s.") % {"obj": obj})
            return redirect(f"agents:{kind}_detail", pk=obj.pk)
        except ValidationError as exc:
            add_errors(form, exc)
    return render(request, template, {"form": form, "object": instance})


@login_required
@people_only
@permission_required("agents.add_agent", raise_exception=True)
def agent_create(request):
    return _edit(
        request,
        form_class=AgentForm,
        instance=None,
        create=services.agent_create,
        update=None,
        template="agents/agent_form.html",
        kind="agent",
    )


@login_required
@people_only
@permission_required("agents.change_agent", raise_exception=True)
def agent_edit(request, pk):
    agent = selectors.agent_get(user=request.user, pk=pk)
    return _edit(
        request,
        form_class=AgentForm,
        instance=agent,
        create=None,
        update=services.agent_update,
        template="agents/agent_form.html",
        kind="agent",
    )


@login_required
@people_only
@permission_required("agents.add_registrationpoint", raise_exception=True)
def point_create(request):
    return _edit(
        request,
        form_class=PointForm,
        instance=None,
        create=services.point_create,
        update=None,
        template="agents/point_form.html",
        kind="point",
    )


@login_required
@people_only
@permission_required("agents.change_registrationpoint", raise_exception=True)
def point_edit(request, pk):
    point = selectors.point_get(user=request.user, pk=pk)
    return _edit(
        request,
        form_class=PointForm,
        instance=point,
        create=None,
        update=services.point_update,
        template="agents/point_form.html",
        kind="point",
    )


STATUS_SERVICES = {
    "agent": {
        "suspend": services.agent_suspend,
        "reinstate": services.agent_reinstate,
        "terminate": services.agent_terminate,
    },
    "point": {
        "suspend": services.point_suspend,
        "reinstate": services.point_reinstate,
        "terminate": services.point_terminate,
    },
}


def _status_action(request, *, kind, obj, action):
    if action not in STATUS_SERVICES[kind]:
        raise Http404
    form = StatusActionForm(request.POST or None, initial={"action": action, "include_points": True})
    if request.method == "POST" and form.is_valid():
        kwargs = {kind: obj, "reason": form.cleaned_data["reason"], "actor": request.user}
        if kind == "agent" and action != "reinstate":
            kwargs["include_points"] = form.cleaned_data["include_points"]
        try:
            followed = STATUS_SERVICES[kind][action](**kwargs)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            obj.refresh_from_db()
            msg = _("%(obj)s is now %(status)s.") % {"obj": obj, "status": obj.get_status_display().lower()}
            if followed:
                msg += " " + _("%(n)d of its points followed.") % {"n": followed}
            messages.success(request, msg)
            return redirect(f"agents:{kind}_detail", pk=obj.pk)
    return render(
        request,
        "agents/status_action.html",
        {
            "form": form,
            "object": obj,
            "kind": kind,
            "action": action,
            "active_points": obj.points.filter(status="ACTIVE").count() if kind == "agent" else 0,
        },
    )


@login_required
@people_only
@permission_required("agents.change_agent_status", raise_exception=True)
def agent_status(request, pk, action):
    return _status_action(request, kind="agent", obj=selectors.agent_get(user=request.user, pk=pk), action=action)


@login_required
@people_only
@permission_required("agents.change_agent_status", raise_exception=True)
def point_status(request, pk, action):
    return _status_action(request, kind="point", obj=selectors.point_get(user=request.user, pk=pk), action=action)


def _export(request, *, filter_class, queryset, columns, row, name):
    filterset = filter_class(request.GET, queryset=queryset, request=request)
    return csv_export(
        actor=request.user,
        name=name,
        object_type=f"agents.{name}",
        filters=request.GET,
        columns=columns,
        rows=(row(obj) for obj in filterset.qs.order_by("code").iterator(chunk_size=2000)),
    )


def _d(value):
    return "" if value is None else value.isoformat() if hasattr(value, "isoformat") else str(value)


@require_safe
@login_required
@people_only
@permission_required("agents.view_agent", raise_exception=True)
def agent_export(request):
    return _export(
        request,
        filter_class=AgentFilter,
        queryset=selectors.agent_list(user=request.user),
        name="agents",
        columns=[*importers.AGENT_COLUMNS, "risk_score", "risk_tier"],
        row=lambda a: [
            a.code,
            a.name,
            a.kind,
            selectors.visible_parent_code(a, user=request.user),
            a.tax_code,
            a.phone,
            a.province_id,
            a.status,
            a.contract_no,
            _d(a.authorised_from),
            _d(a.authorised_until),
            a.risk_score,
            a.risk_tier,
        ],
    )


@require_safe
@login_required
@people_only
@permission_required("agents.view_registrationpoint", raise_exception=True)
def point_export(request):
    return _export(
        request,
        filter_class=PointFilter,
        queryset=selectors.point_list(user=request.user),
        name="points",
        columns=[*importers.POINT_COLUMNS, "risk_score", "risk_tier", "last_inspection_on", "next_inspection_on"],
        row=lambda p: [
            p.code,
            p.agent.code,
            p.name,
            p.kind,
            p.address,
            p.province_id,
            _d(p.latitude),
            _d(p.longitude),
            p.opens_at.strftime("%H:%M") if p.opens_at else "",
            p.closes_at.strftime("%H:%M") if p.closes_at else "",
            p.status,
            _d(p.authorised_from),
            _d(p.authorised_until),
            p.risk_score,
            p.risk_tier,
            _d(p.last_inspection_on),
            _d(p.next_inspection_on),
        ],
    )


IMPORT_PERMISSION = "agents.import_agents"


def _team_jobs(request):
    """The agents/points jobs named in ?jobs=1,2 that the user may see (the team's, scoped by province:
    ImportJob.objects.for_user); one out of reach reads as none."""
    ids = [int(i) for i in request.GET.get("jobs", "").split(",") if i.isdigit()][:10]
    jobs = list(ImportJob.objects.for_user(request.user).filter(pk__in=ids, kind__in=services.IMPORT_KINDS))
    if services.import_jobs_mark_abandoned(jobs):
        jobs = list(ImportJob.objects.filter(pk__in=[j.pk for j in jobs]))
    return sorted(jobs, key=lambda j: j.pk)


def _progress_context(request) -> dict:
    jobs = _team_jobs(request)
    for job in jobs:  # the first rejected rows with their reasons, on the page (all of them in the CSV)
        job.reject_sample, job.more_rejects = selectors.import_job_rejects_sample(job)
    polling = any(not job.is_finished for job in jobs)
    return {"jobs": jobs, "query": ",".join(str(job.pk) for job in jobs), "polling": polling}


@login_required
@permission_required(IMPORT_PERMISSION, raise_exception=True)
def import_upload(request):
    """Store the files and queue their import (agents first, then points: points whose agent is in the same
    upload import in one go); the result page follows the jobs."""
    form = ImportForm(request.POST, request.FILES) if request.method == "POST" else ImportForm()
    if request.method == "POST" and form.is_valid():
        jobs = services.import_jobs_submit(uploads=form.uploads(), actor=request.user)
        return redirect(f"{reverse('agents:import_result')}?jobs={','.join(str(j.pk) for j in jobs)}")
    recent = list(
        ImportJob.objects.for_user(request.user)
        .filter(kind__in=services.IMPORT_KINDS)
        .select_related("created_by")[:10]
    )
    services.import_jobs_mark_abandoned(recent)
    return render(request, "agents/import.html", {"form": form, "recent": recent})


@require_safe
@login_required
@permission_required(IMPORT_PERMISSION, raise_exception=True)
def import_result(request):
    return render(request, "agents/import_result.html", _progress_context(request))


@require_safe
@login_required
@permission_required(IMPORT_PERMISSION, raise_exception=True)
def import_progress(request):
    """The jobs' fragment; it polls itself every second until every job is done or failed."""
    return render(request, "agents/_import_progress.html", _progress_context(request))


@require_safe
@login_required
@permission_required(IMPORT_PERMISSION, raise_exception=True)
def import_rejects(request, pk):
    job = ImportJob.objects.for_user(request.user).filter(pk=pk, kind__in=services.IMPORT_KINDS).first()
    if job is None or not job.rejects_file:
        raise Http404
    return FileResponse(job.rejects_file.open("rb"), as_attachment=True, filename=f"{job.file_name}.rejects.csv")
