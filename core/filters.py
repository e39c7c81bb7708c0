import datetime as dt

import django_filters
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .audit import action_label, object_type_label
from .models import AuditEvent, Province
from .registry import AUDIT_ACTION_LABELS
from .scoping import province_scope


class AuditEventFilterForm(forms.Form):
    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
        return data


def _by_label(codes, label) -> list[tuple[str, str]]:
    return sorted(((code, label(code)) for code in codes if code), key=lambda c: (c[1].casefold(), c[0]))


class AuditEventFilter(django_filters.FilterSet):
    """The audit trail's filters, chosen from lists (issue 12): the page, its CSV export and their counts
    all filter through this one class. Give `request`: the user and province lists depend on the reader."""

    action = django_filters.ChoiceFilter(field_name="action", label=_("Action"), empty_label=_("Any action"))
    user = django_filters.ChoiceFilter(field_name="actor_label", label=_("User"), empty_label=_("Any user"))
    object_type = django_filters.ChoiceFilter(
        field_name="object_type", label=_("Object type"), empty_label=_("Any object type")
    )
    province = django_filters.ChoiceFilter(
        field_name="province_code", label=_("Province"), empty_label=_("Any province")
    )
    date_from = django_filters.DateFilter(
        method="filter_from", label=_("From"), widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = django_filters.DateFilter(
        method="filter_to", label=_("To"), widget=forms.DateInput(attrs={"type": "date"})
    )
    # an object's own events, linked from its page (an id, not a search)
    object_id = django_filters.CharFilter(field_name="object_id", label=_("Object id"), widget=forms.HiddenInput)

    class Meta:
        model = AuditEvent
        fields = ["action", "user", "object_type", "province", "date_from", "date_to", "object_id"]
        form = AuditEventFilterForm

    def __init__(self, data=None, queryset=None, *, request=None, **kwargs):
        super().__init__(data, queryset, request=request, **kwargs)
        user = request.user
        seen = AuditEvent.objects.order_by()
        # registered actions, and any other action the trail holds (shown as its code: nobody named it)
        actions = set(AUDIT_ACTION_LABELS) | set(seen.values_list("action", flat=True).distinct())
        self.filters["action"].extra["choices"] = _by_label(actions, action_label)
        self.filters["object_type"].extra["choices"] = _by_label(
            set(seen.values_list("object_type", flat=True).distinct()), object_type_label
        )
        self.filters["user"].extra["choices"] = [(name, name) for name in actor_names(user)]
        self.filters["province"].extra["choices"] = [
            (p.code, p.name) for p in Province.objects.for_user(user).order_by("name")
        ]

    def filter_from(self, queryset, name, value):
        return queryset.filter(created_at__gte=_local_midnight(value))

    def filter_to(self, queryset, name, value):
        return queryset.filter(created_at__lt=_local_midnight(value + dt.timedelta(days=1)))


def actor_names(user) -> list[str]:
    """User names the reader may pick: the accounts within its reach (core.selectors.user_list) and itself;
    for a reader of every province, every account (superusers included: the admin is audited too)."""
    from .models import User
    from .selectors import user_list

    accounts = User.objects.all() if province_scope(user) is None else user_list(actor=user)
    names = set(accounts.values_list("username", flat=True)) | {user.get_username()}
    return sorted(names, key=str.casefold)


def _local_midnight(day: dt.date) -> dt.datetime:
    """The start of a local calendar day (the reader's dates are local), as an aware instant."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))
