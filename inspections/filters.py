"""One FilterSet per list: the planning page (tasks), findings, sanctions and corrective actions."""

import datetime as dt

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import Province
from core.renderers import ListFilterForm, ProvinceChoiceFilter, ShortListChoiceFilter
from registrations.models import Severity
from registrations.records.filters import local_day_start

from . import selectors
from .models import (
    NOT_SUBMITTED_STATUSES,
    OPEN_TASK_STATUSES,
    ActionStatus,
    CorrectiveAction,
    Finding,
    FindingKind,
    FindingStatus,
    InspectionTask,
    Sanction,
    SanctionKind,
    SanctionStatus,
    TaskKind,
    TaskStatus,
)

ANY = "all"
ANY_LABEL = _("any")


def _yes_no():
    return forms.Select(choices=[("", _("any")), ("true", _("Yes")), ("false", _("No"))])


def _provinces(request):
    if request is None:
        return Province.objects.none()
    return Province.objects.for_user(request.user)


def _inspectors(request):
    if request is None:
        return selectors.inspectors().none()
    # the select shows usernames: not every column of each account on every page
    return selectors.inspectors(user=request.user).order_by("username").only("username")


class _PointSearch(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Point code or name"))
    province = ProvinceChoiceFilter(
        field_name="point__province", queryset=_provinces, label=_("Province"), empty_label=ANY_LABEL
    )

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(point__code__icontains=value) | Q(point__name__icontains=value))


class TaskFilter(_PointSearch):
    """The planning page. No status chosen: the open tasks; "any status": all of them."""

    status = django_filters.ChoiceFilter(
        choices=[(ANY, _("Any status")), *TaskStatus.choices],
        method="filter_status",
        empty_label=_("Open tasks"),
        label=_("Status"),
    )
    kind = django_filters.ChoiceFilter(choices=TaskKind.choices, label=_("Kind"), empty_label=ANY_LABEL)
    due_from = django_filters.DateFilter(
        field_name="due_date", lookup_expr="gte", label=_("Due from"), widget=forms.DateInput(attrs={"type": "date"})
    )
    due_to = django_filters.DateFilter(
        field_name="due_date", lookup_expr="lte", label=_("Due until"), widget=forms.DateInput(attrs={"type": "date"})
    )
    closed_from = django_filters.DateFilter(
        method="filter_closed_from", label=_("Closed from"), widget=forms.DateInput(attrs={"type": "date"})
    )
    closed_to = django_filters.DateFilter(
        method="filter_closed_to", label=_("Closed until"), widget=forms.DateInput(attrs={"type": "date"})
    )
    inspector = ShortListChoiceFilter(queryset=_inspectors, label=_("Inspector"), empty_label=ANY_LABEL)
    unassigned = django_filters.BooleanFilter(
        field_name="inspector", lookup_expr="isnull", label=_("Unassigned"), widget=_yes_no()
    )
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("Overdue"), widget=_yes_no())
    cancelled = django_filters.BooleanFilter(method="filter_cancelled", label=_("Cancelled"), widget=_yes_no())

    class Meta:
        form = ListFilterForm  # selects and inputs written in Python: no template per <option>
        model = InspectionTask
        fields = [
            "q",
            "province",
            "status",
            "kind",
            "due_from",
            "due_to",
            "closed_from",
            "closed_to",
            "inspector",
            "unassigned",
            "overdue",
            "cancelled",
        ]

    def filter_cancelled(self, queryset, name, value):
        if value is None:
            return queryset
        cancelled = Q(status=TaskStatus.CANCELLED)
        return queryset.filter(cancelled) if value else queryset.exclude(cancelled)

    def filter_closed_from(self, queryset, name, value):
        return queryset.filter(closed_at__gte=local_day_start(value))

    def filter_closed_to(self, queryset, name, value):
        return queryset.filter(closed_at__lt=local_day_start(value + dt.timedelta(days=1)))

    def filter_status(self, queryset, name, value):
        if value == ANY:
            return queryset
        return queryset.filter(status=value)

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        late = Q(status__in=NOT_SUBMITTED_STATUSES, due_date__lt=timezone.localdate())
        return queryset.filter(late) if value else queryset.exclude(late)

    def filter_queryset(self, queryset):
        if not self.form.cleaned_data.get("status"):
            queryset = queryset.filter(status__in=OPEN_TASK_STATUSES)
        return super().filter_queryset(queryset)


class FindingFilter(_PointSearch):
    status = django_filters.ChoiceFilter(choices=FindingStatus.choices, label=_("Status"), empty_label=ANY_LABEL)
    severity = django_filters.ChoiceFilter(choices=Severity.choices, label=_("Severity"), empty_label=ANY_LABEL)
    kind = django_filters.ChoiceFilter(choices=FindingKind.choices, label=_("Kind"), empty_label=ANY_LABEL)
    found_from = django_filters.DateFilter(
        method="filter_found_from", label=_("Found from"), widget=forms.DateInput(attrs={"type": "date"})
    )
    found_to = django_filters.DateFilter(
        method="filter_found_to", label=_("Found until"), widget=forms.DateInput(attrs={"type": "date"})
    )

    class Meta:
        form = ListFilterForm  # selects and inputs written in Python: no template per <option>
        model = Finding
        fields = ["q", "province", "status", "severity", "kind", "found_from", "found_to"]

    def filter_found_from(self, queryset, name, value):
        return queryset.filter(created_at__gte=local_day_start(value))

    def filter_found_to(self, queryset, name, value):
        return queryset.filter(created_at__lt=local_day_start(value + dt.timedelta(days=1)))


class SanctionFilter(_PointSearch):
    status = django_filters.ChoiceFilter(choices=SanctionStatus.choices, label=_("Status"), empty_label=ANY_LABEL)
    kind = django_filters.ChoiceFilter(
        field_name="sanction_type__kind", choices=SanctionKind.choices, label=_("Kind"), empty_label=ANY_LABEL
    )
    decided_from = django_filters.DateFilter(
        method="filter_decided_from", label=_("Decided from"), widget=forms.DateInput(attrs={"type": "date"})
    )
    decided_to = django_filters.DateFilter(
        method="filter_decided_to", label=_("Decided until"), widget=forms.DateInput(attrs={"type": "date"})
    )

    class Meta:
        form = ListFilterForm  # selects and inputs written in Python: no template per <option>
        model = Sanction
        fields = ["q", "province", "status", "kind", "decided_from", "decided_to"]

    def filter_decided_from(self, queryset, name, value):
        return queryset.filter(decided_at__gte=local_day_start(value))

    def filter_decided_to(self, queryset, name, value):
        return queryset.filter(decided_at__lt=local_day_start(value + dt.timedelta(days=1)))


class ActionFilter(_PointSearch):
    status = django_filters.ChoiceFilter(choices=ActionStatus.choices, label=_("Status"), empty_label=ANY_LABEL)
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("Overdue"), widget=_yes_no())
    due_from = django_filters.DateFilter(
        field_name="due_date", lookup_expr="gte", label=_("Due from"), widget=forms.DateInput(attrs={"type": "date"})
    )
    due_to = django_filters.DateFilter(
        field_name="due_date", lookup_expr="lte", label=_("Due until"), widget=forms.DateInput(attrs={"type": "date"})
    )

    class Meta:
        form = ListFilterForm  # selects and inputs written in Python: no template per <option>
        model = CorrectiveAction
        fields = ["q", "province", "status", "overdue", "due_from", "due_to"]

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        late = Q(status=ActionStatus.OPEN, due_date__lt=timezone.localdate())
        return queryset.filter(late) if value else queryset.exclude(late)
