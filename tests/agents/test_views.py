"""Pages for agents and points: roles, province scope, forms, status actions, import, export, queries."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from agents import services
from agents.models import Agent, RegistrationPoint, Status, StatusChange
from core.models import AuditEvent, ImportJob, Province
from core.roles import Role


def make_agent(code="AG1", province="001", **kw):
    return services.agent_create(
        actor=None,
        code=code,
        name=f"Agent {code}",
        kind="AUTHORISED",
        province=Province.objects.get(code=province),
        **kw,
    )


def make_point(agent, code="P1", province=None, **kw):
    return services.point_create(
        actor=None,
        code=code,
        agent=agent,
        name=f"Point {code}",
        kind="AUTHORISED_FIXED",
        province=Province.objects.get(code=province or agent.province_id),
        **kw,
    )


@pytest.fixture
def hanoi():
    agent = make_agent("AG1", "001")
    return agent, make_point(agent, "P1")


@pytest.fixture
def saigon():
    agent = make_agent("AG2", "079")
    return agent, make_point(agent, "P2")


READ_ROLES = {Role.OFFICER, Role.MANAGER, Role.AUDITOR}
WRITE_ROLES = {Role.OFFICER, Role.MANAGER}


@pytest.mark.django_db
def test_list_and_detail_pages_by_role(client, any_principal, hanoi):
    # given a Hà Nội agent and point, and a user of each role in, out of or above that scope
    agent, point = hanoi
    client.force_login(any_principal.user)
    # then lists and exports open for readers (empty out of scope), and details hide other provinces
    for url in (
        reverse("agents:agent_list"),
        reverse("agents:point_list"),
        reverse("agents:agent_export"),
        reverse("agents:point_export"),
    ):
        assert client.get(url).status_code == (200 if any_principal.allowed(READ_ROLES) else 403), url
    for url in (
        reverse("agents:agent_detail", args=[agent.pk]),
        reverse("agents:point_detail", args=[point.pk]),
    ):
        assert client.get(url).status_code == any_principal.expect(READ_ROLES), url


@pytest.mark.django_db
def test_write_pages_by_role(client, any_principal, hanoi):
    agent, point = hanoi
    client.force_login(any_principal.user)
    for url in (reverse("agents:agent_create"), reverse("agents:point_create")):
        assert client.get(url).status_code == (200 if any_principal.allowed(WRITE_ROLES) else 403), url
    for url in (
        reverse("agents:agent_edit", args=[agent.pk]),
        reverse("agents:point_edit", args=[point.pk]),
        reverse("agents:agent_status", args=[agent.pk, "suspend"]),
        reverse("agents:point_status", args=[point.pk, "suspend"]),
    ):
        assert client.get(url).status_code == any_principal.expect(WRITE_ROLES), url
    # integration accounts push files through the API and the upload page; they have no other pages
    assert client.get(reverse("agents:import")).status_code == (
        200 if any_principal.allowed(WRITE_ROLES | {Role.INTEGRATION}) else 403
    )


@pytest.mark.django_db
def test_status_post_is_refused_out_of_role_or_scope_and_changes_nothing(client, principal, hanoi):
    # given a Hà Nội point
    _agent, point = hanoi
    client.force_login(principal.user)
    # when a user outside the writing roles, or limited to TP HCM, tries to suspend it
    response = client.post(
        reverse("agents:point_status", args=[point.pk, "suspend"]), {"action": "suspend", "reason": "x"}
    )
    # then
    if principal.allowed(WRITE_ROLES) and principal.in_scope:
        assert response.status_code == 302
        return
    assert response.status_code == principal.expect(WRITE_ROLES)
    point.refresh_from_db()
    assert point.status == Status.ACTIVE


@pytest.mark.django_db
def test_status_post_by_auditor_is_refused_and_changes_nothing(client, auditor, hanoi):
    _agent, point = hanoi
    client.force_login(auditor)
    response = client.post(
        reverse("agents:point_status", args=[point.pk, "suspend"]), {"action": "suspend", "reason": "x"}
    )
    assert response.status_code == 403
    point.refresh_from_db()
    assert point.status == Status.ACTIVE


@pytest.mark.django_db
def test_limited_user_sees_only_its_province_and_gets_404_elsewhere(client, make_user, hanoi, saigon):
    # given an officer limited to Hà Nội
    client.force_login(make_user(Role.OFFICER, provinces=["001"]))
    # then the lists show only Hà Nội
    codes = [p.code for p in client.get(reverse("agents:point_list")).context["page"].items]
    assert codes == ["P1"]
    codes = [a.code for a in client.get(reverse("agents:agent_list")).context["page"].items]
    assert codes == ["AG1"]
    # and every page of a Saigon object answers 404, like one that does not exist
    agent, point = saigon
    for url in (
        reverse("agents:agent_detail", args=[agent.pk]),
        reverse("agents:point_detail", args=[point.pk]),
        reverse("agents:agent_edit", args=[agent.pk]),
        reverse("agents:point_edit", args=[point.pk]),
        reverse("agents:point_status", args=[point.pk, "suspend"]),
        reverse("agents:agent_detail", args=[999999]),
    ):
        assert client.get(url).status_code == 404, url
    response = client.post(
        reverse("agents:point_status", args=[point.pk, "suspend"]), {"action": "suspend", "reason": "x"}
    )
    assert response.status_code == 404
    # and the export holds only Hà Nội
    export = b"".join(client.get(reverse("agents:point_export")).streaming_content).decode()
    assert "P1," in export
    assert "P2," not in export


@pytest.mark.django_db
def test_filters_search_and_sort(client, officer):
    a1 = make_agent("AG1", "001")
    make_point(a1, "P1", address="12 Lê Lợi")
    p2 = make_point(a1, "P2", address="5 Hai Bà Trưng")
    make_point(make_agent("AG2", "079"), "P3")
    services.point_suspend(point=p2, reason="test", actor=None)
    client.force_login(officer)

    def codes(**params):
        return [p.code for p in client.get(reverse("agents:point_list"), params).context["page"].items]

    assert codes(province="079") == ["P3"]
    assert codes(status="SUSPENDED") == ["P2"]
    assert codes(q="lê lợi") == ["P1"]
    assert codes(agent="AG2") == ["P3"]
    assert codes(sort="-code") == ["P3", "P2", "P1"]
    assert codes(kind="OPERATOR_FIXED") == []


@pytest.mark.django_db
def test_keyset_pages_cover_every_row_once(client, officer):
    agent = make_agent()
    RegistrationPoint.objects.bulk_create(
        [
            RegistrationPoint(
                code=f"P{i:04d}", agent=agent, name=f"Point {i % 7}", kind="AUTHORISED_FIXED", province_id="001"
            )
            for i in range(120)
        ]
    )
    client.force_login(officer)
    seen, query = [], "sort=name"
    while query:
        page = client.get(reverse("agents:point_list") + "?" + query).context["page"]
        seen += [p.code for p in page.items]
        query = page.next_query
    assert len(seen) == 120
    assert len(set(seen)) == 120


@pytest.mark.django_db
def test_list_query_count_does_not_grow_with_rows(client, officer, django_assert_max_num_queries):
    parent = make_agent("AG0")
    agent = make_agent("AG1", parent=parent)
    for i in range(3):
        make_point(agent, f"P{i}")
    client.force_login(officer)
    with django_assert_max_num_queries(20) as small:
        client.get(reverse("agents:point_list"))
        client.get(reverse("agents:agent_list"))
    for i in range(3, 40):
        make_point(make_agent(f"AGX{i}", parent=parent), f"P{i}")
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(reverse("agents:point_list"))
        client.get(reverse("agents:agent_list"))


@pytest.mark.django_db
def test_create_agent_through_the_form(client, officer):
    client.force_login(officer)
    response = client.post(
        reverse("agents:agent_create"),
        {
            "code": "AG9",
            "name": "Chuỗi bán lẻ",
            "kind": "AUTHORISED",
            "tax_code": "0100109106",
            "phone": "0912345678",
            "province": "001",
            "contract_no": "HD-9",
            "authorised_from": "2026-01-01",
        },
    )
    agent = Agent.objects.get(code="AG9")
    assert response.status_code == 302
    assert agent.phone == "+84912345678"
    assert AuditEvent.objects.filter(action="agent.create", object_id=str(agent.pk), actor=officer).exists()


@pytest.mark.django_db
def test_form_shows_field_errors_and_stores_nothing(client, officer):
    client.force_login(officer)
    response = client.post(
        reverse("agents:agent_create"),
        {
            "code": "AG9",
            "name": "X",
            "kind": "AUTHORISED",
            "tax_code": "0100109107",
            "phone": "12",
            "province": "001",
            "authorised_from": "2026-01-01",
            "authorised_until": "2025-01-01",
            "parent_code": "NOPE",
        },
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) >= {"tax_code", "phone", "authorised_until", "parent_code"}
    assert not Agent.objects.filter(code="AG9").exists()


@pytest.mark.django_db
def test_point_form_rejects_bad_hours_and_coordinates(client, officer, hanoi):
    _agent, point = hanoi
    client.force_login(officer)
    response = client.post(
        reverse("agents:point_edit", args=[point.pk]),
        {
            "code": "P1",
            "agent_code": "AG1",
            "name": "P",
            "kind": "AUTHORISED_FIXED",
            "province": "001",
            "latitude": "48.85",
            "longitude": "2.35",
            "opens_at": "21:00",
            "closes_at": "08:00",
        },
    )
    assert response.status_code == 200
    assert set(response.context["form"].errors) >= {"latitude", "longitude", "closes_at"}
    point.refresh_from_db()
    assert point.latitude is None


@pytest.mark.django_db
def test_edit_records_only_changed_fields(client, officer, hanoi):
    _agent, point = hanoi
    client.force_login(officer)
    response = client.post(
        reverse("agents:point_edit", args=[point.pk]),
        {
            "code": "P1",
            "agent_code": "AG1",
            "name": "Renamed",
            "kind": "AUTHORISED_FIXED",
            "province": "001",
        },
    )
    assert response.status_code == 302
    event = AuditEvent.objects.filter(action="point.update").latest("id")
    assert event.fields == {"name": ["Point P1", "Renamed"]}


@pytest.mark.django_db
def test_suspend_agent_with_points_through_the_page(client, officer, hanoi):
    agent, point = hanoi
    client.force_login(officer)
    response = client.post(
        reverse("agents:agent_status", args=[agent.pk, "suspend"]),
        {"action": "suspend", "reason": "Bán SIM kích hoạt sẵn", "include_points": "on"},
    )
    assert response.status_code == 302
    point.refresh_from_db()
    assert point.status == Status.SUSPENDED
    change = StatusChange.objects.filter(point=point).first()
    assert (change.to_status, change.reason, change.actor) == ("SUSPENDED", "Bán SIM kích hoạt sẵn", officer)
    page = client.get(reverse("agents:point_detail", args=[point.pk]))
    assert "Bán SIM kích hoạt sẵn" in page.content.decode()


@pytest.mark.django_db
def test_status_action_needs_a_reason(client, officer, hanoi):
    _agent, point = hanoi
    client.force_login(officer)
    response = client.post(
        reverse("agents:point_status", args=[point.pk, "terminate"]), {"action": "terminate", "reason": "  "}
    )
    assert response.status_code == 200
    assert "reason" in response.context["form"].errors
    point.refresh_from_db()
    assert point.status == Status.ACTIVE


@pytest.mark.django_db
def test_reinstating_a_point_of_a_suspended_agent_shows_why_not(client, officer, hanoi):
    agent, point = hanoi
    services.agent_suspend(agent=agent, reason="x", actor=None, include_points=True)
    client.force_login(officer)
    response = client.post(
        reverse("agents:point_status", args=[point.pk, "reinstate"]), {"action": "reinstate", "reason": "fixed"}
    )
    assert response.status_code == 200
    assert "reinstate the agent first" in response.content.decode()


@pytest.mark.django_db
def test_unknown_status_action_is_404(client, officer, hanoi):
    agent, _point = hanoi
    client.force_login(officer)
    assert client.get(reverse("agents:agent_status", args=[agent.pk, "delete"])).status_code == 404


@pytest.mark.django_db
def test_upload_page_imports_both_files_and_offers_rejects(client, officer, django_capture_on_commit_callbacks):
    from tests.agents.test_importers import CHAIN, OP, P1, agents, points

    client.force_login(officer)
    bad_point = "P2,AGX,Point,OPERATOR_FIXED,,001,,,,,,,"
    # points.csv refers to AG0, which only the agents.csv of the same upload creates
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("agents:import"),
            {
                "agents_file": SimpleUploadedFile("agents.csv", agents(OP, CHAIN).getvalue()),
                "points_file": SimpleUploadedFile("points.csv", points(P1, bad_point).getvalue()),
            },
        )
    response = client.get(response["Location"])
    jobs = list(response.context["jobs"])
    assert [(j.kind, j.created, j.rejected) for j in jobs] == [("agents", 2, 0), ("points", 1, 1)]
    rejects = client.get(reverse("agents:import_rejects", args=[jobs[1].pk]))
    body = b"".join(rejects.streaming_content).decode()
    assert "3,Unknown agent code 'AGX'." in body
    # a user whose provinces do not cover the uploader's (every province) cannot download it (issue 13: jobs
    # are the team's, scoped by province)
    client.force_login(_other_officer())
    assert client.get(reverse("agents:import_rejects", args=[jobs[1].pk])).status_code == 404


def test_an_upload_while_the_queue_is_down_ends_failed_with_the_reason(
    client, officer, monkeypatch, django_capture_on_commit_callbacks
):
    from core.runs import QueueUnavailable
    from tests.agents.test_importers import OP, agents

    def broker_down(*args, **kwargs):
        raise QueueUnavailable("connection refused")

    monkeypatch.setattr(services, "send_task", broker_down)
    client.force_login(officer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("agents:import"), {"agents_file": SimpleUploadedFile("agents.csv", agents(OP).getvalue())}
        )
    # then: no server error; the job is failed with the reason, and nothing was imported
    assert response.status_code == 302
    job = ImportJob.objects.get(kind="agents")
    assert job.status == ImportJob.Status.FAILED
    assert "not reachable" in job.error
    assert not Agent.objects.filter(code="AG0").exists()


def _other_officer():
    from tests.factories import UserFactory

    return UserFactory(role=Role.OFFICER, username="other", provinces=["079"])


@pytest.mark.django_db
def test_upload_page_requires_a_file(client, officer):
    client.force_login(officer)
    response = client.post(reverse("agents:import"), {})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()


@pytest.mark.django_db
def test_upload_of_a_file_with_missing_columns_is_refused_at_once(client, officer):
    client.force_login(officer)
    response = client.post(
        reverse("agents:import"), {"agents_file": SimpleUploadedFile("agents.csv", b"code,name\nAG1,X\n")}
    )
    assert "Missing columns" in response.context["form"].errors["agents_file"][0]
    assert not ImportJob.objects.exists()
    assert not Agent.objects.exists()


@pytest.mark.django_db
def test_upload_of_a_utf16_file_is_refused_as_not_utf8(client, officer):
    from tests.agents.test_importers import OP, agents

    client.force_login(officer)
    raw = agents(OP).getvalue().decode().encode("utf-16")
    response = client.post(reverse("agents:import"), {"agents_file": SimpleUploadedFile("agents.csv", raw)})
    assert "not UTF-8 text: its byte order mark says UTF-16" in response.context["form"].errors["agents_file"][0]


@pytest.mark.django_db
def test_upload_over_the_size_limit_is_refused_naming_the_limit(client, officer, settings):
    from tests.agents.test_importers import OP, agents

    settings.AGENTS_UPLOAD_MAX_BYTES = 50
    client.force_login(officer)
    response = client.post(
        reverse("agents:import"), {"points_file": SimpleUploadedFile("p.csv", agents(OP).getvalue())}
    )
    assert "files up to 50\xa0bytes can be uploaded here" in response.context["form"].errors["points_file"][0]
    assert not ImportJob.objects.exists()


@pytest.mark.django_db
def test_upload_is_queued_as_a_job_and_the_page_polls_until_it_is_done(client, officer):
    from tests.agents.test_importers import OP, agents

    client.force_login(officer)
    # when the upload is stored but no worker has run it yet (the task runs on commit)
    response = client.post(
        reverse("agents:import"), {"agents_file": SimpleUploadedFile("a.csv", agents(OP).getvalue())}
    )
    job = ImportJob.objects.get()
    # then nothing is imported in the request, and the page polls the job
    assert (job.status, job.kind, bool(job.source_file)) == ("PENDING", "agents", True)
    assert not Agent.objects.exists()
    page = client.get(response["Location"]).content.decode()
    assert "hx-get=" in page
    assert "every 1s" in page
    # when a worker runs it
    from agents.tasks import run_import_task

    assert run_import_task(job_ids=[job.pk]) == ["done"]
    assert run_import_task(job_ids=[job.pk]) == ["skipped"]  # delivered twice: runs once
    fragment = client.get(reverse("agents:import_progress"), {"jobs": str(job.pk)}).content.decode()
    assert "hx-get=" not in fragment
    assert Agent.objects.filter(code="AG0").exists()


@pytest.mark.django_db
def test_a_job_whose_worker_died_is_marked_failed_and_nothing_of_it_stays(client, officer):
    from datetime import timedelta

    from django.utils import timezone

    from agents import services
    from tests.agents.test_importers import OP, agents

    client.force_login(officer)
    client.post(reverse("agents:import"), {"agents_file": SimpleUploadedFile("a.csv", agents(OP).getvalue())})
    job = ImportJob.objects.get()
    assert services.import_job_claim(job.pk) is not None  # a worker took it, then was killed
    ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - services.IMPORT_JOBS.stale_after * 2)
    # when the page looks at it
    fragment = client.get(reverse("agents:import_progress"), {"jobs": str(job.pk)}).content.decode()
    job.refresh_from_db()
    assert job.status == "FAILED"
    assert "stopped" in job.error
    assert "stopped" in fragment
    assert timezone.now() - job.finished_at < timedelta(minutes=1)


@pytest.mark.django_db
def test_export_is_audited(client, officer, hanoi):
    client.force_login(officer)
    response = client.get(reverse("agents:agent_export"), {"status": "ACTIVE"})
    body = b"".join(response.streaming_content).decode()
    assert body.splitlines()[0].startswith("code,name,kind,parent_code")
    assert AuditEvent.objects.filter(action="agents.export", fields__filters={"status": "ACTIVE"}).exists()


@pytest.fixture
def hanoi_agent_under_saigon(saigon):
    """A Hà Nội agent whose parent is a TP HCM agent."""
    parent, _point = saigon
    return make_agent("AG-CHILD", "001", parent=parent)


@pytest.mark.django_db
def test_the_parent_code_of_another_province_is_not_shown_on_agent_pages(client, make_user, hanoi_agent_under_saigon):
    # given an officer limited to Hà Nội
    client.force_login(make_user(Role.OFFICER, provinces=["001"]))
    # when
    detail = client.get(reverse("agents:agent_detail", args=[hanoi_agent_under_saigon.pk]))
    listing = client.get(reverse("agents:agent_list"))
    export = b"".join(client.get(reverse("agents:agent_export")).streaming_content).decode()
    # then the TP HCM parent's code appears nowhere
    assert detail.context["parent"] is None
    for html in (detail.content.decode(), listing.content.decode(), export):
        assert "AG2" not in html
    assert 'data-testid="agent-parent"' in detail.content.decode()


@pytest.mark.django_db
def test_a_user_of_every_province_sees_the_parent_code(client, officer, hanoi_agent_under_saigon):
    client.force_login(officer)
    detail = client.get(reverse("agents:agent_detail", args=[hanoi_agent_under_saigon.pk]))
    assert detail.context["parent"].code == "AG2"
    assert "AG2" in client.get(reverse("agents:agent_list")).content.decode()
    export = b"".join(client.get(reverse("agents:agent_export")).streaming_content).decode()
    assert "AG-CHILD,Agent AG-CHILD,AUTHORISED,AG2," in export
