"""The remediation objects the access matrix's URLs open, made on first use from the scene's registrations
(in Hà Nội, in TP Hồ Chí Minh, in the app: no province), so scenes of other URLs pay nothing for them."""

from django.utils import timezone

from enforcement.remediation.models import CaseStep, ListIssue, RemediationCase, Step, Track


def case_for(registration) -> RemediationCase:
    case = RemediationCase.objects.filter(registration=registration).first()
    if case is None:
        now = timezone.now()
        case = RemediationCase.objects.create(
            registration=registration,
            track=Track.RECORD,
            opened_at=now,
            current_step=Step.REMINDER,
            next_step=Step.ONE_WAY_BLOCK,
            next_due_at=now + timezone.timedelta(days=15),
        )
        CaseStep.objects.create(case=case, step=Step.REMINDER, position=1, due_at=now, reached_at=now)
    return case


def issue_for(registration) -> ListIssue:
    step = case_for(registration).steps.get()
    if step.issue_id is None:
        step.issue = ListIssue.objects.create(
            step=Step.REMINDER, day=timezone.localdate(), channel=ListIssue.Channel.PAGE, count=1
        )
        step.save(update_fields=["issue"])
    return step.issue


def send_body(_o=None) -> dict:
    return {"step": "REMINDER", "day": timezone.localdate().isoformat(), "up_to": 10**9, "ids": [10**9]}


def policy_body(_o=None) -> dict:
    return {
        "reminder_days": 0,
        "one_way_block_days": 14,
        "two_way_block_days": 15,
        "termination_days": 30,
        "suspend_outgoing_hours": 2,
        "reason": "matrix check: shorter first block",
    }


OUTCOMES_BODY = {"outcomes": [{"external_id": "X", "step": "REMINDER", "outcome": "DONE", "done_at": ""}]}
