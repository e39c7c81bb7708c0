"""Checklists: versioned templates and their items (a version a report used never changes)."""

import re
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from registrations.models import Severity

# "<n" or ">n" with a whole number n (the failing answer of a NUMBER item)
NUMBER_RULE_RE = re.compile(r"^[<>]-?\d+$")


class ChecklistTemplate(models.Model):
    """One version of a checklist. Versions of one checklist share a `family`; a report keeps its version.

    Editing makes a new version (services.checklists); a version that a report used is never changed.
    """

    family = models.SlugField(_("checklist"), max_length=40)
    version = models.PositiveIntegerField(_("version"))
    name = models.CharField(_("name"), max_length=200)
    is_current = models.BooleanField(
        _("in use"), default=False, help_text=_("The version new inspections use; one per checklist.")
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    change_note = models.TextField(_("what changed"), blank=True)

    class Meta:
        ordering = ["family", "-version"]
        verbose_name = _("checklist template")
        verbose_name_plural = _("checklist templates")
        constraints = [
            models.UniqueConstraint(fields=["family", "version"], name="checklist_family_version_uniq"),
            models.UniqueConstraint(
                fields=["family"], condition=models.Q(is_current=True), name="checklist_one_current_per_family"
            ),
        ]

    def __str__(self):
        return f"{self.name} v{self.version}"


class AnswerKind(models.TextChoices):
    YES_NO_NA = "YES_NO_NA", _("Yes / no / not applicable")
    NUMBER = "NUMBER", _("Number")
    TEXT = "TEXT", _("Text")
    PHOTO = "PHOTO", _("Photo")


class ChecklistItem(models.Model):
    """One question of a checklist version, with what answer fails it.

    `failing_answer`: for YES_NO_NA "YES" or "NO"; for NUMBER a comparison with a whole number such as
    ">0" or "<1"; blank: the answer never fails the item by itself (TEXT, PHOTO).
    """

    template = models.ForeignKey(ChecklistTemplate, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField(_("position"))
    code = models.SlugField(_("code"), max_length=40, help_text=_("Stable across versions."))
    question_en = models.CharField(_("question (English)"), max_length=300)
    question_vi = models.CharField(_("question (Vietnamese)"), max_length=300)
    answer_kind = models.CharField(_("answer kind"), max_length=10, choices=AnswerKind.choices)
    failing_answer = models.CharField(_("failing answer"), max_length=12, blank=True)
    requires_photo = models.BooleanField(_("photo required"), default=False)
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices, default=Severity.MEDIUM)
    legal_basis = models.CharField(_("legal basis"), max_length=300, blank=True)

    class Meta:
        ordering = ["template", "position"]
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")
        constraints = [models.UniqueConstraint(fields=["template", "code"], name="checklist_item_code_uniq")]

    def __str__(self):
        return self.code

    def question(self, language: str | None = None) -> str:
        """The question in `language` (the active one when not given); the other language's only when this
        one is missing (an item written before both were required), never a blank."""
        from django.utils.translation import get_language

        vietnamese = (language or get_language() or "vi").startswith("vi")
        first, other = (self.question_vi, self.question_en) if vietnamese else (self.question_en, self.question_vi)
        return first.strip() or other

    def fails(self, value: str) -> bool:
        """Whether this answer fails the item (blank never fails: not answered)."""
        value = (value or "").strip()
        rule = self.failing_answer.strip()
        if not value or not rule:
            return False
        if self.answer_kind == AnswerKind.YES_NO_NA:
            return value.upper() == rule.upper()
        # the checklist editor's own pattern (one sign, decimal digits): a rule such as ">--5" or "<²" that
        # got in some other way never fails an answer rather than failing the request
        if self.answer_kind == AnswerKind.NUMBER and NUMBER_RULE_RE.match(rule):
            try:
                number = Decimal(value)
            except ArithmeticError:
                return False
            limit = Decimal(rule[1:])
            return number > limit if rule[0] == ">" else number < limit
        return False
