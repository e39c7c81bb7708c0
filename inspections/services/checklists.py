"""Checklist editing: every change is a new version of the checklist; the versions reports used stay as they were."""

import re

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from core.audit import audit_record
from core.models import User
from registrations.models import Severity

from ..models import AnswerKind, ChecklistItem, ChecklistTemplate
from ..models.checklists import NUMBER_RULE_RE

EDIT_PERMISSION = "inspections.change_checklisttemplate"
ITEM_FIELDS = (
    "code",
    "question_en",
    "question_vi",
    "answer_kind",
    "failing_answer",
    "requires_photo",
    "severity",
    "legal_basis",
)
CODE_RE = re.compile(r"^[-a-zA-Z0-9_]+$")


def _clean_item(raw: dict) -> tuple[dict, list[str]]:
    item = {
        "code": str(raw.get("code") or "").strip(),
        "question_en": str(raw.get("question_en") or "").strip(),
        "question_vi": str(raw.get("question_vi") or "").strip(),
        "answer_kind": str(raw.get("answer_kind") or "").strip(),
        "failing_answer": str(raw.get("failing_answer") or "").strip().upper(),
        "requires_photo": bool(raw.get("requires_photo")),
        "severity": str(raw.get("severity") or Severity.MEDIUM).strip(),
        "legal_basis": str(raw.get("legal_basis") or "").strip(),
    }
    problems = []
    if not item["code"] or not CODE_RE.match(item["code"]) or len(item["code"]) > 40:
        problems.append(_("a code of letters, digits, - and _ (at most 40) is required"))
    if not item["question_en"] or not item["question_vi"]:
        problems.append(_("the question is required in English and in Vietnamese"))
    if item["answer_kind"] not in AnswerKind.values:
        problems.append(_("unknown answer kind"))
    if item["severity"] not in Severity.values:
        problems.append(_("unknown severity"))
    failing = item["failing_answer"]
    if item["answer_kind"] == AnswerKind.YES_NO_NA and failing not in ("", "YES", "NO"):
        problems.append(_("a yes/no question fails on YES, on NO, or never (blank)"))
    elif item["answer_kind"] == AnswerKind.NUMBER and failing and not NUMBER_RULE_RE.match(failing):
        problems.append(_("a number fails on a comparison such as >0 or <1, or never (blank)"))
    elif item["answer_kind"] in (AnswerKind.TEXT, AnswerKind.PHOTO) and failing:
        problems.append(_("a text or photo answer has no failing answer"))
    for field, limit in (("question_en", 300), ("question_vi", 300), ("legal_basis", 300)):
        if len(item[field]) > limit:
            problems.append(_("%(field)s is longer than %(n)d characters") % {"field": field, "n": limit})
    return item, problems


def validate_items(items: list[dict]) -> list[dict]:
    """The items cleaned, or ValidationError listing each item's problems by position and code."""
    if not items:
        raise ValidationError(_("A checklist needs at least one item."), code="no_items")
    cleaned, errors, seen = [], [], {}
    for position, raw in enumerate(items, 1):
        item, problems = _clean_item(raw)
        code = item["code"]
        if code and code in seen:
            problems.append(_("the code is also used by item %(n)d") % {"n": seen[code]})
        seen.setdefault(code, position)
        if problems:
            errors.append(
                _("Item %(n)d (%(code)s): %(problems)s.")
                % {"n": position, "code": code or "?", "problems": "; ".join(problems)}
            )
        cleaned.append(item)
    if errors:
        raise ValidationError(errors, code="invalid_items")
    return cleaned


def _differences(old: list[dict], new: list[dict]) -> dict:
    before = {i["code"]: i for i in old}
    after = {i["code"]: i for i in new}
    return {
        "added": [c for c in after if c not in before],
        "removed": [c for c in before if c not in after],
        "changed": [
            c for c in after if c in before and any(after[c][f] != before[c][f] for f in ITEM_FIELDS if f != "code")
        ],
        "reordered": [c for c in after if c in before] != [c for c in before if c in after],
    }


@transaction.atomic
def checklist_new_version(
    *, template: ChecklistTemplate, items: list[dict], name: str, change_note: str, actor: User
) -> ChecklistTemplate:
    """A new version in `template`'s family with `items` (in order), made the one in use; the old versions
    are kept unchanged for the reports that used them."""
    if not actor.has_perm(EDIT_PERMISSION):
        raise PermissionDenied
    name, change_note = (name or "").strip(), (change_note or "").strip()
    errors = {}
    if not name:
        errors["name"] = _("Give the checklist a name.")
    if not change_note:
        errors["change_note"] = _("Say what changed in this version.")
    try:
        cleaned = validate_items(items)
    except ValidationError as exc:
        errors["__all__"] = exc.messages
    if errors:
        raise ValidationError(errors)
    family = template.family
    # lock the family's rows: two managers saving at once make versions n+1 and n+2, not two n+1
    versions = list(ChecklistTemplate.objects.select_for_update().filter(family=family).order_by("version"))
    current = next((v for v in versions if v.is_current), None)
    number = (ChecklistTemplate.objects.filter(family=family).aggregate(m=Max("version"))["m"] or 0) + 1
    if current is not None:
        current.is_current = False
        current.save(update_fields=["is_current"])
    new = ChecklistTemplate.objects.create(
        family=family, version=number, name=name, is_current=True, created_by=actor, change_note=change_note
    )
    ChecklistItem.objects.bulk_create(
        ChecklistItem(template=new, position=position, **item) for position, item in enumerate(cleaned, 1)
    )
    base = current or template
    old_items = list(base.items.order_by("position").values(*ITEM_FIELDS))
    audit_record(
        action="checklist.new_version",
        actor=actor,
        obj=new,
        fields={"family": family, "version": number, "replaces": base.version, **_differences(old_items, cleaned)},
        reason=change_note,
    )
    return new
