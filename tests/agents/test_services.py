"""Agent and point services: each write validates, is audited and keeps status history; refused writes leave nothing."""

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from agents import services
from agents.models import Agent, AgentKind, PointKind, RegistrationPoint, Status, StatusChange
from core.models import AuditEvent, Province

_codes = itertools.count(1)


def make_agent(actor, **overrides) -> Agent:
    """An agent created through the service, as the app would (the factories are written elsewhere)."""
    n = next(_codes)
    values = {
        "code": f"AG{n:04d}",
        "name": f"Đại lý {n}",
        "kind": AgentKind.AUTHORISED,
        "province": Province.objects.get(code="001"),
    }
    return services.agent_create(actor=actor, **{**values, **overrides})


def make_point(actor, *, agent, **overrides) -> RegistrationPoint:
    n = next(_codes)
    values = {
        "code": f"PT{n:04d}",
        "agent": agent,
        "name": f"Điểm {n}",
        "kind": PointKind.AUTHORISED_FIXED,
        "province": agent.province,
    }
    return services.point_create(actor=actor, **{**values, **overrides})


def written() -> dict:
    """What a refused write must leave as it was."""
    return {
        "agents": Agent.objects.count(),
        "points": RegistrationPoint.objects.count(),
        "status_changes": StatusChange.objects.count(),
        "audit_events": AuditEvent.objects.count(),
    }


def last_event(action) -> AuditEvent:
    return AuditEvent.objects.filter(action=action).order_by("-id").first()


# --- agent_create ---


@pytest.mark.django_db
def test_agent_create_saves_the_agent_with_tax_code_and_phone_normalised(officer):
    # given
    province = Province.objects.get(code="079")

    # when
    agent = services.agent_create(
        actor=officer,
        code="FPT-RETAIL",
        name="Công ty Cổ phần Bán lẻ Kỹ thuật số FPT",
        kind=AgentKind.AUTHORISED,
        tax_code="0100109106-001",
        phone="0912 345 678",
        province=province,
        contract_no="HD-2024/017",
        authorised_from=dt.date(2024, 1, 1),
        authorised_until=dt.date(2026, 1, 1),
    )

    # then
    stored = Agent.objects.get(pk=agent.pk)
    assert stored.code == "FPT-RETAIL"
    assert stored.status == Status.ACTIVE
    assert stored.tax_code == "0100109106001"
    assert stored.phone == "+84912345678"
    assert stored.province_id == "079"
    assert stored.authorised_until == dt.date(2026, 1, 1)


@pytest.mark.django_db
def test_agent_create_records_the_initial_status_from_blank_to_active(officer):
    # given / when
    agent = make_agent(officer)

    # then
    change = StatusChange.objects.get(agent=agent)
    assert (change.from_status, change.to_status) == ("", Status.ACTIVE)
    assert change.actor == officer
    assert change.source == StatusChange.Source.APP
    assert change.reason


@pytest.mark.django_db
def test_agent_create_records_the_given_status_and_source(officer):
    # given / when
    agent = make_agent(officer, status=Status.SUSPENDED, source=StatusChange.Source.API)

    # then
    assert Agent.objects.get(pk=agent.pk).status == Status.SUSPENDED
    change = StatusChange.objects.get(agent=agent)
    assert (change.from_status, change.to_status, change.source) == ("", Status.SUSPENDED, StatusChange.Source.API)


@pytest.mark.django_db
def test_agent_create_writes_an_agent_create_audit_event_with_its_fields(officer):
    # given / when
    agent = make_agent(officer, code="VIETTEL-HN", tax_code="0100109106", phone="+84912345678")

    # then
    event = last_event("agent.create")
    assert event.actor == officer
    assert (event.object_type, event.object_id) == ("agents.agent", str(agent.pk))
    assert event.province_code == "001"
    assert event.fields["code"] == "VIETTEL-HN"
    assert event.fields["tax_code"] == "0100109106"
    assert event.fields["phone"] == "+84912345678"
    assert event.fields["province"] == "001"
    assert event.fields["parent"] == ""


