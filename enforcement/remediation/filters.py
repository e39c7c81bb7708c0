"""The case list's filters: one FilterSet for the page and the API (/api/v1/remediation/cases/), and the
case step list's (the steps behind the monthly report's on-time and late figures).

Date filters take local days (Asia/Ho_Chi_Minh) and compare instants, as the monthly report counts them
(reports/monthly/figures.py): each of the report's remediation and campaign figures links to a list
filtered so it holds exactly the rows the figure counts."""

import datetime as dt

import django_filters
from django import forms
from django.db.models import Exists, F, OuterRef, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.renderers import ProvinceChoiceFilter, user_provinces

from ..campaigns.progress import Progress, progress_q
from .models import LADDER_RULES, CaseStep, RemediationCase, Step, Track
from .selectors import rule_filter
from .services import day_end


def _date_widget():
    return forms.DateInput(attrs={"type": "date"})


def _day_start(day: dt.date) -> dt.datetime:
    return day_end(day - dt.timedelta(days=1))


def _date_filter(label):
    return django_filters.DateFilter(method="filter_dates", label=label, widget=_date_widget())


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
    province = ProvinceChoiceFilter(
        field_name="registration__point__province",
        queryset=user_provinces,
        label=_("Province"),
        empty_label=_("any"),
    )

    # a campaign's cases (enforcement.campaigns links its figures here): the id, and how they stand
    campaign = django_filters.NumberFilter(field_name="campaign_id", label=_("Campaign"), min_value=1)
    progress = django_filters.ChoiceFilter(
        choices=Progress.choices, method="filter_progress", label=_("Campaign progress"), empty_label=_("any")
    )

    # the monthly report's figures: opened in a period; a step that came due in a period (the same step of
    # the case: one EXISTS over the case's steps); the cases of the campaigns open at some time in a period
    opened_from = _date_filter(_("Opened from"))
    opened_to = _date_filter(_("Opened until"))
    due_step = django_filters.ChoiceFilter(
        choices=Step.choices, method="filter_dates", label=_("Step due"), empty_label=_("any")
    )
    due_from = _date_filter(_("Step due from"))
    due_to = _date_filter(_("Step due until"))
    campaign_open_from = _date_filter(_("Campaign open from"))
    campaign_open_to = _date_filter(_("Campaign open until"))

    class Meta:
        model = RemediationCase
        fields = ["status", "step", "rule", "track", "province", "campaign", "progress"]
        fields += ["opened_from", "opened_to", "due_step", "due_from", "due_to"]
        fields += ["campaign_open_from", "campaign_open_to"]

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        from registrations.models import Rule

        names = {r.code: r for r in Rule.objects.filter(code__in=LADDER_RULES)}
        self.form.fields["rule"].choices = [("", _("any"))] + [
            (code, _rule_name(names.get(code), code)) for code in LADDER_RULES
        ]

    def filter_rule(self, queryset, name, value):
        return rule_filter(queryset, value)

    def filter_progress(self, queryset, name, value):
        return queryset.filter(campaign__isnull=False).filter(progress_q(value))

    def filter_dates(self, queryset, name, value):
        return queryset  # applied together in filter_queryset (the step's filters name one step row)

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        data = self.form.cleaned_data
        if data.get("opened_from"):
            queryset = queryset.filter(opened_at__gte=_day_start(data["opened_from"]))
        if data.get("opened_to"):
            queryset = queryset.filter(opened_at__lt=day_end(data["opened_to"]))
        if data.get("due_step") or data.get("due_from") or data.get("due_to"):
            steps = CaseStep.objects.filter(case_id=OuterRef("pk"))
            if data.get("due_step"):
                steps = steps.filter(step=data["due_step"])
            if data.get("due_from"):
                steps = steps.filter(due_at__gte=_day_start(data["due_from"]))
            if data.get("due_to"):
                steps = steps.filter(due_at__lt=day_end(data["due_to"]))
            queryset = queryset.filter(Exists(steps))
        if data.get("campaign_open_from"):
            since = _day_start(data["campaign_open_from"])
            queryset = queryset.filter(campaign__isnull=False).filter(
                Q(campaign__closed_at__isnull=True) | Q(campaign__closed_at__gte=since)
            )
        if data.get("campaign_open_to"):
            queryset = queryset.filter(campaign__created_at__lt=day_end(data["campaign_open_to"]))
        return queryset


HANDLED_CHOICES = [
    ("ON_TIME", _("Done on time")),
    ("LATE", _("Done late")),
    ("FAILED", _("Failed")),
    ("NOT_REPORTED", _("Not reported")),
]


class StepFilter(django_filters.FilterSet):
    """The case steps list: steps by their due day and how the operator handled them (a step is handled on
    time when reported DONE with `done_at` <= its due time, as `CaseStep.on_time` and the report say)."""

    step = django_filters.ChoiceFilter(choices=Step.choices, label=_("Step"), empty_label=_("any"))
    handled = django_filters.ChoiceFilter(
        choices=HANDLED_CHOICES, method="filter_handled", label=_("Handled"), empty_label=_("any")
    )
    province = ProvinceChoiceFilter(
        field_name="case__registration__point__province",
        queryset=user_provinces,
        label=_("Province"),
        empty_label=_("any"),
    )
    due_from = django_filters.DateFilter(method="filter_due_from", label=_("Due from"), widget=_date_widget())
    due_to = django_filters.DateFilter(method="filter_due_to", label=_("Due until"), widget=_date_widget())

    class Meta:
        model = CaseStep
        fields = ["step", "handled", "province", "due_from", "due_to"]

    def filter_handled(self, queryset, name, value):
        done = Q(outcome=CaseStep.Outcome.DONE, done_at__isnull=False)
        return queryset.filter(
            {
                "ON_TIME": done & Q(done_at__lte=F("due_at")),
                "LATE": done & Q(done_at__gt=F("due_at")),
                "FAILED": Q(outcome=CaseStep.Outcome.FAILED),
                "NOT_REPORTED": Q(outcome=CaseStep.Outcome.NONE),
            }[value]
        )

    def filter_due_from(self, queryset, name, value):
        return queryset.filter(due_at__gte=_day_start(value))

    def filter_due_to(self, queryset, name, value):
        return queryset.filter(due_at__lt=day_end(value))


def _rule_name(rule, code: str) -> str:
    from django.utils.translation import get_language

    if rule is None:
        return code
    return rule.name_vi if (get_language() or "").startswith("vi") else rule.name_en
