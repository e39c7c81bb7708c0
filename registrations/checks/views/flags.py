"""Flag pages: the queue (filters, counts per rule, bulk review, CSV export) and the flag page (evidence,
history, review). Thin views over the checks selectors and services; every read is in the user's provinces."""

from urllib.parse import urlencode, urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST, require_safe

from core.decorators import people_only
from core.pagination import keyset_paginate
from core.web import add_errors, csv_export

from ...models import Flag, FlagStatus
from ...records import selectors as record_selectors
from .. import selectors, services
from ..filters import FlagFilter
from ..forms import FlagReviewForm

VIEW_FLAG = "registrations.view_flag"
PAGE_SIZE = 50
# Shown first on the queue's filter form; the others fold under "More filters" unless one is in use.
PRIMARY_FILTERS = ("rule", "status", "severity", "province")
# The inspections app adds this page; until it exists the flag page shows no such button. A permission
# string, not an import: registrations never imports inspections.
INSPECTION_FROM_FLAG = "inspections:task_create_from_flag"
ADD_INSPECTION = "inspections.add_inspectiontask"
EXPORT_COLUMNS = [
    # the columns of `manage.py export_flags` (DESIGN section 7), then the review
    "rule",
    "severity",
    "status",
    "subject_type",
    "subject_key",
    "point_code",
    "agent_code",
    "flag_id",
    "first_seen",
    "last_seen",
    "resolved_at",
    "rule_version",
    "reviewer",
    "reviewed_at",
    "reason",
]


def _queue_context(request, params: QueryDict) -> dict:
    user = request.user
    queryset = selectors.queue_rows(user=user)
    filterset = FlagFilter(params, queryset=queryset, request=request)
    results = filterset.qs if filterset.is_valid() else queryset.none()
    page = keyset_paginate(
        results, params, size=PAGE_SIZE, sort_options=selectors.QUEUE_SORTS, default_sort="-last_seen"
    )
    # Counts per rule under every other filter (a facet): what choosing a rule would list.
    others = params.copy()
    others.pop("rule", None)
    others.pop("after", None)
    facet = _facet(filterset, others, request)
    # the page's valid filters but the rule: an exact source (reports' tally) may answer for them
    filters = {k: v for k, v in filterset.form.cleaned_data.items() if k != "rule"} if filterset.is_valid() else None
    counts = [] if facet is None else selectors.queue_rule_counts(facet, user=user, filters=filters)
    base = {k: v for k, v in others.items() if v not in ("", None) and k != "sort"}
    if "status" in others:  # keep "any status" (status=) when that is what the filter says
        base["status"] = others.get("status")
    for row in counts:
        row["query"] = urlencode({**base, "rule": row["code"]})
    selected_rule = params.get("rule", "")
    return {
        "filter": filterset,
        "page": page,
        "sorts": selectors.QUEUE_SORTS,
        "counts": counts,
        "counts_total": sum(row["n"] for row in counts),
        "counts_capped": any(row["capped"] for row in counts),  # then the total is "more than" too
        "all_rules_query": urlencode(base),
        "selected_rule": selected_rule,
        "can_review": user.has_perm(services.REVIEW_PERMISSION),
        "queue_path": f"{reverse('registrations:flag_list')}?{params.urlencode()}",
        "export_query": urlencode({k: v for k, v in params.items() if k not in ("after", "sort")}),
        "selected_ids": set(),
        # each row's tick box label, translated once (rows.with_id), not a {% blocktranslate %} per row
        "tick_label": _("Tick flag %(id)s"),
    }


def _facet(filterset, others: QueryDict, request):
    """The flags under every filter but the rule (None when those filters are not valid). When the page's
    filters are valid, the same cleaned values are applied again without the rule, rather than a second
    FilterSet built and validated on every page (issue 15); otherwise the filters without the rule are read
    on their own (a bad rule code alone leaves the counts)."""
    queryset = Flag.objects.for_user(request.user)
    if filterset.is_valid():
        for name, value in filterset.form.cleaned_data.items():
            if name != "rule":
                queryset = filterset.filters[name].filter(queryset, value)
        return queryset
    facet = FlagFilter(others, queryset=queryset, request=request)
    return facet.qs if facet.is_valid() else None