@pytest.mark.django_db
def test_agent_create_links_a_parent_agent(officer):
    # given
    parent = make_agent(officer)

    # when
    child = make_agent(officer, parent=parent)

    # then
    assert Agent.objects.get(pk=child.pk).parent_id == parent.pk
    assert last_event("agent.create").fields["parent"] == str(parent.pk)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"tax_code": "0100109107"}, "tax_code"),
        ({"tax_code": "MST0100109"}, "tax_code"),
        ({"phone": "+14155552671"}, "phone"),
        ({"phone": "not a phone"}, "phone"),
        ({"authorised_from": dt.date(2025, 1, 1), "authorised_until": dt.date(2025, 1, 1)}, "authorised_until"),
        ({"kind": "RESELLER"}, "kind"),
        ({"name": ""}, "name"),
    ],
)
def test_agent_create_refuses_invalid_input_and_writes_nothing(officer, overrides, field):
    # given
    before = written()

    # when
    with pytest.raises(ValidationError) as exc:
        make_agent(officer, **overrides)

    # then
    assert field in exc.value.message_dict
    assert written() == before


@pytest.mark.django_db
def test_agent_create_refuses_a_duplicate_code_and_writes_nothing(officer):
    # given
    make_agent(officer, code="DUP")
    before = written()

    # when
    with pytest.raises(ValidationError) as exc:
        make_agent(officer, code="DUP")

    # then
    assert "code" in exc.value.message_dict
    assert written() == before


# --- point_create ---


@pytest.mark.django_db
def test_point_create_saves_the_point_with_location_and_hours(officer):
    # given
    agent = make_agent(officer)

    # when
    point = services.point_create(
        actor=officer,
        code="HN-0001",
        agent=agent,
        name="Cửa hàng 12 Tràng Tiền",
        kind=PointKind.AUTHORISED_FIXED,
        address="12 Tràng Tiền, Hoàn Kiếm, Hà Nội",
        province=Province.objects.get(code="001"),
        latitude=Decimal("21.0285"),
        longitude=Decimal("105.8542"),
        opens_at=dt.time(8, 0),
        closes_at=dt.time(21, 0),
    )

    # then
    stored = RegistrationPoint.objects.get(pk=point.pk)
    assert stored.agent == agent
    assert stored.status == Status.ACTIVE
    assert (stored.latitude, stored.longitude) == (Decimal("21.0285"), Decimal("105.8542"))
    assert (stored.opens_at, stored.closes_at) == (dt.time(8, 0), dt.time(21, 0))


@pytest.mark.django_db
def test_point_create_records_the_initial_status_and_a_point_create_audit_event(officer):
    # given
    agent = make_agent(officer)

    # when
    point = make_point(officer, agent=agent, code="HCM-0001", province=Province.objects.get(code="079"))

    # then
    change = StatusChange.objects.get(point=point)
    assert (change.from_status, change.to_status, change.actor) == ("", Status.ACTIVE, officer)
    assert change.agent is None
    event = last_event("point.create")
    assert (event.object_type, event.object_id) == ("agents.registrationpoint", str(point.pk))
    assert event.province_code == "079"
    assert event.fields["code"] == "HCM-0001"
    assert event.fields["agent"] == str(agent.pk)


