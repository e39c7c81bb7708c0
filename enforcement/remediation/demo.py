"""Demo data of the remediation ladder: the demo's ladder flags (INCOMPLETE_RECORD, UNVERIFIED_IDENTITY,
POPULATION_MISMATCH, raised by the inspections seeder's check run) become cases opened at chosen moments in
the past, and the clock is walked forward to now, so the pages show a case on every step: lists sent and
lists still to send today, outcomes done on time, late and failed, one case closed by the operator's
termination and one closed by a later import that completed its record.

Idempotent: nothing is done when any case exists.
"""

import csv
import io
from datetime import timedelta

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from core.models import User
from registrations.models import Flag, Registration

from . import ladder
from .models import LADDER_RULES, POPULATION_RULE, CaseStep, LadderPolicy, ListIssue, RemediationCase, Step, Track
from .outcomes import outcomes_job_create, outcomes_run
from .services import LIVE_FLAGS, ladder_advance, list_issue

H, D = timedelta(hours=1), timedelta(days=1)
# how long ago each demo registration's case opened (by the suffix of its external id), and why
OPENED_AGO = {
    "UNVERIFIED_IDENTITY-1": 61 * D,  # terminated a day ago: the operator's report closes the case
    "INCOMPLETE_RECORD-NAME": 60 * D + 6 * H,  # termination due 6 hours ago: on today's list
    "INCOMPLETE_RECORD-DOB": 31 * D,  # two-way block sent, the operator reports it failed
    "UNVERIFIED_IDENTITY-2": 30 * D + 4 * H,  # two-way block due 4 hours ago: on today's list
    "INCOMPLETE_RECORD-ID_NUMBER": 16 * D,  # one-way block sent and done; its reminder was done late
    "UNVERIFIED_IDENTITY-3": 15 * D + 3 * H,  # one-way block due 3 hours ago: on today's list
    "INCOMPLETE_RECORD-ADDRESS": 10 * D,  # a later import brings the address: the case closes
    "INCOMPLETE_RECORD-ISSUE_DATE": 2 * H,  # reminder on today's list
    "UNVERIFIED_IDENTITY-4": 1 * H,
    "POPULATION_MISMATCH-1": 35 * D,  # outgoing suspension done late; two-way block sent
    "POPULATION_MISMATCH-2": 20 * H,  # outgoing suspension sent and done on time
    "POPULATION_MISMATCH-3": 3 * H,  # outgoing suspension due an hour ago: on today's list
    "POPULATION_MISMATCH-4": 30 * timedelta(minutes=1),  # outgoing suspension due in an hour and a half
}
UNSENT_AFTER = 12 * H  # steps due in the last 12 hours stay on today's lists
LATE = {
    ("INCOMPLETE_RECORD-NAME", Step.ONE_WAY_BLOCK): 2 * D,
    ("INCOMPLETE_RECORD-ID_NUMBER", Step.REMINDER): H,
    ("POPULATION_MISMATCH-1", Step.SUSPEND_OUTGOING): 3 * H,
}
FAILED = {("INCOMPLETE_RECORD-DOB", Step.TWO_WAY_BLOCK)}


def _suffix(external_id: str) -> str:
    return next((key for key in OPENED_AGO if external_id.endswith(key)), "")


def seed_remediation() -> str:
    if RemediationCase.objects.exists():
        return "exists"
    now = timezone.now()
    officer = User.objects.filter(username="officer").first()
    candidates = (
        Registration.objects.filter(
            flags__rule__code__in=LADDER_RULES, flags__status__in=LIVE_FLAGS, anonymised_at__isnull=True
        )
        .exclude(status="CANCELLED")
        .distinct()
    )
    chosen = {reg: OPENED_AGO[_suffix(reg.external_id)] for reg in candidates if _suffix(reg.external_id)}
    if not chosen or officer is None:
        return "skipped: no demo ladder flags (seed registrations and run the checks first)"
    with transaction.atomic():
        policy = LadderPolicy.current()
        mismatched = set(
            Flag.objects.filter(registration__in=chosen, rule__code=POPULATION_RULE, status__in=LIVE_FLAGS).values_list(
                "registration_id", flat=True
            )
        )
        for reg, ago in chosen.items():
            population = reg.pk in mismatched
            RemediationCase.objects.create(
                registration=reg,
                track=Track.POPULATION if population else Track.RECORD,
                opened_at=now - ago,
                mismatch_at=now - ago if population else None,
                policy_version=policy.version,
            )
        # walk the clock through every due instant up to now, sending each list that is not recent
        instants = {now}
        for case in RemediationCase.objects.all():
            for step in ladder.steps_of(case.track):
                due = ladder.due_at(policy, step, opened_at=case.opened_at, mismatch_at=case.mismatch_at)
                if due is not None and due <= now:
                    instants.add(due)
        for moment in sorted(instants):
            ladder_advance(now=moment, actor=None)
            _send(officer, moment, now)
        _report_outcomes(officer, now)
        _later_import(now)
    counts = {step: RemediationCase.objects.filter(status="OPEN", current_step=step).count() for step in Step.values}
    closed = RemediationCase.objects.filter(status="CLOSED").count()
    return f"{len(chosen)} cases ({', '.join(f'{k} {v}' for k, v in counts.items())}; {closed} closed)"


def _send(officer, moment, now) -> None:
    if moment > now - UNSENT_AFTER:
        return
    day = timezone.localdate(moment)
    for step in Step.values:
        due = CaseStep.objects.filter(step=step, issue__isnull=True, case__status="OPEN", due_at__lte=moment)
        last = due.order_by("-pk").values_list("pk", flat=True).first()
        if last is None:
            continue
        issue = list_issue(actor=officer, step=step, day=day, channel=ListIssue.Channel.PAGE, up_to=last)
        ListIssue.objects.filter(pk=issue.pk).update(issued_at=moment + timedelta(minutes=20))


def _report_outcomes(officer, now) -> None:
    rows = []
    for case_step in CaseStep.objects.filter(issue__isnull=False).select_related("case__registration"):
        key = (_suffix(case_step.case.registration.external_id), case_step.step)
        outcome = "FAILED" if key in FAILED else "DONE"
        done_at = case_step.due_at + LATE.get(key, timedelta(0))
        if done_at <= now:
            rows.append([case_step.case.registration.external_id, case_step.step, outcome, done_at.isoformat()])
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["external_id", "step", "outcome", "done_at"])
    writer.writerows(rows)
    upload = ContentFile(buffer.getvalue().encode("utf-8"), name="demo-outcomes.csv")
    job = outcomes_job_create(actor=officer, upload=upload, file_name="demo-outcomes.csv")
    outcomes_run(job_id=job.pk, now=now)


def _later_import(now) -> None:
    """The record missing its address gets it (as a later registrations import would bring it); the checks
    resolve its flag and the clock closes its case."""
    from registrations.checks.runner import run_checks

    reg = Registration.objects.filter(external_id__endswith="INCOMPLETE_RECORD-ADDRESS").first()
    if reg is None:
        return
    reg.address = "12 Hàng Bài, Hoàn Kiếm, Hà Nội"
    reg.save(update_fields=["address", "updated_at"])
    run_checks(codes=["INCOMPLETE_RECORD"], trigger="COMMAND")
    ladder_advance(now=now)
