"""The suggestions list's FilterSet (one for the page; an API would share it)."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import Province

from .models import LadderKind, SanctionSuggestion, SuggestionStatus

ANY_LABEL = _("any")


def _provinces(request):
    if request is None:
        return Province.objects.none()
    return Province.objects.for_user(request.user)


class SuggestionFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Point or agent code or name"))
    province = django_filters.ModelChoiceFilter(
        field_name="point__province", queryset=_provinces, label=_("Province"), empty_label=ANY_LABEL
    )
    status = django_filters.ChoiceFilter(choices=SuggestionStatus.choices, label=_("Status"), empty_label=ANY_LABEL)
    ladder = django_filters.ChoiceFilter(choices=LadderKind.choices, label=_("Ladder"), empty_label=ANY_LABEL)

    class Meta:
        model = SanctionSuggestion
        fields = ["q", "province", "status", "ladder"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(point__code__icontains=value)
            | Q(point__name__icontains=value)
            | Q(agent__code__icontains=value)
            | Q(agent__name__icontains=value)
        )
