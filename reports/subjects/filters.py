"""The subscriber requests' filters: one FilterSet for the page and the API."""

import datetime as dt

import django_filters
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field

from .models import SubjectRequest
from .selectors import CLOSED, overdue_q

DUE_SOON_DAYS = 3
DUE_CHOICES = ("overdue", "soon", "open")


@extend_schema_field({"type": "string", "enum": list(DUE_CHOICES)})
class DueFilter(django_filters.ChoiceFilter):
    """Not the `due` date itself: which requests by their due dates (the schema says so)."""


class SubjectRequestFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=SubjectRequest.Kind.choices, label=_("Kind"), empty_label=_("any"))
    status = django_filters.ChoiceFilter(choices=SubjectRequest.Status.choices, label=_("Status"), empty_label=_("any"))
    due = DueFilter(
        choices=[
            ("overdue", _("Overdue")),
            ("soon", _("Due within 3 days")),
            ("open", _("Open (not completed)")),
        ],
        method="filter_due",
        label=_("Due"),
        empty_label=_("any"),
    )

    class Meta:
        model = SubjectRequest
        fields = ["kind", "status", "due"]

    def filter_due(self, queryset, name, value):
        today = timezone.localdate()
        if value == "overdue":
            return queryset.filter(overdue_q(today))
        open_requests = queryset.exclude(status__in=CLOSED)
        if value == "soon":
            return open_requests.filter(due__lte=today + dt.timedelta(days=DUE_SOON_DAYS))
        return open_requests
