"""Issuing a month's report freezes it; re-issuing keeps the earlier version and shows what changed."""

import datetime as dt
import hashlib

import pytest
from django.core.exceptions import ValidationError

from core.audit import GENESIS, all_anchors
from core.models import AuditEvent
from core.registry import AUDIT_ACTION_LABELS, NIGHTLY_STEPS
from inspections.nightly import all_steps
from reports.monthly.figures import Month
from reports.monthly.models import ReportIssue
from reports.monthly.selectors import figure_changes, previous_issue
from reports.monthly.services import ISSUED_ACTION, nightly_prepare, report_issue
from tests.registrations.factories import RegistrationFactory
from tests.reports.monthly import scene

MARCH = Month.parse(scene.MONTH)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.mark.django_db
def test_issue_freezes_figures_and_files_with_their_hashes(media, hanoi_point, saigon_point, manager):
    # given
    scene.build(hanoi_point, saigon_point, manager)

    # when
    issue = report_issue(month=MARCH, provinces=[], language="en", actor=manager)

    # then
    issue.refresh_from_db()
    assert issue.status == ReportIssue.Status.ISSUED
    assert issue.version == 1
    assert issue.figures["registrations"] == 5
    assert issue.month == dt.date(2026, 3, 1)
    assert issue.provinces == []
    assert issue.language == "en"
    assert issue.issued_by == manager
    assert issue.issued_at is not None
    pdf, csv = issue.pdf.read(), issue.csv.read()
    assert hashlib.sha256(pdf).hexdigest() == issue.pdf_sha256
    assert hashlib.sha256(csv).hexdigest() == issue.csv_sha256
    assert csv.startswith(b"metric,value\nregistrations,5\n")
    event = AuditEvent.objects.filter(action=ISSUED_ACTION).get()
    assert event.object_id == str(issue.pk)
    assert event.fields["pdf_sha256"] == issue.pdf_sha256
    # the head as it was when the report was issued: the event before its own
    before = AuditEvent.objects.filter(pk__lt=event.pk).order_by("-pk").values("id", "hash").first()
    assert issue.audit_head == (before or {"id": 0, "hash": GENESIS})


@pytest.mark.django_db
def test_reissue_keeps_the_earlier_version_and_lists_the_changes(media, hanoi_point, saigon_point, manager):
    # given an issued report, then one more registration in March
    scene.build(hanoi_point, saigon_point, manager)
    first = report_issue(month=MARCH, provinces=["001"], language="vi", actor=manager)
    first_pdf_hash = first.pdf_sha256
    RegistrationFactory(point=hanoi_point, registered_at=scene.local(2026, 3, 9), status="CANCELLED")

    # when
    second = report_issue(month=MARCH, provinces=["001"], language="vi", actor=manager)

    # then
    first.refresh_from_db()
    assert (first.version, second.version) == (1, 2)
    assert first.figures["registrations"] == 3
    assert first.pdf_sha256 == first_pdf_hash
    assert previous_issue(second) == first
    assert figure_changes(first.figures, second.figures) == [
        {"code": "registrations", "before": 3, "after": 4, "delta": 1},
        {"code": "registrations_cancelled", "before": 0, "after": 1, "delta": 1},
    ]
    # another scope or language is versioned on its own
    assert report_issue(month=MARCH, provinces=[], language="vi", actor=manager).version == 1


@pytest.mark.django_db
def test_issue_refuses_an_unknown_province_or_language(media, manager):
    with pytest.raises(ValidationError, match="999"):
        report_issue(month=MARCH, provinces=["999"], language="vi", actor=manager)
    with pytest.raises(ValidationError, match="fr"):
        report_issue(month=MARCH, provinces=[], language="fr", actor=manager)
    assert not ReportIssue.objects.exists()


@pytest.mark.django_db
def test_issue_audit_heads_are_anchors_that_verify_audit_checks(media, manager):
    report_issue(month=MARCH, provinces=[], language="vi", actor=manager)
    issue = report_issue(month=MARCH, provinces=[], language="vi", actor=manager)

    anchors = all_anchors()

    assert anchors[issue.audit_head["id"]] == issue.audit_head["hash"]
    assert str(AUDIT_ACTION_LABELS[ISSUED_ACTION]) == "Monthly report issued"


# --- the nightly step -----------------------------------------------------------------------------------


def test_the_step_is_in_the_nightly_chain():
    assert "monthly_report" in all_steps()
    assert any(step.name == "monthly_report" for step in NIGHTLY_STEPS)


@pytest.mark.django_db
def test_nightly_prepares_last_month_on_the_first_only_once(media, hanoi_point):
    # given
    RegistrationFactory(point=hanoi_point, registered_at=scene.local(2026, 3, 31, 22))
    first_of_april = scene.local(2026, 4, 1, 2, 0)

    # when
    summary = nightly_prepare(now=first_of_april)
    again = nightly_prepare(now=first_of_april + dt.timedelta(minutes=30))

    # then
    issue = ReportIssue.objects.get()
    assert summary["prepared"] == 1
    assert again["prepared"] == 0
    assert issue.status == ReportIssue.Status.PREPARED
    assert (issue.month, issue.provinces, issue.language) == (dt.date(2026, 3, 1), [], "vi")
    assert issue.figures["registrations"] == 1


@pytest.mark.django_db
def test_nightly_does_nothing_on_the_second_nor_at_utc_midnight_of_the_first(media):
    nightly_prepare(now=scene.local(2026, 4, 2, 2, 0))
    nightly_prepare(now=scene.utc(2026, 4, 1, 18, 0))  # 2 April 01:00 local
    nightly_prepare(now=scene.utc(2026, 3, 31, 16, 0))  # 31 March 23:00 local

    assert not ReportIssue.objects.exists()


@pytest.mark.django_db
def test_issuing_a_prepared_report_turns_it_into_version_1(media, manager):
    nightly_prepare(now=scene.local(2026, 4, 1, 2, 0))
    prepared = ReportIssue.objects.get()

    issue = report_issue(month=MARCH, provinces=[], language="vi", actor=manager)

    assert issue.pk == prepared.pk
    assert issue.version == 1
    assert issue.status == ReportIssue.Status.ISSUED
    assert ReportIssue.objects.count() == 1


@pytest.mark.django_db
def test_the_nightly_chain_runs_the_step_on_the_first(media, hanoi_point):
    from inspections.nightly import run_nightly

    # given
    RegistrationFactory(point=hanoi_point, registered_at=scene.local(2026, 3, 15))

    # when
    run = run_nightly(now=scene.local(2026, 4, 1, 2, 0))

    # then
    step = run.steps["monthly_report"]
    assert step["status"] == "done"
    assert step["summary"]["prepared"] == 1
    assert ReportIssue.objects.get().figures["registrations"] == 1
