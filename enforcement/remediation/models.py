"""The subscriber remediation ladder (issue 16): a case per subscription whose record breaks the law, with
a clock, and what went out to the operator's systems and what they reported back.

- `LadderPolicy`: the one row of editable delays (managers edit it, a new version with a reason each time;
  `LadderPolicyVersion` keeps every version). Decree 49: a reminder at once, a one-way block 15 days later,
  a two-way block 15 days after that, termination 30 days after that. Circular 08: a population-database
  mismatch suspends outgoing service within 2 hours.
- `RemediationCase`: one open case per registration (subscription); `source` says what put it on the
  ladder (today the flags; later a re-verification campaign). `opened_at` starts the clock.
- `CaseStep`: one row per step a case has reached (its due time came), with the list issue that sent it
  to the operator and the outcome the operator reported. A step is sent at most once: `issue` is set once.
- `ListIssue`: one batch of a step list handed to the operator (page or API): who, when, which steps.

No row here holds a subscriber's personal data: the registration holds it (masked on every page).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.models import ImportJob
from core.scoping import ScopedQuerySet
from registrations.models import Registration


class Step(models.TextChoices):
    REMINDER = "REMINDER", pgettext_lazy("remediation step", "Reminder")
    SUSPEND_OUTGOING = "SUSPEND_OUTGOING", pgettext_lazy("remediation step", "Outgoing service suspended")
    ONE_WAY_BLOCK = "ONE_WAY_BLOCK", pgettext_lazy("remediation step", "One-way block")
    TWO_WAY_BLOCK = "TWO_WAY_BLOCK", pgettext_lazy("remediation step", "Two-way block")
    TERMINATION = "TERMINATION", pgettext_lazy("remediation step", "Termination")


# a step's place on the ladder: due times only grow along it (the policy's validation keeps them so)
STEP_POSITION = {
    Step.REMINDER: 1,
    Step.SUSPEND_OUTGOING: 2,
    Step.ONE_WAY_BLOCK: 3,
    Step.TWO_WAY_BLOCK: 4,
    Step.TERMINATION: 5,
}


class Track(models.TextChoices):
    """Which ladder a case climbs: Decree 49's, or Circular 08's (outgoing service suspended within hours
    instead of the one-way block after days; the two-way block and termination follow as in Decree 49)."""

    RECORD = "RECORD", _("Decree 49: incomplete or unverified record")
    POPULATION = "POPULATION", _("Circular 08: population database mismatch")


TRACK_STEPS = {
    Track.RECORD: (Step.REMINDER, Step.ONE_WAY_BLOCK, Step.TWO_WAY_BLOCK, Step.TERMINATION),
    Track.POPULATION: (Step.REMINDER, Step.SUSPEND_OUTGOING, Step.TWO_WAY_BLOCK, Step.TERMINATION),
}

# the rules whose open or confirmed flags put a registration on the ladder
LADDER_RULES = ("INCOMPLETE_RECORD", "UNVERIFIED_IDENTITY", "POPULATION_MISMATCH")
POPULATION_RULE = "POPULATION_MISMATCH"


class LadderPolicy(models.Model):
    """The one row of the ladder's delays. Each step's delay counts from the step before it (Decree 49's
    wording: "+15 days"); the outgoing suspension counts in hours from when the mismatch was known."""

    reminder_days = models.PositiveSmallIntegerField(_("reminder: days after the case opens"), default=0)
    one_way_block_days = models.PositiveSmallIntegerField(_("one-way block: days after the reminder"), default=15)
    two_way_block_days = models.PositiveSmallIntegerField(_("two-way block: days after the one-way block"), default=15)
    termination_days = models.PositiveSmallIntegerField(_("termination: days after the two-way block"), default=30)
    suspend_outgoing_hours = models.PositiveSmallIntegerField(
        _("outgoing service suspended: hours after a population mismatch"), default=2
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("remediation ladder policy")
        verbose_name_plural = _("remediation ladder policy")
        constraints = [models.CheckConstraint(condition=models.Q(pk=1), name="ladderpolicy_single_row")]
        permissions = [
            ("issue_steplist", _("Can issue remediation step lists (with MSISDNs)")),
            ("report_outcome", _("Can report remediation outcomes")),
        ]

    def __str__(self):
        return str(self._meta.verbose_name)

    @classmethod
    def current(cls) -> "LadderPolicy":
        policy, _created = cls.objects.get_or_create(pk=1)
        return policy


class LadderPolicyVersion(models.Model):
    """One version of the policy as saved: its values, who, when and why."""

    version = models.PositiveIntegerField(_("version"), unique=True)
    values = models.JSONField(_("values"), default=dict)
    reason = models.TextField(_("reason"), blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    changed_at = models.DateTimeField(_("changed"))

    class Meta:
        ordering = ["-version"]
        verbose_name = _("ladder policy version")
        verbose_name_plural = _("ladder policy versions")

    def __str__(self):
        return f"v{self.version}"


class RemediationCase(models.Model):
    """One subscription on the ladder: its clock, where it stands, and why it closed."""

    class Source(models.TextChoices):
        FLAG = "FLAG", _("Flags on the record")
        CAMPAIGN = "CAMPAIGN", _("Re-verification campaign")

    class Status(models.TextChoices):
        OPEN = "OPEN", _("Open")
        CLOSED = "CLOSED", _("Closed")

    class CloseReason(models.TextChoices):
        NONE = "", _("not closed")
        RECORD_FIXED = "RECORD_FIXED", _("Record completed or verified by a later import")
        FLAGS_DISMISSED = "FLAGS_DISMISSED", _("Flags dismissed by a reviewer")
        TERMINATED = "TERMINATED", _("Subscription terminated (operator's report)")
        CANCELLED = "CANCELLED", _("Registration cancelled")
        ANONYMISED = "ANONYMISED", _("Subscriber's data erased")
        # campaign cases (enforcement.campaigns): their flags may be none, so these close them
        REVERIFIED = "REVERIFIED", _("Re-verified: population database check now matches")
        CORRECTED = "CORRECTED", _("Corrected: identity changed by a later import and verified")
        WITHDRAWN = "WITHDRAWN", _("Withdrawn with its campaign (started by mistake)")

    registration = models.ForeignKey(
        Registration, verbose_name=_("registration"), on_delete=models.PROTECT, related_name="remediation_cases"
    )
    source = models.CharField(_("source"), max_length=8, choices=Source.choices, default=Source.FLAG)
    track = models.CharField(pgettext_lazy("remediation", "ladder"), max_length=10, choices=Track.choices)
    status = models.CharField(_("status"), max_length=6, choices=Status.choices, default=Status.OPEN)
    opened_at = models.DateTimeField(_("opened"))  # the clock's start
    # when the case learned of a population mismatch: the outgoing suspension's clock
    mismatch_at = models.DateTimeField(_("mismatch known"), null=True, blank=True)
    current_step = models.CharField(_("step"), max_length=16, choices=Step.choices, blank=True)
    next_step = models.CharField(_("next step"), max_length=16, choices=Step.choices, blank=True)
    next_due_at = models.DateTimeField(_("next step due"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    close_reason = models.CharField(
        _("closed because"), max_length=16, choices=CloseReason.choices, blank=True, default=""
    )
    policy_version = models.PositiveIntegerField(_("policy version"), default=1)
    # the re-verification campaign that put it on the ladder (enforcement.campaigns); null: the flags did
    campaign = models.ForeignKey(
        "enforcement.Campaign",
        verbose_name=_("campaign"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )

    objects = ScopedQuerySet.as_manager()
    scope_province_field = "registration__point__province"

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = _("remediation case")
        verbose_name_plural = _("remediation cases")
        constraints = [
            models.UniqueConstraint(
                fields=["registration"], condition=models.Q(status="OPEN"), name="remediation_case_one_open"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "current_step", "id"], name="remed_case_step_idx"),
            models.Index(fields=["status", "next_due_at"], name="remed_case_due_idx"),
            models.Index(fields=["opened_at", "id"], name="remed_case_opened_idx"),
        ]

    def __str__(self):
        return f"#{self.pk}"


class ListIssue(models.Model):
    """One batch of a step list handed to the operator's systems: exactly the case steps that point to it."""

    class Channel(models.TextChoices):
        PAGE = "PAGE", _("Page")
        API = "API", _("API")

    step = models.CharField(_("step"), max_length=16, choices=Step.choices)
    day = models.DateField(_("list of day"))  # local day (Asia/Ho_Chi_Minh): steps due by its end
    channel = models.CharField(_("via"), max_length=4, choices=Channel.choices)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("issued by"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    issued_at = models.DateTimeField(_("issued"), default=timezone.now)
    count = models.PositiveIntegerField(_("cases"), default=0)
    # the issuer's provinces when issued (codes); empty: every province
    provinces = models.JSONField(_("provinces"), default=list, blank=True)

    class Meta:
        ordering = ["-issued_at", "-id"]
        verbose_name = _("step list issue")
        verbose_name_plural = _("step list issues")

    def __str__(self):
        return f"{self.step} {self.day} #{self.pk}"


class CaseStep(models.Model):
    """A step a case reached: when it was due, the list issue that sent it, and what the operator reported."""

    class Outcome(models.TextChoices):
        NONE = "", _("not reported")
        DONE = "DONE", _("Done")
        FAILED = "FAILED", _("Failed")

    case = models.ForeignKey(RemediationCase, verbose_name=_("case"), on_delete=models.CASCADE, related_name="steps")
    step = models.CharField(_("step"), max_length=16, choices=Step.choices)
    position = models.PositiveSmallIntegerField(_("position"))
    due_at = models.DateTimeField(_("due"))
    reached_at = models.DateTimeField(_("on the list since"))
    issue = models.ForeignKey(
        ListIssue, verbose_name=_("sent in"), null=True, blank=True, on_delete=models.PROTECT, related_name="steps"
    )
    outcome = models.CharField(_("outcome"), max_length=6, choices=Outcome.choices, blank=True, default="")
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    reported_at = models.DateTimeField(_("reported"), null=True, blank=True)
    report_job = models.ForeignKey(
        ImportJob, verbose_name=_("reported in"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["case", "position"]
        verbose_name = _("case step")
        verbose_name_plural = _("case steps")
        constraints = [models.UniqueConstraint(fields=["case", "step"], name="remediation_step_once")]
        indexes = [
            # the step lists: unsent steps of one step by due time
            models.Index(
                fields=["step", "due_at", "id"], name="remed_step_unsent_idx", condition=models.Q(issue__isnull=True)
            ),
        ]

    def __str__(self):
        return f"{self.case_id} {self.step}"

    @property
    def on_time(self) -> bool | None:
        """Done by its due time (times compare as instants); None while no DONE outcome is reported."""
        if self.outcome != self.Outcome.DONE or self.done_at is None:
            return None
        return self.done_at <= self.due_at