@require_safe
@login_required
@people_only
@permission_required(VIEW_FLAG, raise_exception=True)
def flag_list(request):
    context = _queue_context(request, request.GET)
    if request.headers.get("HX-Request"):  # htmx filter/pager: only the table, and the counts out of band
        context["oob"] = True
        return render(request, "registrations/flag_list_rows.html", context)
    context["review_form"] = FlagReviewForm()
    return render(request, "registrations/flag_list.html", _with_filter_layout(context))


def _with_filter_layout(context: dict) -> dict:
    filterset = context["filter"]
    context["primary_filters"] = PRIMARY_FILTERS
    context["more_filters_used"] = any(
        filterset.data.get(name) for name in filterset.filters if name not in PRIMARY_FILTERS
    ) or filterset.data.get("sort") not in (None, "", selectors.QUEUE_SORTS[0])
    return context


def _safe_next(request, default: str) -> str:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


@require_POST
@login_required
@people_only
@permission_required(VIEW_FLAG, raise_exception=True)
@permission_required(services.REVIEW_PERMISSION, raise_exception=True)
def flag_review_bulk(request):
    """Confirm or dismiss the flags ticked on the queue; back to the same queue, or the queue with the errors."""
    back = _safe_next(request, reverse("registrations:flag_list"))
    form = FlagReviewForm(request.POST)
    if form.is_valid():
        if not form.cleaned_data["ids"]:
            form.add_error(None, _("Select at least one flag."))
        else:
            try:
                reviewed = services.flags_review(
                    flags=form.cleaned_data["ids"],
                    to_status=form.cleaned_data["to_status"],
                    reason=form.cleaned_data["reason"],
                    actor=request.user,
                )
            except ValidationError as exc:
                add_errors(form, exc, aliases={"status": "to_status"}, hidden=("ids",))
            else:
                messages.success(request, _review_message(reviewed, form.cleaned_data["to_status"]))
                return redirect(back)
    # Show the same queue again with the errors, the ticked flags still ticked and the reason as typed.
    params = QueryDict(urlsplit(back).query)
    context = _queue_context(request, params)
    context.update(review_form=form, selected_ids=set(form.cleaned_data.get("ids") or []) if form.is_bound else set())
    context["queue_path"] = back
    return render(request, "registrations/flag_list.html", _with_filter_layout(context), status=400)


def _review_message(reviewed, to_status) -> str:
    if to_status == "CONFIRMED":
        return ngettext("Confirmed %(n)d flag.", "Confirmed %(n)d flags.", len(reviewed)) % {"n": len(reviewed)}
    return ngettext("Dismissed %(n)d flag.", "Dismissed %(n)d flags.", len(reviewed)) % {"n": len(reviewed)}


def _inspection_url(user, flag) -> str | None:
    if flag.point_id is None or not user.has_perm(ADD_INSPECTION):
        return None
    try:
        return reverse(INSPECTION_FROM_FLAG, args=[flag.pk])
    except NoReverseMatch:
        return None


def _detail(request, flag, *, form=None, status=200):
    context = {
        "flag": flag,
        "evidence": selectors.flag_evidence(user=request.user, flag=flag),
        "point_rule": flag.rule.code in selectors.POINT_RULES,
        "history": selectors.flag_history(flag),
        "can_review": request.user.has_perm(services.REVIEW_PERMISSION),
        "review_form": form or FlagReviewForm(),
        "can_confirm": flag.status in services.ALLOWED_FROM[FlagStatus.CONFIRMED],
        "can_dismiss": flag.status in services.ALLOWED_FROM[FlagStatus.DISMISSED],
        "inspection_url": _inspection_url(request.user, flag),
        "blacklist_matches": selectors.blacklist_matches(user=request.user, flag=flag),
    }
    return render(request, "registrations/flag_detail.html", context, status=status)


@require_safe
@login_required
@people_only
@permission_required(VIEW_FLAG, raise_exception=True)
def flag_detail(request, pk):
    return _detail(request, selectors.flag_get(user=request.user, pk=pk))


