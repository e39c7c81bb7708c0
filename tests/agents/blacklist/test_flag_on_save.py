"""Issue 16, "a new or updated agent or point that matches raises a flag": BLACKLISTED_AGENT is judged the moment
an agent or a point is saved, on every write path (the pages' forms, the API, agents.csv and points.csv; the admin
has no write path for them), for just the subjects written, through the check runner's own recording. A near miss
(one digit off, another kind of document), a lifted or an expired entry flag nothing, and the next full run finds
the same flag (it only moves `last_seen`), never a second one."""

import datetime as dt
import io
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from agents import services as agent_services
from agents.blacklist import services as blacklist
from agents.blacklist.models import BlacklistEntry
from agents.importers import AGENT_COLUMNS, POINT_COLUMNS, import_agents, import_points
from agents.models import Agent, RegistrationPoint
from core.models import AuditEvent
from core.roles import Role
from registrations.checks.runner import run_checks
from registrations.checks.services import flags_judge_written
from registrations.models import CheckRun, Flag, FlagEvent, FlagStatus, Rule, SubjectType
from tests.agents.factories import AgentFactory, PointFactory

pytestmark = pytest.mark.django_db

CODE = "BLACKLISTED_AGENT"
TAX = "0100109106"
OTHER_TAX = "0101248141"
PHONE = "+84912345678"
OWNER = ("CCCD", "001090012345")
OWNER_COLUMNS = ["phone", "owner_id_doc_type", "owner_id_doc_number"]


@pytest.fixture
def listed(officer) -> Agent:
    """A dealer terminated in the app (Hà Nội): its tax code, phone and owner's CCCD on the blacklist."""
    agent = AgentFactory(
        code="OLD-1", tax_code=TAX, phone=PHONE, owner_id_doc_type=OWNER[0], owner_id_doc_number=OWNER[1]
    )
    agent_services.agent_terminate(agent=agent, reason="Pre-activated SIMs", actor=officer)
    return agent


@pytest.fixture
def clean_agent() -> Agent:
    """An agent sharing nothing with the listed one."""
    return AgentFactory(code="AG-CLEAN", tax_code=OTHER_TAX, phone="+84987000111")


def flags() -> set[tuple[str, int]]:
    return {
        (f.subject_type, f.subject_id)
        for f in Flag.objects.filter(rule__code=CODE, status__in=[FlagStatus.OPEN, FlagStatus.CONFIRMED])
    }


def point_form(agent, **overrides) -> dict:
    return {
        "code": "PT-NEW",
        "agent_code": agent.code,
        "name": "Điểm Tràng Tiền",
        "kind": "AUTHORISED_FIXED",
        "address": "1 Tràng Tiền",
        "province": "001",
        "phone": "",
        "owner_id_doc_type": "",
        "owner_id_doc_number": "",
        **overrides,
    }


def csv_file(columns, *rows) -> io.BytesIO:
    lines = [",".join(columns), *(",".join(row) for row in rows)]
    return io.BytesIO(("\n".join(lines) + "\n").encode())


def point_row(code="PT-IMP", agent_code="AG-CLEAN", *owner) -> list[str]:
    row = [code, agent_code, "Điểm nhập", "AUTHORISED_FIXED", "", "001", "", "", "", "", "", "", ""]
    return [*row, *owner]


# --- the pages' forms ---------------------------------------------------------------------------------------


def test_a_point_saved_through_the_form_with_a_blacklisted_phone_is_flagged_at_once(
    client, officer, listed, clean_agent, django_capture_on_commit_callbacks
):
    # given
    client.force_login(officer)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("agents:point_create"), point_form(clean_agent, phone="0912 345 678"))
    # then: flagged before any check run, and the save says so in the flag's history
    assert response.status_code == 302
    point = RegistrationPoint.objects.get(code="PT-NEW")
    assert flags() == {("point", point.pk)}
    flag = Flag.objects.get(rule__code=CODE)
    (event,) = flag.events.all()
    assert (event.to_status, event.check_run_id, event.actor_id) == (FlagStatus.OPEN, None, None)
    assert event.reason == "Raised by version 1 of the rule when the record was saved."
    assert not CheckRun.objects.exists()
    audit = AuditEvent.objects.get(action="checks.on_save")
    assert (audit.actor_id, audit.fields["new"], audit.fields["points"]) == (officer.pk, 1, 1)


