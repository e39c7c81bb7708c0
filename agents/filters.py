"""One FilterSet per list, shared by the HTML pages, the CSV exports and the API."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import Province

from .models import Agent, AgentKind, PointKind, RegistrationPoint, RiskTier, Status


def _provinces(request):
    if request is None:
        return Province.objects.none()
    return Province.objects.for_user(request.user)


class SupervisedFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    province = django_filters.ModelChoiceFilter(queryset=_provinces, label=_("Province"))
    status = django_filters.ChoiceFilter(choices=Status.choices, label=_("Status"))
    risk_tier = django_filters.ChoiceFilter(choices=RiskTier.choices, label=_("Risk tier"))

    search_fields: tuple[str, ...] = ()

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        query = Q()
        for field in self.search_fields:
            query |= Q(**{f"{field}__icontains": value})
        return queryset.filter(query)


class AgentFilter(SupervisedFilter):
    kind = django_filters.ChoiceFilter(choices=AgentKind.choices, label=_("Kind"))
    parent = django_filters.CharFilter(field_name="parent__code", label=_("Parent agent code"))
    search_fields = ("code", "name", "tax_code", "contract_no")

    class Meta:
        model = Agent
        fields = ["q", "province", "kind", "status", "risk_tier", "parent"]


class PointFilter(SupervisedFilter):
    kind = django_filters.ChoiceFilter(choices=PointKind.choices, label=_("Kind"))
    agent = django_filters.CharFilter(field_name="agent__code", label=_("Agent code"))
    search_fields = ("code", "name", "address")  # the agent has its own filter; an OR across a join defeats indexes

    class Meta:
        model = RegistrationPoint
        fields = ["q", "province", "kind", "status", "risk_tier", "agent"]
