"""Writes of the re-verification campaigns (issue 16).

`campaign_start` puts every subscription of the subject and period on the remediation ladder in one
INSERT ... SELECT (cases with source CAMPAIGN and this campaign), then records each new case's baseline in a
second one. Candidates: registered by the point (a point's campaign) or with the agent as their agent (an
agent's: its points' registrations; APP registrations have no agent), `registered_at`'s local date in
[period_from, period_until), not cancelled, not anonymised, and not reported terminated by the operator.

Idempotent: a registration that already has an open case (flags, or an earlier campaign) is **skipped**: it
keeps its own case and clock, and the campaign counts it in `skipped` (never a second open case, which the
remediation constraint forbids anyway). Creating cases takes the ladder policy's lock, as the ladder's
advance does, so the two never race.

Automatic campaigns: `campaigns_for_terminations` finds every status change to TERMINATED of an agent or a
point (from any path: the app, the API, an approved sanction, an import: they all write a StatusChange, so
the agents app needs no hook into enforcement) in the last `CAMPAIGN_SWEEP_DAYS` without a campaign, and
starts one per change over the `CAMPAIGN_DEFAULT_DAYS` days before it (the termination's day included).
The change is the campaign's one-to-one `termination`: never two campaigns for one termination. A point
terminated with its agent (within an hour of the agent's termination: the cascade) gets none: the agent's
campaign covers its registrations.

`campaigns_settle` (nightly, after the ladder's step): closes open campaign cases that are re-verified or
corrected (see progress.py), closes campaigns with no pending case, and announces `campaign.progress` for
each campaign whose counts changed, at most once per campaign per local day.
"""

import logging
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Exists, F, OuterRef, Q, Value
from django.utils import timezone
from django.utils.translation import gettext as _

from agents.models import Agent, RegistrationPoint, Status, StatusChange
from core import events
from core.audit import audit_record
from core.runs import QueueUnavailable, send_task
from core.scoping import user_can_see_province
from registrations.models import PopulationCheck, Registration, RegistrationStatus

from ..remediation.models import LadderPolicy, RemediationCase
from ..remediation.services import cases_insert, insert_select
from .models import Campaign, CampaignBaseline
from .progress import Progress, counts_by_campaign, empty_counts

VIEW_PERMISSION = "enforcement.view_campaign"
ADD_PERMISSION = "enforcement.add_campaign"
CLOSE_PERMISSION = "enforcement.change_campaign"
WITHDRAW_PERMISSION = CLOSE_PERMISSION  # managers: the same right as closing
PROGRESS_EVENT = "campaign.progress"
REASON_MIN_LENGTH = 10
MAX_PERIOD_DAYS = 3660
IDENTITY_FIELDS = ("name_key", "date_of_birth", "gender", "id_doc_type", "id_doc_hash")

Case = RemediationCase
ADVANCE_TASK = "enforcement.remediation_advance_task"
logger = logging.getLogger(__name__)


def default_days() -> int:
    return int(getattr(settings, "CAMPAIGN_DEFAULT_DAYS", 365))


def sweep_days() -> int:
    return int(getattr(settings, "CAMPAIGN_SWEEP_DAYS", 7))


def day_start(day: date) -> datetime:
    """The first instant of the local day `day` (Asia/Ho_Chi_Minh)."""
    return timezone.make_aware(datetime.combine(day, time.min))


# --- which registrations ------------------------------------------------------------------------------


def campaign_registrations(campaign: Campaign):
    """The subject's registrations of the period (any status)."""
    rows = Registration.objects.filter(
        registered_at__gte=day_start(campaign.period_from), registered_at__lt=day_start(campaign.period_until)
    )
    if campaign.subject_type == Campaign.Subject.POINT:
        return rows.filter(point_id=campaign.point_id)
    return rows.filter(agent_id=campaign.agent_id)


