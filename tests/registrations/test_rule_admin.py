"""Rule pages (read by staff and auditors, changed by managers: versioned and audited), the backtest that
writes nothing, and the check-run pages with Run now."""

import datetime as dt
import re

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEvent
from core.roles import Role
from registrations.checks import services as rule_services
from registrations.models import CheckRun, Flag, FlagEvent, Rule, RuleVersion
from tests.registrations.factories import ActivationFactory, RegistrationFactory
from tests.registrations.flag_factories import make_flag

pytestmark = pytest.mark.django_db

READERS = {Role.OFFICER, Role.MANAGER, Role.AUDITOR}
RULES = reverse("registrations:rule_list")
RUNS = reverse("registrations:checkrun_list")
RUN_NOW = reverse("registrations:checkrun_start")


def rule_url(code):
    return reverse("registrations:rule_detail", args=[code])


def backtest_url(code):
    return reverse("registrations:rule_backtest", args=[code])


def rollback_url(code):
    return reverse("registrations:rule_rollback", args=[code])


def counts():
    return (
        Flag.objects.count(),
        FlagEvent.objects.count(),
        AuditEvent.objects.count(),
        CheckRun.objects.count(),
        RuleVersion.objects.count(),
    )


# --- rule pages ---


@pytest.mark.parametrize("role", list(Role))
def test_rule_pages_by_role(client, users_by_role, role):
    client.force_login(users_by_role[role])
    expected = 200 if role in READERS else 403
    assert client.get(RULES).status_code == expected
    assert client.get(rule_url("UNDERAGE")).status_code == expected


def test_rule_list_shows_every_rule_with_its_open_flags_in_scope(client, make_user, hanoi_point, saigon_point):
    make_flag("UNDERAGE", registration=RegistrationFactory(point=hanoi_point))
    make_flag("UNDERAGE", registration=RegistrationFactory(point=saigon_point))
    make_flag("UNDERAGE", registration=RegistrationFactory(point=hanoi_point), status="DISMISSED")
    client.force_login(make_user(Role.AUDITOR, provinces=["001"]))
    response = client.get(RULES)
    rules = {rule.code: rule for rule in response.context["rules"]}
    assert len(rules) == 16  # the 15 of DESIGN section 5 and BLACKLISTED_AGENT (issue 16)
    assert rules["UNDERAGE"].open_flags == 1
    assert rules["PREACTIVATED"].open_flags == 0


def test_unknown_rule_is_404(client, officer):
    client.force_login(officer)
    assert client.get(rule_url("NO_SUCH_RULE")).status_code == 404


def test_rule_page_in_the_readers_language(client, officer):
    client.force_login(officer)
    rule = Rule.objects.get(code="UNDERAGE")
    english = client.get(rule_url("UNDERAGE")).content.decode()
    assert "Younger than 14 completed years" in english
    assert rule.legal_basis in english
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "vi"
    vietnamese = client.get(rule_url("UNDERAGE")).content.decode()
    assert "Chưa đủ 14 tuổi tròn" in vietnamese
    assert rule.name_vi in vietnamese


def test_a_description_shows_the_current_parameters_in_words(client, manager):
    # given: the burst rule changed from 20 in 10 minutes to 10 in 5 minutes
    client.force_login(manager)
    client.post(
        rule_url("REGISTRATION_BURST"),
        {"enabled": "on", "max_in_window": "10", "window_minutes": "5", "reason": "Tighter after the March audit"},
    )
    # when
    english = client.get(rule_url("REGISTRATION_BURST")).content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "vi"
    vietnamese = client.get(rule_url("REGISTRATION_BURST")).content.decode()
    # then: the new values, and no raw parameter name or old default
    assert "More than 10 registrations at one point within 5 minutes" in english
    assert "Hơn 10 bản đăng ký tại một điểm trong 5 phút" in vietnamese
    for html in (english, vietnamese):
        text = re.sub(r"<[^>]+>", " ", html)  # what the reader sees (form field names are attributes)
        assert "max_in_window" not in text
        assert "window_minutes" not in text
        assert "(20)" not in text


