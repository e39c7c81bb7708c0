"""The blacklist's one FilterSet, shared by the page and the API."""

import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import Province
from core.renderers import ListFilterForm

from ..filters import ANY_LABEL
from .models import BlacklistEntry


def _provinces(request):
    if request is None:
        return Province.objects.none()
    return Province.objects.for_user(request.user)


class BlacklistFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Agent code or name"))
    state = django_filters.ChoiceFilter(
        choices=BlacklistEntry.State.choices, method="filter_state", label=_("State"), empty_label=ANY_LABEL
    )
    source = django_filters.ChoiceFilter(
        choices=BlacklistEntry.Source.choices, label=_("Listed because"), empty_label=ANY_LABEL
    )
    province = django_filters.ModelChoiceFilter(queryset=_provinces, label=_("Province"), empty_label=ANY_LABEL)

    class Meta:
        model = BlacklistEntry
        fields = ["q", "state", "source", "province"]
        form = ListFilterForm

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(agent_code__iexact=value) | Q(agent_name__icontains=value))

    def filter_state(self, queryset, name, value):
        now = timezone.now()
        if value == BlacklistEntry.State.LIFTED:
            return queryset.filter(lifted_at__isnull=False)
        if value == BlacklistEntry.State.EXPIRED:
            return queryset.filter(lifted_at__isnull=True, expires_at__lte=now)
        if value == BlacklistEntry.State.ACTIVE:
            return queryset.filter(lifted_at__isnull=True, expires_at__gt=now)
        return queryset
