from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from core.crypto import mask, normalise_id_number
from core.imports import CsvStream, ImportFileError, check_upload_size
from core.models import Province

from . import selectors
from .importers import AGENT_COLUMNS, POINT_COLUMNS
from .models import Agent, RegistrationPoint, Status


class ScopedModelForm(forms.ModelForm):
    """Province choices limited to the user's provinces; agent references entered by code."""

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        self.fields["province"].queryset = Province.objects.for_user(user)
        for name in ("authorised_from", "authorised_until"):
            self.fields[name].widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

    def _agent_from_code(self, field: str):
        code = (self.cleaned_data.get(field) or "").strip()
        if not code:
            return None
        agent = selectors.agent_by_code(user=self.user, code=code)
        if agent is None:
            raise forms.ValidationError(_("No agent with code %(code)s in your provinces."), params={"code": code})
        return agent


class OwnerDocMixin(forms.Form):
    """The owner's ID document: its number is never put back on the page (personal data); left blank on an
    edit, the number on record stays (its masked form is shown in the help text)."""

    owner_id_doc_number = forms.CharField(
        label=_("Owner's ID document number"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def _init_owner(self):
        field = self.fields["owner_id_doc_number"]
        self.initial["owner_id_doc_number"] = ""
        stored = self.instance.owner_id_doc_number if self.instance.pk else ""
        if stored:
            masked = mask(normalise_id_number(stored), 2, 2)
            field.help_text = _("On record: %(masked)s. Leave blank to keep it.") % {"masked": masked}

    def clean(self):
        data = super().clean()
        number = (data.get("owner_id_doc_number") or "").strip()
        stored = self.instance.owner_id_doc_number if self.instance.pk else ""
        if not data.get("owner_id_doc_type"):
            data["owner_id_doc_number"] = number  # validated with the type (both or neither)
        elif not number and stored:
            data["owner_id_doc_number"] = stored  # kept
        return data


class AgentForm(OwnerDocMixin, ScopedModelForm):
    parent_code = forms.CharField(label=_("Parent agent code"), required=False, max_length=32)

    class Meta:
        model = Agent
        fields = [
            "code",
            "name",
            "kind",
            "parent_code",
            "tax_code",
            "phone",
            "province",
            "contract_no",
            "owner_id_doc_type",
            "owner_id_doc_number",
            "authorised_from",
            "authorised_until",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._init_owner()
        if self.instance.pk and self.instance.parent_id:
            self.initial["parent_code"] = self.instance.parent.code

    def clean_parent_code(self):
        return self._agent_from_code("parent_code")

    def service_data(self) -> dict:
        data = {f: self.cleaned_data[f] for f in self.Meta.fields if f != "parent_code"}
        data["parent"] = self.cleaned_data["parent_code"]
        return data


class PointForm(OwnerDocMixin, ScopedModelForm):
    agent_code = forms.CharField(label=_("Agent code"), max_length=32)

    class Meta:
        model = RegistrationPoint
        fields = [
            "code",
            "agent_code",
            "name",
            "kind",
            "address",
            "province",
            "latitude",
            "longitude",
            "opens_at",
            "closes_at",
            "phone",
            "owner_id_doc_type",
            "owner_id_doc_number",
            "authorised_from",
            "authorised_until",
        ]
        widgets = {
            "opens_at": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "closes_at": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._init_owner()
        if self.instance.pk:
            self.initial["agent_code"] = self.instance.agent.code

    def clean_agent_code(self):
        return self._agent_from_code("agent_code")

    def service_data(self) -> dict:
        data = {f: self.cleaned_data[f] for f in self.Meta.fields if f != "agent_code"}
        data["agent"] = self.cleaned_data["agent_code"]
        return data


class StatusActionForm(forms.Form):
    ACTIONS = {
        "suspend": Status.SUSPENDED,
        "reinstate": Status.ACTIVE,
        "terminate": Status.TERMINATED,
    }
    action = forms.ChoiceField(choices=[(a, a) for a in ACTIONS], widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    include_points = forms.BooleanField(
        label=_("Do the same to this agent's points"),
        required=False,
        initial=True,
    )


class ImportForm(forms.Form):
    """agents.csv and/or points.csv, each within AGENTS_UPLOAD_MAX_BYTES, checked (encoding, header) here
    so a wrong file is refused at once rather than failing in the worker."""

    agents_file = forms.FileField(label=_("agents.csv"), required=False)
    points_file = forms.FileField(label=_("points.csv"), required=False)

    COLUMNS = {"agents_file": AGENT_COLUMNS, "points_file": POINT_COLUMNS}

    def _check(self, name):
        upload = self.cleaned_data.get(name)
        if upload:
            try:
                check_upload_size(upload, settings.AGENTS_UPLOAD_MAX_BYTES)
                CsvStream(upload, self.COLUMNS[name])
            except ImportFileError as exc:
                raise forms.ValidationError(str(exc)) from None
            finally:
                upload.seek(0)
        return upload

    def clean_agents_file(self):
        return self._check("agents_file")

    def clean_points_file(self):
        return self._check("points_file")

    def clean(self):
        data = super().clean()
        if not data.get("agents_file") and not data.get("points_file") and not self.errors:
            raise forms.ValidationError(_("Choose an agents file, a points file, or both."))
        return data

    def uploads(self) -> dict:
        """kind -> uploaded file, for the files given."""
        files = {"agents": self.cleaned_data.get("agents_file"), "points": self.cleaned_data.get("points_file")}
        return {kind: upload for kind, upload in files.items() if upload}
