"""The registrations read API: masked for readers, reveal for officers and managers only, scoped, keyset pages."""

import datetime as dt

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token

from core import crypto
from core.models import AuditEvent
from core.roles import Role
from tests.registrations.factories import ActivationFactory, RegistrationFactory

pytestmark = pytest.mark.django_db

READERS = {Role.OFFICER, Role.MANAGER, Role.AUDITOR}
REVEALERS = {Role.OFFICER, Role.MANAGER}
REASON = "Subscriber request SR-2026-041: identity check"
PLAIN = ("0912345678", "+84912345678", "Nguyễn Văn An", "001090123456", "1990-05-17", "12 Tràng Tiền")


def as_user(api, user):
    api.force_authenticate(user)
    return api


@pytest.fixture
def registration(hanoi_point):
    return RegistrationFactory(
        point=hanoi_point,
        msisdn="+84912345678",
        subscriber_name="Nguyễn Văn An",
        id_doc_number="001090123456",
        date_of_birth=dt.date(1990, 5, 17),
        address="12 Tràng Tiền, Hoàn Kiếm, Hà Nội",
    )


def list_url():
    return reverse("api:registration_list")


def search_url():
    return reverse("api:registration_search")


def detail_url(reg):
    return reverse("api:registration_detail", args=[reg.pk])


def reveal_url(reg):
    return reverse("api:registration_reveal", args=[reg.pk])


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


# --- roles ---


def test_list_detail_and_activations_by_role(api, any_principal, registration):
    # given
    ActivationFactory(iccid=registration.iccid)
    as_user(api, any_principal.user)
    expected = 200 if any_principal.allowed(READERS) else 403
    # then (integration pushes data but never reads personal data back); another province's reader: 404
    for url in (list_url(), reverse("api:activation_list")):
        assert api.get(url).status_code == expected, url
    assert api.get(detail_url(registration)).status_code == any_principal.expect(READERS)


def test_integration_token_cannot_read_registrations(api, integration, registration):
    token = Token.objects.create(user=integration)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.get(list_url()).status_code == 403
    assert api.get(detail_url(registration)).status_code == 403
    assert api.post(reveal_url(registration), {"reason": REASON}, format="json").status_code == 403


def test_anonymous_is_refused(api, registration):
    assert api.get(list_url()).status_code in (401, 403)


@pytest.mark.parametrize("role", sorted(READERS))
def test_readers_get_masked_values_only(api, users_by_role, registration, role):
    # when
    as_user(api, users_by_role[role])
    listed = api.get(list_url()).json()["results"][0]
    detail = api.get(detail_url(registration)).json()
    # then
    assert listed == detail
    assert detail["msisdn"] == "091*****78"
    assert detail["subscriber_name"] == "N. V. A."
    assert detail["id_doc_number"] == "0010******56"
    assert detail["address"] == "… Hà Nội"
    assert detail["birth_year"] == 1990
    assert detail["id_issue_year"] == 2022
    assert "date_of_birth" not in detail
    assert "id_issue_date" not in detail
    assert detail["iccid"] == registration.iccid
    assert detail["point_code"] == "HN-1"
    assert detail["agent_code"] == "AG-HN"
    text = str(detail)
    for value in PLAIN:
        assert value not in text


def test_the_portrait_hash_is_given_in_hex_as_registrations_csv_gives_it(api, officer, registration, hanoi_point):
    # given the digest stored as its 32 bytes, and a registration without one
    without = RegistrationFactory(point=hanoi_point, portrait_sha256=None, has_portrait=False)
    as_user(api, officer)
    # when
    shown = api.get(detail_url(registration)).json()["portrait_sha256"]
    # then
    assert shown == registration.portrait_sha256.hex()
    assert len(shown) == 64
    assert api.get(detail_url(without)).json()["portrait_sha256"] == ""
    # and a value that is no SHA-256 (kept as its text by the import) as the file gave it
    as_text = RegistrationFactory(point=hanoi_point, portrait_sha256=crypto.portrait_bytes("p" * 32))
    assert api.get(detail_url(as_text)).json()["portrait_sha256"] == "p" * 32


# --- reveal ---


