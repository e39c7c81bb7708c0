"""The campaign list's filters: one FilterSet for the page and the API."""

import datetime as dt

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.renderers import ProvinceChoiceFilter, user_provinces

from .models import Campaign


class CampaignFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("Point or agent code"))
    status = django_filters.ChoiceFilter(choices=Campaign.Status.choices, label=_("Status"), empty_label=_("any"))
    trigger = django_filters.ChoiceFilter(choices=Campaign.Trigger.choices, label=_("Started by"), empty_label=_("any"))
    subject_type = django_filters.ChoiceFilter(
        choices=Campaign.Subject.choices, label=_("Subject"), empty_label=_("any")
    )
    province = ProvinceChoiceFilter(queryset=user_provinces, label=_("Province"), empty_label=_("any"))
    # open at the end of a local day (the monthly report's `campaigns_open`: its month's last day)
    open_on = django_filters.DateFilter(
        method="filter_open_on", label=_("Open at the end of"), widget=forms.DateInput(attrs={"type": "date"})
    )

    class Meta:
        model = Campaign
        fields = ["q", "status", "trigger", "subject_type", "province", "open_on"]

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(point__code__iexact=value) | Q(agent__code__iexact=value))

    def filter_open_on(self, queryset, name, value):
        from .services import day_start

        end = day_start(value + dt.timedelta(days=1))
        return queryset.filter(created_at__lt=end).filter(Q(closed_at__isnull=True) | Q(closed_at__gte=end))
