"""The demo's re-verification campaigns (seed_demo), one in each state:

- agent DDV-031 (Hải Phòng), terminated by the sanction ladder's seeder: the automatic campaign over the
  CAMPAIGN_DEFAULT_DAYS before its termination, half done: about a third of its subscriptions re-verified (a
  later import brought a population-database match), a sixth corrected (a later import corrected the date of
  birth, and it matches), a few terminated by the operator, the rest pending;
- SIMVANG (Hà Nội), terminated by the blacklist's seeder: its automatic campaign found nothing registered in
  the period, so it is closed;
- a manager's campaign over one active point of TGS-001 for the last 30 days, with its reason, all pending.

Through the campaign services (audited); the "later imports" and the operator's reports are written as the
importer and the outcomes job would leave them, then the nightly step settles the cases. Idempotent: a
second run finds campaigns and stops.
"""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from agents.models import RegistrationPoint, Status, StatusChange
from core.models import User
from registrations.models import PopulationCheck, Registration

from ..remediation.models import RemediationCase
from ..remediation.services import ladder_advance
from .models import Campaign
from .services import _start, campaign_create, close_finished, default_days, settle_cases


def _auto(code: str, now):
    change = (
        StatusChange.objects.filter(agent__code=code, to_status=Status.TERMINATED)
        .exclude(from_status="")
        .select_related("agent")
        .order_by("-changed_at")
        .first()
    )
    if change is None or hasattr(change, "campaign"):
        return None
    day = timezone.localdate(change.changed_at)
    return _start(
        subject=change.agent,
        period_from=day - dt.timedelta(days=default_days()),
        period_until=day + dt.timedelta(days=1),
        trigger=Campaign.Trigger.TERMINATION,
        reason=change.reason,
        actor=None,
        termination=change,
        now=now,
    )


def _half_done(campaign: Campaign, now) -> None:
    cases = list(campaign.cases.order_by("pk").values_list("pk", "registration_id"))
    n = len(cases)
    reverified = [reg for _pk, reg in cases[: n // 3]]
    corrected = [reg for _pk, reg in cases[n // 3 : n // 3 + n // 6]]
    terminated = [pk for pk, _reg in cases[n // 3 + n // 6 : n // 3 + n // 6 + max(1, n // 20)]]
    later = now + dt.timedelta(minutes=1)
    Registration.objects.filter(pk__in=reverified).update(population_check=PopulationCheck.MATCH, updated_at=later)
    # the corrected birth date stays in its year and month (the CCCD number encodes the year and gender)
    for reg in Registration.objects.filter(pk__in=corrected, date_of_birth__isnull=False):
        fixed = reg.date_of_birth.replace(day=1 if reg.date_of_birth.day != 1 else 2)
        Registration.objects.filter(pk=reg.pk).update(
            date_of_birth=fixed, population_check=PopulationCheck.MATCH, updated_at=later
        )
    RemediationCase.objects.filter(pk__in=terminated).update(
        status=RemediationCase.Status.CLOSED,
        close_reason=RemediationCase.CloseReason.TERMINATED,
        closed_at=later,
        next_step="",
        next_due_at=None,
    )
    settle_cases(now=later + dt.timedelta(minutes=1))


def seed_campaigns() -> str:
    if Campaign.objects.exists():
        return "exists"
    manager = User.objects.filter(username="manager").first()
    now = timezone.now()
    made = []
    with transaction.atomic():
        ddv = _auto("DDV-031", now)
        if ddv is not None:
            _half_done(ddv, now)
            made.append(f"DDV-031 {ddv.cases.count()} cases")
        simvang = _auto("SIMVANG", now)
        if simvang is not None:
            made.append(f"SIMVANG {simvang.status.lower()}")
        point = (
            RegistrationPoint.objects.filter(agent__code="TGS-001", status=Status.ACTIVE)
            .exclude(agent__status=Status.TERMINATED)
            .order_by("code")
            .first()
        )
        if point is not None and manager is not None:
            today = timezone.localdate()
            mine = campaign_create(
                actor=manager,
                subject_type=Campaign.Subject.POINT,
                code=point.code,
                period_from=today - dt.timedelta(days=30),
                period_until=today + dt.timedelta(days=1),
                reason="Khiếu nại của khách hàng về thông tin thuê bao bị điền sẵn tại điểm này",
            )
            made.append(f"{point.code} {mine.cases.count()} cases")
        close_finished(now=now + dt.timedelta(minutes=3))
        ladder_advance(now=now + dt.timedelta(minutes=4))  # the pending cases' reminders come due
    if not made:
        return "skipped: no terminated demo agents (seed the sanctions and the blacklist first)"
    return "; ".join(made)