@pytest.mark.parametrize("role", [Role.OFFICER, Role.AUDITOR])
def test_only_managers_see_and_use_the_edit_form(client, users_by_role, role):
    client.force_login(users_by_role[role])
    assert 'data-testid="rule-form"' not in client.get(rule_url("UNDERAGE")).content.decode()
    before = counts()
    response = client.post(rule_url("UNDERAGE"), {"enabled": "on", "min_age": "16"})
    assert response.status_code == 403
    assert client.post(backtest_url("UNDERAGE"), {"enabled": "on", "min_age": "16"}).status_code == 403
    rule = Rule.objects.get(code="UNDERAGE")
    assert (rule.version, rule.parameters) == (1, {"min_age": 14})
    assert counts() == before


def test_the_form_has_one_whole_number_field_per_parameter(client, manager):
    client.force_login(manager)
    form = client.get(rule_url("REGISTRATION_BURST")).context["form"]
    assert form.parameter_names == ["max_in_window", "window_minutes"]
    assert form["max_in_window"].initial == 20
    assert client.get(rule_url("PREACTIVATED")).context["form"].parameter_names == []


def test_manager_changes_parameters_new_version_audited(client, manager):
    # given
    client.force_login(manager)
    # when
    response = client.post(rule_url("UNDERAGE"), {"enabled": "on", "min_age": "16", "reason": "New policy from HQ"})
    # then
    assert response.status_code == 302
    rule = Rule.objects.get(code="UNDERAGE")
    assert (rule.version, rule.parameters, rule.enabled, rule.updated_by) == (2, {"min_age": 16}, True, manager)
    event = AuditEvent.objects.get(action="rule.update")
    assert event.actor == manager
    assert event.object_id == str(rule.pk)
    assert event.reason == "New policy from HQ"
    assert event.fields["before"] == {"enabled": True, "parameters": {"min_age": 14}, "version": 1}
    assert event.fields["after"] == {"enabled": True, "parameters": {"min_age": 16}, "version": 2}


def test_switching_a_rule_off_is_a_new_version(client, manager):
    client.force_login(manager)
    client.post(rule_url("PREACTIVATED"), {"reason": "Switched off during the data migration"})
    rule = Rule.objects.get(code="PREACTIVATED")
    assert (rule.enabled, rule.version) == (False, 2)
    assert AuditEvent.objects.get(action="rule.update").fields["after"]["enabled"] is False


def test_saving_without_a_change_writes_nothing_and_says_so(client, manager):
    client.force_login(manager)
    response = client.post(rule_url("UNDERAGE"), {"enabled": "on", "min_age": "14", "reason": "Just checking it"})
    assert response.status_code == 400
    assert "Nothing changed" in response.content.decode()
    assert Rule.objects.get(code="UNDERAGE").version == 1
    assert not AuditEvent.objects.filter(action="rule.update").exists()


@pytest.mark.parametrize("reason", ["", "   ", "short"])
def test_a_change_without_a_real_reason_is_refused(client, manager, reason):
    # given
    client.force_login(manager)
    before = counts()
    # when
    response = client.post(rule_url("UNDERAGE"), {"enabled": "on", "min_age": "16", "reason": reason})
    # then: the form says why, and nothing is written
    assert response.status_code == 400
    assert response.context["form"].errors["reason"]
    assert Rule.objects.get(code="UNDERAGE").version == 1
    assert counts() == before
    assert not RuleVersion.objects.filter(rule__code="UNDERAGE", version=2).exists()


def test_each_change_is_a_version_with_its_reason(client, manager):
    client.force_login(manager)
    client.post(rule_url("UNDERAGE"), {"enabled": "on", "min_age": "16", "reason": "New policy from HQ"})
    client.post(rule_url("UNDERAGE"), {"enabled": "on", "min_age": "15", "reason": "Policy softened in May"})
    versions = list(RuleVersion.objects.filter(rule__code="UNDERAGE").order_by("version"))
    assert [(v.version, v.parameters, v.reason) for v in versions] == [
        (1, {"min_age": 14}, ""),
        (2, {"min_age": 16}, "New policy from HQ"),
        (3, {"min_age": 15}, "Policy softened in May"),
    ]
    assert versions[2].changed_by == manager
    html = client.get(rule_url("UNDERAGE")).content.decode()
    assert "Policy softened in May" in html
    assert 'data-testid="version-3"' in html


