"""Pages of subscriber requests: list, record one, its steps, and the SEE download. Thin: forms and services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from core.decorators import people_only
from core.pagination import keyset_paginate
from core.web import add_errors

from . import selectors, services
from .filters import SubjectRequestFilter
from .forms import CorrectForm, RejectForm, SubjectRequestForm, VerifyForm
from .models import SubjectRequest

PAGE_SIZE = 50
VIEW = "reports.view_subjectrequest"


@require_safe
@login_required
@people_only
@permission_required(VIEW, raise_exception=True)
def subject_request_list(request):
    queryset = selectors.subject_request_list(user=request.user)
    filterset = SubjectRequestFilter(request.GET, queryset=queryset, request=request)
    results = filterset.qs if filterset.is_valid() else queryset.none()
    page = keyset_paginate(
        results, request.GET, size=PAGE_SIZE, sort_options=selectors.LIST_SORTS, default_sort="-received_at"
    )
    context = {
        "filter": filterset,
        "page": page,
        "today": timezone.localdate(),
        "can_create": request.user.has_perm(services.CREATE_PERMISSION),
    }
    if request.headers.get("HX-Request"):
        return render(request, "reports/subjects/list_rows.html", context)
    return render(request, "reports/subjects/list.html", context)


@never_cache  # the form holds the MSISDN or ID number typed
@require_http_methods(["GET", "POST"])
@login_required
@people_only
@permission_required(services.CREATE_PERMISSION, raise_exception=True)
def subject_request_create(request):
    form = SubjectRequestForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                created = services.subject_request_create(
                    kind=data["kind"],
                    actor=request.user,
                    msisdn=data["msisdn"],
                    id_doc_type=data["id_doc_type"],
                    id_doc_number=data["id_doc_number"],
                    reason=data["reason"],
                    received_at=data["received_at"],
                )
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                if selectors.subject_request_list(user=request.user).filter(pk=created.pk).exists():
                    messages.success(request, _("Request #%(id)s recorded.") % {"id": created.pk})
                    return redirect("reports:subject_request_detail", created.pk)
                # the same words whether the subscriber has registrations elsewhere or none at all
                messages.info(
                    request,
                    _("Request #%(id)s recorded. A colleague with access to every province handles it.")
                    % {"id": created.pk},
                )
                return redirect("reports:subject_request_list")
    return render(request, "reports/subjects/create.html", {"form": form}, status=status)


def _detail(request, subject_request, *, forms=None, status=200):
    forms = forms or {}
    can_handle = request.user.has_perm(services.HANDLE_PERMISSION)
    context = {
        "sr": subject_request,
        "today": timezone.localdate(),
        "can_handle": can_handle,
        "is_open": subject_request.status in services.OPEN_STATUSES,
        "provinces": subject_request.provinces.order_by("name"),
        "verify_form": forms.get("verify") or VerifyForm(),
        "reject_form": forms.get("reject") or RejectForm(),
        "correct_form": forms.get("carry-out") or CorrectForm(),
        "overdue": selectors.overdue(SubjectRequest.objects.filter(pk=subject_request.pk)).exists(),
    }
    return render(request, "reports/subjects/detail.html", context, status=status)


@require_safe
@login_required
@people_only
@permission_required(VIEW, raise_exception=True)
def subject_request_detail(request, pk):
    return _detail(request, selectors.subject_request_get(user=request.user, pk=pk))


ACTIONS = ("acknowledge", "verify", "carry-out", "reject")


@never_cache  # a correction's form carries the new values
@require_POST
@login_required
@people_only
@permission_required(services.HANDLE_PERMISSION, raise_exception=True)
def subject_request_act(request, pk, action):
    """One step of the request: acknowledge, verify (how), carry out (CORRECT: the new values), reject (why)."""
    subject_request = selectors.subject_request_get(user=request.user, pk=pk)
    if action not in ACTIONS:
        raise Http404
    form = {"verify": VerifyForm, "reject": RejectForm, "carry-out": CorrectForm}.get(action)
    form = form(request.POST) if form else None
    if form is not None and not form.is_valid():
        return _detail(request, subject_request, forms={action: form}, status=400)
    try:
        if action == "acknowledge":
            services.subject_request_acknowledge(request=subject_request, actor=request.user)
        elif action == "verify":
            services.subject_request_verify(
                request=subject_request, actor=request.user, method=form.cleaned_data["method"]
            )
        elif action == "reject":
            services.subject_request_reject(
                request=subject_request, actor=request.user, reason=form.cleaned_data["reason"]
            )
        else:
            changes = form.changes() if subject_request.kind == SubjectRequest.Kind.CORRECT else None
            services.subject_request_carry_out(request=subject_request, actor=request.user, changes=changes)
    except PermissionDenied as exc:  # a registration out of reach was added since: the request is not theirs
        raise Http404 from exc
    except ValidationError as exc:
        if form is None:
            messages.error(request, " ".join(exc.messages))
            return _detail(request, subject_request, status=400)
        add_errors(form, exc)
        return _detail(request, subject_request, forms={action: form}, status=400)
    return redirect("reports:subject_request_detail", subject_request.pk)


@never_cache  # Cache-Control: no-store: the subscriber's data must stay in no cache
@require_safe
@login_required
@people_only
@permission_required(services.HANDLE_PERMISSION, raise_exception=True)
def subject_request_download(request, pk, fmt):
    """A completed SEE request's data, as JSON or CSV; each download is audited."""
    subject_request = selectors.subject_request_get(user=request.user, pk=pk)
    try:
        content, content_type = services.subject_request_export(request=subject_request, actor=request.user, fmt=fmt)
    except (ValidationError, PermissionDenied) as exc:
        raise Http404 from exc
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="subject-request-{subject_request.pk}.{fmt}"'
    response["Cache-Control"] = "no-store"
    return response