def _candidates(campaign: Campaign):
    terminated = Case.objects.filter(registration_id=OuterRef("pk"), close_reason=Case.CloseReason.TERMINATED)
    return (
        campaign_registrations(campaign)
        .filter(anonymised_at__isnull=True)
        .exclude(status=RegistrationStatus.CANCELLED)
        .exclude(Exists(terminated))
    )


def _open_campaign_cases(campaign: Campaign, now: datetime, policy: LadderPolicy) -> tuple[int, int]:
    """(matched, opened): one INSERT ... SELECT of the cases, one of their baselines."""
    candidates = _candidates(campaign)
    matched = candidates.count()
    open_case = Case.objects.filter(registration_id=OuterRef("pk"), status=Case.Status.OPEN)
    mismatch = Q(population_check=PopulationCheck.MISMATCH)
    opened = cases_insert(
        candidates.exclude(Exists(open_case)),
        source=Case.Source.CAMPAIGN,
        mismatch=mismatch,
        policy=policy,
        now=now,
        campaign=campaign,
    )
    baselines = (
        Case.objects.filter(campaign=campaign)
        .annotate(
            b_case=F("pk"),
            **{f"b_{name}": F(f"registration__{name}") for name in IDENTITY_FIELDS},
            b_check=F("registration__population_check"),
        )
        .values("b_case", *[f"b_{name}" for name in IDENTITY_FIELDS], "b_check")
    )
    insert_select(CampaignBaseline, ["case", *IDENTITY_FIELDS, "population_check"], baselines)
    return matched, opened


# --- starting a campaign ------------------------------------------------------------------------------


def _start(
    *,
    subject,
    period_from: date,
    period_until: date,
    trigger: str,
    reason: str,
    actor,
    termination: StatusChange | None = None,
    now: datetime | None = None,
) -> Campaign:
    now = now or timezone.now()
    LadderPolicy.current()
    policy = LadderPolicy.objects.select_for_update().get(pk=1)  # one writer of open cases at a time
    is_point = isinstance(subject, RegistrationPoint)
    campaign = Campaign(
        subject_type=Campaign.Subject.POINT if is_point else Campaign.Subject.AGENT,
        point=subject if is_point else None,
        agent=None if is_point else subject,
        province_id=subject.province_id,
        period_from=period_from,
        period_until=period_until,
        trigger=trigger,
        termination=termination,
        reason=reason,
        created_by=actor,
        created_at=now,
    )
    campaign.full_clean()
    campaign.save()
    matched, opened = _open_campaign_cases(campaign, now, policy)
    campaign.matched, campaign.skipped = matched, matched - opened
    if not opened:  # nothing to re-verify: nothing pending
        campaign.status, campaign.closed_at = Campaign.Status.CLOSED, now
    else:  # the new cases' first step comes due now: the ladder's clock moves without waiting for its quarter hour
        transaction.on_commit(_advance_soon)
    campaign.save(update_fields=["matched", "skipped", "status", "closed_at"])
    audit_record(
        action="campaign.create",
        actor=actor,
        obj=campaign,
        reason=reason,
        province_code=subject.province_id,
        fields={
            "subject": campaign.subject_type,
            "code": subject.code,
            "from": period_from.isoformat(),
            "until": period_until.isoformat(),
            "trigger": trigger,
            "cases": opened,
            "skipped": campaign.skipped,
        },
    )
    return campaign


def _advance_soon() -> None:
    try:
        send_task(ADVANCE_TASK)
    except QueueUnavailable:
        logger.warning("Queue unreachable: the campaign's cases reach their first step at the next quarter hour")


def may_create(user) -> bool:
    return user.has_perm(ADD_PERMISSION)


def _subject_of(subject_type: str, code: str, actor):
    code = (code or "").strip()
    model = {Campaign.Subject.POINT: RegistrationPoint, Campaign.Subject.AGENT: Agent}.get(subject_type)
    if model is None:
        raise ValidationError({"subject_type": _("Choose a point or an agent.")})
    if not code:
        raise ValidationError({"code": _("Give the point's or the agent's code.")})
    subject = model.objects.filter(code=code).first()
    # "not yours" and "not there" read alike
    if subject is None or not user_can_see_province(actor, subject.province_id):
        if model is Agent:
            raise ValidationError({"code": _("No agent with code %(code)s in your provinces.") % {"code": code}})
        raise ValidationError({"code": _("No point with code %(code)s in your provinces.") % {"code": code}})
    return subject


