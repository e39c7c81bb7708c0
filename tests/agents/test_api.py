"""The agents and points API: each role reaches what its permissions give it, in its provinces only."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.authtoken.models import Token

from agents.models import Agent, AgentKind, PointKind, RegistrationPoint, RiskTier, Status, StatusChange
from core.models import AuditEvent
from core.roles import Role
from tests.agents.factories import AgentFactory, PointFactory

READERS = {Role.OFFICER, Role.MANAGER, Role.AUDITOR, Role.INTEGRATION}
WRITERS = {Role.OFFICER, Role.MANAGER, Role.INTEGRATION}
STATUS_CHANGERS = {Role.OFFICER, Role.MANAGER}
ROLES = list(Role)
STATUS_ACTIONS = ["suspend", "reinstate", "terminate"]


def as_user(api, user):
    api.force_login(user)
    return api


def agent_payload(**overrides) -> dict:
    return {
        "code": "AG-NEW",
        "name": "Công ty Bán lẻ Mới",
        "kind": AgentKind.AUTHORISED,
        "tax_code": "0100109106",
        "phone": "0912 345 678",
        "province": "001",
        "contract_no": "HĐ-2026-01",
        "authorised_from": "2026-01-01",
        **overrides,
    }


def point_payload(agent, **overrides) -> dict:
    return {
        "code": "PT-NEW",
        "agent_code": agent.code,
        "name": "Điểm Tràng Tiền",
        "kind": PointKind.AUTHORISED_FIXED,
        "address": "1 Tràng Tiền, Hoàn Kiếm",
        "province": "001",
        "latitude": "21.02450",
        "longitude": "105.85720",
        "opens_at": "08:00",
        "closes_at": "21:30",
        **overrides,
    }


def codes(response) -> list[str]:
    return [row["code"] for row in response.json()["results"]]


# --- each role: allowed or 403 ---


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", ["api:agent_list", "api:point_list"])
def test_role_lists_or_is_refused(api, any_principal, url_name):
    # given a Hà Nội point
    PointFactory()
    # when
    response = as_user(api, any_principal.user).get(reverse(url_name))
    # then (a reader of another province gets an empty page)
    assert response.status_code == (200 if any_principal.allowed(READERS) else 403)
    if response.status_code == 200:
        assert len(response.json()["results"]) == (1 if any_principal.in_scope else 0)


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["agent", "point"])
def test_role_retrieves_or_is_refused(api, any_principal, kind):
    # given a Hà Nội point and its agent
    point = PointFactory()
    obj = point if kind == "point" else point.agent
    # when
    response = as_user(api, any_principal.user).get(reverse(f"api:{kind}_detail", args=[obj.pk]))
    # then
    assert response.status_code == any_principal.expect(READERS)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_role_creates_agent_or_is_refused(api, users_by_role, role):
    response = as_user(api, users_by_role[role]).post(reverse("api:agent_list"), agent_payload(), format="json")
    assert response.status_code == (201 if role in WRITERS else 403)
    assert Agent.objects.filter(code="AG-NEW").exists() == (role in WRITERS)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_role_creates_point_or_is_refused(api, users_by_role, role):
    agent = AgentFactory()
    response = as_user(api, users_by_role[role]).post(reverse("api:point_list"), point_payload(agent), format="json")
    assert response.status_code == (201 if role in WRITERS else 403)
    assert RegistrationPoint.objects.filter(code="PT-NEW").exists() == (role in WRITERS)


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["agent", "point"])
def test_role_patches_or_is_refused(api, any_principal, kind):
    # given a Hà Nội point and its agent
    point = PointFactory()
    obj = point if kind == "point" else point.agent
    # when
    response = as_user(api, any_principal.user).patch(
        reverse(f"api:{kind}_detail", args=[obj.pk]), {"name": "Tên mới"}, format="json"
    )
    # then
    expected = any_principal.expect(WRITERS)
    assert response.status_code == expected
    obj.refresh_from_db()
    assert (obj.name == "Tên mới") == (expected == 200)


@pytest.mark.django_db
@pytest.mark.parametrize("action", STATUS_ACTIONS)
@pytest.mark.parametrize("kind", ["agent", "point"])
def test_role_changes_status_or_is_refused(api, any_principal, kind, action):
    # given: reinstating needs a suspended object
    start = Status.SUSPENDED if action == "reinstate" else Status.ACTIVE
    point = PointFactory()
    obj = point if kind == "point" else point.agent
    obj.status = start
    obj.save(update_fields=["status"])
    # when
    response = as_user(api, any_principal.user).post(
        reverse(f"api:{kind}_{action}", args=[obj.pk]), {"reason": "Kiểm tra định kỳ"}, format="json"
    )
    # then (a changer limited to another province gets 404 and changes nothing)
    assert response.status_code == any_principal.expect(STATUS_CHANGERS)
    allowed = any_principal.expect(STATUS_CHANGERS) == 200
    obj.refresh_from_db()
    expected = {"suspend": Status.SUSPENDED, "reinstate": Status.ACTIVE, "terminate": Status.TERMINATED}[action]
    assert obj.status == (expected if allowed else start)


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", ["api:agent_list", "api:point_list"])
def test_anonymous_is_refused_with_401(api, url_name):
    assert api.get(reverse(url_name)).status_code == 401


@pytest.mark.django_db
def test_put_and_delete_are_not_offered(api, officer):
    agent = AgentFactory()
    url = reverse("api:agent_detail", args=[agent.pk])
    as_user(api, officer)
    assert api.put(url, agent_payload(), format="json").status_code == 405
    assert api.delete(url).status_code == 405
    assert Agent.objects.filter(pk=agent.pk).exists()


# --- province scope: only yours; everything else 404 ---


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["agent", "point"])
def test_limited_user_lists_only_own_provinces(api, hanoi_officer, kind):
    # given
    hanoi = PointFactory(province_code="001")
    saigon = PointFactory(province_code="079")
    mine, theirs = (hanoi, saigon) if kind == "point" else (hanoi.agent, saigon.agent)
    # when
    response = as_user(api, hanoi_officer).get(reverse(f"api:{kind}_list"))
    # then
    assert response.status_code == 200
    assert codes(response) == [mine.code]
    assert theirs.code not in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["agent", "point"])
@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("get", "detail", None),
        ("patch", "detail", {"name": "Không được"}),
        ("post", "suspend", {"reason": "Không được"}),
        ("post", "terminate", {"reason": "Không được"}),
    ],
)
def test_limited_user_gets_404_outside_own_provinces(api, hanoi_officer, kind, method, suffix, body):
    # given
    point = PointFactory(province_code="079")
    obj = point if kind == "point" else point.agent
    as_user(api, hanoi_officer)
    # when
    response = getattr(api, method)(reverse(f"api:{kind}_{suffix}", args=[obj.pk]), body, format="json")
    missing = getattr(api, method)(reverse(f"api:{kind}_{suffix}", args=[999_999]), body, format="json")
    # then: "not yours" looks exactly like "not there"
    assert response.status_code == 404
    assert response.json() == missing.json()
    obj.refresh_from_db()
    assert obj.name != "Không được"
    assert obj.status == Status.ACTIVE


@pytest.mark.django_db
def test_limited_user_cannot_reinstate_outside_own_provinces(api, hanoi_officer):
    point = PointFactory(province_code="079", status=Status.SUSPENDED)
    response = as_user(api, hanoi_officer).post(
        reverse("api:point_reinstate", args=[point.pk]), {"reason": "x"}, format="json"
    )
    assert response.status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["agent", "point"])
def test_creating_in_a_province_outside_scope_is_unknown_province(api, hanoi_officer, kind):
    # given
    agent = AgentFactory(province_code="001")
    payload = agent_payload(province="079") if kind == "agent" else point_payload(agent, province="079")
    # when
    response = as_user(api, hanoi_officer).post(reverse(f"api:{kind}_list"), payload, format="json")
    # then
    assert response.status_code == 400
    assert list(response.json()) == ["province"]
    assert "079" in response.json()["province"][0]
    assert not Agent.objects.filter(code="AG-NEW").exists()
    assert not RegistrationPoint.objects.filter(code="PT-NEW").exists()


@pytest.mark.django_db
def test_moving_an_agent_to_a_province_outside_scope_is_refused(api, hanoi_officer):
    agent = AgentFactory(province_code="001")
    response = as_user(api, hanoi_officer).patch(
        reverse("api:agent_detail", args=[agent.pk]), {"province": "079"}, format="json"
    )
    assert response.status_code == 400
    assert "province" in response.json()
    agent.refresh_from_db()
    assert agent.province_id == "001"


@pytest.mark.django_db
def test_a_point_of_an_agent_outside_scope_is_unknown_agent(api, hanoi_officer):
    # given
    saigon_agent = AgentFactory(province_code="079")
    # when
    response = as_user(api, hanoi_officer).post(
        reverse("api:point_list"), point_payload(saigon_agent, province="001"), format="json"
    )
    # then: the same answer as for a code that does not exist
    missing = api.post(reverse("api:point_list"), point_payload(saigon_agent, agent_code="NOPE"), format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["agent_code"]
    assert response.json()["agent_code"][0] == missing.json()["agent_code"][0].replace("NOPE", saigon_agent.code)
    assert not RegistrationPoint.objects.filter(code="PT-NEW").exists()


@pytest.mark.django_db
def test_a_parent_outside_scope_is_unknown_agent(api, hanoi_officer):
    saigon_agent = AgentFactory(province_code="079")
    response = as_user(api, hanoi_officer).post(
        reverse("api:agent_list"), agent_payload(parent_code=saigon_agent.code), format="json"
    )
    assert response.status_code == 400
    assert list(response.json()) == ["parent_code"]


@pytest.mark.django_db
def test_the_parent_code_of_another_province_is_not_in_api_answers(api, hanoi_officer, officer):
    # given a Hà Nội agent whose parent is in TP HCM
    parent = AgentFactory(code="AG-SG-PARENT", province_code="079")
    child = AgentFactory(code="AG-HN-CHILD", province_code="001", parent=parent)
    # when a user limited to Hà Nội reads it (detail, list, PATCH answer)
    client = as_user(api, hanoi_officer)
    detail = client.get(reverse("api:agent_detail", args=[child.pk])).json()
    listed = client.get(reverse("api:agent_list")).json()["results"]
    patched = client.patch(reverse("api:agent_detail", args=[child.pk]), {"name": "Renamed"}, format="json")
    # then the parent's code is not there (null, as for no parent), and the PATCH kept the parent
    assert detail["parent_code"] is None
    assert [a["parent_code"] for a in listed] == [None]
    assert patched.status_code == 200
    assert patched.json()["parent_code"] is None
    child.refresh_from_db()
    assert child.parent == parent
    # and a user of every province sees it
    assert as_user(api, officer).get(reverse("api:agent_detail", args=[child.pk])).json()["parent_code"] == parent.code


# --- reads: shape, order, pages ---


@pytest.mark.django_db
def test_agent_output_names_references_by_code(api, auditor):
    # given
    parent = AgentFactory(code="AG-PARENT", kind=AgentKind.OPERATOR)
    agent = AgentFactory(
        code="AG-CHILD", parent=parent, province_code="079", risk_score=Decimal("12.50"), risk_tier=RiskTier.HIGH
    )
    # when
    data = as_user(api, auditor).get(reverse("api:agent_detail", args=[agent.pk])).json()
    # then
    assert data == {
        "id": agent.pk,
        "code": "AG-CHILD",
        "name": agent.name,
        "kind": "AUTHORISED",
        "status": "ACTIVE",
        "province": "079",
        "parent_code": "AG-PARENT",
        "tax_code": "0100109106",
        "phone": "+84912345678",
        "contract_no": agent.contract_no,
        "authorised_from": "2025-01-01",
        "authorised_until": None,
        "risk_score": "12.50",
        "risk_tier": "HIGH",
        "updated_at": data["updated_at"],
    }
    assert data["updated_at"]


@pytest.mark.django_db
def test_point_output_names_references_by_code(api, auditor):
    # given
    point = PointFactory(code="PT-1", agent__code="AG-1")
    # when
    data = as_user(api, auditor).get(reverse("api:point_detail", args=[point.pk])).json()
    # then
    assert data["code"] == "PT-1"
    assert data["agent_code"] == "AG-1"
    assert data["province"] == "001"
    assert data["kind"] == "AUTHORISED_FIXED"
    assert (data["opens_at"], data["closes_at"]) == ("08:00", "21:00")
    assert (data["latitude"], data["longitude"]) == ("21.02450", "105.85720")
    assert data["risk_tier"] == ""
    assert set(data) >= {"id", "status", "address", "authorised_from", "authorised_until", "risk_score", "updated_at"}


@pytest.mark.django_db
def test_list_pages_by_code_with_a_cursor(api, auditor):
    # given: created out of code order
    for n in reversed(range(55)):
        AgentFactory(code=f"AG{n:03d}")
    as_user(api, auditor)
    # when
    first = api.get(reverse("api:agent_list")).json()
    second = api.get(first["next"]).json()
    # then
    assert [r["code"] for r in first["results"]] == [f"AG{n:03d}" for n in range(50)]
    assert [r["code"] for r in second["results"]] == [f"AG{n:03d}" for n in range(50, 55)]
    assert second["next"] is None


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["agent", "point"])
def test_list_query_count_does_not_grow_with_rows(api, auditor, django_assert_max_num_queries, kind):
    # given: each point with its own agent, each agent with a parent (the joins an N+1 would repeat)
    def make(n):
        for _ in range(n):
            PointFactory(agent__parent=AgentFactory())

    url = reverse(f"api:{kind}_list")
    as_user(api, auditor)
    make(3)
    with CaptureQueriesContext(connection) as few:
        assert len(api.get(url).json()["results"]) >= 3
    make(27)
    # when / then
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(api.get(url).json()["results"]) >= 30


# --- filters: the same FilterSets as the pages ---


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "SUSPENDED"}, ["AG-B"]),
        ({"province": "079"}, ["AG-C"]),
        ({"kind": "OPERATOR"}, ["AG-A"]),
        ({"q": "saigon"}, ["AG-C"]),
        ({"q": "0302035520"}, ["AG-C"]),
        ({"risk_tier": "HIGH"}, ["AG-B"]),
        ({"parent": "AG-A"}, ["AG-B"]),
        ({"status": "ACTIVE", "province": "001"}, ["AG-A"]),
    ],
)
def test_agent_filters(api, auditor, params, expected):
    # given
    a = AgentFactory(code="AG-A", name="Nhà mạng", kind=AgentKind.OPERATOR)
    AgentFactory(code="AG-B", parent=a, status=Status.SUSPENDED, risk_tier=RiskTier.HIGH)
    AgentFactory(code="AG-C", name="Saigon Retail", province_code="079", tax_code="0302035520")
    # when
    response = as_user(api, auditor).get(reverse("api:agent_list"), params)
    # then
    assert response.status_code == 200
    assert codes(response) == expected


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "TERMINATED"}, ["PT-B"]),
        ({"province": "079"}, ["PT-C"]),
        ({"kind": "OPERATOR_MOBILE"}, ["PT-A"]),
        ({"q": "nguyễn huệ"}, ["PT-C"]),
        ({"q": "AG-X"}, []),  # search covers the point's own code, name, address; the agent has its own filter
        ({"agent": "AG-X"}, ["PT-A", "PT-B"]),
        ({"risk_tier": "MEDIUM"}, ["PT-C"]),
    ],
)
def test_point_filters(api, auditor, params, expected):
    # given
    agent = AgentFactory(code="AG-X")
    PointFactory(code="PT-A", agent=agent, kind=PointKind.OPERATOR_MOBILE)
    PointFactory(code="PT-B", agent=agent, status=Status.TERMINATED)
    PointFactory(code="PT-C", province_code="079", address="12 Nguyễn Huệ, Quận 1", risk_tier=RiskTier.MEDIUM)
    # when
    response = as_user(api, auditor).get(reverse("api:point_list"), params)
    # then
    assert response.status_code == 200
    assert codes(response) == expected


@pytest.mark.django_db
def test_filter_on_a_province_outside_scope_is_refused(api, hanoi_officer):
    PointFactory(province_code="079")
    response = as_user(api, hanoi_officer).get(reverse("api:point_list"), {"province": "079"})
    assert response.status_code == 400
    assert "province" in response.json()


@pytest.mark.django_db
def test_unknown_filter_value_is_400(api, auditor):
    response = as_user(api, auditor).get(reverse("api:agent_list"), {"status": "SLEEPING"})
    assert response.status_code == 400
    assert "status" in response.json()


# --- writes go through the services ---


@pytest.mark.django_db
def test_create_agent_normalises_and_records_history_from_the_api(api, officer):
    # given
    parent = AgentFactory(code="AG-PARENT")
    # when
    response = as_user(api, officer).post(
        reverse("api:agent_list"), agent_payload(parent_code="AG-PARENT"), format="json"
    )
    # then
    assert response.status_code == 201
    data = response.json()
    agent = Agent.objects.get(code="AG-NEW")
    assert data["id"] == agent.pk
    assert (data["phone"], data["parent_code"], data["status"]) == ("+84912345678", "AG-PARENT", "ACTIVE")
    assert agent.parent == parent
    change = agent.status_changes.get()
    assert (change.source, change.actor, change.to_status) == (StatusChange.Source.API, officer, Status.ACTIVE)


@pytest.mark.django_db
def test_create_point_for_an_agent_by_code(api, integration):
    # given
    agent = AgentFactory(code="AG-1")
    # when
    response = as_user(api, integration).post(reverse("api:point_list"), point_payload(agent), format="json")
    # then
    assert response.status_code == 201
    point = RegistrationPoint.objects.get(code="PT-NEW")
    assert point.agent == agent
    assert point.opens_at == dt.time(8, 0)
    assert response.json()["agent_code"] == "AG-1"
    assert point.status_changes.get().source == StatusChange.Source.API


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"tax_code": "0100109107"}, "tax_code"),
        ({"phone": "12345"}, "phone"),
        ({"kind": "FRANCHISE"}, "kind"),
        ({"code": ""}, "code"),
        ({"authorised_from": "2026-02-01", "authorised_until": "2026-01-01"}, "authorised_until"),
        ({"authorised_from": "01/02/2026"}, "authorised_from"),
        ({"province": "999"}, "province"),
        ({"parent_code": "NOPE"}, "parent_code"),
    ],
)
def test_create_agent_reports_bad_input_per_field(api, officer, payload, field):
    response = as_user(api, officer).post(reverse("api:agent_list"), agent_payload(**payload), format="json")
    assert response.status_code == 400
    errors = response.json()
    assert list(errors) == [field]
    assert isinstance(errors[field], list)
    assert all(isinstance(message, str) and message for message in errors[field])
    assert not Agent.objects.filter(code=payload.get("code", "AG-NEW")).exists()


@pytest.mark.django_db
def test_duplicate_code_is_400_on_code(api, officer):
    AgentFactory(code="AG-NEW")
    response = as_user(api, officer).post(reverse("api:agent_list"), agent_payload(), format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["code"]


@pytest.mark.django_db
def test_missing_required_fields_are_listed(api, officer):
    response = as_user(api, officer).post(reverse("api:point_list"), {}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"code", "agent_code", "name", "kind", "province"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"opens_at": "21:00", "closes_at": "08:00"}, "closes_at"),
        ({"opens_at": "8h"}, "opens_at"),
        ({"latitude": "48.85660", "longitude": "2.35220"}, "latitude"),
        ({"latitude": "21.02450", "longitude": None}, "longitude"),
        ({"agent_code": "NOPE"}, "agent_code"),
    ],
)
def test_create_point_reports_bad_input_per_field(api, officer, payload, field):
    agent = AgentFactory()
    response = as_user(api, officer).post(reverse("api:point_list"), point_payload(agent, **payload), format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not RegistrationPoint.objects.filter(code="PT-NEW").exists()


@pytest.mark.django_db
def test_parent_loop_is_reported_on_parent_code(api, officer):
    # given: B's parent is A; making A's parent B would close a loop
    a = AgentFactory(code="AG-A")
    AgentFactory(code="AG-B", parent=a)
    # when
    response = as_user(api, officer).patch(
        reverse("api:agent_detail", args=[a.pk]), {"parent_code": "AG-B"}, format="json"
    )
    # then
    assert response.status_code == 400
    assert list(response.json()) == ["parent_code"]


@pytest.mark.django_db
def test_patch_changes_only_the_given_fields(api, officer):
    # given
    agent = AgentFactory(phone="+84912345678", contract_no="HĐ-1")
    # when
    response = as_user(api, officer).patch(
        reverse("api:agent_detail", args=[agent.pk]), {"phone": "0987 654 321"}, format="json"
    )
    # then
    assert response.status_code == 200
    agent.refresh_from_db()
    assert (agent.phone, agent.contract_no) == ("+84987654321", "HĐ-1")
    assert response.json()["phone"] == "+84987654321"


@pytest.mark.django_db
def test_patch_clears_the_parent_with_null(api, officer):
    agent = AgentFactory(parent=AgentFactory())
    response = as_user(api, officer).patch(
        reverse("api:agent_detail", args=[agent.pk]), {"parent_code": None}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["parent_code"] is None
    agent.refresh_from_db()
    assert agent.parent is None


@pytest.mark.django_db
def test_patch_moves_a_point_to_another_agent(api, officer):
    point = PointFactory()
    other = AgentFactory(code="AG-OTHER")
    response = as_user(api, officer).patch(
        reverse("api:point_detail", args=[point.pk]), {"agent_code": "AG-OTHER"}, format="json"
    )
    assert response.status_code == 200
    point.refresh_from_db()
    assert point.agent == other


@pytest.mark.django_db
def test_patch_cannot_change_status(api, officer):
    agent = AgentFactory()
    response = as_user(api, officer).patch(
        reverse("api:agent_detail", args=[agent.pk]), {"status": "TERMINATED"}, format="json"
    )
    assert response.status_code == 200
    agent.refresh_from_db()
    assert agent.status == Status.ACTIVE


# --- status actions ---


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["agent", "point"])
@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}])
def test_status_action_without_reason_is_400(api, officer, kind, body):
    point = PointFactory()
    obj = point if kind == "point" else point.agent
    response = as_user(api, officer).post(reverse(f"api:{kind}_suspend", args=[obj.pk]), body, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["reason"]
    obj.refresh_from_db()
    assert obj.status == Status.ACTIVE


@pytest.mark.django_db
def test_reinstating_a_terminated_point_is_400(api, officer):
    # given
    point = PointFactory(status=Status.TERMINATED)
    # when
    response = as_user(api, officer).post(
        reverse("api:point_reinstate", args=[point.pk]), {"reason": "Nhầm"}, format="json"
    )
    # then
    assert response.status_code == 400
    assert list(response.json()) == ["status"]
    point.refresh_from_db()
    assert point.status == Status.TERMINATED
    assert not StatusChange.objects.filter(point=point).exists()


@pytest.mark.django_db
def test_reinstating_a_point_of_a_suspended_agent_is_400(api, officer):
    point = PointFactory(status=Status.SUSPENDED, agent__status=Status.SUSPENDED)
    response = as_user(api, officer).post(
        reverse("api:point_reinstate", args=[point.pk]), {"reason": "Đã khắc phục"}, format="json"
    )
    assert response.status_code == 400
    assert "status" in response.json()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("action", "include_points", "expected_points"),
    [
        ("suspend", True, Status.SUSPENDED),
        ("suspend", False, Status.ACTIVE),
        ("terminate", True, Status.TERMINATED),
        ("terminate", False, Status.ACTIVE),
    ],
)
def test_include_points_cascades(api, officer, action, include_points, expected_points):
    # given
    agent = AgentFactory()
    points = PointFactory.create_batch(3, agent=agent)
    # when
    response = as_user(api, officer).post(
        reverse(f"api:agent_{action}", args=[agent.pk]),
        {"reason": "Bán SIM kích hoạt sẵn", "include_points": include_points},
        format="json",
    )
    # then
    assert response.status_code == 200
    assert response.json()["points_changed"] == (3 if include_points else 0)
    assert response.json()["status"] == ("SUSPENDED" if action == "suspend" else "TERMINATED")
    for point in points:
        point.refresh_from_db()
        assert point.status == expected_points
    sources = set(StatusChange.objects.filter(point__agent=agent).values_list("source", flat=True))
    assert sources == ({StatusChange.Source.API} if include_points else set())


@pytest.mark.django_db
def test_include_points_is_refused_on_reinstate(api, officer):
    agent = AgentFactory(status=Status.SUSPENDED)
    response = as_user(api, officer).post(
        reverse("api:agent_reinstate", args=[agent.pk]), {"reason": "x", "include_points": True}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()) == ["include_points"]
    agent.refresh_from_db()
    assert agent.status == Status.SUSPENDED


@pytest.mark.django_db
def test_status_change_keeps_reason_actor_and_source(api, manager):
    point = PointFactory()
    response = as_user(api, manager).post(
        reverse("api:point_suspend", args=[point.pk]), {"reason": "Không có biển hiệu"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "SUSPENDED"
    change = StatusChange.objects.get(point=point)
    assert (change.from_status, change.to_status) == (Status.ACTIVE, Status.SUSPENDED)
    assert (change.reason, change.actor, change.source) == ("Không có biển hiệu", manager, StatusChange.Source.API)


# --- token auth ---


@pytest.mark.django_db
def test_integration_token_reads_and_writes(api, integration):
    # given
    token = Token.objects.create(user=integration)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    agent = AgentFactory(code="AG-1")
    # when
    listed = api.get(reverse("api:agent_list"))
    created = api.post(reverse("api:point_list"), point_payload(agent), format="json")
    suspended = api.post(reverse("api:point_suspend", args=[created.json()["id"]]), {"reason": "x"}, format="json")
    # then
    assert listed.status_code == 200
    assert codes(listed) == ["AG-1"]
    assert created.status_code == 201
    assert suspended.status_code == 403  # integration pushes data; it does not sanction
    assert AuditEvent.objects.filter(action="point.create", actor=integration).exists()


@pytest.mark.django_db
def test_bad_token_is_401(api):
    api.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert api.get(reverse("api:point_list")).status_code == 401


# --- audit trail ---


@pytest.mark.django_db
@pytest.mark.parametrize(
    "action",
    [
        "agent.create",
        "agent.update",
        "agent.suspend",
        "agent.reinstate",
        "agent.terminate",
        "point.create",
        "point.update",
        "point.suspend",
        "point.reinstate",
        "point.terminate",
    ],
)
def test_each_write_records_an_audit_event(api, officer, action):
    # given
    start = Status.SUSPENDED if action.endswith("reinstate") else Status.ACTIVE
    agent = AgentFactory(status=start if action.startswith("agent") else Status.ACTIVE)
    point = PointFactory(agent=agent, status=start if action.startswith("point") else Status.ACTIVE)
    kind, verb = action.split(".")
    obj = agent if kind == "agent" else point
    as_user(api, officer)
    # when
    if verb == "create":
        payload = agent_payload() if kind == "agent" else point_payload(agent)
        response = api.post(reverse(f"api:{kind}_list"), payload, format="json")
    elif verb == "update":
        response = api.patch(reverse(f"api:{kind}_detail", args=[obj.pk]), {"name": "Tên mới"}, format="json")
    else:
        response = api.post(reverse(f"api:{kind}_{verb}", args=[obj.pk]), {"reason": "Lý do"}, format="json")
    # then
    assert response.status_code in (200, 201)
    event = AuditEvent.objects.get(action=action)
    assert event.actor == officer
    assert event.object_id == str(response.json()["id"])
    assert event.province_code == "001"


@pytest.mark.django_db
def test_refused_write_records_nothing(api, auditor, officer):
    agent = AgentFactory()
    as_user(api, auditor).post(reverse("api:agent_suspend", args=[agent.pk]), {"reason": "x"}, format="json")
    as_user(api, officer).post(reverse("api:agent_list"), agent_payload(tax_code="123"), format="json")
    assert not AuditEvent.objects.exclude(action__startswith="auth.").exists()  # logins are audited too


@pytest.mark.django_db
def test_patch_of_one_field_is_not_refused_for_another_stored_fields_problem(api, officer):
    # given an agent whose stored tax code no longer passes (stored before the rule) and a point whose
    # stored hours are the wrong way round
    agent = AgentFactory(code="AG-OLD")
    Agent.objects.filter(pk=agent.pk).update(tax_code="123")
    point = PointFactory(code="PT-OLD", agent=agent)
    RegistrationPoint.objects.filter(pk=point.pk).update(opens_at=dt.time(21, 0), closes_at=dt.time(8, 0))
    client = as_user(api, officer)
    # when a PATCH changes only the name
    renamed = client.patch(reverse("api:agent_detail", args=[agent.pk]), {"name": "Đại lý mới"}, format="json")
    moved = client.patch(reverse("api:point_detail", args=[point.pk]), {"name": "Điểm mới"}, format="json")
    # then it is stored
    assert renamed.status_code == 200, renamed.json()
    assert moved.status_code == 200, moved.json()
    agent.refresh_from_db()
    point.refresh_from_db()
    assert (agent.name, agent.tax_code) == ("Đại lý mới", "123")
    assert point.name == "Điểm mới"


@pytest.mark.django_db
def test_patch_still_checks_the_cross_field_rules_it_touches(api, officer):
    # given a point open 08:00-21:00
    point = PointFactory(code="PT-HOURS")
    client = as_user(api, officer)
    # when a PATCH moves only the opening time past the (stored) closing time
    response = client.patch(reverse("api:point_detail", args=[point.pk]), {"opens_at": "22:00"}, format="json")
    # then the hours rule, which reads the field changed, refuses it
    assert response.status_code == 400
    assert "closes_at" in response.json()
    point.refresh_from_db()
    assert point.opens_at == dt.time(8, 0)
    # and a bad value of the field changed is refused as before
    agent_response = client.patch(
        reverse("api:agent_detail", args=[point.agent_id]), {"tax_code": "123"}, format="json"
    )
    assert agent_response.status_code == 400
    assert list(agent_response.json()) == ["tax_code"]
