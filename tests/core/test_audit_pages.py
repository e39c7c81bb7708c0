"""The audit trail's pages (issue 12): labels instead of codes, filters chosen from lists, the CSV export,
and "Verify the chain" as a job whose result is stored and audited."""

import csv
import datetime as dt
import io
import logging
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import timezone

from core.audit import VERIFICATIONS, _anchor, audit_record, audit_verification_run
from core.models import AuditEvent, AuditVerification
from core.roles import Role
from tests.core.test_audit import _tamper

pytestmark = pytest.mark.django_db

LOCAL = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")
LIST, EXPORT, VERIFY = "core:audit_list", "core:audit_export", "core:audit_verify"


def _table(response) -> str:
    html = response.content.decode()
    return html[html.index('data-testid="audit-table"') :]


def _at(monkeypatch, when: dt.datetime, **kwargs) -> AuditEvent:
    """An event recorded at `when` (audit_record stamps the current time)."""
    with monkeypatch.context() as m:
        m.setattr(timezone, "now", lambda: when)
        return audit_record(**kwargs)


def _listed(client, **params) -> list[tuple[str, str]]:
    response = client.get(reverse(LIST), params)
    assert response.status_code == 200, response.content.decode()[:500]
    return [(e.actor_label, e.action) for e in response.context["page"].items]


# --- words, not codes ---


def test_the_list_shows_action_and_object_in_words(client, auditor, hanoi_point):
    # given a suspension of a point and an event of an action nobody registered
    audit_record(action="point.suspend", actor=auditor, obj=hanoi_point, reason="audit")
    client.force_login(auditor)
    # when
    table = _table(client.get(reverse(LIST)))
    # then the action and the object type read as words; no "app.model" or action code is shown
    assert "Point suspended" in table
    assert f"Registration point #{hanoi_point.pk}" in table
    assert "HN-1" in table
    assert "point.suspend" not in table
    assert "agents.registrationpoint" not in table


def test_the_filters_offer_labelled_choices(client, manager, hanoi_point):
    audit_record(action="point.update", actor=manager, obj=hanoi_point)
    client.force_login(manager)
    form = client.get(reverse(LIST)).context["filter"].form
    actions = dict(form.fields["action"].choices)
    assert actions["point.update"] == "Point changed"
    assert actions["auth.login"] == "Signed in"
    assert dict(form.fields["object_type"].choices)["agents.registrationpoint"] == "Registration point"
    assert "manager" in dict(form.fields["user"].choices)
    assert dict(form.fields["province"].choices)["001"]


# --- filters ---


def test_filters_by_action_user_object_type_and_province(client, make_user, hanoi_point, saigon_point):
    # given
    manager = make_user(Role.MANAGER)
    alice = make_user(Role.OFFICER, username="alice")
    bob = make_user(Role.OFFICER, username="bob")
    audit_record(action="point.suspend", actor=alice, obj=hanoi_point)
    audit_record(action="point.update", actor=bob, obj=saigon_point)
    audit_record(action="user.password_set", actor=bob, obj=alice)
    client.force_login(manager)
    # then each filter keeps only its events
    assert _listed(client, action="point.suspend") == [("alice", "point.suspend")]
    assert _listed(client, user="bob") == [("bob", "user.password_set"), ("bob", "point.update")]
    assert _listed(client, object_type="core.user", user="bob") == [("bob", "user.password_set")]
    assert ("alice", "point.suspend") not in _listed(client, object_type="core.user")
    assert _listed(client, province="079") == [("bob", "point.update")]
    assert _listed(client, province="001", user="bob") == []


def test_dates_are_local_calendar_days(client, manager, monkeypatch):
    # given events at 23:30 and 00:30 local time, either side of midnight (16:30 and 17:30 UTC)
    _at(monkeypatch, dt.datetime(2026, 3, 1, 23, 30, tzinfo=LOCAL), action="test.late", actor=manager)
    _at(monkeypatch, dt.datetime(2026, 3, 2, 0, 30, tzinfo=LOCAL), action="test.early", actor=manager)
    client.force_login(manager)
    # then 1 March (local) holds the first only, 2 March the second only
    assert _listed(client, date_from="2026-03-01", date_to="2026-03-01") == [("manager", "test.late")]
    assert _listed(client, date_from="2026-03-02", date_to="2026-03-02") == [("manager", "test.early")]
    assert len(_listed(client, date_from="2026-03-01", date_to="2026-03-02")) == 2


