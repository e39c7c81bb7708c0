"""Deletion anonymises, and nothing of the erased values remains anywhere in the database (DESIGN section 3).

The registration arrives through the importer (its staging table), is searched for by ID number on the page
(the session's search stash), revealed (an audit row) and searched through the API; then the subscriber's
DELETE request is carried out on the pages. Then every column of every table this connection sees (ours,
Django's, the session's temporary tables) is read as text and searched for each erased value and its
normalised forms. PostgreSQL only (information_schema and the importer's COPY staging); CI runs it.
"""

import datetime as dt

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.urls import reverse

from core.roles import Role
from core.web import SEARCH_SESSION_KEY
from registrations.models import Registration
from reports.subjects.models import SubjectRequest
from tests.agents.factories import AgentFactory, PointFactory
from tests.conftest import require_or_skip
from tests.registrations.factories import RegistrationFactory
from tests.registrations.test_importers import import_regs, reg

pytestmark = pytest.mark.django_db

NAME = "Hoàng Thị Quỳnh Xuyến"
ID_NUMBER = "079.131.004.417"  # as typed in the file; normalised 079131004417
DOB, ISSUED = "1931-02-17", "1957-11-29"
PLACE = "Phòng Cảnh sát Quản lý Hành chính Xuyên Mộc"
ADDRESS = "88 Ngõ Huế Thượng, Phường Bạch Đằng Xuyến"
ERASED = [
    NAME,
    NAME.casefold(),  # name_key
    "Quỳnh Xuyến",
    ID_NUMBER,
    "079131004417",
    "131004417",
    DOB,
    ISSUED,
    PLACE,
    ADDRESS,
    "Ngõ Huế Thượng",
]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _columns():
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT table_schema, table_name, column_name FROM information_schema.columns
            WHERE table_schema NOT IN ('pg_catalog', 'information_schema') AND table_schema NOT LIKE 'pg_toast%%'
            ORDER BY 1, 2, 3"""
        )
        return cursor.fetchall()


def _found(values: list[str]) -> list[tuple]:
    """(table, column, value) for each erased value still somewhere in the database."""
    hits = []
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        for schema, table, column in _columns():
            found = ", ".join(["bool_or(position(lower(%s) in t) > 0)"] * len(values))
            cursor.execute(
                f"SELECT {found} FROM (SELECT lower(CAST({qn(column)} AS text)) t FROM {qn(schema)}.{qn(table)}) x",  # noqa: S608
                values,
            )
            row = cursor.fetchone()
            hits.extend((f"{schema}.{table}", column, value) for value, hit in zip(values, row, strict=True) if hit)
    return hits


def test_nothing_of_the_erased_values_remains_in_the_database(make_user, django_capture_on_commit_callbacks):
    require_or_skip(connection.vendor == "postgresql", "PostgreSQL")
    # given the subscriber's registration, imported (COPY into the staging table, then the upsert)
    PointFactory(code="P1", agent=AgentFactory(code="A1", province_code="079"))
    import_regs(
        reg(
            subscriber_name=NAME,
            date_of_birth=DOB,
            id_doc_number=ID_NUMBER,
            id_issue_date=ISSUED,
            id_issue_place=PLACE,
            address=ADDRESS,
            msisdn="0912000333",
        )
    )
    imported = Registration.objects.get(external_id="R1")
    # and a second registration of the same subscriber, made in the app
    RegistrationFactory(
        app=True,
        msisdn="+84912000444",
        subscriber_name=NAME,
        address=ADDRESS,
        id_doc_number=ID_NUMBER,
        date_of_birth=dt.date.fromisoformat(DOB),
    )
    officer = make_user(Role.OFFICER, username="erasure-officer")
    client = Client()
    client.force_login(officer)
    # searched by ID number (stashed in the session), revealed with a reason, searched through the API
    client.post(reverse("registrations:registration_list"), {"id_type": "CCCD", "id_number": ID_NUMBER})
    assert any(SEARCH_SESSION_KEY in s.get_decoded() for s in Session.objects.all())
    client.post(reverse("registrations:registration_reveal", args=[imported.pk]), {"reason": "subscriber at the desk"})
    client.post(reverse("api:registration_search"), {"id_number": ID_NUMBER}, content_type="application/json")
    # the values are there before (the check can find them)
    assert {value for _t, _c, value in _found(ERASED)} >= {NAME, DOB, PLACE}

    # when the subscriber's DELETE request is recorded and carried out on the pages
    response = client.post(
        reverse("reports:subject_request_create"), {"kind": "DELETE", "id_doc_type": "CCCD", "id_doc_number": ID_NUMBER}
    )
    request = SubjectRequest.objects.get()
    assert response.status_code == 302
    for action, data in (("acknowledge", {}), ("verify", {"method": "Original CCCD seen"}), ("carry-out", {})):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("reports:subject_request_act", args=[request.pk, action]), data)
        assert response.status_code == 302, (action, response.content[:500])
    request.refresh_from_db()
    assert request.status == "DONE"
    assert Registration.objects.filter(anonymised_at__isnull=False).count() == 2

    # then no erased value is left in any column of any table
    assert _found(ERASED) == []
    # and no session keeps a search stash (the stash held the ID number, encrypted)
    assert not any(SEARCH_SESSION_KEY in s.get_decoded() for s in Session.objects.all())
