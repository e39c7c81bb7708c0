import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from .models import AuditEvent


class AuditEventFilter(django_filters.FilterSet):
    user = django_filters.CharFilter(field_name="actor_label", lookup_expr="iexact", label=_("User"))
    action = django_filters.CharFilter(field_name="action", lookup_expr="istartswith", label=_("Action"))
    object_type = django_filters.CharFilter(field_name="object_type", lookup_expr="iexact", label=_("Object type"))
    object_id = django_filters.CharFilter(field_name="object_id", label=_("Object id"))
    date_from = django_filters.DateFilter(
        field_name="created_at",
        lookup_expr="date__gte",
        label=_("From"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = django_filters.DateFilter(
        field_name="created_at",
        lookup_expr="date__lte",
        label=_("To"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = AuditEvent
        fields = ["user", "action", "object_type", "object_id", "date_from", "date_to"]