@transaction.atomic
def campaign_create(
    *, actor, subject_type: str, code: str, period_from: date, period_until: date, reason: str
) -> Campaign:
    """A manager's campaign over any period, with a reason."""
    if not may_create(actor):
        raise PermissionDenied
    errors = {}
    try:
        subject = _subject_of(subject_type, code, actor)
    except ValidationError as exc:  # said together with the other fields' errors
        errors.update(exc.message_dict)
    if period_from is None:
        errors["period_from"] = _("Give the first day of the period.")
    if period_until is None:
        errors["period_until"] = _("Give the day after the period.")
    if not errors and period_until <= period_from:
        errors["period_until"] = _("The period must end after it starts.")
    if not errors and (period_until - period_from).days > MAX_PERIOD_DAYS:
        errors["period_until"] = _("The period can be at most %(n)d days.") % {"n": MAX_PERIOD_DAYS}
    if not errors and period_from > timezone.localdate():
        errors["period_from"] = _("The period cannot start in the future.")
    reason = " ".join((reason or "").split())
    if len(reason) < REASON_MIN_LENGTH:
        errors["reason"] = _("Give the reason for this campaign (at least %(n)d characters).") % {
            "n": REASON_MIN_LENGTH
        }
    if errors:
        raise ValidationError(errors)
    return _start(
        subject=subject,
        period_from=period_from,
        period_until=period_until,
        trigger=Campaign.Trigger.MANAGER,
        reason=reason,
        actor=actor,
    )


def _pending_terminations(now: datetime):
    agent_terminated_near = StatusChange.objects.filter(
        agent_id=OuterRef("point__agent_id"),
        to_status=Status.TERMINATED,
        changed_at__gte=OuterRef("changed_at") - timedelta(hours=1),
        changed_at__lte=OuterRef("changed_at") + timedelta(hours=1),
    )
    return (
        StatusChange.objects.filter(
            to_status=Status.TERMINATED, changed_at__gte=now - timedelta(days=sweep_days()), changed_at__lte=now
        )
        .exclude(from_status="")  # created terminated: nothing was registered under it
        .filter(campaign__isnull=True)
        .exclude(Q(point__isnull=False) & Exists(agent_terminated_near))
        .select_related("agent", "point")
        .order_by("changed_at", "pk")
    )


@transaction.atomic
def campaigns_for_terminations(*, now: datetime | None = None, actor=None) -> list[Campaign]:
    """One automatic campaign per recent termination that has none (safe to run again: it finds none)."""
    now = now or timezone.now()
    started = []
    for change in _pending_terminations(now):
        subject = change.agent or change.point
        day = timezone.localdate(change.changed_at)
        started.append(
            _start(
                subject=subject,
                period_from=day - timedelta(days=default_days()),
                period_until=day + timedelta(days=1),
                trigger=Campaign.Trigger.TERMINATION,
                reason=change.reason,
                actor=actor,
                termination=change,
                now=now,
            )
        )
    return started


# --- progress -----------------------------------------------------------------------------------------


def _with_unchanged_fields(queryset):
    """Annotate `unchanged_fields`: how many identity fields equal their baseline (both blank counts as equal).
    Counted with CASE, not negated lookups: Django's negation of a lookup on nullable columns would call two
    blank dates "changed"."""
    same = [
        models.When(
            Q(**{f"registration__{name}__isnull": True, f"baseline__{name}__isnull": True})
            | Q(**{f"registration__{name}": F(f"baseline__{name}")}),
            then=Value(1),
        )
        for name in IDENTITY_FIELDS
    ]
    total = sum((models.Case(when, default=Value(0), output_field=models.IntegerField()) for when in same), Value(0))
    return queryset.annotate(unchanged_fields=total)