@pytest.mark.parametrize("role", sorted(REVEALERS))
def test_reveal_answers_the_values_once_and_audits(api, users_by_role, registration, role):
    # given
    user = users_by_role[role]
    as_user(api, user)
    before = AuditEvent.objects.count()
    # when
    response = api.post(reveal_url(registration), {"reason": REASON}, format="json")
    # then
    assert response.status_code == 200, response.content
    assert "no-store" in response["Cache-Control"]
    assert response.json() == {
        "id": registration.pk,
        "external_id": registration.external_id,
        "msisdn": "+84912345678",
        "subscriber_name": "Nguyễn Văn An",
        "date_of_birth": "1990-05-17",
        "id_doc_type": "CCCD",
        "id_doc_number": "001090123456",
        "id_issue_date": "2022-03-01",
        "address": "12 Tràng Tiền, Hoàn Kiếm, Hà Nội",
    }
    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.latest("id")
    assert (event.action, event.actor, event.reason) == ("registration.reveal", user, REASON)
    assert event.object_id == str(registration.pk)
    assert event.fields["via"] == "api"
    assert "id_doc_number" in event.fields["revealed"]
    for value in PLAIN:
        assert value not in str(event.fields)
    # and the next read is masked again
    assert api.get(detail_url(registration)).json()["msisdn"] == "091*****78"


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "short"}, {"reason": "  x   y   z  "}])
def test_reveal_without_a_reason_is_refused(api, officer, registration, body):
    as_user(api, officer)
    before = AuditEvent.objects.count()
    response = api.post(reveal_url(registration), body, format="json")
    assert response.status_code == 400
    assert "reason" in response.json()
    assert AuditEvent.objects.count() == before


def test_reveal_is_refused_and_not_audited_for_other_roles_and_provinces(api, principal, registration):
    as_user(api, principal.user)
    before = AuditEvent.objects.count()
    response = api.post(reveal_url(registration), {"reason": REASON}, format="json")
    assert response.status_code == principal.expect(REVEALERS)
    # a revealer of the province: test_reveal_answers_the_values_once_and_audits checks the rest
    if principal.expect(REVEALERS) == 200:
        assert AuditEvent.objects.count() == before + 1
        return
    assert "Nguyễn" not in response.content.decode()
    assert AuditEvent.objects.count() == before


# --- search and pages ---


@pytest.mark.parametrize("typed", ["0912345678", "84912345678", "+84912345678"])
def test_search_by_msisdn(api, officer, registration, typed):
    RegistrationFactory(msisdn="+84912345679")
    assert ids(as_user(api, officer).post(search_url(), {"msisdn": typed}, format="json")) == [registration.pk]


def test_search_by_an_msisdn_that_is_no_mobile_number_is_a_400(api, officer, registration):
    response = as_user(api, officer).post(search_url(), {"msisdn": "12345"}, format="json")
    assert response.status_code == 400
    assert "msisdn" in response.json()


@pytest.mark.parametrize("param", ["msisdn", "id_number"])
def test_a_phone_or_id_number_in_a_url_is_refused(api, officer, registration, param):
    response = as_user(api, officer).get(list_url(), {param: "0912345678"})
    assert response.status_code == 400
    assert "/api/v1/registrations/search/" in response.json()[param][0]


def test_search_answers_at_most_page_size_and_says_there_were_more(api, officer, registration):
    RegistrationFactory(point=registration.point, msisdn=registration.msisdn)
    body = as_user(api, officer).post(search_url(), {"msisdn": "0912345678", "page_size": 1}, format="json").json()
    assert len(body["results"]) == 1
    assert body["truncated"] is True
    assert body["results"][0]["msisdn"] == "091*****78"


def test_search_stays_in_the_callers_provinces(api, make_user, registration, saigon_point):
    RegistrationFactory(point=saigon_point, msisdn=registration.msisdn)
    api.force_authenticate(make_user(Role.OFFICER, provinces=["001"]))
    assert ids(api.post(search_url(), {"msisdn": "0912345678"}, format="json")) == [registration.pk]


@pytest.mark.parametrize("role", [Role.INTEGRATION, Role.INSPECTOR])
def test_search_is_refused_to_roles_that_do_not_read_registrations(api, users_by_role, registration, role):
    api.force_authenticate(users_by_role[role])
    assert api.post(search_url(), {"msisdn": "0912345678"}, format="json").status_code == 403