@pytest.mark.django_db
def test_point_create_records_the_given_status(officer):
    # given
    agent = make_agent(officer)

    # when
    point = make_point(officer, agent=agent, status=Status.SUSPENDED, source=StatusChange.Source.IMPORT)

    # then
    change = StatusChange.objects.get(point=point)
    assert (change.from_status, change.to_status, change.source) == ("", Status.SUSPENDED, StatusChange.Source.IMPORT)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"latitude": Decimal("5.9"), "longitude": Decimal("105.8")}, "latitude"),
        ({"latitude": Decimal("21.0"), "longitude": Decimal("118.0")}, "longitude"),
        ({"latitude": Decimal("21.0285")}, "longitude"),
        ({"latitude": "abc", "longitude": Decimal("105.8542")}, "latitude"),
        ({"opens_at": dt.time(8, 0), "closes_at": dt.time(8, 0)}, "closes_at"),
        ({"opens_at": dt.time(21, 0), "closes_at": dt.time(8, 0)}, "closes_at"),
        ({"opens_at": dt.time(8, 0)}, "closes_at"),
        ({"opens_at": "25:00", "closes_at": dt.time(21, 0)}, "opens_at"),
        ({"authorised_from": dt.date(2025, 6, 1), "authorised_until": dt.date(2025, 1, 1)}, "authorised_until"),
        ({"authorised_from": "not a date", "authorised_until": dt.date(2025, 1, 1)}, "authorised_from"),
        ({"kind": "KIOSK"}, "kind"),
    ],
)
def test_point_create_refuses_invalid_input_and_writes_nothing(officer, overrides, field):
    # given
    agent = make_agent(officer)
    before = written()

    # when
    with pytest.raises(ValidationError) as exc:
        make_point(officer, agent=agent, **overrides)

    # then
    assert field in exc.value.message_dict
    assert written() == before


@pytest.mark.django_db
def test_point_create_refuses_a_duplicate_code_and_writes_nothing(officer):
    # given
    agent = make_agent(officer)
    make_point(officer, agent=agent, code="PT-DUP")
    before = written()

    # when
    with pytest.raises(ValidationError) as exc:
        make_point(officer, agent=agent, code="PT-DUP")

    # then
    assert "code" in exc.value.message_dict
    assert written() == before


# --- agent_update ---


@pytest.mark.django_db
def test_agent_update_changes_only_the_given_fields_and_audits_before_and_after(officer, manager):
    # given
    agent = make_agent(officer, name="Old name", tax_code="0100109106", contract_no="HD-1")

    # when
    services.agent_update(agent=agent, actor=manager, name="New name")

    # then
    stored = Agent.objects.get(pk=agent.pk)
    assert stored.name == "New name"
    assert (stored.tax_code, stored.contract_no, stored.status) == ("0100109106", "HD-1", Status.ACTIVE)
    event = last_event("agent.update")
    assert event.actor == manager
    assert event.object_id == str(agent.pk)
    assert event.fields == {"name": ["Old name", "New name"]}


@pytest.mark.django_db
def test_agent_update_normalises_the_new_phone_and_tax_code(officer):
    # given
    agent = make_agent(officer)

    # when
    services.agent_update(agent=agent, actor=officer, phone="091 234 5678", tax_code="0100109106-001")

    # then
    stored = Agent.objects.get(pk=agent.pk)
    assert (stored.phone, stored.tax_code) == ("+84912345678", "0100109106001")
    assert last_event("agent.update").fields == {
        "phone": ["", "+84912345678"],
        "tax_code": ["", "0100109106001"],
    }


@pytest.mark.django_db
def test_agent_update_moves_the_agent_under_a_new_parent(officer):
    # given
    old_parent, new_parent = make_agent(officer), make_agent(officer)
    agent = make_agent(officer, parent=old_parent)

    # when
    services.agent_update(agent=agent, actor=officer, parent=new_parent)

    # then
    assert Agent.objects.get(pk=agent.pk).parent_id == new_parent.pk
    assert last_event("agent.update").fields == {"parent": [str(old_parent.pk), str(new_parent.pk)]}


