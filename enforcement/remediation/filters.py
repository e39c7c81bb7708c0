"""The case list's filters: one FilterSet for the page (and any later API list)."""

import django_filters
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.models import Province
from core.scoping import province_scope

from ..campaigns.progress import Progress, progress_q
from .models import LADDER_RULES, RemediationCase, Step, Track
from .selectors import rule_filter


class CaseFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        choices=RemediationCase.Status.choices, label=_("Status"), empty_label=_("any")
    )
    step = django_filters.ChoiceFilter(
        field_name="current_step", choices=Step.choices, label=_("Step"), empty_label=_("any")
    )
    rule = django_filters.ChoiceFilter(
        choices=[(code, code) for code in LADDER_RULES], method="filter_rule", label=_("Rule"), empty_label=_("any")
    )
    track = django_filters.ChoiceFilter(
        choices=Track.choices, label=pgettext_lazy("remediation", "Ladder"), empty_label=_("any")
    )
    province = django_filters.ModelChoiceFilter(
        field_name="registration__point__province",
        queryset=Province.objects.none(),
        label=_("Province"),
        empty_label=_("any"),
    )

    # a campaign's cases (enforcement.campaigns links its figures here): the id, and how they stand
    campaign = django_filters.NumberFilter(field_name="campaign_id", label=_("Campaign"), min_value=1)
    progress = django_filters.ChoiceFilter(
        choices=Progress.choices, method="filter_progress", label=_("Campaign progress"), empty_label=_("any")
    )

    class Meta:
        model = RemediationCase
        fields = ["status", "step", "rule", "track", "province", "campaign", "progress"]

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        provinces = Province.objects.all()
        scope = province_scope(request.user) if request is not None else None
        if scope is not None:
            provinces = provinces.filter(code__in=scope)
        self.filters["province"].queryset = provinces
        self.form.fields["province"].queryset = provinces
        from registrations.models import Rule

        names = {r.code: r for r in Rule.objects.filter(code__in=LADDER_RULES)}
        self.form.fields["rule"].choices = [("", _("any"))] + [
            (code, _rule_name(names.get(code), code)) for code in LADDER_RULES
        ]

    def filter_rule(self, queryset, name, value):
        return rule_filter(queryset, value)

    def filter_progress(self, queryset, name, value):
        return queryset.filter(campaign__isnull=False).filter(progress_q(value))


def _rule_name(rule, code: str) -> str:
    from django.utils.translation import get_language

    if rule is None:
        return code
    return rule.name_vi if (get_language() or "").startswith("vi") else rule.name_en
