"""Checklist versions (services.checklists and the editing page): a change is a new version that becomes the
one in use; the old version, and the reports that used it, stay as they were; items are validated."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from core.models import AuditEvent
from core.roles import Role
from inspections.models import ChecklistTemplate
from inspections.services.checklists import ITEM_FIELDS, checklist_new_version
from tests.inspections.factories import ReportFactory, TaskFactory, current_checklist

pytestmark = pytest.mark.django_db


def items_of(template) -> list[dict]:
    return [{f: getattr(i, f) for f in ITEM_FIELDS} for i in template.items.order_by("position")]


def item(code="new-item", kind="YES_NO_NA", failing="NO", **extra):
    return {
        "code": code,
        "question_en": "Is the price list posted?",
        "question_vi": "Bảng giá có được niêm yết không?",
        "answer_kind": kind,
        "failing_answer": failing,
        "requires_photo": False,
        "severity": "low",
        "legal_basis": "Directive 11/CT-BTTTT (2016)",
        **extra,
    }


def new_version(actor, items=None, **kwargs):
    v1 = current_checklist()
    values = {"name": v1.name, "change_note": "Price list item added", **kwargs}
    return checklist_new_version(
        template=v1, items=items if items is not None else [*items_of(v1), item()], actor=actor, **values
    )


def test_a_new_version_becomes_the_one_in_use_and_the_old_one_is_kept(manager, inspector):
    # given
    v1 = current_checklist()
    before = items_of(v1)
    report = ReportFactory(task=TaskFactory(inspector=inspector))
    # when
    v2 = new_version(manager)
    # then
    v1.refresh_from_db()
    assert (v2.family, v2.version, v2.is_current, v2.created_by) == (v1.family, v1.version + 1, True, manager)
    assert v1.is_current is False
    assert items_of(v1) == before
    assert [i["code"] for i in items_of(v2)] == [*(i["code"] for i in before), "new-item"]
    report.refresh_from_db()
    assert report.template == v1
    assert ChecklistTemplate.objects.filter(family=v1.family, is_current=True).get() == v2


def test_versions_follow_each_other_even_when_an_old_version_is_edited(manager):
    v1 = current_checklist()
    v2 = new_version(manager)
    v3 = checklist_new_version(template=v1, items=items_of(v1), name=v1.name, change_note="Back to v1", actor=manager)
    assert (v2.version, v3.version) == (2, 3)
    assert list(ChecklistTemplate.objects.filter(is_current=True)) == [v3]


def test_the_order_given_is_the_order_kept(manager):
    v1 = current_checklist()
    reversed_items = list(reversed(items_of(v1)))
    v2 = new_version(manager, items=reversed_items)
    assert [i["code"] for i in items_of(v2)] == [i["code"] for i in reversed_items]


def test_the_change_is_audited_with_what_was_added_removed_and_changed(manager):
    # given
    v1 = current_checklist()
    items = items_of(v1)[1:]  # the first item removed
    items[0]["severity"] = "critical"  # one changed
    # when
    v2 = new_version(manager, items=[*items, item()])
    # then
    audit = AuditEvent.objects.get(action="checklist.new_version", object_id=str(v2.pk))
    assert audit.fields["removed"] == [items_of(v1)[0]["code"]]
    assert audit.fields["added"] == ["new-item"]
    assert audit.fields["changed"] == [items[0]["code"]]
    assert audit.reason == "Price list item added"


@pytest.mark.parametrize(
    "bad",
    [
        item(kind="YES_NO_NA", failing="MAYBE"),
        item(kind="NUMBER", failing="more than 2"),
        item(kind="NUMBER", failing="=3"),
        item(kind="TEXT", failing="NO"),
        item(kind="PHOTO", failing="YES"),
        item(kind="SMELL"),
        item(code="has space"),
        item(code=""),
        item(question_vi=""),
        item(severity="apocalyptic"),
    ],
)
def test_invalid_items_are_refused_and_nothing_changes(manager, bad):
    # given
    v1 = current_checklist()
    # when
    with pytest.raises(ValidationError) as exc:
        new_version(manager, items=[*items_of(v1), bad])
    # then
    assert f"Item {v1.items.count() + 1}" in " ".join(exc.value.messages)
    assert ChecklistTemplate.objects.count() == 1


@pytest.mark.parametrize(
    "good",
    [
        item(kind="YES_NO_NA", failing="YES"),
        item(kind="YES_NO_NA", failing=""),
        item(kind="NUMBER", failing=">0"),
        item(kind="NUMBER", failing="<-1"),
        item(kind="NUMBER", failing=""),
        item(kind="TEXT", failing=""),
        item(kind="PHOTO", failing="", requires_photo=True),
    ],
)
def test_each_answer_kind_takes_its_own_failing_answers(manager, good):
    v2 = new_version(manager, items=[good])
    assert v2.items.get().failing_answer == good["failing_answer"]


def test_codes_are_unique_within_a_version(manager):
    with pytest.raises(ValidationError, match="also used by item 1"):
        new_version(manager, items=[item(code="same"), item(code="same")])


def test_a_checklist_needs_at_least_one_item(manager):
    with pytest.raises(ValidationError, match="at least one item"):
        new_version(manager, items=[])


def test_a_version_says_what_changed(manager):
    with pytest.raises(ValidationError) as exc:
        new_version(manager, change_note=" ")
    assert "change_note" in exc.value.message_dict


@pytest.mark.parametrize("role", [Role.OFFICER, Role.AUDITOR, Role.INSPECTOR])
def test_only_managers_edit_checklists(make_user, role):
    with pytest.raises(PermissionDenied):
        new_version(make_user(role))


# --- the pages ----------------------------------------------------------------------------------


def formset_data(template, *, change_note="Price list item added", extra=None, delete=()):
    rows = items_of(template)
    data = {"name": template.name, "change_note": change_note}
    forms = [*rows, *([extra] if extra else [])]
    data.update(
        {
            "items-TOTAL_FORMS": str(len(forms) + 1),
            "items-INITIAL_FORMS": str(len(rows)),
            "items-MIN_NUM_FORMS": "0",
            "items-MAX_NUM_FORMS": "1000",
        }
    )
    for n, row in enumerate(forms):
        for field in ITEM_FIELDS:
            value = row[field]
            if field == "requires_photo":
                if value:
                    data[f"items-{n}-{field}"] = "on"
            else:
                data[f"items-{n}-{field}"] = value
        data[f"items-{n}-ORDER"] = str(n + 1)
        if row["code"] in delete:
            data[f"items-{n}-DELETE"] = "on"
    # the blank row for a new item, as the browser sends it
    data.update({f"items-{len(forms)}-severity": "medium", f"items-{len(forms)}-answer_kind": ""})
    return data


def test_a_manager_saves_a_new_version_through_the_page(client, manager):
    # given
    v1 = current_checklist()
    client.force_login(manager)
    first_code = v1.items.order_by("position").first().code
    # when
    response = client.post(
        reverse("inspections:checklist_edit", args=[v1.pk]),
        formset_data(v1, extra=item(code="price-list"), delete=(first_code,)),
    )
    # then
    v2 = ChecklistTemplate.objects.get(is_current=True)
    assert response.status_code == 302
    assert response["Location"] == reverse("inspections:checklist_detail", args=[v2.pk])
    codes = [i["code"] for i in items_of(v2)]
    assert codes[-1] == "price-list"
    assert first_code not in codes
    assert len(codes) == v1.items.count()


def test_the_page_shows_the_services_errors(client, manager):
    v1 = current_checklist()
    client.force_login(manager)
    response = client.post(
        reverse("inspections:checklist_edit", args=[v1.pk]),
        formset_data(v1, extra=item(code="odd", kind="TEXT", failing="NO")),
    )
    assert response.status_code == 400
    assert "a text or photo answer has no failing answer" in response.content.decode()
    assert ChecklistTemplate.objects.count() == 1


@pytest.mark.parametrize(("role", "status"), [(Role.MANAGER, 200), (Role.OFFICER, 403), (Role.AUDITOR, 403)])
def test_only_managers_open_the_editing_page(client, users_by_role, role, status):
    client.force_login(users_by_role[role])
    assert client.get(reverse("inspections:checklist_edit", args=[current_checklist().pk])).status_code == status


@pytest.mark.parametrize("role", [Role.OFFICER, Role.AUDITOR])
def test_others_cannot_post_a_new_version(client, users_by_role, role):
    v1 = current_checklist()
    client.force_login(users_by_role[role])
    response = client.post(reverse("inspections:checklist_edit", args=[v1.pk]), formset_data(v1))
    assert response.status_code == 403
    assert ChecklistTemplate.objects.count() == 1


@pytest.mark.parametrize(("role", "status"), [(Role.OFFICER, 200), (Role.AUDITOR, 200), (Role.INSPECTOR, 403)])
def test_staff_and_auditors_read_the_checklists(client, users_by_role, role, status):
    client.force_login(users_by_role[role])
    template = current_checklist()
    assert client.get(reverse("inspections:checklist_list")).status_code == status
    response = client.get(reverse("inspections:checklist_detail", args=[template.pk]))
    assert response.status_code == status
    if status == 200:
        assert template.items.first().code in response.content.decode()


# --- judging an answer ---


@pytest.mark.parametrize(
    ("rule", "value", "fails"),
    [
        ("<5", "4", True),
        ("<5", "5", False),
        (">-2", "-1", True),
        (">10", "10.5", True),
        ("<5", "abc", False),  # not a number: not judged
        (">--5", "1", False),  # a malformed rule (not one the editor accepts) never fails an answer...
        ("<²", "1", False),  # ...nor raises (a superscript digit passes str.isdigit, not Decimal)
        (">5x", "9", False),
    ],
)
def test_a_number_item_fails_by_its_rule_and_a_malformed_rule_never_raises(rule, value, fails):
    from inspections.models import AnswerKind, ChecklistItem

    item = ChecklistItem(answer_kind=AnswerKind.NUMBER, failing_answer=rule)
    assert item.fails(value) is fails
