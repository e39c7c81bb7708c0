"""Sections other apps' pages load as htmx fragments: a point's and an agent's inspections, the
dashboard's late work."""

from django.shortcuts import render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_safe

from agents import selectors as agent_selectors

from .. import escalation, selectors
from ._common import ADD_TASK, APPROVE, VIEW_TASK, staff

HOME_ROWS = 10

RISK_INCLUDE = "inspections/_risk_factors.html"


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


@require_safe
@staff(VIEW_TASK)
def point_section(request, pk):
    point = agent_selectors.point_get(user=request.user, pk=pk)
    data = selectors.point_section(user=request.user, point=point)
    return render(request, "inspections/sections/inspections.html", _section_context(request, data, point, "point"))


@require_safe
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


@require_safe
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
    path("sections/points/<int:pk>/", point_section, name="point_section"),
    path("sections/agents/<int:pk>/", agent_section, name="agent_section"),
    path("sections/home/", home_section, name="home_section"),
]
