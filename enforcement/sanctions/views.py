"""Pages of the sanction ladder: the ladder and its versions, the manager's form, the suggestions (list and
one with the officer's confirm and dismiss), the sections shown on inspections' sanction pages, and where a
point or an agent stands on the ladder (sections of their pages). Thin: forms, selectors and services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from agents import selectors as agent_selectors
from core.decorators import people_only
from core.pagination import keyset_paginate
from core.web import add_errors
from inspections import selectors as inspection_selectors

from . import selectors, services, texts
from .filters import SuggestionFilter
from .forms import ConfirmForm, DismissForm, LadderForm
from .models import LadderKind, SuggestionStatus

VIEW_LADDER = "enforcement.view_ladderversion"
VIEW_SUGGESTION = "enforcement.view_sanctionsuggestion"
PAGE_SIZE = 50
VERSIONS_SHOWN = 20


def staff(*perms):
    """Signed in, a person (not an integration account), with every permission in `perms` (else 403)."""

    def decorate(view):
        wrapped = view
        for perm in reversed(perms):
            wrapped = permission_required(perm, raise_exception=True)(wrapped)
        return login_required(people_only(wrapped))

    return decorate


# --- the ladder ---------------------------------------------------------------------------------------------


@require_safe
@staff(VIEW_LADDER)
def ladder(request):
    current = selectors.ladder_current()
    versions = list(selectors.ladder_versions()[:VERSIONS_SHOWN])
    codes = {code for v in versions for code in (*v.point_rungs, *v.agent_rungs)}
    types = selectors.ladder_types(codes=codes)
    counts = selectors.suggestion_list(user=request.user).aggregate(
        waiting=Count("pk", filter=Q(status=SuggestionStatus.SUGGESTED)), total=Count("pk")
    )
    context = {
        "current": current,
        "ladders": [
            (LadderKind(kind).label, selectors.ladder_in_words(current, types)[kind], kind) for kind in LadderKind
        ]
        if current
        else [],
        "versions": [(v, selectors.ladder_in_words(v, types)) for v in versions],
        "more_versions": current is not None and current.version > len(versions),
        "can_change": request.user.has_perm(services.CHANGE_PERMISSION),
        "counts": counts,
    }
    return render(request, "enforcement/sanctions/ladder.html", context)


@require_http_methods(["GET", "POST"])
@staff(VIEW_LADDER, services.CHANGE_PERMISSION)
def ladder_edit(request):
    current = selectors.ladder_current()
    initial = LadderForm.initial_from(current) if current else {"window_days": 365}
    form = LadderForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                version = services.ladder_update(
                    window_days=form.cleaned_data["window_days"],
                    point_rungs=form.rungs(LadderKind.POINT),
                    agent_rungs=form.rungs(LadderKind.AGENT),
                    reason=form.cleaned_data["reason"],
                    actor=request.user,
                )
            except ValidationError as exc:
                add_errors(form, exc, aliases={"point_rungs": "point_rung_1", "agent_rungs": "agent_rung_1"})
            else:
                messages.success(request, _("Ladder saved as version %(n)s.") % {"n": version.version})
                return redirect("enforcement:ladder")
    context = {
        "form": form,
        "current": current,
        "rung_groups": [
            (LadderKind.POINT.label, form.rung_fields(LadderKind.POINT), "point"),
            (LadderKind.AGENT.label, form.rung_fields(LadderKind.AGENT), "agent"),
        ],
    }
    return render(request, "enforcement/sanctions/ladder_edit.html", context, status=status)


# --- suggestions --------------------------------------------------------------------------------------------


@require_safe
@staff(VIEW_SUGGESTION)
def suggestion_list(request):
    filterset = SuggestionFilter(request.GET, queryset=selectors.suggestion_list(user=request.user), request=request)
    results = filterset.qs if filterset.is_valid() else filterset.queryset.none()
    page = keyset_paginate(
        results, request.GET, size=PAGE_SIZE, sort_options=("-created_at",), default_sort="-created_at"
    )
    context = {"filter": filterset, "page": page, "rows": [(s, texts.suggestion_summary(s)) for s in page.items]}
    if request.headers.get("HX-Request"):
        return render(request, "enforcement/sanctions/suggestion_list_rows.html", context)
    return render(request, "enforcement/sanctions/suggestion_list.html", context)


def _suggestion_page(request, suggestion, *, confirm=None, dismiss=None, status=200):
    can_act = request.user.has_perm(services.PROPOSE_PERMISSION) and suggestion.status == SuggestionStatus.SUGGESTED
    is_fine = suggestion.amount_vnd is not None or suggestion.sanction_type.kind == "FINE"
    context = {
        "suggestion": suggestion,
        "summary": texts.suggestion_summary(suggestion),
        "prior": texts.prior_list(suggestion.prior_findings),
        "can_act": can_act,
        "is_fine": is_fine,
        "confirm_form": confirm
        or ConfirmForm(initial={"amount_vnd": suggestion.amount_vnd, "note": texts.grounds(suggestion)}),
        "dismiss_form": dismiss or DismissForm(),
    }
    return render(request, "enforcement/sanctions/suggestion_detail.html", context, status=status)


@require_safe
@staff(VIEW_SUGGESTION)
def suggestion_detail(request, pk):
    return _suggestion_page(request, selectors.suggestion_get(user=request.user, pk=pk))


@require_POST
@staff(VIEW_SUGGESTION, services.PROPOSE_PERMISSION)
def suggestion_confirm(request, pk):
    suggestion = selectors.suggestion_get(user=request.user, pk=pk)
    form = ConfirmForm(request.POST)
    if form.is_valid():
        try:
            sanction = services.suggestion_confirm(
                suggestion=suggestion,
                amount_vnd=form.cleaned_data["amount_vnd"],
                note=form.cleaned_data["note"],
                actor=request.user,
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("Sanction #%(id)s proposed: a manager decides on it.") % {"id": sanction.pk})
            return redirect("inspections:sanction_detail", pk=sanction.pk)
    return _suggestion_page(request, suggestion, confirm=form, status=400)


@require_POST
@staff(VIEW_SUGGESTION, services.PROPOSE_PERMISSION)
def suggestion_dismiss(request, pk):
    suggestion = selectors.suggestion_get(user=request.user, pk=pk)
    form = DismissForm(request.POST)
    if form.is_valid():
        try:
            services.suggestion_dismiss(suggestion=suggestion, reason=form.cleaned_data["reason"], actor=request.user)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("Suggestion dismissed."))
            return redirect("enforcement:suggestion_detail", pk=suggestion.pk)
    return _suggestion_page(request, suggestion, dismiss=form, status=400)


# --- sections on inspections' pages -------------------------------------------------------------------------


def _section(request, finding, sanction=None):
    suggestion = getattr(finding, "ladder_suggestion", None)
    context = {"finding": finding, "sanction": sanction, "suggestion": suggestion, "summary": ""}
    if suggestion is not None:
        context.update(
            summary=texts.suggestion_summary(suggestion),
            prior=texts.prior_list(suggestion.prior_findings),
            rung=suggestion.rung,
            rung_count=suggestion.rung_count,
        )
    else:  # an older finding: where it would stand on the current ladder now
        position = selectors.ladder_positions([finding]).get(finding.pk)
        if position is not None:
            context.update(
                summary=texts.position_summary(
                    ladder=position.reached.ladder,
                    rung=position.rung,
                    rung_count=position.reached.rung_count,
                    prior_count=position.prior_count,
                    window_days=position.window_days,
                ),
                prior=texts.prior_list(position.reached.prior),
                rung=position.rung,
                rung_count=position.reached.rung_count,
                live_type=position.sanction_type,
            )
    context["from_ladder"] = sanction is not None and suggestion is not None and suggestion.sanction_id == sanction.pk
    context["can_act"] = (
        suggestion is not None
        and suggestion.status == SuggestionStatus.SUGGESTED
        and request.user.has_perm(services.PROPOSE_PERMISSION)
    )
    return render(request, "enforcement/sanctions/_section.html", context)


def _with_suggestion(queryset):
    return queryset.select_related(
        "point__agent", "ladder_suggestion", "ladder_suggestion__sanction_type", "ladder_suggestion__ladder_version"
    )


@require_safe
@staff(VIEW_SUGGESTION)
def finding_ladder_section(request, pk):
    finding = inspection_selectors.finding_get(user=request.user, pk=pk)
    finding = _with_suggestion(type(finding).objects.filter(pk=finding.pk)).get()
    return _section(request, finding)


@require_safe
@staff(VIEW_SUGGESTION)
def sanction_ladder_section(request, pk):
    sanction = inspection_selectors.sanction_get(user=request.user, pk=pk)
    finding = _with_suggestion(type(sanction.finding).objects.filter(pk=sanction.finding_id)).get()
    return _section(request, finding, sanction)


# --- sections on agents' pages: where a point or an agent stands ---------------------------------------------


def _standing_section(request, standing, *, kind: str, obj):
    context = {"standing": standing, "kind": kind, "obj": obj}
    if standing is not None:
        nxt = standing.next
        context.update(
            next_rung=nxt.index + 1,
            next_summary=texts.position_summary(
                ladder=nxt.ladder,
                rung=nxt.index + 1,
                rung_count=nxt.rung_count,
                prior_count=len(nxt.prior),
                window_days=standing.window_days,
            ),
            # on a point's page the agent's ladder may be the heavier one: say why the rung is not the point's
            agent_ladder_applies=kind == "point" and nxt.ladder == LadderKind.AGENT,
            # a suspension or termination of a point or agent already in that state: the ladder suggests nothing
            nothing_reason=(
                texts.nothing_to_suggest(sanction_type=standing.next_type, already=standing.target_already)
                if standing.target_already
                else ""
            ),
            heavier_points=[
                (code, reached, sanction_type, texts.nothing_at_point(already) if already else "")
                for code, reached, sanction_type, already in standing.heavier_points
            ],
            can_act=request.user.has_perm(services.PROPOSE_PERMISSION),
        )
    return render(request, "enforcement/sanctions/_standing.html", context)


@require_safe
@staff(VIEW_SUGGESTION)
def point_ladder_section(request, pk):
    point = agent_selectors.point_get(user=request.user, pk=pk)
    standing = selectors.ladder_standing(user=request.user, point=point)
    return _standing_section(request, standing, kind="point", obj=point)


@require_safe
@staff(VIEW_SUGGESTION)
def agent_ladder_section(request, pk):
    agent = agent_selectors.agent_get(user=request.user, pk=pk)
    standing = selectors.ladder_standing(user=request.user, agent=agent)
    return _standing_section(request, standing, kind="agent", obj=agent)
