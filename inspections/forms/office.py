"""Forms of the compliance staff's pages. They parse and check input; the services decide and write."""

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from agents.models import RegistrationPoint
from registrations.models import Severity

from ..models import AnswerKind, SanctionKind, SanctionType, TaskKind

HAND_KINDS = [(k.value, k.label) for k in (TaskKind.ROUTINE, TaskKind.RISK, TaskKind.COMPLAINT)]
REASON_MAX = 2000


def date_input():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _not_past(value: dt.date) -> dt.date:
    if value < timezone.localdate():
        raise ValidationError(_("The due date cannot be in the past."))
    return value


class TaskDueForm(forms.Form):
    due_date = forms.DateField(label=_("Due date"), widget=date_input())
    reason = forms.CharField(
        label=_("Reason"), required=False, max_length=REASON_MAX, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean_due_date(self):
        return _not_past(self.cleaned_data["due_date"])


class TaskCreateForm(TaskDueForm):
    """A task by hand: the point by its code (in the user's provinces), a kind, a due date, a reason."""

    point_code = forms.CharField(label=_("Point code"), max_length=32)
    kind = forms.ChoiceField(label=_("Kind"), choices=HAND_KINDS, initial=TaskKind.ROUTINE)
    field_order = ["point_code", "kind", "due_date", "reason"]

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        self.fields["reason"].help_text = _("Required for a complaint: who complained, and about what.")

    def clean_point_code(self):
        code = self.cleaned_data["point_code"].strip()
        point = RegistrationPoint.objects.for_user(self.user).select_related("province").filter(code=code).first()
        if point is None:
            raise ValidationError(
                _("No registration point with code %(code)s in your provinces."), params={"code": code}
            )
        return point

    def clean(self):
        data = super().clean()
        if data.get("kind") == TaskKind.COMPLAINT and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Say what the complaint is about."))
        return data


class BulkTaskForm(TaskDueForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=HAND_KINDS, initial=TaskKind.ROUTINE)
    field_order = ["kind", "due_date", "reason"]


class InspectorChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        name = obj.get_full_name() or obj.get_username()
        if hasattr(obj, "open_tasks"):
            return _("%(name)s — %(open)d open, %(overdue)d overdue") % {
                "name": name,
                "open": obj.open_tasks,
                "overdue": obj.overdue_tasks,
            }
        return name


class AssignForm(forms.Form):
    inspector = InspectorChoiceField(label=_("Inspector"), queryset=None)

    def __init__(self, *args, inspectors, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["inspector"].queryset = inspectors


class BulkAssignForm(AssignForm):
    ids = forms.ModelMultipleChoiceField(queryset=None, widget=forms.MultipleHiddenInput)

    def __init__(self, *args, tasks, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ids"].queryset = tasks
        self.fields["ids"].error_messages["required"] = _("Tick at least one task.")


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=REASON_MAX, widget=forms.Textarea(attrs={"rows": 2}))


class ReviewForm(forms.Form):
    """Accept (with an optional note, and for a follow-up which corrective actions are fixed) or return."""

    ACCEPT, RETURN = "accept", "return"
    decision = forms.ChoiceField(choices=[(ACCEPT, _("Accept")), (RETURN, _("Return to the inspector"))])
    note = forms.CharField(
        label=_("Note or reason"),
        required=False,
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Returning needs a reason: the inspector sees it on the phone."),
    )
    verified = forms.ModelMultipleChoiceField(
        label=_("Fixed (verified on site)"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, actions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["verified"].queryset = actions
        self.fields["verified"].label_from_instance = lambda a: a.description
        self.initial.setdefault("verified", list(actions))
        if not actions:
            del self.fields["verified"]

    def clean(self):
        data = super().clean()
        if data.get("decision") == self.RETURN and not (data.get("note") or "").strip():
            self.add_error("note", _("Say what the inspector must fix or add."))
        return data


class SanctionProposeForm(forms.Form):
    sanction_type = forms.ModelChoiceField(label=_("Sanction"), queryset=SanctionType.objects.filter(active=True))
    amount_vnd = forms.IntegerField(
        label=_("Amount (VND)"), required=False, min_value=0, help_text=_("Fines only, within the legal range.")
    )
    note = forms.CharField(label=_("Grounds"), max_length=REASON_MAX, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sanction_type"].label_from_instance = self._label

    @staticmethod
    def _label(t: SanctionType) -> str:
        if t.kind == SanctionKind.FINE and t.fine_max_vnd:
            low, high = (number_format(v, force_grouping=True) for v in (t.fine_min_vnd or 0, t.fine_max_vnd))
            return f"{t.name()} ({low} – {high} VND)"
        return t.name()


class DecisionForm(forms.Form):
    note = forms.CharField(
        label=_("Note"), required=False, max_length=REASON_MAX, widget=forms.Textarea(attrs={"rows": 2})
    )


class ActionCreateForm(forms.Form):
    description = forms.CharField(
        label=_("What must be done"), max_length=REASON_MAX, widget=forms.Textarea(attrs={"rows": 3})
    )
    owner = forms.CharField(label=_("Owner"), max_length=200, help_text=_("Who at the point or agent is responsible."))
    due_date = forms.DateField(label=_("Due date"), widget=date_input())

    def clean_due_date(self):
        return _not_past(self.cleaned_data["due_date"])


class EvidenceForm(forms.Form):
    note = forms.CharField(
        label=_("What was done"), required=False, max_length=REASON_MAX, widget=forms.Textarea(attrs={"rows": 3})
    )
    file = forms.FileField(
        label=_("Evidence file"),
        required=False,
        help_text=_("PDF, JPEG, PNG or WebP, at most 10 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/jpeg,image/png,image/webp"}),
    )


class ChecklistMetaForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    change_note = forms.CharField(
        label=_("What changed"), max_length=REASON_MAX, widget=forms.Textarea(attrs={"rows": 2})
    )


class ChecklistItemForm(forms.Form):
    code = forms.SlugField(label=_("Code"), max_length=40, help_text=_("Stable across versions."))
    question_en = forms.CharField(
        label=_("Question (English)"), max_length=300, widget=forms.Textarea(attrs={"rows": 2})
    )
    question_vi = forms.CharField(
        label=_("Question (Vietnamese)"), max_length=300, widget=forms.Textarea(attrs={"rows": 2})
    )
    # a blank first choice: the empty row for a new item stays unchanged (and ignored) until filled in
    answer_kind = forms.ChoiceField(label=_("Answer kind"), choices=[("", "—"), *AnswerKind.choices])
    failing_answer = forms.CharField(
        label=_("Failing answer"),
        max_length=12,
        required=False,
        help_text=_("Yes/no: YES or NO. Number: a comparison such as >0. Blank: never fails."),
    )
    requires_photo = forms.BooleanField(label=_("Photo required"), required=False)
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices, initial=Severity.MEDIUM)
    legal_basis = forms.CharField(label=_("Legal basis"), max_length=300, required=False)


ChecklistItemFormSet = forms.formset_factory(ChecklistItemForm, extra=1, can_delete=True, can_order=True)
