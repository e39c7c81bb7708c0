from django import forms
from django.utils.translation import gettext_lazy as _


class LiftForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for lifting"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text=_("Kept on the entry and in the audit trail."),
    )


class AddForm(forms.Form):
    agent_code = forms.CharField(label=_("Agent code"), max_length=32)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    years = forms.IntegerField(
        label=_("Years on the list"),
        min_value=1,
        max_value=10,
        required=False,
        help_text=_("Blank: the default period."),
    )