@pytest.mark.django_db
def test_agent_update_writes_no_audit_event_when_nothing_changed(officer):
    # given: the same values, the phone written another way
    agent = make_agent(officer, name="Same", phone="+84912345678")
    agent = Agent.objects.get(pk=agent.pk)
    before = written()

    # when
    services.agent_update(agent=agent, actor=officer, name="Same", phone="0912345678")

    # then
    assert written() == before
    assert last_event("agent.update") is None


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["status", "risk_score", "created_at", "no_such_field"])
def test_agent_update_refuses_a_field_it_does_not_manage(officer, field):
    # given: status goes through suspend/reinstate/terminate, risk through the scoring
    agent = make_agent(officer)
    before = written()

    # when
    with pytest.raises(ValueError, match=field):
        services.agent_update(agent=agent, actor=officer, **{field: "x"})

    # then
    assert Agent.objects.get(pk=agent.pk).status == Status.ACTIVE
    assert written() == before
    assert last_event("agent.update") is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"tax_code": "0100109107"}, "tax_code"),
        ({"phone": "+14155552671"}, "phone"),
        ({"name": ""}, "name"),
        ({"authorised_from": dt.date(2025, 1, 2), "authorised_until": dt.date(2025, 1, 1)}, "authorised_until"),
    ],
)
def test_agent_update_refuses_an_invalid_change_and_leaves_the_row_as_it_was(officer, changes, field):
    # given
    agent = make_agent(officer, name="Kept", tax_code="0100109106", phone="+84912345678")
    before = written()

    # when
    with pytest.raises(ValidationError) as exc:
        services.agent_update(agent=agent, actor=officer, **changes)

    # then
    assert field in exc.value.message_dict
    stored = Agent.objects.get(pk=agent.pk)
    assert (stored.name, stored.tax_code, stored.phone) == ("Kept", "0100109106", "+84912345678")
    assert (stored.authorised_from, stored.authorised_until) == (None, None)
    assert written() == before


@pytest.mark.django_db
def test_agent_update_refuses_another_agent_s_code(officer):
    # given
    make_agent(officer, code="TAKEN")
    agent = make_agent(officer, code="MINE")
    before = written()

    # when
    with pytest.raises(ValidationError) as exc:
        services.agent_update(agent=agent, actor=officer, code="TAKEN")

    # then
    assert "code" in exc.value.message_dict
    assert Agent.objects.get(pk=agent.pk).code == "MINE"
    assert written() == before


@pytest.mark.django_db
@pytest.mark.parametrize("new_parent", ["itself", "child", "grandchild"])
def test_agent_update_refuses_a_parent_that_would_make_a_loop(officer, new_parent):
    # given
    root = make_agent(officer)
    child = make_agent(officer, parent=root)
    grandchild = make_agent(officer, parent=child)
    parent = {"itself": root, "child": child, "grandchild": grandchild}[new_parent]
    root = Agent.objects.get(pk=root.pk)
    before = written()

    # when
    with pytest.raises(ValidationError) as exc:
        services.agent_update(agent=root, actor=officer, parent=parent)

    # then
    assert "parent" in exc.value.message_dict
    assert Agent.objects.get(pk=root.pk).parent_id is None
    assert written() == before


@pytest.mark.django_db
def test_agent_update_accepts_a_sibling_as_parent(officer):
    # given
    root = make_agent(officer)
    agent, sibling = make_agent(officer, parent=root), make_agent(officer, parent=root)

    # when
    services.agent_update(agent=agent, actor=officer, parent=sibling)

    # then
    assert Agent.objects.get(pk=agent.pk).parent_id == sibling.pk


# --- point_update ---


@pytest.mark.django_db
def test_point_update_changes_only_the_given_fields_and_audits_before_and_after(officer, manager):
    # given
    agent = make_agent(officer)
    point = make_point(officer, agent=agent, name="Kept", opens_at=dt.time(8, 0), closes_at=dt.time(21, 0))

    # when
    services.point_update(point=point, actor=manager, closes_at=dt.time(22, 30))

    # then
    stored = RegistrationPoint.objects.get(pk=point.pk)
    assert (stored.name, stored.opens_at, stored.closes_at) == ("Kept", dt.time(8, 0), dt.time(22, 30))
    event = last_event("point.update")
    assert event.actor == manager
    assert event.object_id == str(point.pk)
    assert event.fields == {"closes_at": ["21:00:00", "22:30:00"]}