def _close(queryset, reason: str, now: datetime) -> int:
    return queryset.update(
        status=Case.Status.CLOSED, closed_at=now, close_reason=reason, next_step="", next_due_at=None
    )


def settle_cases(*, now: datetime) -> dict[str, int]:
    """Close open campaign cases whose subscription was corrected or re-verified (two UPDATEs)."""
    live = Case.objects.filter(
        status=Case.Status.OPEN,
        source=Case.Source.CAMPAIGN,
        baseline__isnull=False,
        registration__anonymised_at__isnull=True,
        registration__population_check=PopulationCheck.MATCH,
    ).exclude(registration__status=RegistrationStatus.CANCELLED)
    live = _with_unchanged_fields(live)
    changed = live.filter(unchanged_fields__lt=len(IDENTITY_FIELDS))
    corrected = _close(Case.objects.filter(pk__in=changed.values("pk")), Progress.CORRECTED, now)
    rechecked = Q(baseline__population_check__in=[c for c in PopulationCheck.values if c != PopulationCheck.MATCH])
    rechecked |= Q(registration__updated_at__gt=F("opened_at"))
    reverified = _close(
        Case.objects.filter(pk__in=live.filter(rechecked, unchanged_fields=len(IDENTITY_FIELDS)).values("pk")),
        Progress.REVERIFIED,
        now,
    )
    return {k: v for k, v in {Progress.CORRECTED: corrected, Progress.REVERIFIED: reverified}.items() if v}


def close_finished(*, now: datetime, actor=None) -> int:
    """Campaigns with no pending case become CLOSED."""
    pending = Case.objects.filter(campaign_id=OuterRef("pk"), status=Case.Status.OPEN)
    return (
        Campaign.objects.filter(status=Campaign.Status.OPEN)
        .exclude(Exists(pending))
        .update(status=Campaign.Status.CLOSED, closed_at=now)
    )


def progress_payload(campaign: Campaign, counts: dict) -> dict:
    """The webhook's data: codes, dates and counts only (no personal data)."""
    return {
        "campaign": campaign.pk,
        "subject": campaign.subject_type,
        "code": campaign.subject.code,
        "province": campaign.province_id,
        "period_from": campaign.period_from.isoformat(),
        "period_until": campaign.period_until.isoformat(),
        "status": campaign.status,
        "counts": counts,
    }


def announce_progress(*, now: datetime) -> int:
    """`campaign.progress` for each campaign (open, or closed today) whose counts changed since last
    announced, at most once per campaign per local day; the counts announced are stored."""
    today = timezone.localdate(now)
    campaigns = list(
        Campaign.objects.filter(Q(status=Campaign.Status.OPEN) | Q(closed_at__gte=day_start(today)))
        .exclude(progress_day=today)
        .select_related("point", "agent")
    )
    counts = counts_by_campaign(Case.objects.filter(campaign__in=[c.pk for c in campaigns]))
    announced = []
    for campaign in campaigns:
        current = counts.get(campaign.pk, empty_counts())
        if current == campaign.progress:
            continue
        campaign.progress, campaign.progress_day = current, today
        announced.append(campaign)
        events.publish(PROGRESS_EVENT, {"at": now.isoformat(), **progress_payload(campaign, current)})
    Campaign.objects.bulk_update(announced, ["progress", "progress_day"])
    return len(announced)


@transaction.atomic
def nightly_campaigns(*, now, actor=None) -> dict:
    """The nightly chain's step, after the ladder's: automatic campaigns, settled cases, closed campaigns,
    progress announced."""
    started = campaigns_for_terminations(now=now, actor=actor)
    settled = settle_cases(now=now)
    closed = close_finished(now=now, actor=actor)
    if settled or closed:
        audit_record(
            action="campaign.settle",
            actor=actor,
            object_type="enforcement.campaign",
            fields={"closed_cases": settled, "closed_campaigns": closed},
        )
    return {
        "started": len(started),
        "settled": settled,
        "closed": closed,
        "announced": announce_progress(now=now),
    }


