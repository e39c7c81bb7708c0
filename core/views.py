from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy, override
from django.utils.translation import gettext as _
from django.views import i18n as i18n_views
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from rest_framework.authtoken.models import Token

from . import selectors, services
from .audit import (
    VERIFY_PERMISSION,
    VerificationBusy,
    action_label,
    audit_verification_start,
    object_type_label,
    problem_message,
)
from .decorators import people_only
from .filters import AuditEventFilter
from .forms import AccountForm, NewAccountForm, PasswordForm
from .models import AuditEvent, AuditVerification, Province
from .pagination import keyset_paginate
from .registry import HOME_PAGES
from .roles import Role, role_of
from .scoping import province_scope
from .web import add_errors, csv_export


@require_safe
@login_required
def home(request):
    """Each role lands on what it works with first."""
    role = role_of(request.user)
    if role in HOME_PAGES:
        try:
            return redirect(reverse(HOME_PAGES[role]))
        except NoReverseMatch:  # like the navigation: an app's page that is not installed is skipped
            pass
    scope = province_scope(request.user)
    context = {
        "role": role,
        "provinces": Province.objects.for_user(request.user) if scope is not None else None,
        "recent_events": None,
    }
    if request.user.has_perm("core.view_auditevent"):
        context["recent_events"] = AuditEvent.objects.for_user(request.user).select_related("actor")[:10]
    template = {
        Role.INSPECTOR: "core/home_inspector.html",
        Role.INTEGRATION: "core/home_integration.html",
        Role.AUDITOR: "core/home_auditor.html",
    }.get(role, "core/home_staff.html")
    return render(request, template, context)


def set_language(request):
    """Django's language switch, and for a signed-in user the choice kept on the account (issue 13), so it
    follows them to another browser or phone."""
    response = i18n_views.set_language(request)
    code = request.POST.get("language", "")
    chosen = request.method == "POST" and code in dict(settings.LANGUAGES)
    if chosen and request.user.is_authenticated and request.user.language != code:
        request.user.language = code
        request.user.save(update_fields=["language"])
    return response


# --- the audit trail (managers and auditors; core.audit) ---

AUDIT_PAGE_SIZE = 50
AUDIT_EXPORT_COLUMNS = [
    "id",
    "time",
    "user",
    "action",
    "action_label",
    "object_type",
    "object_type_label",
    "object_id",
    "object",
    "province",
]


def _audit_filter(request) -> AuditEventFilter:
    return AuditEventFilter(request.GET, queryset=AuditEvent.objects.for_user(request.user), request=request)


@require_safe
@login_required
@permission_required("core.view_auditevent", raise_exception=True)
def audit_list(request):
    filterset = _audit_filter(request)
    valid = filterset.is_valid()
    results = filterset.qs if valid else AuditEvent.objects.none()
    page = keyset_paginate(results, request.GET, size=AUDIT_PAGE_SIZE)
    for event in page.items:
        event.action_label = action_label(event.action)
        event.object_label = object_type_label(event.object_type)
    context = {
        "filter": filterset,
        "page": page,
        "count": results.count(),
        "export_query": _without_cursor(request.GET),
        "zone": settings.TIME_ZONE,
        "verification": AuditVerification.objects.select_related("requested_by").first(),
        "can_verify": request.user.has_perm(VERIFY_PERMISSION),
    }
    if request.headers.get("HX-Request"):  # htmx swaps only a 200: the results say what is wrong
        return render(request, "core/audit_results.html", context)
    return render(request, "core/audit_list.html", context, status=200 if valid else 400)


def _without_cursor(params) -> str:
    """The filters of a list's URL, for its export: no page cursor, no empty fields."""
    query = QueryDict(mutable=True)
    for key in params:
        if key != "after":
            query.setlist(key, [value for value in params.getlist(key) if value])
    return query.urlencode()