def test_the_point_page_shows_the_new_flag_right_after_the_save(
    client, officer, listed, clean_agent, django_capture_on_commit_callbacks
):
    # given
    client.force_login(officer)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("agents:point_create"),
            point_form(clean_agent, owner_id_doc_type="CCCD", owner_id_doc_number="001 090 012 345"),
        )
    point = RegistrationPoint.objects.get(code="PT-NEW")
    # when: the point's flags section (registrations serves it to the point page)
    response = client.get(reverse("registrations:point_flags_section", args=[point.pk]))
    # then
    assert response.status_code == 200
    assert CODE in response.content.decode()


def test_an_agent_edited_through_the_form_to_a_blacklisted_tax_code_is_flagged_with_its_points(
    client, officer, listed, clean_agent, django_capture_on_commit_callbacks
):
    # given
    point = PointFactory(agent=clean_agent, phone="+84987000222")
    client.force_login(officer)
    data = {
        "code": clean_agent.code,
        "name": clean_agent.name,
        "kind": clean_agent.kind,
        "tax_code": TAX,
        "phone": clean_agent.phone,
        "province": "001",
    }
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("agents:agent_edit", args=[clean_agent.pk]), data)
    # then
    assert response.status_code == 302
    assert flags() == {("agent", clean_agent.pk), ("point", point.pk)}


@pytest.mark.parametrize(
    "owner",
    [
        {"phone": "+84912345679"},  # one digit off
        {"owner_id_doc_type": "CCCD", "owner_id_doc_number": "001090012346"},  # one digit off
        {"owner_id_doc_type": "CMND", "owner_id_doc_number": "001090012345"},  # same number, another document
    ],
)
def test_a_near_miss_saved_through_the_form_flags_nothing(
    client, officer, listed, clean_agent, django_capture_on_commit_callbacks, owner
):
    client.force_login(officer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("agents:point_create"), point_form(clean_agent, **owner))
    assert response.status_code == 302
    assert flags() == set()
    assert not Flag.objects.exists()


def test_a_lifted_entry_flags_nothing_on_save(
    officer, manager, listed, clean_agent, django_capture_on_commit_callbacks
):
    blacklist.blacklist_lift(entry=BlacklistEntry.objects.get(agent=listed), reason="Annulled", actor=manager)
    with django_capture_on_commit_callbacks(execute=True):
        agent_services.point_create(actor=officer, **_point(clean_agent, phone=PHONE))
    assert not Flag.objects.exists()


def test_an_expired_entry_flags_nothing_on_save(officer, listed, clean_agent, django_capture_on_commit_callbacks):
    BlacklistEntry.objects.filter(agent=listed).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        agent_services.point_create(actor=officer, **_point(clean_agent, phone=PHONE))
    assert not Flag.objects.exists()


def test_a_disabled_rule_judges_nothing_on_save(officer, listed, clean_agent, django_capture_on_commit_callbacks):
    run_checks(codes=[CODE], trigger=CheckRun.Trigger.COMMAND)  # the Rule rows exist
    Rule.objects.filter(code=CODE).update(enabled=False)
    with django_capture_on_commit_callbacks(execute=True):
        agent_services.point_create(actor=officer, **_point(clean_agent, phone=PHONE))
    assert not Flag.objects.exists()


def test_a_save_that_rolls_back_judges_nothing(officer, listed, clean_agent, django_capture_on_commit_callbacks):
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():  # noqa: PT012
        agent_services.point_create(actor=officer, **_point(clean_agent, phone=PHONE))
        raise RuntimeError("rolled back")
    assert not Flag.objects.exists()


def _point(agent, **values) -> dict:
    from core.models import Province

    return {
        "code": "PT-SVC",
        "agent": agent,
        "name": "Điểm",
        "kind": "AUTHORISED_FIXED",
        "province": Province.objects.get(code="001"),
        **values,
    }


# --- the API ------------------------------------------------------------------------------------------------