@pytest.mark.django_db
def test_point_update_sets_coordinates_and_clears_them(officer):
    # given
    point = make_point(officer, agent=make_agent(officer))

    # when
    services.point_update(point=point, actor=officer, latitude=Decimal("10.7769"), longitude=Decimal("106.7009"))
    located = RegistrationPoint.objects.get(pk=point.pk)
    services.point_update(point=located, actor=officer, latitude=None, longitude=None)

    # then
    stored = RegistrationPoint.objects.get(pk=point.pk)
    assert (stored.latitude, stored.longitude) == (None, None)
    events = AuditEvent.objects.filter(action="point.update").order_by("id")
    assert [e.fields["latitude"] for e in events] == [["", "10.7769"], ["10.7769", ""]]


@pytest.mark.django_db
def test_point_update_writes_no_audit_event_when_nothing_changed(officer):
    # given: a point read back from the database, where 21.0285 comes back as 21.02850
    point = make_point(
        officer,
        agent=make_agent(officer),
        name="Same",
        latitude=Decimal("21.0285"),
        longitude=Decimal("105.8542"),
        opens_at=dt.time(8, 0),
        closes_at=dt.time(21, 0),
    )
    point = RegistrationPoint.objects.get(pk=point.pk)
    before = written()

    # when
    services.point_update(
        point=point,
        actor=officer,
        name="Same",
        latitude=Decimal("21.0285"),
        longitude=Decimal("105.8542"),
        opens_at="08:00",
        closes_at=dt.time(21, 0),
    )

    # then
    assert written() == before
    assert last_event("point.update") is None


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["status", "risk_tier", "last_inspection_on", "no_such_field"])
def test_point_update_refuses_a_field_it_does_not_manage(officer, field):
    # given: inspection dates and risk are written by the inspections app, status by suspend/reinstate
    point = make_point(officer, agent=make_agent(officer))
    before = written()

    # when
    with pytest.raises(ValueError, match=field):
        services.point_update(point=point, actor=officer, **{field: "x"})

    # then
    assert RegistrationPoint.objects.get(pk=point.pk).status == Status.ACTIVE
    assert written() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"closes_at": dt.time(8, 0)}, "closes_at"),  # == opens_at
        ({"closes_at": dt.time(7, 0)}, "closes_at"),  # before opens_at
        ({"closes_at": None}, "closes_at"),  # only one of the pair left
        ({"latitude": Decimal("23.6")}, "latitude"),
        ({"longitude": Decimal("101.9")}, "longitude"),
        ({"longitude": None}, "longitude"),
        ({"name": ""}, "name"),
    ],
)
def test_point_update_refuses_an_invalid_change_and_leaves_the_row_as_it_was(officer, changes, field):
    # given
    point = make_point(
        officer,
        agent=make_agent(officer),
        name="Kept",
        latitude=Decimal("21.0285"),
        longitude=Decimal("105.8542"),
        opens_at=dt.time(8, 0),
        closes_at=dt.time(21, 0),
    )
    before = written()

    # when
    with pytest.raises(ValidationError) as exc:
        services.point_update(point=point, actor=officer, **changes)

    # then
    assert field in exc.value.message_dict
    stored = RegistrationPoint.objects.get(pk=point.pk)
    assert stored.name == "Kept"
    assert (stored.latitude, stored.longitude) == (Decimal("21.0285"), Decimal("105.8542"))
    assert (stored.opens_at, stored.closes_at) == (dt.time(8, 0), dt.time(21, 0))
    assert written() == before


# --- suspend / reinstate / terminate ---


def make_subject(kind, actor, status=Status.ACTIVE):
    """An agent, or a point of an active agent, created in the given status."""
    if kind == "agent":
        return make_agent(actor, status=status)
    return make_point(actor, agent=make_agent(actor), status=status)


def change_status(kind, action, subject, **kwargs):
    service = getattr(services, f"{kind}_{action}")
    return service(**{kind: subject}, **kwargs)


