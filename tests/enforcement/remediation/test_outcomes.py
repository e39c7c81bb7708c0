"""What the operator reports back: an outcomes file, per case and step, with rejects per line; a DONE
termination closes the case; handled on time means done by the due time."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile

from core.imports import ImportFileError
from core.models import ImportJob
from enforcement.remediation.models import CaseStep, RemediationCase, Step
from enforcement.remediation.outcomes import outcomes_run, outcomes_submit, rejects_of
from enforcement.remediation.services import ladder_advance
from tests.agents.factories import AgentFactory, PointFactory

from .factories import flagged

pytestmark = pytest.mark.django_db

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
T0 = dt.datetime(2026, 3, 2, 9, 30, tzinfo=HCM)
DAY = dt.timedelta(days=1)


def upload(text: str, name="outcomes.csv"):
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


def run(actor, text: str, django_capture_on_commit_callbacks) -> ImportJob:
    with django_capture_on_commit_callbacks(execute=False):
        job = outcomes_submit(actor=actor, upload=upload(text))
    outcomes_run(job_id=job.pk, now=T0 + 70 * DAY)
    job.refresh_from_db()
    return job


@pytest.fixture
def hn_point():
    return PointFactory(agent=AgentFactory(province_code="001"))


def test_outcomes_are_recorded_per_step_with_rejects_per_line(officer, hn_point, django_capture_on_commit_callbacks):
    # given: a case that reached the one-way block (due T0 + 15 days)
    reg = flagged("INCOMPLETE_RECORD", point=hn_point, external_id="EXT-1")
    ladder_advance(now=T0)
    ladder_advance(now=T0 + 16 * DAY)
    text = (
        "external_id,step,outcome,done_at\n"
        "EXT-1,REMINDER,DONE,2026-03-02T09:40:00+07:00\n"  # line 2: on time? due 09:30 -> late by 10 min
        "EXT-1,ONE_WAY_BLOCK,DONE,2026-03-17T09:30:00+07:00\n"  # line 3: exactly at the due time: on time
        "EXT-1,TWO_WAY_BLOCK,DONE,2026-03-20T09:30:00+07:00\n"  # line 4: not reached
        "NOPE,REMINDER,DONE,2026-03-02T09:40:00+07:00\n"  # line 5: unknown
        "EXT-1,REMINDER,MAYBE,2026-03-02T09:40:00+07:00\n"  # line 6: bad outcome
        "EXT-1,BLOCK,DONE,2026-03-02T09:40:00+07:00\n"  # line 7: bad step
        "EXT-1,REMINDER,DONE,yesterday\n"  # line 8: bad time
    )
    # when
    job = run(officer, text, django_capture_on_commit_callbacks)
    # then
    assert (job.status, job.updated, job.rejected) == ("DONE", 2, 5)
    assert [int(r["line"]) for r in rejects_of(job)] == [4, 5, 6, 7, 8]
    steps = {s.step: s for s in CaseStep.objects.filter(case__registration=reg)}
    assert steps[Step.REMINDER].on_time is False
    assert steps[Step.ONE_WAY_BLOCK].on_time is True
    assert steps[Step.ONE_WAY_BLOCK].report_job_id == job.pk


def test_the_same_file_twice_changes_nothing(officer, hn_point, django_capture_on_commit_callbacks):
    flagged("INCOMPLETE_RECORD", point=hn_point, external_id="EXT-2")
    ladder_advance(now=T0)
    text = "external_id,step,outcome,done_at\nEXT-2,REMINDER,FAILED,2026-03-02T10:00:00+07:00\n"
    run(officer, text, django_capture_on_commit_callbacks)
    again = run(officer, text, django_capture_on_commit_callbacks)
    assert (again.updated, again.unchanged, again.rejected) == (0, 1, 0)


def test_a_termination_done_closes_the_case(officer, hn_point, django_capture_on_commit_callbacks):
    reg = flagged("INCOMPLETE_RECORD", point=hn_point, external_id="EXT-3")
    ladder_advance(now=T0)
    ladder_advance(now=T0 + 60 * DAY)
    text = "external_id,step,outcome,done_at\nEXT-3,TERMINATION,DONE,2026-05-01T10:00:00+07:00\n"
    run(officer, text, django_capture_on_commit_callbacks)
    case = RemediationCase.objects.get(registration=reg)
    assert (case.status, case.close_reason) == ("CLOSED", "TERMINATED")
    # and its flags, still open until an import cancels the registration, open no new case
    ladder_advance(now=T0 + 71 * DAY)
    assert RemediationCase.objects.filter(registration=reg).count() == 1


def test_outcomes_of_cases_outside_the_uploaders_provinces_are_rejected(
    make_user, hn_point, django_capture_on_commit_callbacks
):
    from core.roles import Role

    saigon = make_user(Role.OFFICER, provinces=["079"], username="sg-officer")
    flagged("INCOMPLETE_RECORD", point=hn_point, external_id="EXT-4")
    ladder_advance(now=T0)
    job = run(
        saigon,
        "external_id,step,outcome,done_at\nEXT-4,REMINDER,DONE,2026-03-02T10:00:00+07:00\n",
        django_capture_on_commit_callbacks,
    )
    assert (job.updated, job.rejected) == (0, 1)
    assert CaseStep.objects.get().outcome == ""


def test_a_file_without_the_columns_or_too_large_is_refused_at_once(officer, settings):
    with pytest.raises(ImportFileError):
        outcomes_submit(actor=officer, upload=upload("external_id,result\nX,DONE\n"))
    settings.REMEDIATION_OUTCOMES_MAX_BYTES = 10
    with pytest.raises(ImportFileError):
        outcomes_submit(actor=officer, upload=upload("external_id,step,outcome,done_at\n"))
    assert not ImportJob.objects.exists()


def test_auditors_cannot_report_outcomes(auditor):
    with pytest.raises(PermissionDenied):
        outcomes_submit(actor=auditor, upload=upload("external_id,step,outcome,done_at\n"))


def test_a_second_message_for_a_job_does_nothing(officer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        job = outcomes_submit(actor=officer, upload=upload("external_id,step,outcome,done_at\n"))
    assert outcomes_run(job_id=job.pk) is not None
    assert outcomes_run(job_id=job.pk) is None


def test_reject_reasons_are_stored_in_english_and_shown_in_the_readers_language(
    officer, hn_point, django_capture_on_commit_callbacks
):
    from django.utils import translation

    from core.texts import show_system_text

    with translation.override("vi"):
        job = run(
            officer,
            "external_id,step,outcome,done_at\nX,BLOCK,DONE,2026-03-02T10:00:00+07:00\n",
            django_capture_on_commit_callbacks,
        )
    (reject,) = rejects_of(job)
    assert reject["reason"] == "Unknown step BLOCK."
    with translation.override("en"):
        assert show_system_text(reject["reason"]) == "Unknown step BLOCK."
