"""Flags API: each role in and out of scope, the shared FilterSet, cursor pages, review in bulk, the schema."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEvent
from core.roles import Role
from registrations.models import Flag, FlagEvent, FlagStatus
from tests.registrations.factories import ActivationFactory, RegistrationFactory
from tests.registrations.flag_factories import make_flag

pytestmark = pytest.mark.django_db

READERS = {Role.OFFICER, Role.MANAGER, Role.AUDITOR}
REVIEWERS = {Role.OFFICER, Role.MANAGER}
LIST = reverse("api:flag_list")
REVIEW = reverse("api:flag_review")
REASON = "Confirmed with the point's record folder"


@pytest.fixture
def hanoi_flag(hanoi_point):
    return make_flag(
        "MISSING_PHOTOS", registration=RegistrationFactory(point=hanoi_point, external_id="R-HN", has_portrait=False)
    )


@pytest.fixture
def saigon_flag(saigon_point):
    return make_flag("MISSING_PHOTOS", registration=RegistrationFactory(point=saigon_point))


def detail(flag):
    return reverse("api:flag_detail", args=[flag.pk])


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_read_by_role(api, any_principal, hanoi_flag):
    api.force_authenticate(any_principal.user)
    assert api.get(LIST).status_code == (200 if any_principal.allowed(READERS) else 403)
    assert api.get(detail(hanoi_flag)).status_code == any_principal.expect(READERS)


@pytest.mark.parametrize("role", list(Role))
def test_review_by_role(api, users_by_role, hanoi_flag, role):
    # given
    api.force_authenticate(users_by_role[role])
    # when
    response = api.post(REVIEW, {"ids": [hanoi_flag.pk], "status": "CONFIRMED", "reason": REASON}, format="json")
    # then
    hanoi_flag.refresh_from_db()
    if role in REVIEWERS:
        assert response.status_code == 200
        assert hanoi_flag.status == FlagStatus.CONFIRMED
    else:
        assert response.status_code == 403
        assert hanoi_flag.status == FlagStatus.OPEN


def test_unauthenticated_is_refused(api, hanoi_flag):
    assert api.get(LIST).status_code in (401, 403)


def test_list_shape_and_default_status(api, officer, hanoi_flag, hanoi_point):
    make_flag("UNDERAGE", registration=RegistrationFactory(point=hanoi_point), status="DISMISSED")
    api.force_authenticate(officer)
    response = api.get(LIST)
    assert ids(response) == [hanoi_flag.pk]
    row = response.json()["results"][0]
    assert row["rule"] == "MISSING_PHOTOS"
    assert row["severity"] == "high"
    assert row["status"] == "OPEN"
    assert row["subject_type"] == "registration"
    assert row["subject_key"] == "R-HN"
    assert (row["point_code"], row["agent_code"]) == ("HN-1", "AG-HN")
    assert row["registration"] == hanoi_flag.registration_id
    # no personal data in a flag
    assert "msisdn" not in row
    assert "subscriber_name" not in row
    assert len(ids(api.get(LIST, {"status": ""}))) == 2


def test_list_filters_are_the_pages(api, officer, hanoi_flag, saigon_flag, hanoi_point):
    critical = make_flag("POPULATION_MISMATCH", registration=RegistrationFactory(point=hanoi_point))
    api.force_authenticate(officer)
    assert ids(api.get(LIST, {"rule": "POPULATION_MISMATCH"})) == [critical.pk]
    assert ids(api.get(LIST, {"severity": "critical"})) == [critical.pk]
    assert ids(api.get(LIST, {"province": "079"})) == [saigon_flag.pk]
    assert ids(api.get(LIST, {"point": "SG-1"})) == [saigon_flag.pk]
    assert sorted(ids(api.get(LIST, {"agent": "AG-HN"}))) == sorted([hanoi_flag.pk, critical.pk])
    assert api.get(LIST, {"rule": "NO_SUCH_RULE"}).status_code == 400


def test_cursor_pages_cover_every_flag_once(api, officer, hanoi_point):
    now = timezone.now()
    flags = [
        make_flag(
            "MISSING_PHOTOS", registration=RegistrationFactory(point=hanoi_point), last_seen=now - dt.timedelta(hours=i)
        )
        for i in range(5)
    ]
    api.force_authenticate(officer)
    seen, url = [], f"{LIST}?page_size=2"
    while url:
        body = api.get(url).json()
        seen += [row["id"] for row in body["results"]]
        url = body["next"]
    assert seen == [f.pk for f in flags]


def test_detail_has_the_history(api, officer, hanoi_flag):
    FlagEvent.objects.create(flag=hanoi_flag, at=timezone.now(), to_status="OPEN", reason="raised")
    api.force_authenticate(officer)
    body = api.get(detail(hanoi_flag)).json()
    assert body["id"] == hanoi_flag.pk
    assert [(e["from_status"], e["to_status"], e["reason"]) for e in body["history"]] == [("", "OPEN", "raised")]


def test_province_limited_caller(api, hanoi_officer, hanoi_flag, saigon_flag):
    activation_flag = make_flag("ACTIVATED_UNREGISTERED", activation=ActivationFactory())
    api.force_authenticate(hanoi_officer)
    # lists and details only its provinces; another province's flag is "not there"
    assert ids(api.get(LIST, {"status": ""})) == [hanoi_flag.pk]
    assert api.get(detail(saigon_flag)).status_code == 404
    assert api.get(detail(activation_flag)).status_code == 404
    # and it cannot review it by id, alone or alongside its own: nothing changes
    for batch in ([saigon_flag.pk], [hanoi_flag.pk, saigon_flag.pk]):
        response = api.post(REVIEW, {"ids": batch, "status": "DISMISSED", "reason": REASON}, format="json")
        assert response.status_code == 400
        assert response.json()["ids"] == [f"No such flag in your provinces: {saigon_flag.pk}."]
    assert set(Flag.objects.values_list("status", flat=True)) == {FlagStatus.OPEN}
    assert not FlagEvent.objects.exists()


def test_review_in_bulk(api, manager, hanoi_point):
    # given
    flags = [make_flag("MISSING_PHOTOS", registration=RegistrationFactory(point=hanoi_point)) for _ in range(3)]
    api.force_authenticate(manager)
    # when
    response = api.post(REVIEW, {"ids": [f.pk for f in flags], "status": "DISMISSED", "reason": REASON}, format="json")
    # then
    assert response.status_code == 200
    body = response.json()["reviewed"]
    assert [row["id"] for row in body] == [f.pk for f in flags]
    assert {(row["status"], row["reviewer"], row["reason"]) for row in body} == {("DISMISSED", "manager", REASON)}
    assert FlagEvent.objects.filter(to_status="DISMISSED", actor=manager).count() == 3
    assert AuditEvent.objects.filter(action="flag.dismiss", actor=manager).count() == 3


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"status": "CONFIRMED", "reason": REASON}, "ids"),
        ({"ids": [], "status": "CONFIRMED", "reason": REASON}, "ids"),
        ({"ids": ["x"], "status": "CONFIRMED", "reason": REASON}, "ids"),
        ({"ids": [1], "status": "RESOLVED", "reason": REASON}, "status"),
        ({"ids": [1], "status": "OPEN", "reason": REASON}, "status"),
        ({"ids": [1], "status": "CONFIRMED"}, "reason"),
        ({"ids": [1], "status": "CONFIRMED", "reason": "   "}, "reason"),
    ],
)
def test_review_input_is_checked(api, officer, hanoi_flag, payload, field):
    api.force_authenticate(officer)
    if payload.get("ids") == [1]:
        payload = {**payload, "ids": [hanoi_flag.pk]}
    response = api.post(REVIEW, payload, format="json")
    assert response.status_code == 400
    assert field in response.json()
    hanoi_flag.refresh_from_db()
    assert hanoi_flag.status == FlagStatus.OPEN


def test_review_refuses_a_resolved_flag(api, officer, hanoi_point):
    resolved = make_flag("UNDERAGE", registration=RegistrationFactory(point=hanoi_point), status="RESOLVED")
    api.force_authenticate(officer)
    response = api.post(REVIEW, {"ids": [resolved.pk], "status": "CONFIRMED", "reason": REASON}, format="json")
    assert response.status_code == 400
    assert "cannot be confirmed" in response.json()["status"][0]
    resolved.refresh_from_db()
    assert resolved.status == FlagStatus.RESOLVED


def test_list_query_count_does_not_grow_with_the_rows(api, officer, hanoi_point):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    api.force_authenticate(officer)

    def make(n):
        for _ in range(n):
            make_flag("MISSING_PHOTOS", registration=RegistrationFactory(point=hanoi_point), reviewer=officer)
            make_flag("ACTIVATED_UNREGISTERED", activation=ActivationFactory())

    make(2)
    api.get(LIST)
    with CaptureQueriesContext(connection) as few:
        api.get(LIST)
    make(10)
    with CaptureQueriesContext(connection) as many:
        assert len(ids(api.get(LIST))) == 24
    assert len(many) == len(few)


def test_schema_documents_the_flags_api(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))
    schema = (tmp_path / "schema.yml").read_text()
    for url in ("/api/v1/flags/:", "/api/v1/flags/{id}/:", "/api/v1/flags/review/:"):
        assert url in schema
    assert "FlagReviewDecisionEnum" in schema


def test_a_flag_id_beyond_a_bigint_is_a_400_not_a_500(api, officer):
    # found by the schema fuzzer: 212408353804321207777539129344 overflowed the database's integer
    api.force_authenticate(officer)
    response = api.post(
        "/api/v1/flags/review/",
        {"ids": [212408353804321207777539129344], "status": "DISMISSED", "reason": "fuzzed id"},
        format="json",
    )
    assert response.status_code == 400
    assert "ids" in response.json()


def test_a_blank_filter_is_refused_except_status(api, officer):
    # the pages send "" for "any"; an API caller leaves the filter out (the fuzzer found `?subject_from=` taken)
    api.force_authenticate(officer)
    refused = api.get("/api/v1/flags/", {"seen_from": ""})
    assert refused.status_code == 400
    assert "seen_from" in refused.json()
    assert api.get("/api/v1/flags/", {"status": ""}).status_code == 200  # `status=`: every status