def test_a_manager_restores_an_earlier_version_as_a_new_one(client, manager):
    # given: version 2 raised the age to 16
    client.force_login(manager)
    client.post(rule_url("UNDERAGE"), {"enabled": "on", "min_age": "16", "reason": "New policy from HQ"})
    # when: version 1 is restored
    response = client.post(rollback_url("UNDERAGE"), {"version": "1", "reason": "HQ withdrew the new policy"})
    # then: version 3 has version 1's values, and the audit row says so
    assert response.status_code == 302
    rule = Rule.objects.get(code="UNDERAGE")
    assert (rule.version, rule.parameters) == (3, {"min_age": 14})
    latest = RuleVersion.objects.get(rule=rule, version=3)
    assert (latest.rolled_back_from, latest.reason) == (1, "HQ withdrew the new policy")
    event = AuditEvent.objects.filter(action="rule.update").latest("id")
    assert event.fields["restores_version"] == 1
    assert event.reason == "HQ withdrew the new policy"


@pytest.mark.parametrize(
    ("data", "why"),
    [({"version": "1", "reason": ""}, "reason"), ({"version": "2", "reason": "Restore the current one"}, "current")],
)
def test_a_rollback_needs_a_reason_and_an_earlier_version(client, manager, data, why):
    client.force_login(manager)
    client.post(rule_url("UNDERAGE"), {"enabled": "on", "min_age": "16", "reason": "New policy from HQ"})
    before = counts()
    response = client.post(rollback_url("UNDERAGE"), data)
    assert response.status_code == 400, why
    assert Rule.objects.get(code="UNDERAGE").version == 2
    assert counts() == before


@pytest.mark.parametrize("role", [Role.OFFICER, Role.AUDITOR, Role.INSPECTOR, Role.INTEGRATION])
def test_only_managers_roll_back(client, users_by_role, manager, role):
    client.force_login(manager)
    client.post(rule_url("UNDERAGE"), {"enabled": "on", "min_age": "16", "reason": "New policy from HQ"})
    client.force_login(users_by_role[role])
    before = counts()
    response = client.post(rollback_url("UNDERAGE"), {"version": "1", "reason": "Sneaky restore attempt"})
    assert response.status_code == 403
    assert Rule.objects.get(code="UNDERAGE").version == 2
    assert counts() == before


def test_a_version_shows_what_the_next_check_run_did(client, manager, make_user, hanoi_point, saigon_point):
    from registrations.checks.runner import run_checks

    # given: two under-16s (Hà Nội, Sài Gòn) and one 15-year-old; the age raised to 16, then a run
    young(hanoi_point, age_years=15)
    young(saigon_point, age_years=15)
    client.force_login(manager)
    client.post(rule_url("UNDERAGE"), {"enabled": "on", "min_age": "16", "reason": "New policy from HQ"})
    run_checks(codes=["UNDERAGE"], trigger="COMMAND")
    # when: a Hà Nội officer and the manager read the versions
    hanoi = make_user(Role.OFFICER, provinces=["001"])
    client.force_login(hanoi)
    rows = {row.version.version: row for row in client.get(rule_url("UNDERAGE")).context["versions"]}
    client.force_login(manager)
    everyone = {row.version.version: row for row in client.get(rule_url("UNDERAGE")).context["versions"]}
    # then: version 2's next run raised the flags, counted in each reader's provinces; version 1 had no run
    assert rows[2].run is not None
    assert (rows[2].new, everyone[2].new) == (1, 2)
    assert rows[1].run is None


@pytest.mark.parametrize(
    ("code", "data", "field"),
    [
        ("UNDERAGE", {"min_age": "0"}, "min_age"),
        ("UNDERAGE", {"min_age": "abc"}, "min_age"),
        ("UNDERAGE", {"min_age": ""}, "min_age"),
        ("REGISTRATION_BURST", {"max_in_window": "20", "window_minutes": "100000"}, "window_minutes"),
    ],
)
def test_invalid_parameters_are_refused_with_a_field_error(client, manager, code, data, field):
    client.force_login(manager)
    before = Rule.objects.get(code=code)
    response = client.post(rule_url(code), {"enabled": "on", **data})
    assert response.status_code == 400
    assert f'data-testid="error-{field}"' in response.content.decode()
    assert response.context["form"].errors[field]
    after = Rule.objects.get(code=code)
    assert (after.version, after.parameters) == (before.version, before.parameters)
    assert not AuditEvent.objects.filter(action="rule.update").exists()


