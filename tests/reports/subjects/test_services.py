"""Subscriber requests: due dates, matching, the steps, correction and anonymisation, audit rows."""

import csv
import datetime as dt
import io
import json
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from core.crypto import pii_hash
from core.models import AuditEvent
from registrations.models import Registration
from reports.subjects import services
from reports.subjects.models import SubjectRequest
from tests.registrations.factories import RegistrationFactory

from .conftest import MSISDN

pytestmark = pytest.mark.django_db
VN = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.mark.parametrize(
    ("received", "ack", "due"),
    [
        (dt.datetime(2026, 12, 4, 16, 0, tzinfo=VN), dt.date(2026, 12, 8), dt.date(2026, 12, 19)),  # Friday
        (dt.datetime(2026, 12, 5, 10, 0, tzinfo=VN), dt.date(2026, 12, 8), dt.date(2026, 12, 20)),  # Saturday
        (dt.datetime(2026, 12, 7, 9, 0, tzinfo=VN), dt.date(2026, 12, 9), dt.date(2026, 12, 22)),  # Monday
        # 23:30 UTC on Sunday is Monday 06:30 in Vietnam: the local date counts
        (dt.datetime(2026, 12, 6, 23, 30, tzinfo=dt.UTC), dt.date(2026, 12, 9), dt.date(2026, 12, 22)),
    ],
)
def test_due_dates_two_working_days_and_fifteen_calendar_days(received, ack, due):
    assert services.due_dates(received) == (ack, due)


def test_create_matches_by_msisdn_in_any_form_and_sets_provinces(subscriber_regs, make_request):
    # given two registrations of the subscriber and one of someone else
    RegistrationFactory(msisdn="+84912999999")
    # when the request names the number in its national form
    request = make_request("SEE", msisdn="0912000111")
    # then both are matched, and the request lies in Hà Nội
    assert request.msisdn == MSISDN
    assert request.registrations_matched == 2
    assert list(request.provinces.values_list("code", flat=True)) == ["001"]
    assert not request.outside_provinces


def test_create_matches_by_id_document_and_keeps_only_its_hash(hanoi_point, all_officer):
    reg = RegistrationFactory(point=hanoi_point, id_doc_number="001090123456")
    request = services.subject_request_create(
        kind="DELETE", actor=all_officer, id_doc_type="CCCD", id_doc_number="001.090.123 456"
    )
    assert request.registrations_matched == 1
    assert request.id_doc_hash == reg.id_doc_hash.hex() == pii_hash("CCCD", "001090123456")
    assert "001090123456" not in json.dumps(list(SubjectRequest.objects.values()), default=str)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({}, "msisdn"),
        ({"msisdn": "12345"}, "msisdn"),
        ({"id_doc_type": "CCCD"}, "id_doc_number"),
        ({"id_doc_number": "001090123456"}, "id_doc_type"),
    ],
)
def test_create_refuses_a_missing_or_bad_identification(all_officer, kwargs, field):
    with pytest.raises(ValidationError) as exc:
        services.subject_request_create(kind="SEE", actor=all_officer, **kwargs)
    assert field in exc.value.message_dict
    assert not SubjectRequest.objects.exists()


def test_app_registrations_put_the_request_outside_provinces(make_request):
    RegistrationFactory(app=True, msisdn=MSISDN)
    request = make_request("SEE")
    assert request.outside_provinces


def test_steps_in_order_and_each_audited_without_personal_values(subscriber_regs, make_request, all_officer):
    request = make_request("SEE")
    with pytest.raises(ValidationError):  # not verified yet
        services.subject_request_carry_out(request=request, actor=all_officer)
    request = services.subject_request_acknowledge(request=request, actor=all_officer)
    with pytest.raises(ValidationError):  # twice
        services.subject_request_acknowledge(request=request, actor=all_officer)
    with pytest.raises(ValidationError) as exc:
        services.subject_request_verify(request=request, actor=all_officer, method="ok")
    assert "method" in exc.value.message_dict
    request = services.subject_request_verify(request=request, actor=all_officer, method="CCCD seen at the shop")
    assert request.verified_by == all_officer
    assert request.status == "VERIFIED"
    request = services.subject_request_carry_out(request=request, actor=all_officer)
    assert request.status == "DONE"
    assert request.completed_by == all_officer
    actions = list(
        AuditEvent.objects.filter(object_type="reports.subjectrequest").order_by("id").values_list("action", flat=True)
    )
    assert actions == [
        "subject_request.create",
        "subject_request.acknowledge",
        "subject_request.verify",
        "subject_request.carry_out",
    ]
    dumped = json.dumps(list(AuditEvent.objects.values("fields", "reason", "object_repr")), default=str)
    assert "912000111" not in dumped
    assert "Bích Ngọc" not in dumped