def test_a_point_posted_through_the_api_whose_owner_is_blacklisted_is_flagged_at_once(
    api, officer, listed, clean_agent, django_capture_on_commit_callbacks
):
    api.force_authenticate(officer)
    payload = {
        "code": "PT-API",
        "agent_code": clean_agent.code,
        "name": "Điểm API",
        "kind": "AUTHORISED_FIXED",
        "province": "001",
        "owner_id_doc_type": "CCCD",
        "owner_id_doc_number": "001.090.012.345",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(reverse("api:point_list"), payload, format="json")
    assert response.status_code == 201, response.content
    assert flags() == {("point", response.json()["id"])}


def test_an_agent_patched_through_the_api_to_a_blacklisted_phone_is_flagged_at_once(
    api, officer, listed, clean_agent, django_capture_on_commit_callbacks
):
    api.force_authenticate(officer)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.patch(
            reverse("api:agent_detail", args=[clean_agent.pk]), {"phone": "84912345678"}, format="json"
        )
    assert response.status_code == 200, response.content
    assert flags() == {("agent", clean_agent.pk)}


# --- the CSV imports ----------------------------------------------------------------------------------------


def test_agents_csv_flags_its_matching_rows_at_once(officer, listed, django_capture_on_commit_callbacks):
    # given: two new agents, one with the listed tax code written as a branch-less code, one clean
    data = csv_file(
        AGENT_COLUMNS,
        ["AG-BACK", "Quay lại", "AUTHORISED", "", TAX, "0987000333", "001", "ACTIVE", "", "", ""],
        ["AG-GOOD", "Sạch", "AUTHORISED", "", OTHER_TAX, "0987000444", "001", "ACTIVE", "", "", ""],
    )
    # when
    with django_capture_on_commit_callbacks(execute=True):
        import_agents(data, actor=officer)
    # then
    assert flags() == {("agent", Agent.objects.get(code="AG-BACK").pk)}


def test_points_csv_flags_a_returning_owner_at_once(officer, listed, clean_agent, django_capture_on_commit_callbacks):
    data = csv_file(
        POINT_COLUMNS + OWNER_COLUMNS,
        point_row("PT-BACK", "AG-CLEAN", "", "CCCD", "001090012345"),
        point_row("PT-NEAR", "AG-CLEAN", "", "CMND", "001090012345"),  # another document
        point_row("PT-PHONE", "AG-CLEAN", "0912345678", "", ""),
    )
    with django_capture_on_commit_callbacks(execute=True):
        result = import_points(data, actor=officer)
    assert (result.created, result.rejected) == (3, 0)
    ids = dict(RegistrationPoint.objects.values_list("code", "pk"))
    assert flags() == {("point", ids["PT-BACK"]), ("point", ids["PT-PHONE"])}


def test_an_import_is_judged_set_based_whatever_its_number_of_rows(officer, listed, clean_agent):
    """The hook's statements do not grow with the rows written: one scope of every id, one run of the rule."""

    def statements(n: int, start: int) -> int:
        points = [PointFactory(agent=clean_agent, code=f"PT-{start + i}").pk for i in range(n)]
        with CaptureQueriesContext(connection) as queries:
            flags_judge_written(agent_ids=[], point_ids=points)
        return len(queries)

    assert statements(2, 0) == statements(40, 100)


# --- the admin ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", ["agent", "registrationpoint"])
def test_the_admin_has_no_write_path_for_agents_or_points(client, make_user, model):
    """Agents and points change only through the services (audited, judged); the admin does not list them."""
    client.force_login(make_user(Role.MANAGER, username="root", is_staff=True, is_superuser=True))
    assert client.get(f"/admin/agents/{model}/add/").status_code == 404
    assert client.get("/admin/").status_code == 200


# --- the next full run, resolution, webhooks ----------------------------------------------------------------


def test_the_next_full_run_finds_the_same_flag_and_raises_no_second_one(
    officer, listed, clean_agent, django_capture_on_commit_callbacks
):
    # given: a point flagged as it was saved
    with django_capture_on_commit_callbacks(execute=True):
        point = agent_services.point_create(actor=officer, **_point(clean_agent, phone=PHONE))
    flag = Flag.objects.get(rule__code=CODE)
    # when
    run = run_checks(codes=[CODE], trigger=CheckRun.Trigger.COMMAND)
    # then: the run saw it as still open, nothing new, no event of its own
    assert run.results[CODE]["new"] == 0
    assert run.results[CODE]["still_open"] == 1
    assert list(Flag.objects.filter(rule__code=CODE).values_list("pk", "subject_id")) == [(flag.pk, point.pk)]
    assert FlagEvent.objects.filter(flag=flag).count() == 1
    assert not FlagEvent.objects.filter(check_run=run).exists()


def test_a_point_saved_again_without_the_match_has_its_flag_resolved_as_a_run_would(
    officer, listed, clean_agent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        point = agent_services.point_create(actor=officer, **_point(clean_agent, phone=PHONE))
    with django_capture_on_commit_callbacks(execute=True):
        agent_services.point_update(point=point, actor=officer, phone="+84987000999")
    flag = Flag.objects.get(rule__code=CODE)
    assert flag.status == FlagStatus.RESOLVED
    # and a full run agrees: nothing to raise, nothing left to resolve
    run = run_checks(codes=[CODE], trigger=CheckRun.Trigger.COMMAND)
    assert (run.results[CODE]["new"], run.results[CODE]["resolved"], run.results[CODE]["reopened"]) == (0, 0, 0)


def test_a_save_judges_only_what_it_wrote(officer, listed, clean_agent, django_capture_on_commit_callbacks):
    # given: an agent matching since before the save, never judged (no run yet), and an agent whose id is the
    # id of the point about to be saved (agents and points are told apart by type)
    unjudged = AgentFactory(code="AG-OLD", tax_code=TAX, phone="+84987000555")
    # when
    with django_capture_on_commit_callbacks(execute=True):
        point = agent_services.point_create(actor=officer, **_point(clean_agent, phone="+84987000666"))
    # then: the point is clean; the unjudged agent is left for the next run
    assert not Flag.objects.exists()
    assert point.pk  # judged
    run = run_checks(codes=[CODE], trigger=CheckRun.Trigger.COMMAND)
    assert flags() == {("agent", unjudged.pk)}
    assert run.results[CODE]["new"] == 1


def test_a_critical_flag_raised_on_save_is_announced_as_flags_critical_raised(
    officer, listed, clean_agent, django_capture_on_commit_callbacks, monkeypatch
):
    from core import events

    published = []
    monkeypatch.setattr(events, "publish", lambda event_type, data: published.append((event_type, data)))
    with django_capture_on_commit_callbacks(execute=True):
        agent_services.point_create(actor=officer, **_point(clean_agent, phone=PHONE))
    flag = Flag.objects.get(rule__code=CODE)
    assert published == [
        (
            "flags.critical_raised",
            {
                "source": "save",
                "check_run": None,
                "status": "DONE",
                "counts": {CODE: 1},
                "total": 1,
                "flag_ids": [flag.pk],
                "more": False,
            },
        )
    ]
    json.dumps(published[0][1])  # JSON-able, as a webhook body
    # a full run afterwards announces nothing more
    published.clear()
    run_checks(codes=[CODE], trigger=CheckRun.Trigger.COMMAND)
    assert published == []


def test_a_failing_judgement_never_fails_the_save(
    officer, listed, clean_agent, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    from core import registry

    def broken(**_kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setitem(registry.AGENTS_WRITTEN_HOOKS, "BLACKLISTED_AGENT", broken)
    with django_capture_on_commit_callbacks(execute=True):
        point = agent_services.point_create(actor=officer, **_point(clean_agent, phone=PHONE))
    assert RegistrationPoint.objects.filter(pk=point.pk).exists()
    assert "After-write hook" in caplog.text
    assert SubjectType.POINT == "point"


def test_the_saves_reason_in_the_flag_history_reads_in_the_readers_language():
    from django.utils import translation

    from registrations.templatetags.flag_tags import flag_reason

    stored = "Raised by version 2 of the rule when the record was saved."
    with translation.override("vi"):
        assert flag_reason(stored) == "Được phát hiện bởi phiên bản 2 của quy tắc khi lưu hồ sơ."
    with translation.override("en"):
        assert flag_reason(stored) == stored