@pytest.mark.parametrize(
    "params",
    [
        {"action": "agent.upd"},  # not one of the actions
        {"user": "nobody-like-this"},
        {"object_type": "nothing.here"},
        {"province": "999"},
        {"date_from": "2026-03-02", "date_to": "2026-03-01"},
        {"date_from": "yesterday"},
    ],
)
def test_a_bad_filter_is_refused_with_its_reason(client, manager, params):
    client.force_login(manager)
    response = client.get(reverse(LIST), params)
    assert response.status_code == 400
    assert response.context["filter"].form.errors
    assert list(response.context["page"].items) == []


def test_the_end_date_before_the_start_says_so(client, manager):
    client.force_login(manager)
    response = client.get(reverse(LIST), {"date_from": "2026-03-02", "date_to": "2026-03-01"})
    assert "The end date is before the start date." in response.content.decode()


def test_filtering_in_place_says_what_is_wrong_and_exports_what_is_shown(client, manager, hanoi_point):
    audit_record(action="point.update", actor=manager, obj=hanoi_point)
    client.force_login(manager)
    # a bad range, asked by htmx: the results (the part it swaps) say why
    bad = client.get(reverse(LIST), {"date_from": "2026-03-02", "date_to": "2026-03-01"}, HTTP_HX_REQUEST="true")
    assert bad.status_code == 200
    assert "The end date is before the start date." in bad.content.decode()
    # a good filter: the export link carries it (without the page cursor)
    good = client.get(reverse(LIST), {"action": "point.update", "after": "x"}, HTTP_HX_REQUEST="true")
    assert f'href="{reverse(EXPORT)}?action=point.update"' in good.content.decode()


def test_the_count_agrees_with_the_pages(client, manager):
    # given 120 events of one action among others
    for i in range(120):
        audit_record(action="test.page", actor=manager, fields={"i": i})
    audit_record(action="test.other", actor=manager)
    client.force_login(manager)
    # when every page is walked
    response = client.get(reverse(LIST), {"action": "test.page"})
    seen = list(response.context["page"].items)
    while response.context["page"].next_query:
        response = client.get(reverse(LIST) + "?" + response.context["page"].next_query)
        seen += response.context["page"].items
    # then the counter says what the pages hold
    first = client.get(reverse(LIST), {"action": "test.page"})
    assert first.context["count"] == len(seen) == len({e.pk for e in seen}) == 120
    assert "120 events match." in first.content.decode()


def test_a_limited_reader_picks_only_users_and_provinces_within_reach(client, make_user):
    # given an auditor of Hà Nội, an officer of Hà Nội and one of TP HCM
    auditor = make_user(Role.AUDITOR, provinces=["001"], username="aud-hn")
    make_user(Role.OFFICER, provinces=["001"], username="off-hn")
    make_user(Role.OFFICER, provinces=["079"], username="off-sg")
    client.force_login(auditor)
    form = client.get(reverse(LIST)).context["filter"].form
    # then
    users = dict(form.fields["user"].choices)
    assert "off-hn" in users
    assert "aud-hn" in users
    assert "off-sg" not in users
    assert [code for code, _name in form.fields["province"].choices if code] == ["001"]
    assert client.get(reverse(LIST), {"province": "079"}).status_code == 400


def test_a_limited_reader_lists_only_its_provinces(client, make_user, hanoi_point, saigon_point):
    auditor = make_user(Role.AUDITOR, provinces=["001"])
    audit_record(action="point.update", obj=hanoi_point)
    audit_record(action="point.update", obj=saigon_point)
    client.force_login(auditor)
    response = client.get(reverse(LIST), {"action": "point.update"})
    assert [e.province_code for e in response.context["page"].items] == ["001"]
    assert response.context["count"] == 1


# --- CSV export ---


def _csv(response) -> list[dict]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


def test_the_export_has_the_filtered_events_in_words_and_is_audited(client, manager, hanoi_point):
    # given
    audit_record(action="point.suspend", actor=manager, obj=hanoi_point, reason="a reason someone typed")
    audit_record(action="point.update", actor=manager, obj=hanoi_point)
    client.force_login(manager)
    # when
    response = client.get(reverse(EXPORT), {"action": "point.suspend"})
    # then a streamed CSV of the one event, codes and words, without reason, IP or fields
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="audit-')
    rows = _csv(response)
    assert list(rows[0]) == [
        "id",
        "time",
        "user",
        "action",
        "action_label",
        "object_type",
        "object_type_label",
        "object_id",
        "object",
        "province",
    ]
    assert [(r["action"], r["action_label"], r["object_type_label"], r["province"]) for r in rows] == [
        ("point.suspend", "Point suspended", "Registration point", "001")
    ]
    assert rows[0]["time"].endswith("+07:00")
    assert "a reason someone typed" not in str(rows)
    # and the export itself is in the trail, with its filters
    export = AuditEvent.objects.filter(action="audit.export").latest("id")
    assert export.actor == manager
    assert export.object_type == "core.auditevent"
    assert export.fields == {"filters": {"action": "point.suspend"}}


