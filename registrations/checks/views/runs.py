"""Check-run pages: the runs (status, trigger, who, per-rule counts and timings), "Run now", and one run
with a live progress bar per rule (an htmx fragment polled while the run is in progress)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from core.decorators import people_only
from core.pagination import keyset_paginate
from core.runs import QueueUnavailable, queue_unavailable_message
from core.scoping import province_scope
from core.templatetags.display import when

from ...models import CheckRun, Flag, FlagStatus
from .. import selectors, services

VIEW_CHECKRUN = "registrations.view_checkrun"
PAGE_SIZE = 25
# what registrations.checks records per rule: subjects flagged now, and how the flags moved
RESULT_COUNTS = ("flagged", "new", "reopened", "still_open", "resolved")


@require_safe
@login_required
@people_only
@permission_required(VIEW_CHECKRUN, raise_exception=True)
def checkrun_list(request):
    page = keyset_paginate(selectors.checkrun_list(), request.GET, size=PAGE_SIZE)
    # A run's counts cover every province: a user limited to some provinces does not see them.
    every_province = province_scope(request.user) is None
    for run in page.items:
        run.totals = _totals(run) if every_province else None
    context = {
        "page": page,
        "every_province": every_province,
        "running": services.running_check_run(),
        "can_run": request.user.has_perm(services.RUN_CHECKS_PERMISSION),
    }
    if request.headers.get("HX-Request"):
        return render(request, "registrations/checkrun_list_rows.html", context)
    return render(request, "registrations/checkrun_list.html", context)


@require_POST
@login_required
@people_only
@permission_required(VIEW_CHECKRUN, raise_exception=True)
@permission_required(services.RUN_CHECKS_PERMISSION, raise_exception=True)
def checkrun_start(request):
    """Queue a run of every enabled rule; while one is in progress, say so and show it instead."""
    asked_at = timezone.now()
    try:
        services.checks_run_now(actor=request.user)
    except services.ChecksAlreadyRunning as exc:
        messages.warning(
            request,
            _("A check run is already in progress (#%(id)d, started %(at)s): follow it here.")
            % {"id": exc.run.pk, "at": when(exc.run.started_at)},
        )
        return redirect("registrations:checkrun_detail", pk=exc.run.pk)
    except QueueUnavailable:
        messages.error(request, queue_unavailable_message())
        return redirect("registrations:checkrun_list")
    # Run in-process (no worker configured), the run is already there; with a worker it starts shortly.
    mine = selectors.checkrun_list().filter(started_by=request.user, started_at__gte=asked_at).first()
    if mine is not None:
        return redirect("registrations:checkrun_detail", pk=mine.pk)
    messages.success(request, _("The checks are queued; the run appears below when a worker starts it."))
    return redirect("registrations:checkrun_list")


def _totals(run: CheckRun) -> dict:
    results = (run.results or {}).values()
    return {key: sum(r.get(key) or 0 for r in results) for key in RESULT_COUNTS}


def _run_context(run: CheckRun, user, can_run: bool = False) -> dict:
    """A run's progress per rule. Its counts (flagged, new, resolved, rows scanned) cover every province,
    so a user limited to some provinces sees instead the flags open in its provinces now, per rule."""
    every_province = province_scope(user) is None
    in_scope = {}
    if not every_province:
        live = Flag.objects.for_user(user).filter(
            rule__code__in=run.rule_codes or [], status__in=(FlagStatus.OPEN, FlagStatus.CONFIRMED)
        )
        in_scope = {row["code"]: row["n"] for row in selectors.rule_counts(live)}
    rows = []
    for code in run.rule_codes or []:
        result = (run.results or {}).get(code) or {"status": "pending"}
        row = {"code": code, "status": result.get("status"), "error": result.get("error", "")}
        if every_province:
            row.update(result)
        else:
            row["open_in_scope"] = in_scope.get(code, 0)
        rows.append(row)
    done = sum(1 for row in rows if row["status"] in ("done", "failed"))
    stale = services.CHECK_RUNS.is_stale(run)
    return {
        "run": run,
        "rows": rows,
        "done": done,
        "total": len(rows),
        "stale": stale,
        "every_province": every_province,
        "can_run": can_run,
    }


@require_safe
@login_required
@people_only
@permission_required(VIEW_CHECKRUN, raise_exception=True)
def checkrun_detail(request, pk):
    run = selectors.checkrun_get(pk=pk)
    can_run = request.user.has_perm(services.RUN_CHECKS_PERMISSION)
    return render(request, "registrations/checkrun_detail.html", _run_context(run, request.user, can_run))


@require_safe
@login_required
@people_only
@permission_required(VIEW_CHECKRUN, raise_exception=True)
def checkrun_progress(request, pk):
    """The progress fragment; htmx polls it every 2 seconds until the run has finished."""
    run = selectors.checkrun_get(pk=pk)
    can_run = request.user.has_perm(services.RUN_CHECKS_PERMISSION)
    return render(request, "registrations/_checkrun_progress.html", _run_context(run, request.user, can_run))