def may_close(user) -> bool:
    return user.has_perm(CLOSE_PERMISSION)


@transaction.atomic
def campaign_close(*, campaign: Campaign, actor) -> Campaign:
    """A manager closes a campaign once none of its cases is pending (the nightly step does it too)."""
    if not may_close(actor) or not user_can_see_province(actor, campaign.province_id):
        raise PermissionDenied
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status == Campaign.Status.CLOSED:
        raise ValidationError(_("This campaign is already closed."))
    pending = Case.objects.filter(campaign=campaign, status=Case.Status.OPEN).count()
    if pending:
        raise ValidationError(
            _("This campaign still has %(n)s pending cases: it closes when none is left.") % {"n": pending}
        )
    campaign.status, campaign.closed_at, campaign.closed_by = Campaign.Status.CLOSED, timezone.now(), actor
    campaign.save(update_fields=["status", "closed_at", "closed_by"])
    audit_record(action="campaign.close", actor=actor, obj=campaign, province_code=campaign.province_id)
    return campaign


def may_withdraw(user) -> bool:
    return user.has_perm(WITHDRAW_PERMISSION)


@transaction.atomic
def campaign_withdraw(*, campaign: Campaign, actor, reason: str, now: datetime | None = None) -> Campaign:
    """A manager withdraws an open campaign started by mistake, with a reason: its cases still open are
    closed WITHDRAWN (progress.py), the campaign becomes WITHDRAWN with who, when and why, audited.

    Nothing already sent is lost: the cases' steps stay with their list issue (an outcome the operator
    reports later is still recorded); unsent steps leave the step lists because their case is closed. Cases
    the campaign had already settled keep how they ended. A registration whose flags still hold is put back
    on the ladder by the next advance, as a case of its own (source FLAG)."""
    if not may_withdraw(actor) or not user_can_see_province(actor, campaign.province_id):
        raise PermissionDenied
    reason = " ".join((reason or "").split())
    if len(reason) < REASON_MIN_LENGTH:
        raise ValidationError(
            {
                "reason": _("Give the reason for withdrawing this campaign (at least %(n)d characters).")
                % {"n": REASON_MIN_LENGTH}
            }
        )
    now = now or timezone.now()
    LadderPolicy.current()
    LadderPolicy.objects.select_for_update().get(pk=1)  # one writer of open cases at a time (as _start)
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status != Campaign.Status.OPEN:
        raise ValidationError(_("Only an open campaign can be withdrawn."))
    withdrawn = _close(
        Case.objects.filter(campaign=campaign, source=Case.Source.CAMPAIGN, status=Case.Status.OPEN),
        Progress.WITHDRAWN,
        now,
    )
    campaign.status, campaign.closed_at, campaign.closed_by = Campaign.Status.WITHDRAWN, now, actor
    campaign.withdraw_reason = reason
    campaign.save(update_fields=["status", "closed_at", "closed_by", "withdraw_reason"])
    audit_record(
        action="campaign.withdraw",
        actor=actor,
        obj=campaign,
        reason=reason,
        province_code=campaign.province_id,
        fields={"withdrawn_cases": withdrawn},
    )
    return campaign


def step_lines(summary: dict) -> list[tuple[str, str]]:
    """The nightly step's summary in the reader's words (core.registry.NightlyStep.describe)."""
    from core.templatetags.display import count

    summary = summary or {}
    settled = summary.get("settled") or {}
    return [
        (_("Campaigns started"), count(summary.get("started", 0))),
        (_("Cases re-verified"), count(settled.get(Progress.REVERIFIED, 0))),
        (_("Cases corrected"), count(settled.get(Progress.CORRECTED, 0))),
        (_("Campaigns closed"), count(summary.get("closed", 0))),
    ]