def test_a_hanoi_auditors_export_has_no_saigon_events(client, make_user, hanoi_point, saigon_point):
    # given events in Hà Nội and in TP HCM
    auditor = make_user(Role.AUDITOR, provinces=["001"], username="aud-hn")
    audit_record(action="point.update", obj=hanoi_point)
    audit_record(action="point.update", obj=saigon_point)
    audit_record(action="agent.update", obj=saigon_point.agent)
    client.force_login(auditor)
    # when it exports everything it may see
    rows = _csv(client.get(reverse(EXPORT)))
    # then nothing of TP HCM is in it
    assert rows
    assert {r["province"] for r in rows} <= {"001", ""}
    assert "SG-1" not in str(rows)
    assert "AG-SG" not in str(rows)


def test_an_export_with_a_bad_filter_is_refused_and_not_audited(client, manager):
    client.force_login(manager)
    response = client.get(reverse(EXPORT), {"province": "999"})
    assert response.status_code == 400
    assert not AuditEvent.objects.filter(action="audit.export").exists()


@pytest.mark.parametrize("role", [Role.OFFICER, Role.INSPECTOR, Role.INTEGRATION])
def test_other_roles_cannot_read_or_export_the_trail(client, make_user, role):
    client.force_login(make_user(role))
    assert client.get(reverse(LIST)).status_code == 403
    assert client.get(reverse(EXPORT)).status_code == 403
    assert not AuditEvent.objects.filter(action="audit.export").exists()


# --- verify the chain ---


