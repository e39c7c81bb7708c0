from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import LadderPolicy, Step
from .services import POLICY_FIELDS


class PolicyForm(forms.Form):
    reminder_days = forms.IntegerField(label=LadderPolicy._meta.get_field("reminder_days").verbose_name)
    one_way_block_days = forms.IntegerField(label=LadderPolicy._meta.get_field("one_way_block_days").verbose_name)
    two_way_block_days = forms.IntegerField(label=LadderPolicy._meta.get_field("two_way_block_days").verbose_name)
    termination_days = forms.IntegerField(label=LadderPolicy._meta.get_field("termination_days").verbose_name)
    suspend_outgoing_hours = forms.IntegerField(
        label=LadderPolicy._meta.get_field("suspend_outgoing_hours").verbose_name
    )
    reason = forms.CharField(
        label=_("Reason for the change"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Kept with the version and in the audit trail (at least 10 characters)."),
    )

    def values(self) -> dict:
        return {name: self.cleaned_data[name] for name in POLICY_FIELDS}


class StepListForm(forms.Form):
    """Which list: a step and a local day (today by default)."""

    step = forms.ChoiceField(label=_("Step"), choices=Step.choices, required=False)
    day = forms.DateField(label=_("Day"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean_step(self):
        return self.cleaned_data.get("step") or Step.REMINDER

    def clean_day(self):
        return self.cleaned_data.get("day") or timezone.localdate()


class IssueForm(forms.Form):
    step = forms.ChoiceField(choices=Step.choices)
    day = forms.DateField()
    up_to = forms.IntegerField(min_value=1)


class OutcomesForm(forms.Form):
    file = forms.FileField(
        label=_("Outcomes file (CSV)"),
        help_text=_("Columns external_id, step, outcome (DONE or FAILED), done_at; UTF-8, header row."),
    )