def test_search_by_iccid_and_id_number(api, officer, registration):
    RegistrationFactory(id_doc_number="001090123457")
    as_user(api, officer)
    assert ids(api.get(list_url(), {"iccid": registration.iccid})) == [registration.pk]
    assert ids(api.post(search_url(), {"id_number": "001.090.123.456"}, format="json")) == [registration.pk]
    assert ids(api.post(search_url(), {"id_number": "001090123456", "id_type": "CMND"}, format="json")) == []


def test_search_by_point_agent_dates_and_values(api, officer, registration, saigon_point):
    saigon = RegistrationFactory(
        point=saigon_point, population_check="MISMATCH", registered_at=registration.registered_at - dt.timedelta(days=3)
    )
    as_user(api, officer)
    day = registration.registered_at.astimezone(dt.timezone(dt.timedelta(hours=7))).date()
    assert ids(api.get(list_url(), {"point": "SG-1"})) == [saigon.pk]
    assert ids(api.get(list_url(), {"agent": "AG-HN"})) == [registration.pk]
    assert ids(api.get(list_url(), {"population_check": "MISMATCH"})) == [saigon.pk]
    assert ids(api.get(list_url(), {"registered_from": day.isoformat()})) == [registration.pk]
    assert ids(api.get(list_url(), {"channel": "POINT"})) == [registration.pk, saigon.pk]


def test_cursor_pages_cover_every_row_once(api, officer, hanoi_point):
    # given 7 rows, three registered at the same instant
    same = dt.datetime(2026, 3, 1, 3, 0, tzinfo=dt.UTC)
    times = [same, same, same] + [same - dt.timedelta(hours=h) for h in (1, 2, 3, 4)]
    rows = [RegistrationFactory(point=hanoi_point, registered_at=t) for t in times]
    as_user(api, officer)
    # when
    seen, url = [], list_url() + "?page_size=2"
    while url:
        body = api.get(url).json()
        assert "count" not in body  # nothing is counted
        seen += [row["id"] for row in body["results"]]
        url = body["next"]
    # then
    assert sorted(seen) == sorted(r.pk for r in rows)
    assert len(seen) == len(set(seen))
    assert seen == [r.pk for r in sorted(rows, key=lambda r: (r.registered_at, r.pk), reverse=True)]


# --- scope ---


def test_limited_user_gets_its_provinces_only(api, make_user, registration, saigon_point):
    # given
    saigon = RegistrationFactory(point=saigon_point)
    app = RegistrationFactory(app=True)
    ActivationFactory(iccid=saigon.iccid)
    ActivationFactory(iccid=registration.iccid)
    ActivationFactory()  # a SIM nobody registered: no province
    as_user(api, make_user(Role.OFFICER, provinces=["001"]))
    # then
    assert ids(api.get(list_url())) == [registration.pk]
    for other in (saigon, app):
        assert api.get(detail_url(other)).status_code == 404
        assert api.post(reveal_url(other), {"reason": REASON}, format="json").status_code == 404
    assert not AuditEvent.objects.filter(action="registration.reveal").exists()
    activations = api.get(reverse("api:activation_list")).json()["results"]
    assert [a["iccid"] for a in activations] == [registration.iccid]


# --- activations ---


def test_activations_by_iccid_with_the_phone_number_masked(api, auditor, registration):
    # given
    ActivationFactory(iccid=registration.iccid, msisdn="+84912345678")
    ActivationFactory()
    # when
    response = as_user(api, auditor).get(reverse("api:activation_list"), {"iccid": registration.iccid})
    # then
    rows = response.json()["results"]
    assert [(a["iccid"], a["msisdn"]) for a in rows] == [(registration.iccid, "091*****78")]
    assert len(ids(api.get(reverse("api:activation_list")))) == 2


# --- queries ---


def test_list_query_count_does_not_grow_with_rows(api, make_user, hanoi_point, django_assert_max_num_queries):
    as_user(api, make_user(Role.OFFICER, provinces=["001"]))
    for _ in range(3):
        RegistrationFactory(point=hanoi_point)
    with django_assert_max_num_queries(20) as small:
        api.get(list_url())
    for _ in range(27):
        RegistrationFactory(point=hanoi_point)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(ids(api.get(list_url()))) == 30
