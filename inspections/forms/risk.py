"""The risk and scheduling policy form (managers); the write is inspections.risk.policy_update."""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.utils.translation import gettext_lazy as _

from core.web import add_errors

from ..models import RiskPolicy
from ..risk import editable_fields, policy_validate

# the policy's numbers, grouped as the page shows them
GROUPS = (
    (_("Tiers"), ("high_from", "medium_from")),
    (
        _("Flags"),
        (
            "flag_window_days",
            "weight_critical",
            "weight_high",
            "weight_medium",
            "weight_low",
            "min_registrations",
            "flag_cap",
        ),
    ),
    (
        _("Inspections and sanctions"),
        (
            "findings_window_days",
            "weight_failed_item",
            "sanctions_window_days",
            "weight_per_month_uninspected",
            "uninspected_cap_months",
        ),
    ),
    (
        _("Scheduling"),
        (
            "cadence_high_days",
            "cadence_medium_days",
            "cadence_low_days",
            "risk_task_due_days",
            "schedule_ahead_days",
            "follow_up_due_days",
        ),
    ),
    (_("Escalation"), ("escalate_flag_after_hours",)),
    (
        _("Visit integrity"),
        (
            "integrity_max_distance_m",
            "integrity_max_accuracy_m",
            "integrity_min_minutes_on_site",
            "integrity_max_speed_kmh",
            "integrity_max_clock_skew_min",
            "max_photos_per_visit",
        ),
    ),
)


class PolicyForm(forms.ModelForm):
    reason = forms.CharField(
        label=_("Reason for the change"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Kept in the audit trail with the values before and after."),
    )

    class Meta:
        model = RiskPolicy
        fields = [f.name for f in editable_fields()]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.DecimalField):
                field.validators.append(MinValueValidator(Decimal(0)))
                field.widget.attrs.update(min="0", step="0.01", inputmode="decimal")
            elif isinstance(field, forms.IntegerField):
                field.widget.attrs.update(min="0", inputmode="numeric")

    def clean(self):
        cleaned = super().clean()
        names = self.Meta.fields
        if all(name in cleaned for name in names):
            try:
                policy_validate({name: cleaned[name] for name in names})
            except ValidationError as exc:
                add_errors(self, exc)
        return cleaned

    def values(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}

    def groups(self):
        """(title, [bound fields]) in page order."""
        return [(title, [self[name] for name in names]) for title, names in GROUPS]
