"""One FilterSet per list, shared by the HTML pages, the CSV exports and the API."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import Province

from .models import Agent, AgentKind, PointKind, RegistrationPoint, RiskTier, Status
from .selectors import agent_tree_ids


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
    # the agent's points and those of its sub-agents at any depth (the agent page's roll-up links here)
    agent_tree = django_filters.CharFilter(method="filter_agent_tree", label=_("Agent code, with its sub-agents"))
    search_fields = ("code", "name", "address")  # the agent has its own filter; an OR across a join defeats indexes

    class Meta:
        model = RegistrationPoint
        fields = ["q", "province", "kind", "status", "risk_tier", "agent", "agent_tree"]

    def filter_agent_tree(self, queryset, name, value):
        if not value.strip():
            return queryset
        roots = Agent.objects.filter(code=value.strip()).values_list("pk", flat=True)
        return queryset.filter(agent_id__in=agent_tree_ids(roots))