def test_rule_update_service_uses_the_rules_validation(manager):
    from django.core.exceptions import ValidationError

    rule = Rule.objects.get(code="UNDERAGE")
    with pytest.raises(ValidationError) as caught:
        rule_services.rule_update(
            rule=rule, actor=manager, enabled=True, parameters={"min_age": 14, "extra": 1}, reason="A valid reason"
        )
    assert "extra" in caught.value.message_dict


# --- backtest ---


def young(point, *, age_years, external_id=None):
    born = (timezone.now() - dt.timedelta(days=365 * age_years + 30)).date()
    kwargs = {"external_id": external_id} if external_id else {}
    return RegistrationFactory(point=point, date_of_birth=born, **kwargs)


def test_backtest_counts_and_samples_without_writing_anything(client, manager, hanoi_point):
    # given: two subscribers of 15 and one of 30; min_age 16 would flag the two
    teens = [young(hanoi_point, age_years=15) for _ in range(2)]
    young(hanoi_point, age_years=30)
    make_flag("UNDERAGE", registration=RegistrationFactory(point=hanoi_point))
    client.force_login(manager)
    before = counts()
    rule_before = Rule.objects.values().get(code="UNDERAGE")
    # when
    response = client.post(backtest_url("UNDERAGE"), {"enabled": "on", "min_age": "16"}, HTTP_HX_REQUEST="true")
    # then
    assert response.status_code == 200
    result = response.context["result"]
    assert result.total == 2
    assert sorted(r.pk for r in result.sample) == sorted(r.pk for r in teens)
    assert result.open_now == 1
    html = response.content.decode()
    assert "2 subjects would be flagged" in html
    assert teens[0].id_doc_number not in html
    assert "Nguyễn Văn An" not in html
    assert counts() == before
    assert Rule.objects.values().get(code="UNDERAGE") == rule_before


def test_backtest_sample_is_bounded_and_scoped(client, make_user, hanoi_point, saigon_point, monkeypatch):
    monkeypatch.setattr(rule_services, "BACKTEST_SAMPLE", 2)
    for _ in range(3):
        young(hanoi_point, age_years=10)
    young(saigon_point, age_years=10)
    client.force_login(make_user(Role.MANAGER, provinces=["001"]))
    result = client.post(backtest_url("UNDERAGE"), {"min_age": "14"}).context["result"]
    assert result.total == 3
    assert {r.point_id for r in result.sample} == {hanoi_point.pk}


def test_backtest_of_an_activation_rule(client, manager):
    ActivationFactory(activated_at=timezone.now() - dt.timedelta(hours=30))
    client.force_login(manager)
    assert client.post(backtest_url("ACTIVATED_UNREGISTERED"), {"grace_hours": "24"}).context["result"].total == 1
    assert client.post(backtest_url("ACTIVATED_UNREGISTERED"), {"grace_hours": "48"}).context["result"].total == 0


def test_backtest_of_a_rule_the_engine_lacks_says_so(client, manager, monkeypatch):
    # given: a Rule row whose code has no function in the rules package (e.g. seeded before its module)
    from registrations.checks import rules

    monkeypatch.delitem(rules.RULES, "UNDERAGE")
    client.force_login(manager)
    # when
    response = client.post(backtest_url("UNDERAGE"), {"min_age": "16"})
    # then: a message on the page, not a server error
    assert response.status_code == 200
    assert response.context["result"] is None
    assert "no function for this rule yet" in response.content.decode()


def test_backtest_with_invalid_parameters_shows_the_error(client, manager):
    client.force_login(manager)
    before = counts()
    response = client.post(backtest_url("UNDERAGE"), {"min_age": "-3"})
    assert response.context["result"] is None
    assert 'data-testid="backtest-errors"' in response.content.decode()
    assert counts() == before