LEGAL_MOVES = [
    ("suspend", Status.ACTIVE, Status.SUSPENDED),
    ("terminate", Status.ACTIVE, Status.TERMINATED),
    ("terminate", Status.SUSPENDED, Status.TERMINATED),
    ("reinstate", Status.SUSPENDED, Status.ACTIVE),
]


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["agent", "point"])
@pytest.mark.parametrize(("action", "from_status", "to_status"), LEGAL_MOVES)
def test_status_change_updates_the_status_records_history_and_audits_the_reason(
    officer, manager, kind, action, from_status, to_status
):
    # given
    subject = make_subject(kind, officer, from_status)

    # when
    change_status(kind, action, subject, reason="  Bán SIM kích hoạt sẵn  ", actor=manager)

    # then
    subject.refresh_from_db()
    assert subject.status == to_status
    change = subject.status_changes.order_by("-id").first()
    assert (change.from_status, change.to_status) == (from_status, to_status)
    assert change.reason == "Bán SIM kích hoạt sẵn"
    assert change.actor == manager
    assert change.source == StatusChange.Source.APP
    event = last_event(f"{kind}.{action}")
    assert event.object_id == str(subject.pk)
    assert event.actor == manager
    assert event.reason == "Bán SIM kích hoạt sẵn"
    assert event.fields == {"from": from_status, "to": to_status}


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["agent", "point"])
def test_status_change_records_the_source_it_is_given(officer, manager, kind):
    # given
    subject = make_subject(kind, officer)

    # when
    change_status(kind, "suspend", subject, reason="Sanction #12", actor=manager, source=StatusChange.Source.SANCTION)

    # then
    assert subject.status_changes.order_by("-id").first().source == StatusChange.Source.SANCTION


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["agent", "point"])
@pytest.mark.parametrize("action", ["suspend", "terminate", "reinstate"])
@pytest.mark.parametrize("reason", ["", "   \n\t", None])
def test_status_change_without_a_reason_is_refused_and_writes_nothing(officer, kind, action, reason):
    # given: a subject from which the move would otherwise be legal
    start = Status.SUSPENDED if action == "reinstate" else Status.ACTIVE
    subject = make_subject(kind, officer, start)
    before = written()

    # when
    with pytest.raises(ValidationError) as exc:
        change_status(kind, action, subject, reason=reason, actor=officer)

    # then
    assert "reason" in exc.value.message_dict
    assert type(subject).objects.get(pk=subject.pk).status == start
    assert written() == before


ILLEGAL_MOVES = [
    ("reinstate", Status.TERMINATED),  # terminated is final
    ("suspend", Status.TERMINATED),
    ("terminate", Status.TERMINATED),
    ("reinstate", Status.ACTIVE),
    ("suspend", Status.SUSPENDED),
]


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["agent", "point"])
@pytest.mark.parametrize(("action", "from_status"), ILLEGAL_MOVES)
def test_illegal_status_change_is_refused_and_writes_nothing(officer, kind, action, from_status):
    # given
    subject = make_subject(kind, officer, from_status)
    before = written()

    # when
    with pytest.raises(ValidationError) as exc:
        change_status(kind, action, subject, reason="Some reason", actor=officer)

    # then
    assert "status" in exc.value.message_dict
    assert type(subject).objects.get(pk=subject.pk).status == from_status
    assert written() == before


@pytest.mark.django_db
def test_status_change_is_judged_on_the_stored_status_not_on_a_stale_copy(officer):
    # given: a copy read while ACTIVE, then the point is suspended by another hand
    point = make_point(officer, agent=make_agent(officer))
    stale = RegistrationPoint.objects.get(pk=point.pk)
    services.point_suspend(point=point, reason="First suspension", actor=officer)
    before = written()

    # when
    with pytest.raises(ValidationError) as exc:
        services.point_suspend(point=stale, reason="Second suspension", actor=officer)

    # then: no second ACTIVE -> SUSPENDED in the history
    assert "status" in exc.value.message_dict
    assert written() == before


# --- agent status and its points ---


