"""Forms of the sanction ladder: the ladder (a select per rung), confirming and dismissing a suggestion."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.numbers import grouped
from inspections.models import SanctionType

from . import ladder as arithmetic
from .models import MAX_RUNGS, MAX_WINDOW_DAYS, LadderKind

PREFIX = {LadderKind.POINT: "point_rung_", LadderKind.AGENT: "agent_rung_"}


def _type_label(sanction_type: SanctionType) -> str:
    if sanction_type.fine_max_vnd:
        low, high = grouped(sanction_type.fine_min_vnd or 0), grouped(sanction_type.fine_max_vnd)
        label = f"{sanction_type.name()} ({low}–{high} ₫)"
    else:
        label = f"{sanction_type.name()} ({sanction_type.get_target_display()})"
    if not sanction_type.active:
        label += f" ({_('no longer in use')})"
    return label


class LadderForm(forms.Form):
    window_days = forms.IntegerField(
        label=_("Window (days)"),
        min_value=1,
        max_value=MAX_WINDOW_DAYS,
        help_text=_("Earlier findings with a sanction count when found within this many days before."),
        error_messages={
            "min_value": _("The window is from 1 to %(max)s days.") % {"max": MAX_WINDOW_DAYS},
            "max_value": _("The window is from 1 to %(max)s days.") % {"max": MAX_WINDOW_DAYS},
        },
    )
    reason = forms.CharField(label=_("Reason for the change"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "—")] + [
            (t.code, _type_label(t)) for t in SanctionType.objects.order_by("kind", "target", "fine_min_vnd", "code")
        ]
        fields = {}
        for prefix in PREFIX.values():
            for number in range(1, MAX_RUNGS + 1):
                fields[f"{prefix}{number}"] = forms.ChoiceField(
                    label=_("Rung %(n)s") % {"n": number}, choices=choices, required=False
                )
        # the rungs between the window and the reason, in the order the page shows them
        reason = self.fields.pop("reason")
        self.fields.update(fields)
        self.fields["reason"] = reason

    @classmethod
    def initial_from(cls, version) -> dict:
        initial = {"window_days": version.window_days}
        for kind, prefix in PREFIX.items():
            for number, code in enumerate(version.rungs(kind), start=1):
                initial[f"{prefix}{number}"] = code
        return initial

    def rung_fields(self, kind: str) -> list:
        return [self[f"{PREFIX[kind]}{n}"] for n in range(1, MAX_RUNGS + 1)]

    def rungs(self, kind: str) -> list[str]:
        return [self.cleaned_data.get(f"{PREFIX[kind]}{n}") or "" for n in range(1, MAX_RUNGS + 1)]

    def clean(self):
        """Each ladder checked here too, so every mistake shows at once, each under its rung (the service
        checks again)."""
        data = super().clean()
        types = {t.code: t for t in SanctionType.objects.all()}
        for kind, prefix in PREFIX.items():
            values = [data.get(f"{prefix}{n}") or "" for n in range(1, MAX_RUNGS + 1)]
            filled = [n for n, v in enumerate(values, start=1) if v]
            if filled and len(filled) != filled[-1]:
                gap = next(n for n, v in enumerate(values, start=1) if not v)
                self.add_error(
                    f"{prefix}{gap}",
                    _("Rung %(n)s is empty but a higher rung is not: fill the rungs from the bottom.") % {"n": gap},
                )
                continue
            for rung, message in arithmetic.ladder_errors_by_rung(kind, [v for v in values if v], types):
                self.add_error(f"{prefix}{rung}", message)
        return data


class ConfirmForm(forms.Form):
    amount_vnd = forms.IntegerField(label=_("Amount (VND)"), required=False, min_value=0)
    note = forms.CharField(
        label=_("Grounds"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Shown to the manager who decides; the ladder's reasons are filled in, add yours."),
    )


class DismissForm(forms.Form):
    reason = forms.CharField(label=_("Why no sanction follows the ladder"), widget=forms.Textarea(attrs={"rows": 3}))
