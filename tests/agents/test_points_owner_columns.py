"""points.csv's optional owner columns (issue 16): `phone,owner_id_doc_type,owner_id_doc_number` after the contract's
columns set a point's phone and owner's ID document (keyed, the number encrypted), checked as the point form checks
them, with a per-line reason in the uploader's language; a blank cell keeps what is stored; a file without them
imports exactly as before; the number is never in clear in a reject, a warning, the page or the audit trail."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from agents.blacklist import keys
from agents.importers import POINT_COLUMNS, import_points
from agents.models import RegistrationPoint
from core.models import AuditEvent
from core.roles import Role
from tests.agents.factories import AgentFactory, PointFactory

pytestmark = pytest.mark.django_db

OWNER_COLUMNS = ["phone", "owner_id_doc_type", "owner_id_doc_number"]
NUMBER = "001090012345"


def point_row(code="P1", *owner, agent_code="AG1", province="001") -> str:
    row = [code, agent_code, f"Điểm {code}", "AUTHORISED_FIXED", "1 Lê Lợi", province, "", "", "08:00", "21:00"]
    return ",".join([*row, "ACTIVE", "2025-01-01", "", *owner])


def points(*rows, owner=True) -> io.BytesIO:
    header = ",".join(POINT_COLUMNS + (OWNER_COLUMNS if owner else []))
    return io.BytesIO(("\n".join([header, *rows]) + "\n").encode())


@pytest.fixture
def agent():
    return AgentFactory(code="AG1", province_code="001")


def reasons(result) -> dict[int, str]:
    return {r.line: r.reason for r in result.rejects}


def test_a_file_without_the_owner_columns_imports_exactly_as_before(agent):
    # given: the contract's columns only, and a point with a phone and owner on record
    PointFactory(code="P1", agent=agent, phone="+84987000111", owner_id_doc_type="CCCD", owner_id_doc_number=NUMBER)
    # when
    result = import_points(points(point_row("P1"), point_row("P2"), owner=False), actor=None)
    # then
    assert (result.created, result.updated, result.rejected) == (1, 1, 0)
    assert result.columns == POINT_COLUMNS
    kept = RegistrationPoint.objects.get(code="P1")
    assert (kept.phone, kept.owner_id_doc_type, kept.owner_id_doc_number) == ("+84987000111", "CCCD", NUMBER)
    new = RegistrationPoint.objects.get(code="P2")
    assert (new.phone, new.owner_id_doc_type, new.owner_id_doc_number, new.owner_id_doc_key) == ("", "", "", "")


def test_the_owner_columns_set_phone_and_document_with_their_keys(agent):
    # when
    result = import_points(points(point_row("P1", "0912 345 678", "CCCD", "001.090.012.345")), actor=None)
    # then
    assert (result.created, result.rejected) == (1, 0)
    point = RegistrationPoint.objects.get(code="P1")
    assert point.phone == "+84912345678"
    assert point.phone_key == keys.phone_key("+84912345678")
    assert (point.owner_id_doc_type, point.owner_id_doc_number) == ("CCCD", "001.090.012.345")
    assert point.owner_id_doc_key == keys.owner_key("CCCD", NUMBER)
    # stored encrypted, never in clear
    assert "001.090" not in str(_stored(point))
    assert NUMBER not in str(_stored(point))


def _stored(point) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT owner_id_doc_number FROM agents_registrationpoint WHERE id = %s", [point.pk])
        return cursor.fetchone()[0]


def test_reimporting_the_same_owner_columns_changes_nothing(agent):
    data = point_row("P1", "0912345678", "CCCD", NUMBER)
    import_points(points(data), actor=None)
    again = import_points(points(data), actor=None)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    # the same document written otherwise is the same document: unchanged
    otherwise = import_points(points(point_row("P1", "+84912345678", "CCCD", "001 090 012 345")), actor=None)
    assert otherwise.unchanged == 1


def test_a_blank_cell_keeps_the_stored_value_and_a_given_one_replaces_it(agent):
    # given
    PointFactory(
        code="P1", agent=agent, phone="+84987000111", owner_id_doc_type="CMND", owner_id_doc_number="123456789"
    )
    # when: a blank phone, a new document
    result = import_points(points(point_row("P1", "", "CCCD", NUMBER)), actor=None)
    # then
    assert result.updated == 1
    point = RegistrationPoint.objects.get(code="P1")
    assert point.phone == "+84987000111"
    assert (point.owner_id_doc_type, point.owner_id_doc_number) == ("CCCD", NUMBER)
    assert point.owner_id_doc_key == keys.owner_key("CCCD", NUMBER)
    # when: a new phone, a blank document
    import_points(points(point_row("P1", "0912345678", "", "")), actor=None)
    point.refresh_from_db()
    assert (point.phone, point.owner_id_doc_type, point.owner_id_doc_number) == ("+84912345678", "CCCD", NUMBER)
    assert point.phone_key == keys.phone_key("+84912345678")


@pytest.mark.parametrize(
    ("owner", "reason"),
    [
        (("12345", "", ""), "phone: Not a valid Vietnamese phone number."),
        (("+33612345678", "", ""), "phone: Not a valid Vietnamese phone number."),
        (("", "ID", NUMBER), "Unknown owner_id_doc_type 'ID' (expected one of CCCD, CMND, PASSPORT)."),
        (("", "CCCD", ""), "owner_id_doc_number: Give the number of the owner's ID document."),
        (("", "", NUMBER), "owner_id_doc_type: Give the type of the owner's ID document."),
        (("", "PASSPORT", "B" * 21), "owner_id_doc_number: at most 20 characters."),
        (("", "CCCD", "--.."), "owner_id_doc_number: no letter or digit."),
    ],
)
def test_a_bad_owner_column_rejects_the_row_with_its_reason_and_keeps_the_others(agent, owner, reason):
    result = import_points(points(point_row("P1", *owner), point_row("P2", "0912345678", "CCCD", NUMBER)), actor=None)
    assert reasons(result) == {2: reason}
    assert list(RegistrationPoint.objects.values_list("code", flat=True)) == ["P2"]
    assert NUMBER not in reason


def test_a_rejected_rows_document_number_is_masked_in_the_rejects_file(agent):
    result = import_points(points(point_row("P1", "12345", "CCCD", NUMBER)), actor=None)
    text = result.rejects_csv()
    assert text.splitlines()[0].endswith(",phone,owner_id_doc_type,owner_id_doc_number")
    assert NUMBER not in text
    assert "00********45" in text


def test_the_import_audit_keeps_counts_only(officer, agent):
    import_points(points(point_row("P1", "0912345678", "CCCD", NUMBER)), actor=officer)
    (event,) = AuditEvent.objects.filter(action="points.import")
    assert NUMBER not in str(event.fields)


# --- through the page: the job's result, its reasons in the uploader's language, permissions ---------------------


def _upload(client, data: io.BytesIO, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("agents:import"), {"points_file": SimpleUploadedFile("points.csv", data.read())})
    return client.get(response["Location"])


@pytest.mark.parametrize(
    ("language", "says"),
    [
        ("en", "phone: Not a valid Vietnamese phone number."),
        ("vi", "phone: Số điện thoại Việt Nam không hợp lệ."),
    ],
)
def test_the_result_page_lists_the_rejected_row_with_its_reason_in_the_uploaders_language(
    client, make_user, agent, django_capture_on_commit_callbacks, language, says
):
    # given
    user = make_user(Role.OFFICER, username=f"officer-{language}", language=language)
    client.force_login(user)
    data = points(point_row("P1", "12345", "CCCD", NUMBER), point_row("P2", "0912345678", "", ""))
    # when
    page = _upload(client, data, django_capture_on_commit_callbacks)
    # then
    body = page.content.decode()
    assert 'data-testid="import-rejects"' in body
    assert says in body
    assert NUMBER not in body
    assert RegistrationPoint.objects.filter(code="P2").exists()


def test_an_auditor_cannot_import_points(client, auditor):
    client.force_login(auditor)
    data = points(point_row("P1", "0912345678", "CCCD", NUMBER))
    response = client.post(reverse("agents:import"), {"points_file": SimpleUploadedFile("points.csv", data.read())})
    assert response.status_code == 403
    assert not RegistrationPoint.objects.exists()


def test_a_user_of_another_province_cannot_set_a_points_owner(make_user, agent):
    # given: a Hà Nội point, and an officer limited to TP Hồ Chí Minh
    PointFactory(code="P1", agent=agent, phone="+84987000111")
    saigon = make_user(Role.OFFICER, username="officer-079", provinces=["079"])
    # when
    result = import_points(points(point_row("P1", "0912345678", "CCCD", NUMBER)), actor=saigon)
    # then: refused as an unknown agent would be, nothing written
    assert result.rejected == 1
    point = RegistrationPoint.objects.get(code="P1")
    assert (point.phone, point.owner_id_doc_number) == ("+84987000111", "")