@pytest.fixture
def agent_with_points(officer):
    """An active agent with two active points, one suspended and one terminated; and another agent's point."""
    agent = make_agent(officer)
    points = {
        "active_1": make_point(officer, agent=agent),
        "active_2": make_point(officer, agent=agent),
        "suspended": make_point(officer, agent=agent, status=Status.SUSPENDED),
        "terminated": make_point(officer, agent=agent, status=Status.TERMINATED),
        "other_agent": make_point(officer, agent=make_agent(officer)),
    }
    return agent, points


def statuses(points) -> dict:
    return {name: RegistrationPoint.objects.get(pk=p.pk).status for name, p in points.items()}


def point_history(point) -> list[tuple[str, str]]:
    return list(StatusChange.objects.filter(point=point).order_by("id").values_list("from_status", "to_status"))


@pytest.mark.django_db
def test_agent_suspend_with_points_suspends_its_active_points_only(agent_with_points, manager):
    # given
    agent, points = agent_with_points

    # when
    count = services.agent_suspend(agent=agent, reason="Tax code revoked", actor=manager, include_points=True)

    # then
    assert count == 2
    assert statuses(points) == {
        "active_1": Status.SUSPENDED,
        "active_2": Status.SUSPENDED,
        "suspended": Status.SUSPENDED,
        "terminated": Status.TERMINATED,
        "other_agent": Status.ACTIVE,
    }
    for name in ("active_1", "active_2"):
        change = StatusChange.objects.filter(point=points[name]).order_by("-id").first()
        assert (change.from_status, change.to_status) == (Status.ACTIVE, Status.SUSPENDED)
        assert (change.reason, change.actor) == ("Tax code revoked", manager)
    assert point_history(points["suspended"]) == [("", Status.SUSPENDED)]
    assert point_history(points["terminated"]) == [("", Status.TERMINATED)]
    events = AuditEvent.objects.filter(action="point.suspend")
    assert sorted(e.object_id for e in events) == sorted(str(points[n].pk) for n in ("active_1", "active_2"))
    assert {e.reason for e in events} == {"Tax code revoked"}
    assert last_event("agent.suspend").object_id == str(agent.pk)


@pytest.mark.django_db
def test_agent_suspend_without_points_leaves_its_points_active(agent_with_points, manager):
    # given
    agent, points = agent_with_points

    # when
    count = services.agent_suspend(agent=agent, reason="Contract expired", actor=manager)

    # then
    assert count == 0
    assert Agent.objects.get(pk=agent.pk).status == Status.SUSPENDED
    assert statuses(points)["active_1"] == Status.ACTIVE
    assert point_history(points["active_1"]) == [("", Status.ACTIVE)]
    assert last_event("point.suspend") is None


@pytest.mark.django_db
def test_agent_terminate_with_points_terminates_its_active_and_suspended_points(agent_with_points, manager):
    # given
    agent, points = agent_with_points

    # when
    count = services.agent_terminate(agent=agent, reason="Licence withdrawn", actor=manager, include_points=True)

    # then
    assert count == 3
    assert statuses(points) == {
        "active_1": Status.TERMINATED,
        "active_2": Status.TERMINATED,
        "suspended": Status.TERMINATED,
        "terminated": Status.TERMINATED,
        "other_agent": Status.ACTIVE,
    }
    assert point_history(points["suspended"]) == [("", Status.SUSPENDED), (Status.SUSPENDED, Status.TERMINATED)]
    assert point_history(points["terminated"]) == [("", Status.TERMINATED)]
    assert AuditEvent.objects.filter(action="point.terminate").count() == 3


@pytest.mark.django_db
def test_agent_terminate_without_points_leaves_its_points_as_they_are(agent_with_points, manager):
    # given
    agent, points = agent_with_points

    # when
    count = services.agent_terminate(agent=agent, reason="Licence withdrawn", actor=manager)

    # then
    assert count == 0
    assert statuses(points)["active_1"] == Status.ACTIVE
    assert statuses(points)["suspended"] == Status.SUSPENDED


