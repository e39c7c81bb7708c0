"""The dashboard page: thin, the figures come from selectors.dashboard."""

from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import render
from django.views.decorators.http import require_safe

from core.decorators import people_only
from core.models import Province
from core.scoping import province_scope

from . import charts, selectors


@require_safe
@login_required
@people_only
@permission_required("core.view_dashboard", raise_exception=True)
def dashboard(request):
    context = selectors.dashboard(user=request.user)
    context["charts"] = [charts.bar_chart(chart) for chart in context["charts"]]
    scope = province_scope(request.user)
    context["scope_provinces"] = None if scope is None else Province.objects.filter(code__in=scope).order_by("name")
    return render(request, "reports/dashboard/dashboard.html", context)
