"""One FilterSet per list, shared by the HTML pages, the CSV exports and the API."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import Province
from core.renderers import ListFilterForm, ProvinceChoiceFilter

from .models import Agent, AgentKind, PointKind, RegistrationPoint, RiskTier, Status
from .selectors import agent_tree_ids

# one marker for "no filter" on every list (issue 13 found three): the same word the other apps use
ANY_LABEL = _("any")


def _provinces(request):
    if request is None:
        return Province.objects.none()
    return Province.objects.for_user(request.user)


NOT_SCORED = "NONE"


def _date_widget():
    return forms.DateInput(attrs={"type": "date"})


class SupervisedFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    province = ProvinceChoiceFilter(queryset=_provinces, label=_("Province"), empty_label=ANY_LABEL)
    status = django_filters.ChoiceFilter(choices=Status.choices, label=_("Status"), empty_label=ANY_LABEL)
    risk_tier = django_filters.ChoiceFilter(
        choices=[*RiskTier.choices, (NOT_SCORED, _("Not scored yet"))],
        method="filter_risk_tier",
        label=_("Risk tier"),
        empty_label=ANY_LABEL,
    )

    search_fields: tuple[str, ...] = ()

    def filter_risk_tier(self, queryset, name, value):
        # a row the nightly scoring has not reached yet has a blank tier: the dashboard counts those too
        if not value:
            return queryset
        return queryset.filter(risk_tier="" if value == NOT_SCORED else value)

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        query = Q()
        for field in self.search_fields:
            query |= Q(**{f"{field}__icontains": value})
        return queryset.filter(query)


class AgentFilter(SupervisedFilter):
    kind = django_filters.ChoiceFilter(choices=AgentKind.choices, label=_("Kind"), empty_label=ANY_LABEL)
    parent = django_filters.CharFilter(field_name="parent__code", label=_("Parent agent code"))
    search_fields = ("code", "name", "tax_code", "contract_no")

    class Meta:
        model = Agent
        form = ListFilterForm  # selects written in Python: no template per <option>
        fields = ["q", "province", "kind", "status", "risk_tier", "parent"]


class PointFilter(SupervisedFilter):
    kind = django_filters.ChoiceFilter(choices=PointKind.choices, label=_("Kind"), empty_label=ANY_LABEL)
    agent = django_filters.CharFilter(field_name="agent__code", label=_("Agent code"))
    # the agent's points and those of its sub-agents at any depth (the agent page's roll-up links here)
    agent_tree = django_filters.CharFilter(method="filter_agent_tree", label=_("Agent code, with its sub-agents"))
    # the dashboard's inspection coverage: inspected on or after a day, or not (never inspected included)
    inspected_from = django_filters.DateFilter(
        field_name="last_inspection_on", lookup_expr="gte", label=_("Last inspected from"), widget=_date_widget()
    )
    inspected_before = django_filters.DateFilter(
        method="filter_inspected_before", label=_("Not inspected since"), widget=_date_widget()
    )
    search_fields = ("code", "name", "address")  # the agent has its own filter; an OR across a join defeats indexes

    class Meta:
        model = RegistrationPoint
        form = ListFilterForm
        fields = [
            "q",
            "province",
            "kind",
            "status",
            "risk_tier",
            "agent",
            "agent_tree",
            "inspected_from",
            "inspected_before",
        ]

    def filter_agent_tree(self, queryset, name, value):
        if not value.strip():
            return queryset
        roots = Agent.objects.filter(code=value.strip()).values_list("pk", flat=True)
        return queryset.filter(agent_id__in=agent_tree_ids(roots))

    def filter_inspected_before(self, queryset, name, value):
        return queryset.filter(Q(last_inspection_on__lt=value) | Q(last_inspection_on__isnull=True))
