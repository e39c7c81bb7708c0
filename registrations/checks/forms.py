from django import forms
from django.utils.translation import gettext_lazy as _

from ..models import FlagStatus
from .services import REASON_MAX_LENGTH


class IdListField(forms.Field):
    """Ids from repeated `ids` parameters (the queue's check boxes)."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {"invalid": _("Not a flag id: %(value)s.")}

    def to_python(self, value):
        ids = []
        for item in value or []:
            try:
                ids.append(int(item))
            except (TypeError, ValueError) as exc:
                raise forms.ValidationError(
                    self.error_messages["invalid"], code="invalid", params={"value": item}
                ) from exc
        return list(dict.fromkeys(ids))


class FlagReviewForm(forms.Form):
    """Confirm or dismiss one or more flags; the reason goes to each flag's history and the audit trail."""

    ids = IdListField(required=False)
    to_status = forms.ChoiceField(
        label=_("Decision"),
        choices=[(FlagStatus.CONFIRMED, _("Confirm")), (FlagStatus.DISMISSED, _("Dismiss"))],
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Why you confirm or dismiss: kept in the flag's history and the audit trail."),
    )

    def clean_reason(self):
        reason = " ".join(self.cleaned_data["reason"].split())
        if not reason:
            raise forms.ValidationError(_("Give the reason for this decision."))
        return reason


class RuleForm(forms.Form):
    """A rule's switch and its parameters, one whole-number field per parameter (built from the rule's defaults)."""

    enabled = forms.BooleanField(label=_("Enabled"), required=False)
    reason = forms.CharField(
        label=_("Why the change"),
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required: kept on the new version and in the audit trail with the values before and after."),
    )

    def __init__(self, *args, parameters, **kwargs):
        """`parameters`: services.parameter_fields(rule)."""
        super().__init__(*args, **kwargs)
        self.parameter_names = []
        for param in parameters:
            if param.name in self.fields:
                continue
            self.fields[param.name] = forms.IntegerField(
                label=param.label,
                initial=param.value,
                min_value=param.minimum,
                max_value=param.maximum,
            )
            self.parameter_names.append(param.name)

    def parameter_fields(self):
        return [self[name] for name in self.parameter_names]

    def parameters(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.parameter_names}


class RollbackForm(forms.Form):
    """Restore an earlier version of a rule, with the reason (required)."""

    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("Why restore this version"),
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
