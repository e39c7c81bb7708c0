"""The flag queue's filters: one FilterSet for the page, its CSV export and the API."""

import datetime as dt

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from agents.models import Agent, RegistrationPoint
from agents.selectors import agent_tree_ids
from core.models import Province
from core.renderers import ListFilterForm, ProvinceChoiceFilter, ShortListChoiceField

from ..models import Flag, FlagStatus, Rule, Severity
from ..records.filters import code_variants, date_widget, local_day_start


class _RuleChoiceField(ShortListChoiceField):
    def label_from_instance(self, obj):
        from ..templatetags.flag_tags import rule_name

        return rule_name(obj)  # the rule's name in the reader's language, not its code (issue 13)


class RuleChoiceFilter(django_filters.ModelChoiceFilter):
    field_class = _RuleChoiceField


def _flag_provinces(request):
    if request is None:
        return Province.objects.none()
    return Province.objects.for_user(request.user)


class FlagFilter(django_filters.FilterSet):
    """The flag queue, for the page, its CSV export and the API. Without a `status` parameter it shows the
    OPEN flags (the work to do); `status=` (blank) shows every status."""

    DEFAULT_STATUS = FlagStatus.OPEN
    BLANK_ALLOWED = ("status",)  # `status=`: every status (core.api.filters)

    # the select shows names: not each rule's descriptions and parameters on every page
    rule = RuleChoiceFilter(
        queryset=Rule.objects.only("code", "name_en", "name_vi"),
        to_field_name="code",
        label=_("Rule"),
        empty_label=_("any"),
    )
    severity = django_filters.ChoiceFilter(choices=Severity.choices, label=_("Severity"), empty_label=_("any"))
    status = django_filters.ChoiceFilter(choices=FlagStatus.choices, label=_("Status"), empty_label=_("any"))
    province = ProvinceChoiceFilter(
        queryset=_flag_provinces, field_name="point__province", label=_("Province"), empty_label=_("any")
    )
    agent = django_filters.CharFilter(method="filter_agent", label=_("Agent code"))
    # the flags of an agent and of its sub-agents at any depth (the agent page's roll-up links here)
    agent_tree = django_filters.CharFilter(method="filter_agent_tree", label=_("Agent code, with its sub-agents"))
    point = django_filters.CharFilter(method="filter_point", label=_("Point code"))
    seen_from = django_filters.DateFilter(method="filter_seen_from", label=_("Last seen from"), widget=date_widget())
    seen_to = django_filters.DateFilter(
        method="filter_seen_to", label=_("Last seen until (inclusive)"), widget=date_widget()
    )
    # the dashboard's "flags raised" per week: when a flag was first raised
    raised_from = django_filters.DateFilter(method="filter_raised_from", label=_("Raised from"), widget=date_widget())
    raised_to = django_filters.DateFilter(
        method="filter_raised_to", label=_("Raised until (inclusive)"), widget=date_widget()
    )

    # the monthly report's drill-down: a month's subjects (registrations by registered_at, activations by
    # activated_at) whose flag is open or confirmed
    live = django_filters.BooleanFilter(
        method="filter_live",
        label=_("Open or confirmed"),
        widget=forms.Select(choices=[("", _("any")), ("true", _("Yes")), ("false", _("No"))]),
    )
    subject_from = django_filters.DateFilter(
        method="filter_subject_from", label=_("Registered or activated from"), widget=date_widget()
    )
    subject_to = django_filters.DateFilter(
        method="filter_subject_to", label=_("Registered or activated until (inclusive)"), widget=date_widget()
    )

    class Meta:
        model = Flag
        form = ListFilterForm  # selects and inputs written in Python: no template per <option>
        fields = [
            "rule",
            "severity",
            "status",
            "province",
            "agent",
            "agent_tree",
            "point",
            "seen_from",
            "seen_to",
            "live",
            "subject_from",
            "subject_to",
            "raised_from",
            "raised_to",
        ]

    def __init__(self, data=None, *args, **kwargs):
        if data is not None and "status" not in data:
            data = data.copy()
            data["status"] = self.DEFAULT_STATUS
        super().__init__(data, *args, **kwargs)

    def filter_agent(self, queryset, name, value):
        if not value.strip():
            return queryset
        ids = list(Agent.objects.filter(code__in=code_variants(value)).values_list("pk", flat=True))
        return queryset.filter(agent_id__in=ids)

    def filter_agent_tree(self, queryset, name, value):
        if not value.strip():
            return queryset
        roots = Agent.objects.filter(code__in=code_variants(value)).values_list("pk", flat=True)
        return queryset.filter(agent_id__in=agent_tree_ids(roots))

    def filter_point(self, queryset, name, value):
        if not value.strip():
            return queryset
        ids = list(RegistrationPoint.objects.filter(code__in=code_variants(value)).values_list("pk", flat=True))
        return queryset.filter(point_id__in=ids)

    def filter_seen_from(self, queryset, name, value):
        return queryset.filter(last_seen__gte=local_day_start(value))

    def filter_seen_to(self, queryset, name, value):
        return queryset.filter(last_seen__lt=local_day_start(value + dt.timedelta(days=1)))

    def filter_live(self, queryset, name, value):
        if value is None:
            return queryset
        live = Q(status__in=(FlagStatus.OPEN, FlagStatus.CONFIRMED))
        return queryset.filter(live) if value else queryset.exclude(live)

    def filter_subject_from(self, queryset, name, value):
        start = local_day_start(value)
        return queryset.filter(Q(registration__registered_at__gte=start) | Q(activation__activated_at__gte=start))

    def filter_subject_to(self, queryset, name, value):
        end = local_day_start(value + dt.timedelta(days=1))
        return queryset.filter(Q(registration__registered_at__lt=end) | Q(activation__activated_at__lt=end))

    def filter_raised_from(self, queryset, name, value):
        return queryset.filter(first_seen__gte=local_day_start(value))

    def filter_raised_to(self, queryset, name, value):
        return queryset.filter(first_seen__lt=local_day_start(value + dt.timedelta(days=1)))
