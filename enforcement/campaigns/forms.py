import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Campaign
from .services import default_days


class CampaignForm(forms.Form):
    """A manager's campaign: a point or an agent by code, a period of local dates, a reason."""

    subject_type = forms.ChoiceField(label=_("Subject"), choices=Campaign.Subject.choices, widget=forms.RadioSelect)
    code = forms.CharField(label=_("Code"), max_length=64)
    period_from = forms.DateField(
        label=_("Registered from"),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": _("Give a date (YYYY-MM-DD).")},
    )
    period_until = forms.DateField(
        label=_("Registered before"),
        help_text=_("This day is not included."),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": _("Give a date (YYYY-MM-DD).")},
    )
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Kept with the campaign and in the audit trail (at least 10 characters)."),
    )

    @classmethod
    def initial_values(cls) -> dict:
        today = timezone.localdate()
        return {
            "subject_type": Campaign.Subject.POINT,
            "period_from": today - dt.timedelta(days=default_days()),
            "period_until": today + dt.timedelta(days=1),
        }


class WithdrawForm(forms.Form):
    """Withdrawing a campaign started by mistake: the reason is required."""

    reason = forms.CharField(
        label=_("Reason for withdrawal"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Its cases still open are closed as withdrawn; steps already sent stay on record. Kept with the "
            "campaign and in the audit trail (at least 10 characters)."
        ),
    )
