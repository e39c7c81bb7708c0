"""Rule pages: the list (severity, switch, version, open flags) and one rule (description, legal basis,
parameters) with the manager's edit form and a backtest of proposed parameters that writes nothing."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from core.decorators import people_only
from core.web import add_errors

from .. import selectors, services
from ..forms import RollbackForm, RuleForm
from ..rules import RULES as ENGINE_RULES

VIEW_RULE = "registrations.view_rule"
CHANGE_RULE = services.CHANGE_RULE_PERMISSION


@require_safe
@login_required
@people_only
@permission_required(VIEW_RULE, raise_exception=True)
def rule_list(request):
    rules = list(selectors.rule_list())
    open_counts = selectors.open_flag_counts(user=request.user)
    for rule in rules:
        rule.open_flags = open_counts.get(rule.pk, 0)
    return render(request, "registrations/rule_list.html", {"rules": rules})


def _rule_form(rule, data=None, *, backtest=False):
    form = RuleForm(data, parameters=services.parameter_fields(rule), initial={"enabled": rule.enabled})
    form.fields["reason"].required = not backtest  # a backtest saves nothing: no reason needed
    return form


def _detail(request, rule, *, form=None, rollback_form=None, status=200):
    can_change = request.user.has_perm(CHANGE_RULE)
    context = {
        "rule": rule,
        "parameters": services.parameter_fields(rule),
        "open_flags": selectors.open_flag_counts(user=request.user).get(rule.pk, 0),
        "can_change": can_change,
        "form": (form or _rule_form(rule)) if can_change else None,
        "versions": selectors.rule_versions(rule=rule, user=request.user),
        "rollback_form": rollback_form or RollbackForm(),
    }
    return render(request, "registrations/rule_detail.html", context, status=status)


@login_required
@people_only
@permission_required(VIEW_RULE, raise_exception=True)
def rule_detail(request, code):
    rule = selectors.rule_get(code=code)
    if request.method != "POST":
        return _detail(request, rule)
    if not request.user.has_perm(CHANGE_RULE):
        raise PermissionDenied  # officers and auditors read the rule; only managers change it
    form = _rule_form(rule, request.POST)
    if form.is_valid():
        try:
            rule = services.rule_update(
                rule=rule,
                actor=request.user,
                enabled=form.cleaned_data["enabled"],
                parameters=form.parameters(),
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            text = _("Saved: %(code)s is now version %(version)d.")
            messages.success(request, text % {"code": rule.code, "version": rule.version})
            return redirect("registrations:rule_detail", code=rule.code)
    return _detail(request, rule, form=form, status=400)


@require_POST
@login_required
@people_only
@permission_required(VIEW_RULE, raise_exception=True)
@permission_required(CHANGE_RULE, raise_exception=True)
def rule_rollback(request, code):
    """Restore an earlier version's values as a new version, with a reason (managers)."""
    rule = selectors.rule_get(code=code)
    form = RollbackForm(request.POST)
    if form.is_valid():
        try:
            rule = services.rule_rollback(
                rule=rule, version=form.cleaned_data["version"], actor=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            text = _("Version %(old)d restored: %(code)s is now version %(version)d.")
            messages.success(
                request, text % {"old": form.cleaned_data["version"], "code": rule.code, "version": rule.version}
            )
            return redirect("registrations:rule_detail", code=rule.code)
    return _detail(request, rule, rollback_form=form, status=400)


@require_POST
@login_required
@people_only
@permission_required(VIEW_RULE, raise_exception=True)
@permission_required(CHANGE_RULE, raise_exception=True)
def rule_backtest(request, code):
    """htmx: what the proposed parameters would flag (count and a masked sample); nothing is written."""
    rule = selectors.rule_get(code=code)
    form = _rule_form(rule, request.POST, backtest=True)
    context = {"rule": rule, "form": form, "result": None, "error": ""}
    # Invalid parameters answer 200 with the errors: htmx swaps in only successful answers.
    if form.is_valid():
        try:
            context["result"] = services.rule_backtest(rule=rule, parameters=form.parameters(), user=request.user)
        except ValidationError as exc:
            add_errors(form, exc)
        except services.BacktestUnavailable:
            if rule.code in ENGINE_RULES:  # a rule whose subjects are agents and points (BLACKLISTED_AGENT)
                context["error"] = _(
                    "A backtest samples registrations and activations; this rule judges agents and points: "
                    "run the checks to see what it flags."
                )
            else:
                context["error"] = _("The rules engine has no function for this rule yet: nothing to backtest.")
    return render(request, "registrations/_backtest.html", context)