def test_backtest_rolls_back_even_a_rule_that_writes(manager, hanoi_point, monkeypatch):
    # belt and braces: a (buggy) rule that wrote would leave nothing behind
    from registrations.checks import rules
    from registrations.checks.rules.sql import Query

    spec = rules.RULES["UNDERAGE"]

    def writing_rule(params, now):
        make_flag("MISSING_PHOTOS", registration=RegistrationFactory(point=hanoi_point))
        return Query("SELECT 0 AS subject_id, NULL AS point_id, NULL AS agent_id", ())

    monkeypatch.setitem(
        rules.RULES, "UNDERAGE", spec.__class__(spec.code, spec.subject_type, spec.severity, writing_rule)
    )
    before = counts()
    result = rule_services.rule_backtest(
        rule=Rule.objects.get(code="UNDERAGE"), parameters={"min_age": 14}, user=manager
    )
    assert result.total == 0
    assert counts() == before


# --- check runs ---


def test_check_run_pages_by_role(client, any_principal):
    # a run belongs to no province: every scope answers as its role does
    run = CheckRun.objects.create(trigger="COMMAND", started_at=timezone.now(), status="DONE")
    client.force_login(any_principal.user)
    expected = 200 if any_principal.allowed(READERS) else 403
    assert client.get(RUNS).status_code == expected
    assert client.get(reverse("registrations:checkrun_detail", args=[run.pk])).status_code == expected


def test_run_now_button_only_for_those_who_may_run(client, officer, auditor):
    client.force_login(officer)
    assert 'data-testid="run-now"' in client.get(RUNS).content.decode()
    client.force_login(auditor)
    assert 'data-testid="run-now"' not in client.get(RUNS).content.decode()
    assert client.post(RUN_NOW).status_code == 403
    assert not CheckRun.objects.exists()


def test_run_now_queues_the_checks_after_commit(client, officer, hanoi_point, django_capture_on_commit_callbacks):
    # given
    flagged = RegistrationFactory(point=hanoi_point, has_portrait=False)
    client.force_login(officer)
    # when: the task is queued for when the request's transaction commits (run in-process here)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(RUN_NOW)
    # then (queued once; the run's own audit event adds the callback that anchors it)
    assert response.status_code == 302
    assert [c.__qualname__ for c in callbacks].count("checks_run_now.<locals>.<lambda>") == 1
    run = CheckRun.objects.get()
    assert (run.trigger, run.started_by) == ("PAGE", officer)
    assert run.status != "RUNNING"
    assert Flag.objects.filter(rule__code="MISSING_PHOTOS", registration=flagged).exists()


def test_run_now_shows_the_run_when_it_ran_in_process(client, officer, monkeypatch):
    # without a worker (no REDIS_URL) and outside a test's transaction, on_commit runs at once
    monkeypatch.setattr(rule_services.transaction, "on_commit", lambda func, **kwargs: func())
    client.force_login(officer)
    response = client.post(RUN_NOW)
    run = CheckRun.objects.get()
    assert response["Location"] == reverse("registrations:checkrun_detail", args=[run.pk])


def test_run_now_queues_nothing_before_commit(client, officer, django_capture_on_commit_callbacks):
    client.force_login(officer)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(RUN_NOW, follow=True)
    assert len(callbacks) == 1
    assert not CheckRun.objects.exists()
    assert "The checks are queued" in response.content.decode()


def test_run_now_refuses_while_a_run_is_in_progress(client, manager, django_capture_on_commit_callbacks):
    now = timezone.now()
    running = CheckRun.objects.create(trigger="SCHEDULE", started_at=now, heartbeat_at=now, status="RUNNING")
    client.force_login(manager)
    assert 'data-testid="run-now"' not in client.get(RUNS).content.decode()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(RUN_NOW, follow=True)
    assert callbacks == []
    assert CheckRun.objects.count() == 1
    assert response.redirect_chain[-1][0] == reverse("registrations:checkrun_detail", args=[running.pk])
    assert "already in progress" in response.content.decode()


def test_a_silent_running_run_does_not_block_run_now(client, officer, django_capture_on_commit_callbacks):
    long_ago = timezone.now() - dt.timedelta(hours=2)
    dead = CheckRun.objects.create(trigger="SCHEDULE", started_at=long_ago, heartbeat_at=long_ago, status="RUNNING")
    client.force_login(officer)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(RUN_NOW)
    dead.refresh_from_db()
    assert dead.status == "FAILED"  # the new run marked it abandoned
    assert CheckRun.objects.filter(trigger="PAGE", started_by=officer).exclude(status="RUNNING").count() == 1


