"""The risk policy page, the nightly run pages, the risk factors fragment and the risk badge's tooltip."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone, translation

from core.models import AuditEvent
from core.roles import Role
from inspections.forms.risk import GROUPS, PolicyForm
from inspections.models import NightlyRun, RiskPolicy
from inspections.risk import editable_fields, rescore
from inspections.services import nightly as nightly_services
from registrations.models import CheckRun
from tests.agents.factories import PointFactory
from tests.registrations.factories import RegistrationFactory
from tests.registrations.flag_factories import make_flag

pytestmark = pytest.mark.django_db

POLICY = reverse("inspections:policy")
RESCORE = reverse("inspections:policy_rescore")
NIGHTLY = reverse("inspections:nightly_list")
RUN_NOW = reverse("inspections:nightly_start")


def form_data(policy: RiskPolicy, **changes) -> dict:
    data = {f.name: str(getattr(policy, f.name)) for f in editable_fields()}
    data.update({k: str(v) for k, v in changes.items()})
    return data


def a_run(**kwargs) -> NightlyRun:
    now = timezone.now()
    values = {
        "night": timezone.localdate(),
        "started_at": now,
        "finished_at": now,
        "status": NightlyRun.Status.FAILED,
        "steps": {
            "checks": {"status": "done", "seconds": 1.5, "summary": {"check_run": 7, "new": 3, "status": "DONE"}},
            "risk": {
                "status": "done",
                "seconds": 0.4,
                "summary": {"points": {"scored": 10, "changed": 2, "tiers": {"HIGH": 1, "MEDIUM": 2, "LOW": 7}}},
            },
            "schedule": {
                "status": "failed",
                "seconds": 0.1,
                "error": "RuntimeError: scheduler exploded",
                "summary": {},
            },
            "escalate": {"status": "done", "seconds": 0.1, "summary": {"tasks_escalated": 4}},
            "digest": {"status": "done", "seconds": 0.2, "summary": {"sent": 2, "sent_to": [1, 2]}},
        },
    }
    values.update(kwargs)
    return NightlyRun.objects.create(**values)


# --- who may see and do what ------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.OFFICER, Role.MANAGER, Role.AUDITOR])
@pytest.mark.parametrize("url", [POLICY, NIGHTLY])
def test_staff_and_auditors_read_the_policy_and_the_nightly_runs(client, make_user, role, url):
    client.force_login(make_user(role))
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("role", [Role.INSPECTOR, Role.INTEGRATION])
@pytest.mark.parametrize("url", [POLICY, NIGHTLY])
def test_inspectors_and_integrations_are_refused(client, make_user, role, url):
    client.force_login(make_user(role))
    assert client.get(url).status_code == 403


def test_the_nightly_run_page_is_refused_to_an_inspector_too(client, inspector):
    run = a_run()
    client.force_login(inspector)
    assert client.get(reverse("inspections:nightly_detail", args=[run.pk])).status_code == 403
    assert client.get(reverse("inspections:nightly_progress", args=[run.pk])).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(POLICY)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("role", [Role.OFFICER, Role.AUDITOR])
def test_only_managers_change_the_policy_rescore_or_run_the_chain(client, make_user, role):
    # given
    client.force_login(make_user(role))
    policy = RiskPolicy.current()
    # when / then
    assert client.post(POLICY, form_data(policy, high_from=50)).status_code == 403
    assert client.post(RESCORE).status_code == 403
    assert client.post(RUN_NOW).status_code == 403
    assert RiskPolicy.current().version == 1
    assert not NightlyRun.objects.exists()


def test_readers_see_the_numbers_and_no_form(client, officer):
    client.force_login(officer)
    response = client.get(POLICY)
    assert response.context["form"] is None
    assert b'data-testid="policy-form"' not in response.content
    assert b'data-testid="rescore"' not in response.content
    assert b'data-testid="policy-values"' in response.content


# --- the policy page -------------------------------------------------------------------------------------


def test_a_manager_saves_the_policy_as_a_new_version(client, manager):
    # given
    client.force_login(manager)
    policy = RiskPolicy.current()
    # when
    response = client.post(
        POLICY, {**form_data(policy, high_from="45.5", cadence_low_days=150), "reason": "audit finding"}
    )
    # then
    assert response.status_code == 302
    assert response.url == POLICY
    policy.refresh_from_db()
    assert (policy.high_from, policy.cadence_low_days, policy.version) == (Decimal("45.5"), 150, 2)
    event = AuditEvent.objects.get(action="risk.policy_update")
    assert set(event.fields["changes"]) == {"high_from", "cadence_low_days"}
    assert event.reason == "audit finding"


def test_the_form_refuses_a_medium_tier_that_starts_above_the_high_tier(client, manager):
    client.force_login(manager)
    response = client.post(POLICY, form_data(RiskPolicy.current(), medium_from=50, high_from=40))
    assert response.status_code == 200
    assert b'data-testid="error-medium_from"' in response.content
    assert RiskPolicy.current().version == 1


def test_the_form_refuses_negative_weights(client, manager):
    client.force_login(manager)
    response = client.post(POLICY, form_data(RiskPolicy.current(), weight_low=-1))
    assert b'data-testid="error-weight_low"' in response.content
    assert RiskPolicy.current().version == 1


def test_every_policy_number_is_on_the_form_once():
    names = [name for _title, group in GROUPS for name in group]
    assert sorted(names) == sorted(f.name for f in editable_fields()) == sorted(PolicyForm.Meta.fields)


def test_rescore_now_scores_the_points_and_says_how_many(client, manager):
    # given
    point = PointFactory()
    make_flag("PREACTIVATED", registration=RegistrationFactory(point=point))
    client.force_login(manager)
    # when
    response = client.post(RESCORE, follow=True)
    # then
    point.refresh_from_db()
    assert point.risk_tier == "HIGH"
    assert "Rescored 1 points (1 changed)" in response.content.decode()
    assert AuditEvent.objects.get(action="risk.rescore").actor == manager


def test_the_tier_counts_stay_in_the_users_provinces(client, make_user):
    # given
    PointFactory(province_code="001", risk_tier="HIGH")
    PointFactory(province_code="079", risk_tier="HIGH")
    PointFactory(province_code="079", risk_tier="LOW")
    client.force_login(make_user(Role.OFFICER, provinces=["001"]))
    # when
    response = client.get(POLICY)
    # then
    assert response.context["points"] == {"HIGH": 1, "MEDIUM": 0, "LOW": 0, "none": 0}


def test_the_policy_and_nightly_pages_link_to_each_other(client, manager):
    client.force_login(manager)
    assert NIGHTLY.encode() in client.get(POLICY).content
    assert POLICY.encode() in client.get(NIGHTLY).content


# --- the nightly pages -----------------------------------------------------------------------------------


def test_the_list_shows_each_night_and_each_steps_outcome(client, auditor):
    run = a_run()
    client.force_login(auditor)
    response = client.get(NIGHTLY)
    content = response.content.decode()
    assert reverse("inspections:nightly_detail", args=[run.pk]) in content
    assert content.count('class="status status-done" title=') == 4
    assert 'class="status status-failed" title="Scheduling: failed"' in content
    assert b'data-testid="run-now"' not in response.content


def test_the_detail_shows_each_steps_status_time_summary_and_error(client, officer):
    run = a_run()
    client.force_login(officer)
    content = client.get(reverse("inspections:nightly_detail", args=[run.pk])).content.decode()
    assert 'data-testid="step-error-schedule"' in content
    assert "RuntimeError: scheduler exploded" in content
    assert "1.50 s" in content
    assert "10 scored, 2 changed (High 1 · Medium 2 · Low 7)" in content
    assert "Tasks escalated</dt><dd>4" in content
    assert reverse("registrations:checkrun_detail", args=[7]) in content
    assert "sent_to" not in content


def test_an_unknown_run_is_not_found(client, officer):
    client.force_login(officer)
    assert client.get(reverse("inspections:nightly_detail", args=[999])).status_code == 404


def test_the_progress_fragment_polls_while_the_run_is_in_progress(client, officer):
    run = a_run(status=NightlyRun.Status.RUNNING, finished_at=None)
    client.force_login(officer)
    content = client.get(reverse("inspections:nightly_progress", args=[run.pk])).content.decode()
    assert "hx-trigger" in content
    assert not content.lstrip().startswith("<!doctype")


def test_run_now_runs_the_chain_through_the_task_and_shows_the_run(client, manager, monkeypatch):
    # given: without a worker (no REDIS_URL) and outside a test's transaction, on_commit runs at once
    monkeypatch.setattr(nightly_services.transaction, "on_commit", lambda func, **kwargs: func())
    client.force_login(manager)
    # when
    response = client.post(RUN_NOW)
    # then
    run = NightlyRun.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("inspections:nightly_detail", args=[run.pk])
    assert run.night == timezone.localdate()
    assert run.status == NightlyRun.Status.DONE
    check_run = CheckRun.objects.get()
    assert (check_run.trigger, check_run.started_by) == (CheckRun.Trigger.PAGE, manager)
    assert AuditEvent.objects.get(action="nightly.run").actor == manager


def test_run_now_queues_the_chain_after_commit(client, manager, django_capture_on_commit_callbacks):
    client.force_login(manager)
    # when: nothing runs before the request's transaction commits
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(RUN_NOW, follow=True)
    # then
    assert len(callbacks) == 1
    assert not NightlyRun.objects.exists()
    assert "The nightly run is queued" in response.content.decode()
    # and once it commits, the task runs the chain (in-process here)
    callbacks[0]()
    assert NightlyRun.objects.get().status == NightlyRun.Status.DONE


def test_the_queue_service_refuses_while_a_run_is_in_progress(manager, django_capture_on_commit_callbacks):
    running = a_run(status=NightlyRun.Status.RUNNING, finished_at=None)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(nightly_services.NightlyRunInProgress) as exc,
    ):
        nightly_services.nightly_run_queue(actor=manager)
    assert exc.value.run == running
    assert callbacks == []


def test_the_queue_service_takes_over_from_a_stale_run(manager, django_capture_on_commit_callbacks):
    a_run(
        status=NightlyRun.Status.RUNNING,
        finished_at=None,
        started_at=timezone.now() - dt.timedelta(hours=2),
        night=timezone.localdate() - dt.timedelta(days=1),
        steps={},
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        nightly_services.nightly_run_queue(actor=manager)
    assert len(callbacks) == 1


def test_the_queue_service_is_for_the_policys_managers(officer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(PermissionDenied):
        nightly_services.nightly_run_queue(actor=officer)
    assert callbacks == []


def test_run_now_while_a_run_is_in_progress_shows_that_run(client, manager):
    running = a_run(
        status=NightlyRun.Status.RUNNING, finished_at=None, night=timezone.localdate() - dt.timedelta(days=1)
    )
    client.force_login(manager)
    response = client.post(RUN_NOW)
    assert response.url == reverse("inspections:nightly_detail", args=[running.pk])
    assert NightlyRun.objects.count() == 1


# --- the risk factors fragment and the badge --------------------------------------------------------------


def render_factors(obj, user):
    request = RequestFactory().get("/")
    request.user = user
    return render_to_string("inspections/_risk_factors.html", {"obj": obj}, request=request)


def test_the_factors_fragment_explains_each_part_with_its_inputs(officer):
    # given
    point = PointFactory(last_inspection_on=timezone.localdate() - dt.timedelta(days=45))
    regs = [RegistrationFactory(point=point) for _ in range(3)]
    make_flag("PREACTIVATED", registration=regs[0])
    make_flag("POPULATION_MISMATCH", registration=regs[1])
    make_flag("MISSING_PHOTOS", registration=regs[2])
    rescore()
    point.refresh_from_db()
    # when
    html = render_factors(point, officer)
    # then: 2 critical + 1 high = 24 per 200 registrations (the floor) -> 120, capped at 60
    assert "2 critical, 1 high" in html
    assert "in 90 days over 3 registrations" in html
    assert "(counted as 200)" in html
    assert "capped" in html
    assert "1 month since the last inspection" in html
    assert 'class="risk risk-high"' in html
    assert reverse("inspections:policy") in html


def test_the_factors_fragment_of_an_unscored_point_says_so(officer):
    html = render_factors(PointFactory(), officer)
    assert 'data-testid="risk-not-scored"' in html


def test_the_badge_carries_the_parts_as_a_tooltip():
    point = PointFactory()
    make_flag("MISSING_PHOTOS", registration=RegistrationFactory(point=point))
    rescore()
    point.refresh_from_db()
    html = render_to_string("includes/risk_badge.html", {"obj": point})
    assert 'title="Flags 20 · Findings 0 · Sanctions 0 · Without inspection 0"' in html
    # the score as the other figures of the badge (issue 13: "60,00" read as sixty thousand in Vietnamese)
    assert f">{point.get_risk_tier_display()} · 20</span>" in html


def test_the_badge_of_a_point_without_factors_is_unchanged():
    point = PointFactory(risk_tier="LOW", risk_score=Decimal("3.00"))
    html = render_to_string("includes/risk_badge.html", {"obj": point}).strip()
    assert html == '<span class="risk risk-low">Low · 3</span>'
    point.risk_score = Decimal("31.50")
    with translation.override("vi"):
        assert "· 31,50</span>" in render_to_string("includes/risk_badge.html", {"obj": point})
    assert "not scored" in render_to_string("includes/risk_badge.html", {"obj": PointFactory()})


def test_a_user_limited_to_a_province_sees_each_steps_status_but_not_the_nights_figures(client, hanoi_officer):
    # given a night whose figures count every province
    run = a_run()
    client.force_login(hanoi_officer)
    # when
    response = client.get(reverse("inspections:nightly_detail", args=[run.pk]))
    progress = client.get(reverse("inspections:nightly_progress", args=[run.pk])).content.decode()
    # then the steps and their outcome are there, the counts of every province are not
    content = response.content.decode()
    assert 'data-testid="step-status-risk"' in content
    assert "RuntimeError: scheduler exploded" in content
    for html in (content, progress):
        assert "10 scored, 2 changed" not in html
        assert "Tasks escalated" not in html
        assert 'data-testid="nightly-scope-note"' in html
    assert all(step["lines"] == [] for step in response.context["steps"])
