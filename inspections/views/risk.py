"""The risk and scheduling policy (read by staff and auditors, changed by managers, with "rescore now") and
the nightly runs (each step's outcome; "Run now" for managers, through the Celery task)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from agents.models import Agent, RegistrationPoint, RiskTier
from core.decorators import people_only
from core.pagination import keyset_paginate
from core.runs import QueueUnavailable, queue_unavailable_message
from core.scoping import province_scope
from core.templatetags.display import count

from .. import nightly, risk, selectors
from ..forms.risk import GROUPS, PolicyForm
from ..models import NightlyRun, RiskPolicy
from ..services import nightly as nightly_services

VIEW_POLICY = "inspections.view_riskpolicy"
CHANGE_POLICY = risk.CHANGE_POLICY_PERMISSION
VIEW_NIGHTLY = "inspections.view_nightlyrun"
RUN_NIGHTLY = nightly_services.RUN_NIGHTLY_PERMISSION
PAGE_SIZE = 30

STEP_LABELS = {
    "checks": gettext_lazy("Checks"),
    "risk": gettext_lazy("Risk scores"),
    "schedule": gettext_lazy("Scheduling"),
    "escalate": gettext_lazy("Escalation"),
    "digest": gettext_lazy("Digest e-mail"),
}
STATUS_LABELS = {
    nightly.PENDING: gettext_lazy("waiting"),
    nightly.RUNNING: gettext_lazy("running"),
    nightly.DONE: gettext_lazy("done"),
    nightly.FAILED: gettext_lazy("failed"),
}
# what each step's summary counts, in words (keys not listed are shown as they are)
SUMMARY_LABELS = {
    "check_run": gettext_lazy("check run"),
    "status": gettext_lazy("status"),
    "rules": gettext_lazy("rules"),
    "flagged": gettext_lazy("flagged"),
    "new": gettext_lazy("new flags"),
    "reopened": gettext_lazy("reopened"),
    "resolved": gettext_lazy("resolved"),
    "points": gettext_lazy("points"),
    "agents": gettext_lazy("agents"),
    "policy_version": gettext_lazy("policy version"),
    "risk_tasks_created": gettext_lazy("RISK tasks created"),
    "risk_flags_linked": gettext_lazy("critical flags linked"),
    "risk_tasks_brought_forward": gettext_lazy("tasks brought forward"),
    "risk_flags_waiting": gettext_lazy("critical flags waiting for a review"),
    "follow_up_tasks_created": gettext_lazy("FOLLOW_UP tasks created"),
    "follow_up_actions_attached": gettext_lazy("corrective actions attached"),
    "actions_waiting": gettext_lazy("corrective actions waiting for a review"),
    "routine_tasks_created": gettext_lazy("ROUTINE tasks created"),
    "next_dates_updated": gettext_lazy("next inspection dates updated"),
    "tasks_escalated": gettext_lazy("tasks escalated"),
    "tasks_overdue": gettext_lazy("tasks overdue"),
    "actions_escalated": gettext_lazy("corrective actions escalated"),
    "actions_overdue": gettext_lazy("corrective actions overdue"),
    "critical_flags_unreviewed": gettext_lazy("critical flags not reviewed in time"),
    "sent": gettext_lazy("e-mails sent"),
    "already_sent": gettext_lazy("already sent by an earlier attempt"),
    "empty": gettext_lazy("staff with nothing to report"),
    "failed": gettext_lazy("e-mails failed"),
}
HIDDEN_SUMMARY_KEYS = {"sent_to", "failed_to", "check_run"}


# --- the policy -----------------------------------------------------------------------------------


def _tier_counts(model, user) -> dict:
    """Rows per tier in the user's provinces; "none": not scored yet."""
    counts = dict.fromkeys([*RiskTier.values, "none"], 0)
    rows = model.objects.for_user(user).values("risk_tier").annotate(n=Count("id")).order_by()
    for row in rows:
        counts[row["risk_tier"] or "none"] = row["n"]
    return counts


