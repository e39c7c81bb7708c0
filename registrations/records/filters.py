"""The registration search: one FilterSet for the page and the API, every filter an index lookup.

Built for 10 million rows: each filter is an equality on an indexed column (msisdn, iccid,
id_doc_hash, point, agent) or a range on registered_at, so together with the keyset pages in
(registered_at, id) order no search scans the table or counts it.
"""

import datetime as dt

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from agents.models import Agent, RegistrationPoint
from core.crypto import pii_digest
from core.renderers import ListFilterForm

from ..models import (
    Activation,
    Channel,
    PopulationCheck,
    Registration,
    RegistrationStatus,
)
from ..validators import DOC_TYPES, LOCAL_TZ, name_key, normalise_msisdn


class MsisdnField(forms.CharField):
    """A Vietnamese mobile number typed as 0912…, 84912… or +84912… (spaces, dots, dashes ignored) -> E.164."""

    default_error_messages = {
        "invalid": _("Not a Vietnamese mobile number: give it as 0912345678, 84912345678 or +84912345678."),
    }

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return ""
        e164 = normalise_msisdn(value)
        if e164 is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return e164


class MsisdnFilter(django_filters.CharFilter):
    field_class = MsisdnField


def date_widget():
    return forms.DateInput(attrs={"type": "date"})


def local_day_start(day: dt.date) -> dt.datetime:
    """The instant a local (Asia/Ho_Chi_Minh) day begins: date filters compare instants, so the index serves them."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=LOCAL_TZ)


def code_variants(value: str) -> set[str]:
    # Codes are stored as given (in practice upper case); accept a lower-case query without UPPER() on the column.
    value = value.strip()
    return {value, value.upper()}


class RegistrationFilter(django_filters.FilterSet):
    # the id the operator's systems and every flag show (issue 13); not personal, an exact unique match
    external_id = django_filters.CharFilter(method="filter_external_id", label=_("External id"))
    msisdn = MsisdnFilter(method="filter_msisdn", label=_("Phone number (MSISDN)"))
    # exact, in any case and spacing (the normalised name the rules compare); personal: searched by POST only
    subscriber_name = django_filters.CharFilter(method="filter_subscriber_name", label=_("Subscriber's full name"))
    iccid = django_filters.CharFilter(method="filter_iccid", label=_("ICCID"))
    id_type = django_filters.ChoiceFilter(
        choices=[(t, t) for t in DOC_TYPES],
        method="filter_id_type",
        label=_("ID document type"),
        empty_label=_("any"),
    )
    id_number = django_filters.CharFilter(method="filter_id_number", label=_("ID document number"))
    point = django_filters.CharFilter(method="filter_point", label=_("Point code"))
    agent = django_filters.CharFilter(method="filter_agent", label=_("Agent code"))
    registered_from = django_filters.DateFilter(
        method="filter_registered_from", label=_("Registered from"), widget=date_widget()
    )
    registered_to = django_filters.DateFilter(
        method="filter_registered_to", label=_("Registered until (inclusive)"), widget=date_widget()
    )
    population_check = django_filters.ChoiceFilter(
        choices=PopulationCheck.choices, label=_("Population check"), empty_label=_("any")
    )
    channel = django_filters.ChoiceFilter(choices=Channel.choices, label=_("Channel"), empty_label=_("any"))
    status = django_filters.ChoiceFilter(choices=RegistrationStatus.choices, label=_("Status"), empty_label=_("any"))
    # the monthly report's drill-down for one province: the registrations at its points
    province = django_filters.CharFilter(method="filter_province", label=_("Province code"))

    class Meta:
        model = Registration
        form = ListFilterForm  # selects and inputs written in Python: no template per <option>
        fields = [
            "external_id",
            "msisdn",
            "subscriber_name",
            "iccid",
            "id_type",
            "id_number",
            "point",
            "agent",
            "registered_from",
            "registered_to",
            "population_check",
            "channel",
            "status",
            "province",
        ]

    def filter_external_id(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(external_id=value) if value else queryset

    def filter_subscriber_name(self, queryset, name, value):
        key = name_key(value)
        return queryset.filter(name_key=key) if key else queryset

    def filter_msisdn(self, queryset, name, value):
        return queryset.filter(msisdn=value) if value else queryset

    def filter_iccid(self, queryset, name, value):
        value = "".join(value.split())
        return queryset.filter(iccid=value) if value else queryset

    def filter_id_type(self, queryset, name, value):
        # With a number the type only narrows the hash (filter_id_number); alone it filters the type.
        if not value or (self.form.cleaned_data.get("id_number") or "").strip():
            return queryset
        return queryset.filter(id_doc_type=value)

    def filter_id_number(self, queryset, name, value):
        """Match the keyed hash of (type, normalised number): the number itself is stored encrypted."""
        if not value.strip():
            return queryset
        doc_type = self.form.cleaned_data.get("id_type")
        hashes = {pii_digest(t, value) for t in ([doc_type] if doc_type else DOC_TYPES)} - {None}
        return queryset.filter(id_doc_hash__in=hashes) if hashes else queryset.none()

    def filter_point(self, queryset, name, value):
        if not value.strip():
            return queryset
        # ids first: `point_id IN (…)` lets the (point, registered_at) index serve the page
        ids = list(RegistrationPoint.objects.filter(code__in=code_variants(value)).values_list("pk", flat=True))
        return queryset.filter(point_id__in=ids)

    def filter_agent(self, queryset, name, value):
        if not value.strip():
            return queryset
        ids = list(Agent.objects.filter(code__in=code_variants(value)).values_list("pk", flat=True))
        return queryset.filter(agent_id__in=ids)

    def filter_province(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        ids = list(RegistrationPoint.objects.filter(province_id=value).values_list("pk", flat=True))
        return queryset.filter(point_id__in=ids)

    def filter_registered_from(self, queryset, name, value):
        return queryset.filter(registered_at__gte=local_day_start(value))

    def filter_registered_to(self, queryset, name, value):
        return queryset.filter(registered_at__lt=local_day_start(value + dt.timedelta(days=1)))


class ActivationFilter(django_filters.FilterSet):
    iccid = django_filters.CharFilter(method="filter_iccid", label=_("ICCID"))
    msisdn = MsisdnFilter(method="filter_msisdn", label=_("Phone number (MSISDN)"))
    activated_from = django_filters.DateFilter(
        method="filter_activated_from", label=_("Activated from"), widget=date_widget()
    )
    activated_to = django_filters.DateFilter(
        method="filter_activated_to", label=_("Activated until (inclusive)"), widget=date_widget()
    )

    class Meta:
        model = Activation
        fields = ["iccid", "msisdn", "activated_from", "activated_to"]

    def filter_iccid(self, queryset, name, value):
        value = "".join(value.split())
        return queryset.filter(iccid=value) if value else queryset

    def filter_msisdn(self, queryset, name, value):
        return queryset.filter(msisdn=value) if value else queryset

    def filter_activated_from(self, queryset, name, value):
        return queryset.filter(activated_at__gte=local_day_start(value))

    def filter_activated_to(self, queryset, name, value):
        return queryset.filter(activated_at__lt=local_day_start(value + dt.timedelta(days=1)))