def test_reject_needs_a_reason_and_closes_the_request(make_request, subscriber_regs, all_officer):
    request = make_request("DELETE")
    with pytest.raises(ValidationError):
        services.subject_request_reject(request=request, actor=all_officer, reason="  ")
    request = services.subject_request_reject(request=request, actor=all_officer, reason="Identity not proven")
    assert request.status == "REJECTED"
    with pytest.raises(ValidationError):
        services.subject_request_acknowledge(request=request, actor=all_officer)


def test_see_export_json_and_csv_hold_the_data_and_are_audited(subscriber_regs, make_request, all_officer):
    request = make_request("SEE", status="DONE")
    content, content_type = services.subject_request_export(request=request, actor=all_officer, fmt="json")
    data = json.loads(content)
    assert content_type.startswith("application/json")
    assert {r["external_id"] for r in data["registrations"]} == {r.external_id for r in subscriber_regs}
    assert data["registrations"][0]["subscriber_name"] == "Trần Thị Bích Ngọc"
    assert data["registrations"][0]["id_doc_number"] == subscriber_regs[0].id_doc_number
    csv_text, _type = services.subject_request_export(request=request, actor=all_officer, fmt="csv")
    assert csv_text.splitlines()[0].startswith("external_id,msisdn,iccid,channel,point_code")
    assert len(csv_text.strip().splitlines()) == 3
    exports = AuditEvent.objects.filter(action="subject_request.export")
    assert [e.fields["format"] for e in exports.order_by("id")] == ["json", "csv"]
    assert "Bích" not in json.dumps(list(exports.values("fields")))


def test_the_exports_show_the_portrait_hash_in_hex_as_registrations_csv_gives_it(
    subscriber_regs, make_request, all_officer
):
    # given one registration with a portrait (stored as its 32 bytes) and one without
    with_portrait, without = subscriber_regs
    Registration.objects.filter(pk=without.pk).update(portrait_sha256=None, has_portrait=False)
    request = make_request("SEE", status="DONE")
    # when
    data = json.loads(services.subject_request_export(request=request, actor=all_officer, fmt="json")[0])
    csv_text, _type = services.subject_request_export(request=request, actor=all_officer, fmt="csv")
    # then
    shown = {r["external_id"]: r["portrait_sha256"] for r in data["registrations"]}
    assert shown == {with_portrait.external_id: with_portrait.portrait_sha256.hex(), without.external_id: ""}
    assert len(shown[with_portrait.external_id]) == 64
    rows = {r["external_id"]: r["portrait_sha256"] for r in csv.DictReader(io.StringIO(csv_text))}
    assert rows == shown


def test_export_only_for_a_completed_see_request(subscriber_regs, make_request, all_officer):
    with pytest.raises(ValidationError):
        services.subject_request_export(request=make_request("SEE", status="VERIFIED"), actor=all_officer, fmt="json")
    with pytest.raises(ValidationError):
        services.subject_request_export(
            request=make_request("DELETE", status="VERIFIED"), actor=all_officer, fmt="json"
        )


def test_correct_sets_fields_rederives_keys_and_audits_names_only(subscriber_regs, make_request, all_officer):
    request = make_request("CORRECT", status="VERIFIED")
    request = services.subject_request_carry_out(
        request=request,
        actor=all_officer,
        changes={"subscriber_name": "  Trần   Thị Bích  Ngà ", "id_doc_number": "001 190 000 777", "gender": "F"},
    )
    assert request.status == "DONE"
    assert request.changed_fields == ["gender", "id_doc_number", "subscriber_name"]
    for reg in Registration.objects.filter(msisdn=MSISDN):
        assert reg.name_key == "trần thị bích ngà"
        assert reg.id_doc_hash.hex() == pii_hash("CCCD", "001190000777")
    events = AuditEvent.objects.filter(action="registration.correct")
    assert events.count() == 2
    assert events.first().fields["changed"] == ["gender", "id_doc_number", "subscriber_name"]
    dumped = json.dumps(list(AuditEvent.objects.values("fields", "reason")))
    assert "Ngà" not in dumped
    assert "777" not in dumped