@require_safe
@login_required
@permission_required("core.view_auditevent", raise_exception=True)
def audit_export(request):
    """The filtered events as CSV, streamed, scoped like the list; recorded in the trail. Words and codes,
    no reason, IP address or field values (they may hold what a user typed)."""
    filterset = _audit_filter(request)
    if not filterset.is_valid():
        return audit_list(request)
    language = get_language()
    events = filterset.qs.order_by("-id").iterator(chunk_size=2000)

    def rows():
        with override(language):  # the stream is read after the view returned
            for e in events:
                yield [
                    e.pk,
                    timezone.localtime(e.created_at).isoformat(),
                    e.actor_label,
                    e.action,
                    action_label(e.action),
                    e.object_type,
                    object_type_label(e.object_type),
                    e.object_id,
                    e.object_repr,
                    e.province_code,
                ]

    filters = {key: value for key, value in filterset.form.cleaned_data.items() if value}
    return csv_export(
        actor=request.user,
        name="audit",
        object_type="core.auditevent",
        filters={key: str(value) for key, value in filters.items()},
        columns=AUDIT_EXPORT_COLUMNS,
        rows=rows(),
    )


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
@people_only
@permission_required("core.view_auditevent", raise_exception=True)
def audit_verify(request):
    """ "Verify the chain": the latest verifications with their results; POST starts one (a worker runs it)."""
    if request.method == "POST":
        if not request.user.has_perm(VERIFY_PERMISSION):
            raise PermissionDenied
        try:
            run = audit_verification_start(actor=request.user)
        except VerificationBusy as exc:
            messages.warning(request, str(exc))
        else:
            run.refresh_from_db()
            if run.status == AuditVerification.Status.FAILED:  # the queue could not take it
                messages.error(request, run.error)
            elif not run.is_finished:  # a worker runs it (without one it is already done)
                messages.success(request, _("The verification is queued; its result appears below."))
        return redirect("core:audit_verify")
    runs = list(AuditVerification.objects.select_related("requested_by")[:10])
    visible = set(
        AuditEvent.objects.for_user(request.user)
        .filter(pk__in=[r.broken_event_id for r in runs if r.broken_event_id])
        .values_list("pk", flat=True)
    )
    for run in runs:
        run.why = problem_message(run.problem, run.problem_params)
        # a broken event outside the reader's provinces: its number and the problem, not what it was about
        run.broken_visible = run.broken_event_id in visible
        run.broken_label = action_label(run.broken_action) if run.broken_action else ""
    context = {
        "runs": runs,
        "latest": runs[0] if runs else None,
        "busy": any(not run.is_finished for run in runs[:1]),
        "can_verify": request.user.has_perm(VERIFY_PERMISSION),
        "zone": settings.TIME_ZONE,
    }
    template = "core/audit_verify_results.html" if request.headers.get("HX-Request") else "core/audit_verify.html"
    return render(request, template, context)


# --- user accounts (managers; core.services says who may manage whom) ---


@require_safe
@login_required
@people_only
@permission_required("core.view_user", raise_exception=True)
def user_list(request):
    page = keyset_paginate(
        selectors.user_list(actor=request.user),
        request.GET,
        size=50,
        sort_options=("username",),
        default_sort="username",
    )
    for account in page.items:
        account.role_label = _role_label(account)
    return render(request, "core/user_list.html", {"page": page, "can_create": request.user.has_perm("core.add_user")})


@require_safe
@login_required
@people_only
@permission_required("core.view_user", raise_exception=True)
def user_detail(request, pk):
    account = selectors.user_get(actor=request.user, pk=pk)
    return _user_page(request, account)


def _role_label(account) -> str:
    role = role_of(account)
    return Role(role).label if role else ""


# the account events, in words (the audit trail stores codes)
ACCOUNT_ACTIONS = {
    "user.create": gettext_lazy("Account created"),
    "user.change": gettext_lazy("Role, provinces or details changed"),
    "user.access_change": gettext_lazy("Role or provinces changed (admin)"),
    "user.password_set": gettext_lazy("Password set"),
    "user.token_issue": gettext_lazy("API token issued"),
    "user.token_revoke": gettext_lazy("API token revoked"),
    "auth.login": gettext_lazy("Signed in"),
    "auth.logout": gettext_lazy("Signed out"),
}


