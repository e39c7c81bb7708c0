from django import forms
from django.utils.translation import gettext_lazy as _

from .services import REVEAL_REASON_MIN_LENGTH


class RevealForm(forms.Form):
    """Why personal data is shown: kept in the audit trail with the names of the fields shown."""

    reason = forms.CharField(
        label=_("Reason"),
        min_length=REVEAL_REASON_MIN_LENGTH,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("E.g. the flag, inspection or subscriber request this is for. Recorded in the audit trail."),
    )

    def clean_reason(self):
        reason = " ".join(self.cleaned_data["reason"].split())
        if len(reason) < REVEAL_REASON_MIN_LENGTH:
            raise forms.ValidationError(
                _("Give a reason of at least %(n)d characters."), params={"n": REVEAL_REASON_MIN_LENGTH}
            )
        return reason