def _start(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(reverse(VERIFY))


@pytest.mark.parametrize("role", [Role.MANAGER, Role.AUDITOR])
def test_verify_runs_the_check_and_keeps_an_intact_result(client, make_user, role, django_capture_on_commit_callbacks):
    # given a chain of events and a reader of the trail limited to Hà Nội
    user = make_user(role, provinces=["001"], username="reader")
    for i in range(5):
        audit_record(action="test.n", actor=user, fields={"i": i})
    client.force_login(user)
    before = AuditEvent.objects.count()
    # when it starts a verification (the job runs in-process here)
    response = _start(client, django_capture_on_commit_callbacks)
    # then the result is stored: intact, with every event checked, who asked and when
    assert response.status_code == 302
    run = AuditVerification.objects.get()
    assert run.status == AuditVerification.Status.DONE
    assert run.intact is True
    assert run.checked == before
    assert run.requested_by == user
    assert run.started_at
    assert run.finished_at
    # and its run is in the trail
    event = AuditEvent.objects.filter(action="audit.verify").get()
    assert event.actor == user
    assert (event.object_type, event.object_id) == ("core.auditverification", str(run.pk))
    assert event.fields["intact"] is True
    assert event.fields["checked"] == before
    # and the page shows it in words
    page = client.get(reverse(VERIFY)).content.decode()
    assert "Intact" in page
    assert f"{before} events and 0 anchors checked" in page
    assert "asked by reader" in page


def test_verify_names_the_first_tampered_event(client, auditor, django_capture_on_commit_callbacks):
    # given a chain whose third event was edited behind the triggers' back
    events = [audit_record(action="point.update", actor=auditor, fields={"i": i}) for i in range(5)]
    _tamper("UPDATE core_auditevent SET reason = 'covered up' WHERE id = %s", [events[2].pk])
    client.force_login(auditor)
    # when
    _start(client, django_capture_on_commit_callbacks)
    # then
    run = AuditVerification.objects.get()
    assert run.intact is False
    assert run.broken_event_id == events[2].pk
    assert run.broken_action == "point.update"
    assert run.problem == "edited"
    page = client.get(reverse(VERIFY)).content.decode()
    assert "Broken" in page
    assert f"#{events[2].pk}" in page
    assert "Point changed" in page
    assert "its content does not match its hash (the event was edited)" in page
    assert AuditEvent.objects.filter(action="audit.verify").get().fields["problem"] == "edited"


def test_verify_checks_the_anchors_kept_outside(
    client, auditor, settings, tmp_path, django_capture_on_commit_callbacks
):
    # given an anchor file naming an event later than the trail's last one (the newest were removed)
    client.force_login(auditor)
    last = audit_record(action="test.n", actor=auditor)
    anchors = tmp_path / "anchors.log"
    anchors.write_text(f"{last.pk} {last.hash}\n{last.pk + 3} {'f' * 64}\n")
    settings.AUDIT_ANCHOR_FILE = str(anchors)
    # when
    _start(client, django_capture_on_commit_callbacks)
    # then
    run = AuditVerification.objects.get()
    assert (run.intact, run.anchors, run.broken_event_id, run.problem) == (False, 2, last.pk + 3, "truncated")
    page = client.get(reverse(VERIFY)).content.decode()
    assert f"events up to #{last.pk + 3} were recorded but the trail ends at #{last.pk}" in page


def test_a_broken_event_outside_the_readers_provinces_shows_only_its_number(
    client, make_user, saigon_point, django_capture_on_commit_callbacks
):
    auditor = make_user(Role.AUDITOR, provinces=["001"])
    events = [audit_record(action="point.update", obj=saigon_point, fields={"i": i}) for i in range(3)]
    _tamper("UPDATE core_auditevent SET reason = 'x' WHERE id = %s", [events[1].pk])
    client.force_login(auditor)
    _start(client, django_capture_on_commit_callbacks)
    page = client.get(reverse(VERIFY)).content.decode()
    assert f"#{events[1].pk}" in page
    assert "Point changed" not in page


def test_verify_with_the_queue_down_says_so(client, auditor, monkeypatch, django_capture_on_commit_callbacks):
    from core import audit
    from core.runs import QueueUnavailable

    def broker_down(*args, **kwargs):
        raise QueueUnavailable("connection refused")

    monkeypatch.setattr(audit, "send_task", broker_down)
    client.force_login(auditor)
    # when
    response = _start(client, django_capture_on_commit_callbacks)
    # then no server error: the page says the queue is not reachable and the request is kept as failed
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert 'data-testid="verify-error"' in page
    assert "The job queue is not reachable right now" in page
    run = AuditVerification.objects.get()
    assert run.status == AuditVerification.Status.FAILED
    assert "not reachable" in run.error


def test_a_second_verification_waits_for_the_running_one(client, auditor):
    running = AuditVerification.objects.create(
        requested_by=auditor,
        requested_at=timezone.now(),
        started_at=timezone.now(),
        heartbeat_at=timezone.now(),
        status=AuditVerification.Status.RUNNING,
    )
    client.force_login(auditor)
    response = client.post(reverse(VERIFY), follow=True)
    assert f"already running (#{running.pk})" in response.content.decode()
    assert AuditVerification.objects.count() == 1


def test_a_verification_delivered_twice_runs_once(auditor):
    run = AuditVerification.objects.create(requested_by=auditor, requested_at=timezone.now())
    audit_verification_run(verification_id=run.pk)
    audit_verification_run(verification_id=run.pk)
    assert AuditEvent.objects.filter(action="audit.verify").count() == 1
    assert not VERIFICATIONS.is_stale(AuditVerification.objects.get())


@pytest.mark.parametrize("role", [Role.OFFICER, Role.INSPECTOR, Role.INTEGRATION])
def test_other_roles_cannot_see_or_start_a_verification(client, make_user, role, django_capture_on_commit_callbacks):
    client.force_login(make_user(role))
    assert client.get(reverse(VERIFY)).status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse(VERIFY)).status_code == 403
    assert not AuditVerification.objects.exists()


def test_the_list_links_to_the_verification_and_shows_the_last_result(client, manager):
    AuditVerification.objects.create(
        requested_by=manager,
        requested_at=timezone.now(),
        status=AuditVerification.Status.DONE,
        intact=True,
        checked=4827,
        anchors=3,
    )
    client.force_login(manager)
    page = client.get(reverse(LIST)).content.decode()
    assert reverse(VERIFY) in page
    assert "4,827 events and 3 anchors checked" in page


# --- the console ---


def test_the_chain_head_is_not_logged_per_event_at_info(caplog):
    caplog.set_level(logging.INFO, logger="sim_agent_watch.audit")
    _anchor(1, "a" * 64)
    assert not [r for r in caplog.records if r.name == "sim_agent_watch.audit"]