def test_run_page_shows_progress_per_rule_and_polls_while_running(client, officer):
    now = timezone.now()
    run = CheckRun.objects.create(
        trigger="PAGE",
        started_by=officer,
        started_at=now,
        heartbeat_at=now,
        status="RUNNING",
        rule_codes=["PREACTIVATED", "UNDERAGE", "MISSING_PHOTOS"],
        results={
            "PREACTIVATED": {"status": "done", "new": 3, "still_open": 1, "resolved": 2, "seconds": 0.5},
            "UNDERAGE": {"status": "running"},
            "MISSING_PHOTOS": {"status": "pending"},
        },
    )
    client.force_login(officer)
    progress = reverse("registrations:checkrun_progress", args=[run.pk])
    response = client.get(progress)
    html = response.content.decode()
    assert response.context["done"] == 1
    assert response.context["total"] == 3
    assert f'hx-get="{progress}"' in html
    assert 'hx-trigger="every 2s"' in html
    assert 'data-testid="run-rule-UNDERAGE"' in html
    # once finished, the fragment stops polling
    run.status, run.finished_at = "DONE", timezone.now()
    run.results = {
        code: {"status": "done", "new": 0, "still_open": 0, "resolved": 0, "seconds": 0.1} for code in run.rule_codes
    }
    run.save()
    html = client.get(progress).content.decode()
    assert "hx-trigger" not in html


def test_check_run_list_shows_totals(client, auditor):
    CheckRun.objects.create(
        trigger="COMMAND",
        started_at=timezone.now(),
        status="DONE",
        rule_codes=["PREACTIVATED", "UNDERAGE"],
        results={
            "PREACTIVATED": {"status": "done", "new": 3, "still_open": 1, "resolved": 2, "seconds": 0.5},
            "UNDERAGE": {"status": "done", "new": 4, "still_open": 0, "resolved": 0, "seconds": 0.2},
        },
    )
    client.force_login(auditor)
    run = client.get(RUNS).context["page"].items[0]
    assert run.totals == {"flagged": 0, "new": 7, "reopened": 0, "still_open": 1, "resolved": 2}


def test_check_runs_page_keeps_rules_active_in_the_navigation(client, officer):
    client.force_login(officer)
    items = client.get(RUNS).context["nav_items"]
    assert [i["label"] for i in items if i["active"]] == ["Rules"]


@pytest.fixture
def run_of_every_province():
    """A finished run whose counts cover both provinces: 5 MISSING_PHOTOS subjects, 3 of them new."""
    return CheckRun.objects.create(
        trigger="COMMAND",
        started_at=timezone.now(),
        finished_at=timezone.now(),
        status="DONE",
        rows_scanned=12345,
        rule_codes=["MISSING_PHOTOS"],
        results={"MISSING_PHOTOS": {"status": "done", "flagged": 5, "new": 3, "still_open": 2, "seconds": 0.5}},
    )


def test_a_user_limited_to_a_province_sees_its_provinces_figures_not_the_runs(
    client, hanoi_officer, hanoi_point, saigon_point, run_of_every_province
):
    # given flags open in Hà Nội (1) and TP HCM (2)
    make_flag("MISSING_PHOTOS", registration=RegistrationFactory(point=hanoi_point, has_portrait=False))
    for _ in range(2):
        make_flag("MISSING_PHOTOS", registration=RegistrationFactory(point=saigon_point, has_portrait=False))
    client.force_login(hanoi_officer)
    # when
    listing = client.get(RUNS)
    detail = client.get(reverse("registrations:checkrun_detail", args=[run_of_every_province.pk]))
    # then the run's counts over every province are not shown; the Hà Nội flags open now are
    assert listing.context["page"].items[0].totals is None
    row = detail.context["rows"][0]
    assert row["open_in_scope"] == 1
    assert "flagged" not in row
    html = detail.content.decode()
    assert "12,345" not in html
    assert "12345" not in html
    assert 'data-testid="run-scope-note"' in html


def test_a_user_of_every_province_sees_the_runs_figures(client, officer, run_of_every_province):
    client.force_login(officer)
    detail = client.get(reverse("registrations:checkrun_detail", args=[run_of_every_province.pk]))
    assert detail.context["rows"][0]["flagged"] == 5
    assert "12,345" in detail.content.decode() or "12345" in detail.content.decode()
    assert client.get(RUNS).context["page"].items[0].totals["new"] == 3