def _user_page(request, account, *, password_form=None, token_key="", status=200):
    manageable = services.may_manage(request.user, account)
    context = {
        "account": account,
        "role": role_of(account),
        "role_label": _role_label(account),
        "manageable": manageable,
        "password_form": password_form or (PasswordForm() if manageable else None),
        "has_token": Token.objects.filter(user=account).exists(),
        "token_key": token_key,
        "events": [
            (event, ACCOUNT_ACTIONS.get(event.action, event.action))
            for event in AuditEvent.objects.filter(object_type="core.user", object_id=str(account.pk)).order_by("-id")[
                :20
            ]
        ],
    }
    response = render(request, "core/user_detail.html", context, status=status)
    if token_key:
        response["Cache-Control"] = "no-store, private"
    return response


@login_required
@people_only
@permission_required("core.add_user", raise_exception=True)
def user_create(request):
    form = NewAccountForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.service_data()
        try:
            account = services.user_create(
                actor=request.user,
                username=data["username"],
                role=data["role"],
                provinces=data["provinces"],
                all_provinces=data["all_provinces"],
                password=data["password1"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                email=data["email"],
            )
        except ValidationError as exc:
            add_errors(form, exc, aliases={"password": "password1"})
        else:
            messages.success(request, _("Account %(name)s created.") % {"name": account.username})
            return redirect("core:user_detail", pk=account.pk)
    return render(request, "core/user_form.html", {"form": form, "account": None}, status=400 if form.errors else 200)


@login_required
@people_only
@permission_required("core.change_user", raise_exception=True)
def user_edit(request, pk):
    account = selectors.user_get(actor=request.user, pk=pk)
    if not services.may_manage(request.user, account):
        raise PermissionDenied
    initial = {
        "first_name": account.first_name,
        "last_name": account.last_name,
        "email": account.email,
        "role": role_of(account),
        "all_provinces": account.all_provinces,
        "provinces": list(account.provinces.all()),
        "is_active": account.is_active,
    }
    form = AccountForm(request.POST or None, actor=request.user, editing=True, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_update(actor=request.user, user=account, **form.service_data())
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("Account %(name)s saved.") % {"name": account.username})
            return redirect("core:user_detail", pk=account.pk)
    context = {"form": form, "account": account}
    return render(request, "core/user_form.html", context, status=400 if form.errors else 200)


@require_POST
@login_required
@people_only
@permission_required("core.change_user", raise_exception=True)
def user_password(request, pk):
    account = selectors.user_get(actor=request.user, pk=pk)
    if not services.may_manage(request.user, account):
        raise PermissionDenied
    form = PasswordForm(request.POST)
    if form.is_valid():
        try:
            services.user_set_password(actor=request.user, user=account, password=form.cleaned_data["password1"])
        except ValidationError as exc:
            add_errors(form, exc, aliases={"password": "password1"})
        else:
            messages.success(request, _("New password set for %(name)s.") % {"name": account.username})
            return redirect("core:user_detail", pk=account.pk)
    return _user_page(request, account, password_form=form, status=400)


@require_POST
@login_required
@people_only
@permission_required("core.change_user", raise_exception=True)
def user_token(request, pk, action):
    if action not in ("issue", "revoke"):
        raise Http404
    account = selectors.user_get(actor=request.user, pk=pk)
    if not services.may_manage(request.user, account):
        raise PermissionDenied
    if action == "revoke":
        services.user_token_revoke(actor=request.user, user=account)
        messages.success(request, _("The API token of %(name)s no longer works.") % {"name": account.username})
        return redirect("core:user_detail", pk=account.pk)
    try:
        key = services.user_token_issue(actor=request.user, user=account)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("core:user_detail", pk=account.pk)
    # shown once, in this answer only (never in a URL or a later page)
    return _user_page(request, account, token_key=key)
