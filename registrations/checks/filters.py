"""The flag queue's filters: one FilterSet for the page, its CSV export and the API."""

import datetime as dt

import django_filters
from django.utils.translation import gettext_lazy as _

from agents.models import Agent, RegistrationPoint
from core.models import Province

from ..models import Flag, FlagStatus, Rule, Severity
from ..records.filters import code_variants, date_widget, local_day_start


def _flag_provinces(request):
    if request is None:
        return Province.objects.none()
    return Province.objects.for_user(request.user)


class FlagFilter(django_filters.FilterSet):
    """The flag queue, for the page, its CSV export and the API. Without a `status` parameter it shows the
    OPEN flags (the work to do); `status=` (blank) shows every status."""

    DEFAULT_STATUS = FlagStatus.OPEN

    rule = django_filters.ModelChoiceFilter(
        queryset=Rule.objects.all(), to_field_name="code", label=_("Rule"), empty_label=_("any")
    )
    severity = django_filters.ChoiceFilter(choices=Severity.choices, label=_("Severity"), empty_label=_("any"))
    status = django_filters.ChoiceFilter(choices=FlagStatus.choices, label=_("Status"), empty_label=_("any"))
    province = django_filters.ModelChoiceFilter(
        queryset=_flag_provinces, field_name="point__province", label=_("Province"), empty_label=_("any")
    )
    agent = django_filters.CharFilter(method="filter_agent", label=_("Agent code"))
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

    class Meta:
        model = Flag
        fields = [
            "rule",
            "severity",
            "status",
            "province",
            "agent",
            "point",
            "seen_from",
            "seen_to",
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

    def filter_point(self, queryset, name, value):
        if not value.strip():
            return queryset
        ids = list(RegistrationPoint.objects.filter(code__in=code_variants(value)).values_list("pk", flat=True))
        return queryset.filter(point_id__in=ids)

    def filter_seen_from(self, queryset, name, value):
        return queryset.filter(last_seen__gte=local_day_start(value))

    def filter_seen_to(self, queryset, name, value):
        return queryset.filter(last_seen__lt=local_day_start(value + dt.timedelta(days=1)))

    def filter_raised_from(self, queryset, name, value):
        return queryset.filter(first_seen__gte=local_day_start(value))

    def filter_raised_to(self, queryset, name, value):
        return queryset.filter(first_seen__lt=local_day_start(value + dt.timedelta(days=1)))
