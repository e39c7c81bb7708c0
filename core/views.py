from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import i18n as i18n_views
from django.views.decorators.http import require_POST, require_safe
from rest_framework.authtoken.models import Token

from . import selectors, services
from .decorators import people_only
from .filters import AuditEventFilter
from .forms import AccountForm, NewAccountForm, PasswordForm
from .models import AuditEvent, Province
from .pagination import keyset_paginate
from .registry import HOME_PAGES
from .roles import Role, role_of
from .scoping import province_scope
from .web import add_errors


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


@require_safe
@login_required
@permission_required("core.view_auditevent", raise_exception=True)
def audit_list(request):
    filterset = AuditEventFilter(request.GET, queryset=AuditEvent.objects.for_user(request.user))
    page = keyset_paginate(filterset.qs, request.GET, size=50)
    return render(request, "core/audit_list.html", {"filter": filterset, "page": page})


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