@require_POST
@login_required
@people_only
@permission_required(VIEW_FLAG, raise_exception=True)
@permission_required(services.REVIEW_PERMISSION, raise_exception=True)
def flag_review(request, pk):
    flag = selectors.flag_get(user=request.user, pk=pk)
    form = FlagReviewForm(request.POST)
    if form.is_valid():
        try:
            reviewed = services.flags_review(
                flags=[flag],
                to_status=form.cleaned_data["to_status"],
                reason=form.cleaned_data["reason"],
                actor=request.user,
            )
        except ValidationError as exc:
            add_errors(form, exc, aliases={"status": "to_status"}, hidden=("ids",))
        else:
            messages.success(request, _review_message(reviewed, form.cleaned_data["to_status"]))
            return redirect("registrations:flag_detail", pk=flag.pk)
    return _detail(request, flag, form=form, status=400)


def _iso(value) -> str:
    return value.isoformat() if value is not None else ""


@require_safe
@login_required
@people_only
@permission_required(VIEW_FLAG, raise_exception=True)
def flag_export(request):
    """The filtered queue as CSV, streamed in chunks; the export itself is audited (filters and row count
    are not known up front: the filters are recorded)."""
    queryset = selectors.flag_list(user=request.user)
    filterset = FlagFilter(request.GET, queryset=queryset, request=request)
    results = filterset.qs if filterset.is_valid() else queryset.none()
    flags = results.order_by("-last_seen", "-id").iterator(chunk_size=2000)
    return csv_export(
        actor=request.user,
        name="flags",
        object_type="registrations.flag",
        filters=filterset.data,
        columns=EXPORT_COLUMNS,
        rows=(
            [
                flag.rule.code,
                flag.severity,
                flag.status,
                flag.subject_type,
                flag.subject_key or "",
                flag.point.code if flag.point_id else "",
                flag.agent.code if flag.agent_id else "",
                flag.pk,
                _iso(flag.first_seen),
                _iso(flag.last_seen),
                _iso(flag.resolved_at),
                flag.rule_version,
                flag.reviewer.get_username() if flag.reviewer_id else "",
                _iso(flag.reviewed_at),
                flag.reason,
            ]
            for flag in flags
        ),
    )


@require_safe
@login_required
@people_only
@permission_required(VIEW_FLAG, raise_exception=True)
def flags_section(request, subject: str, pk: int):
    """The flags of a point or an agent, per rule, for its page (an htmx fragment, see core.registry)."""
    from agents.models import Agent, RegistrationPoint
    from agents.selectors import agent_tree_ids
    from core.scoping import access_object

    model = {"point": RegistrationPoint, "agent": Agent}[subject]
    obj = access_object(model, request.user, pk=pk)
    if subject == "agent":  # the whole dealer tree: the agent's own flags and its sub-agents' (issue 13)
        flags = Flag.objects.for_user(request.user).filter(agent_id__in=agent_tree_ids([obj.pk]))
        key = "agent_tree"
    else:
        flags = Flag.objects.for_user(request.user).filter(point_id=obj.pk)
        key = subject
    live = flags.filter(status__in=(FlagStatus.OPEN, FlagStatus.CONFIRMED))
    base = {key: obj.code, "status": ""}
    counts = selectors.rule_counts(live)
    for row in counts:
        row["query"] = urlencode({**base, "rule": row["code"]})
    return render(
        request,
        "registrations/_flags_section.html",
        {
            "counts": counts,
            "total": sum(row["n"] for row in counts),
            "open_query": urlencode({key: obj.code, "status": FlagStatus.OPEN}),
            "all_query": urlencode(base),
            "subject": subject,
        },
    )


@require_safe
@login_required
@people_only
@permission_required("registrations.view_flag", raise_exception=True)
def registration_flags_section(request, pk: int):
    """The flags of one registration, any status, for its record page (an htmx fragment; issue 13)."""
    registration = record_selectors.registration_get(user=request.user, pk=pk)
    flags = list(
        Flag.objects.for_user(request.user)
        .filter(registration=registration)
        .select_related("rule")
        .order_by("status", "-last_seen")[:100]
    )
    return render(request, "registrations/_registration_flags.html", {"flags": flags})
