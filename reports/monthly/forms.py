"""Forms of reports.monthly: which month and provinces (within the user's reach), in which language."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import Province
from core.scoping import province_scope

from .figures import Month
from .services import LANGUAGES


class MonthField(forms.CharField):
    widget = forms.TextInput(attrs={"type": "month"})
    default_error_messages = {"invalid": _("Give the month as YYYY-MM, e.g. 2026-03.")}

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        try:
            return Month.parse(value)
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None


def default_month() -> Month:
    """The last complete month: the one a report is usually made for."""
    return Month.of(timezone.localdate()).previous


class ReportForm(forms.Form):
    month = MonthField(label=_("Month"), required=False)
    province = forms.MultipleChoiceField(
        label=_("Provinces"),
        required=False,
        help_text=_("None chosen: every province you may see."),
        widget=forms.SelectMultiple(attrs={"size": 4}),
    )
    lang = forms.ChoiceField(label=_("Language of the PDF"), choices=[], required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        scope = province_scope(user)
        provinces = Province.objects.all() if scope is None else Province.objects.filter(code__in=scope)
        self.fields["province"].choices = [(p.code, f"{p.code} {p.name}") for p in provinces.order_by("code")]
        self.fields["lang"].choices = [("vi", _("Vietnamese")), ("en", _("English"))]

    def clean_month(self):
        return self.cleaned_data.get("month") or default_month()

    def clean_lang(self):
        value = self.cleaned_data.get("lang") or "vi"
        return value if value in LANGUAGES else "vi"


class IssueForm(ReportForm):
    month = MonthField(label=_("Month"))
    lang = forms.ChoiceField(label=_("Language"), choices=[])