@pytest.mark.django_db
def test_agent_suspend_refused_with_points_writes_nothing_for_the_points(agent_with_points, manager):
    # given: the agent is already suspended
    agent, points = agent_with_points
    services.agent_suspend(agent=agent, reason="First", actor=manager)
    before = written()

    # when
    with pytest.raises(ValidationError):
        services.agent_suspend(agent=agent, reason="Again", actor=manager, include_points=True)

    # then
    assert statuses(points)["active_1"] == Status.ACTIVE
    assert written() == before


@pytest.mark.django_db
def test_agent_reinstate_does_not_reinstate_its_points(agent_with_points, manager):
    # given
    agent, points = agent_with_points
    services.agent_suspend(agent=agent, reason="Inspection failed", actor=manager, include_points=True)

    # when
    services.agent_reinstate(agent=agent, reason="Corrective action verified", actor=manager)

    # then
    assert Agent.objects.get(pk=agent.pk).status == Status.ACTIVE
    assert statuses(points)["active_1"] == Status.SUSPENDED
    assert statuses(points)["active_2"] == Status.SUSPENDED
    assert last_event("point.reinstate") is None


@pytest.mark.django_db
def test_point_reinstate_is_allowed_once_its_agent_is_active_again(agent_with_points, manager):
    # given
    agent, points = agent_with_points
    services.agent_suspend(agent=agent, reason="Inspection failed", actor=manager, include_points=True)
    services.agent_reinstate(agent=agent, reason="Corrective action verified", actor=manager)

    # when
    services.point_reinstate(point=points["active_1"], reason="Point re-inspected", actor=manager)

    # then
    assert statuses(points)["active_1"] == Status.ACTIVE
    assert last_event("point.reinstate").object_id == str(points["active_1"].pk)


@pytest.mark.django_db
@pytest.mark.parametrize("agent_status", [Status.SUSPENDED, Status.TERMINATED])
def test_point_reinstate_is_refused_while_its_agent_is_not_active(officer, manager, agent_status):
    # given
    agent = make_agent(officer, status=agent_status)
    point = make_point(officer, agent=agent, status=Status.SUSPENDED)
    before = written()

    # when
    with pytest.raises(ValidationError) as exc:
        services.point_reinstate(point=point, reason="Re-inspected", actor=manager)

    # then
    assert "status" in exc.value.message_dict
    assert RegistrationPoint.objects.get(pk=point.pk).status == Status.SUSPENDED
    assert written() == before


@pytest.mark.django_db
def test_point_reinstate_checks_the_stored_agent_status_not_a_stale_copy(officer, manager):
    # given: the point (and its agent) read while the agent was active; then the agent is suspended
    agent = make_agent(officer)
    point = make_point(officer, agent=agent, status=Status.SUSPENDED)
    stale = RegistrationPoint.objects.select_related("agent").get(pk=point.pk)
    services.agent_suspend(agent=agent, reason="Inspection failed", actor=manager)
    before = written()

    # when
    with pytest.raises(ValidationError):
        services.point_reinstate(point=stale, reason="Re-inspected", actor=manager)

    # then
    assert RegistrationPoint.objects.get(pk=point.pk).status == Status.SUSPENDED
    assert written() == before


@pytest.mark.django_db
def test_cascade_stays_within_the_actors_provinces(make_user):
    # given an agent with a point in Hà Nội and one in Saigon, and an officer limited to Hà Nội
    def province(code):
        return Province.objects.get(code=code)

    agent = services.agent_create(actor=None, code="AGX", name="X", kind="AUTHORISED", province=province("001"))
    hanoi = services.point_create(
        actor=None, code="PX1", agent=agent, name="a", kind="AUTHORISED_FIXED", province=province("001")
    )
    saigon = services.point_create(
        actor=None, code="PX2", agent=agent, name="b", kind="AUTHORISED_FIXED", province=province("079")
    )
    officer = make_user("officer", provinces=["001"])
    # when
    followed = services.agent_suspend(agent=agent, reason="r", actor=officer, include_points=True)
    # then
    hanoi.refresh_from_db()
    saigon.refresh_from_db()
    assert followed == 1
    assert (hanoi.status, saigon.status) == ("SUSPENDED", "ACTIVE")