def _policy_context(request, policy: RiskPolicy, form: PolicyForm | None) -> dict:
    groups = [
        (title, [(RiskPolicy._meta.get_field(name), getattr(policy, name)) for name in names])
        for title, names in GROUPS
    ]
    return {
        "policy": policy,
        "form": form,
        "groups": groups,
        "tiers": [(tier, RiskTier(tier).label) for tier in RiskTier.values],
        "points": _tier_counts(RegistrationPoint, request.user),
        "agents": _tier_counts(Agent, request.user),
        "can_change": request.user.has_perm(CHANGE_POLICY),
        "last_run": NightlyRun.objects.order_by("-night").first() if request.user.has_perm(VIEW_NIGHTLY) else None,
    }


@login_required
@people_only
@permission_required(VIEW_POLICY, raise_exception=True)
def policy_detail(request):
    """The policy's numbers; managers change them here (a new version, audited)."""
    policy = RiskPolicy.current()
    can_change = request.user.has_perm(CHANGE_POLICY)
    form = None
    if request.method == "POST":
        if not can_change:
            raise PermissionDenied
        form = PolicyForm(request.POST, instance=RiskPolicy.current())
        if form.is_valid():
            before = policy.version
            try:
                policy = risk.policy_update(
                    actor=request.user, values=form.values(), reason=form.cleaned_data["reason"]
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                if policy.version == before:
                    messages.info(request, _("Nothing changed."))
                else:
                    messages.success(
                        request,
                        _("Policy version %(version)d saved. Scores follow at the next rescore (nightly, or now).")
                        % {"version": policy.version},
                    )
                return redirect("inspections:policy")
    elif can_change:
        form = PolicyForm(instance=policy)
    return render(request, "inspections/risk/policy.html", _policy_context(request, policy, form))


@require_POST
@login_required
@people_only
@permission_required(VIEW_POLICY, raise_exception=True)
@permission_required(CHANGE_POLICY, raise_exception=True)
def policy_rescore(request):
    summary = risk.rescore_now(actor=request.user)
    points, agents = summary["points"], summary["agents"]
    messages.success(
        request,
        _("Rescored %(points)d points (%(points_changed)d changed) and %(agents)d agents (%(agents_changed)d changed).")
        % {
            "points": points["scored"],
            "points_changed": points["changed"],
            "agents": agents["scored"],
            "agents_changed": agents["changed"],
        },
    )
    return redirect("inspections:policy")


# --- nightly runs ---------------------------------------------------------------------------------


def _summary_lines(summary: dict) -> list[tuple[str, str]]:
    lines = []
    # in the labels' order: PostgreSQL's jsonb does not keep the order the keys were written in
    order = {key: n for n, key in enumerate(SUMMARY_LABELS)}
    for key, value in sorted((summary or {}).items(), key=lambda item: (order.get(item[0], len(order)), item[0])):
        if key in HIDDEN_SUMMARY_KEYS:
            continue
        label = str(SUMMARY_LABELS.get(key, key.replace("_", " ")))
        if isinstance(value, dict) and "tiers" in value:  # the risk step: scored, changed, per tier
            tiers = " · ".join(f"{RiskTier(t).label} {count(value['tiers'].get(t, 0))}" for t in RiskTier.values)
            text = _("%(scored)s scored, %(changed)s changed (%(tiers)s)") % {
                "scored": count(value.get("scored", 0)),
                "changed": count(value.get("changed", 0)),
                "tiers": tiers,
            }
        elif isinstance(value, bool):
            text = _("yes") if value else _("no")
        elif isinstance(value, int):
            text = count(value)
        else:
            text = str(value)
        lines.append((label, text))
    return lines


def _step_lines(step: str, summary: dict) -> list[tuple[str, str]]:
    describe = nightly.step_describer(step)
    return describe(summary) if describe is not None else _summary_lines(summary)


def _steps(run: NightlyRun, *, figures: bool = True) -> list[dict]:
    """Each step's outcome; `figures` False leaves out its summary, which counts every province."""
    rows = []
    for step in nightly.all_steps():
        outcome = (run.steps or {}).get(step) or {"status": nightly.PENDING}
        rows.append(
            {
                "name": step,
                "label": STEP_LABELS.get(step) or nightly.step_label(step),
                "status": outcome.get("status", nightly.PENDING),
                "status_label": STATUS_LABELS.get(outcome.get("status", nightly.PENDING), outcome.get("status")),
                "seconds": outcome.get("seconds"),
                "error": outcome.get("error", ""),
                "lines": _step_lines(step, outcome.get("summary") or {}) if figures else [],
                "check_run": (outcome.get("summary") or {}).get("check_run") if step == "checks" else None,
            }
        )
    return rows


def _run_context(run: NightlyRun, user) -> dict:
    # A night's figures (flags raised, points rescored, tasks scheduled...) count every province: a user
    # limited to some provinces sees each step's status, not those figures.
    every_province = province_scope(user) is None
    steps = _steps(run, figures=every_province)
    return {
        "run": run,
        "steps": steps,
        "every_province": every_province,
        "done": sum(1 for s in steps if s["status"] in (nightly.DONE, nightly.FAILED)),
        "total": len(steps),
        "stale": nightly.is_stale(run),
        "last_progress": nightly.last_progress(run),
    }


@require_safe
@login_required
@people_only
@permission_required(VIEW_NIGHTLY, raise_exception=True)
def nightly_list(request):
    page = keyset_paginate(
        NightlyRun.objects.all(), request.GET, size=PAGE_SIZE, sort_options=("-night",), default_sort="-night"
    )
    for run in page.items:
        run.step_rows = _steps(run)
    context = {
        "page": page,
        "running": selectors.nightly_running(),
        "can_run": request.user.has_perm(RUN_NIGHTLY),
        "step_labels": [STEP_LABELS.get(s) or nightly.step_label(s) for s in nightly.all_steps()],
    }
    if request.headers.get("HX-Request"):
        return render(request, "inspections/risk/nightly_list_rows.html", context)
    return render(request, "inspections/risk/nightly_list.html", context)


@require_POST
@login_required
@people_only
@permission_required(VIEW_NIGHTLY, raise_exception=True)
@permission_required(RUN_NIGHTLY, raise_exception=True)
def nightly_start(request):
    """Queue the chain for today's night; while a run is in progress, say so and show it instead."""
    asked_at = timezone.now()
    try:
        nightly_services.nightly_run_queue(actor=request.user)
    except nightly_services.NightlyRunInProgress as exc:
        messages.warning(
            request, _("The nightly run of %(night)s is in progress: follow it here.") % {"night": exc.run.night}
        )
        return redirect("inspections:nightly_detail", pk=exc.run.pk)
    except QueueUnavailable:
        messages.error(request, queue_unavailable_message())
        return redirect("inspections:nightly_list")
    # Run in-process (no worker configured), the run is finished already; with a worker it starts shortly.
    run = selectors.nightly_started_since(timezone.localdate(asked_at), asked_at)
    if run is not None and run.status != NightlyRun.Status.RUNNING:
        if run.status == NightlyRun.Status.DONE:
            messages.success(request, _("The nightly run is done."))
        else:
            messages.error(request, _("The nightly run finished with failed steps."))
        return redirect("inspections:nightly_detail", pk=run.pk)
    messages.success(request, _("The nightly run is queued; it appears below when a worker starts it."))
    return redirect("inspections:nightly_list")


@require_safe
@login_required
@people_only
@permission_required(VIEW_NIGHTLY, raise_exception=True)
def nightly_detail(request, pk):
    run = get_object_or_404(NightlyRun, pk=pk)
    context = {**_run_context(run, request.user), "can_run": request.user.has_perm(RUN_NIGHTLY)}
    return render(request, "inspections/risk/nightly_detail.html", context)


@require_safe
@login_required
@people_only
@permission_required(VIEW_NIGHTLY, raise_exception=True)
def nightly_progress(request, pk):
    """The steps fragment; htmx polls it while the run is in progress."""
    run = get_object_or_404(NightlyRun, pk=pk)
    context = {**_run_context(run, request.user), "can_run": request.user.has_perm(RUN_NIGHTLY)}
    return render(request, "inspections/risk/_nightly_steps.html", context)


urlpatterns = [
    path("policy/", policy_detail, name="policy"),
    path("policy/rescore/", policy_rescore, name="policy_rescore"),
    path("nightly/", nightly_list, name="nightly_list"),
    path("nightly/run/", nightly_start, name="nightly_start"),
    path("nightly/<int:pk>/", nightly_detail, name="nightly_detail"),
    path("nightly/<int:pk>/steps/", nightly_progress, name="nightly_progress"),
]
