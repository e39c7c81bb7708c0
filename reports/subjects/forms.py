"""Forms of the subscriber requests' pages. The MSISDN and ID number are POSTed, never put in a URL."""

from django import forms
from django.utils.translation import gettext_lazy as _

from registrations.records.services import CORRECTABLE_FIELDS

from .models import SubjectRequest

ID_DOC_TYPES = [("", _("—")), ("CCCD", "CCCD"), ("CMND", "CMND"), ("PASSPORT", _("Passport"))]


class SubjectRequestForm(forms.Form):
    kind = forms.ChoiceField(label=_("The subscriber asks to"), choices=SubjectRequest.Kind.choices)
    msisdn = forms.CharField(
        label=_("MSISDN"),
        required=False,
        max_length=20,
        help_text=_("The subscriber's phone number, e.g. 0912345678."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "tel"}),
    )
    id_doc_type = forms.ChoiceField(label=_("ID document type"), choices=ID_DOC_TYPES, required=False)
    id_doc_number = forms.CharField(
        label=_("ID document number"),
        required=False,
        max_length=40,
        help_text=_("Only its keyed hash is kept, as on the registrations."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    received_at = forms.DateTimeField(
        label=_("Received"),
        required=False,
        help_text=_("Blank: now."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    reason = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=1000,
        help_text=_("How the request arrived (no personal data)."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class VerifyForm(forms.Form):
    method = forms.CharField(
        label=_("How the identity was checked"),
        max_length=200,
        help_text=_("e.g. original CCCD seen at the shop counter"),
    )


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))


class CorrectForm(forms.Form):
    """The new values of a correction: only the fields filled in are set (a blank field is left as it is)."""

    subscriber_name = forms.CharField(label=_("subscriber name"), required=False, max_length=200)
    date_of_birth = forms.CharField(label=_("date of birth"), required=False, help_text="YYYY-MM-DD")
    gender = forms.ChoiceField(label=_("gender"), required=False, choices=[("", "—"), ("M", "M"), ("F", "F")])
    nationality = forms.CharField(label=_("nationality"), required=False, max_length=2)
    id_doc_type = forms.ChoiceField(label=_("ID document type"), required=False, choices=ID_DOC_TYPES)
    id_doc_number = forms.CharField(label=_("ID document number"), required=False, max_length=40)
    id_issue_date = forms.CharField(label=_("ID issue date"), required=False, help_text="YYYY-MM-DD")
    id_issue_place = forms.CharField(label=_("ID issue place"), required=False, max_length=200)
    address = forms.CharField(label=_("address"), required=False, max_length=500)

    def changes(self) -> dict[str, str]:
        return {name: value for name in CORRECTABLE_FIELDS if (value := self.cleaned_data.get(name))}