@pytest.mark.parametrize(
    "changes",
    [
        {"favourite_colour": "blue"},
        {"msisdn": "0912000222"},
        {"date_of_birth": "17/05/1990"},
        {"gender": "X"},
        {"nationality": "VNM"},
        {},
    ],
)
def test_correct_refuses_unknown_fields_and_bad_values_writing_nothing(
    subscriber_regs, make_request, all_officer, changes
):
    request = make_request("CORRECT", status="VERIFIED")
    with pytest.raises(ValidationError):
        services.subject_request_carry_out(request=request, actor=all_officer, changes=changes)
    request.refresh_from_db()
    assert request.status == "VERIFIED"
    assert not AuditEvent.objects.filter(action="registration.correct").exists()
    assert set(Registration.objects.values_list("subscriber_name", flat=True)) == {"Trần Thị Bích Ngọc"}


def test_delete_anonymises_as_design_section_3_says(subscriber_regs, make_request, all_officer):
    before = {r.pk: r for r in subscriber_regs}
    request = make_request("DELETE", status="VERIFIED")
    services.subject_request_carry_out(request=request, actor=all_officer)
    for reg in Registration.objects.filter(pk__in=before):
        old = before[reg.pk]
        # erased
        assert (reg.subscriber_name, reg.name_key, reg.gender, reg.id_doc_number) == ("", "", "", "")
        assert (reg.date_of_birth, reg.id_issue_date, reg.id_issue_place, reg.address) == (None, None, "", "")
        assert reg.anonymised_at is not None
        # kept as evidence
        for name in (
            "external_id", "msisdn", "iccid", "channel", "point_id", "agent_id", "registered_at", "status",
            "has_portrait", "has_id_front", "has_id_back", "portrait_sha256", "id_doc_hash", "id_doc_type",
        ):  # fmt: skip
            assert getattr(reg, name) == getattr(old, name), name
    event = AuditEvent.objects.get(action="registration.anonymise")
    assert event.fields["count"] == 2
    assert "subscriber_name" in event.fields["erased"]


def test_anonymise_twice_does_nothing_more(subscriber_regs, all_officer):
    from registrations.records.services import registration_anonymise

    assert registration_anonymise(registrations=Registration.objects.all(), actor=all_officer, reason="x") == 2
    assert registration_anonymise(registrations=Registration.objects.all(), actor=all_officer, reason="x") == 0
    assert AuditEvent.objects.filter(action="registration.anonymise").count() == 1


def test_an_anonymised_registration_cannot_be_corrected(subscriber_regs, make_request, all_officer):
    services.subject_request_carry_out(request=make_request("DELETE", status="VERIFIED"), actor=all_officer)
    request = make_request("CORRECT", status="VERIFIED")
    with pytest.raises(ValidationError):
        services.subject_request_carry_out(request=request, actor=all_officer, changes={"subscriber_name": "X"})


def test_a_limited_actor_cannot_carry_out_once_a_registration_elsewhere_appears(
    subscriber_regs, saigon_point, hanoi_officer, make_request
):
    request = make_request("DELETE", actor=hanoi_officer, status="VERIFIED")
    RegistrationFactory(point=saigon_point, msisdn=MSISDN)  # imported since
    with pytest.raises(PermissionDenied):
        services.subject_request_carry_out(request=request, actor=hanoi_officer)
    assert not Registration.objects.filter(anonymised_at__isnull=False).exists()


def test_the_see_export_columns_are_the_import_contract_plus_what_the_operator_records():
    # one list of the section-4 columns: a column added to the import contract reaches the export too
    from registrations.imports.rows import REGISTRATION_COLUMNS
    from reports.subjects.services import EXPORT_COLUMNS

    assert [c for c in EXPORT_COLUMNS if c in REGISTRATION_COLUMNS] == list(REGISTRATION_COLUMNS)
    added = [c for c in EXPORT_COLUMNS if c not in REGISTRATION_COLUMNS]
    assert added == ["agent_code", "cancelled_at", "anonymised_at"]
    assert EXPORT_COLUMNS.index("agent_code") == EXPORT_COLUMNS.index("point_code") + 1
