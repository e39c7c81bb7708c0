"""The risk policy (one editable row behind scores, tiers, cadence and escalation) and the record of each
nightly run."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from registrations.models import Severity

# --- risk policy --------------------------------------------------------------------------------


class RiskPolicy(models.Model):
    """The one row of editable numbers behind risk scores, tiers, cadence and escalation (managers edit it).

    Defaults follow DESIGN sections 5 and 6: HIGH every 30 days, MEDIUM 90, LOW 180; a RISK task due
    7 days after a new critical flag; flags of the last 90 days per 1,000 registrations.
    """

    # tiers: score >= high_from is HIGH, >= medium_from is MEDIUM, else LOW
    high_from = models.DecimalField(_("HIGH tier from score"), max_digits=8, decimal_places=2, default=Decimal(40))
    medium_from = models.DecimalField(_("MEDIUM tier from score"), max_digits=8, decimal_places=2, default=Decimal(15))
    # flags: weight per open or confirmed flag, per 1,000 registrations of the window
    flag_window_days = models.PositiveIntegerField(_("flag window (days)"), default=90)
    weight_critical = models.DecimalField(_("weight of a critical flag"), max_digits=6, decimal_places=2, default=10)
    weight_high = models.DecimalField(_("weight of a high flag"), max_digits=6, decimal_places=2, default=4)
    weight_medium = models.DecimalField(_("weight of a medium flag"), max_digits=6, decimal_places=2, default=1)
    weight_low = models.DecimalField(_("weight of a low flag"), max_digits=6, decimal_places=2, default=Decimal("0.5"))
    min_registrations = models.PositiveIntegerField(
        _("registrations floor"),
        default=200,
        help_text=_("Flags are counted per 1,000 registrations, but never per fewer than this many."),
    )
    flag_cap = models.DecimalField(_("cap of the flag part"), max_digits=8, decimal_places=2, default=60)
    # inspections: failed checklist items and findings of accepted reports, by severity weight
    findings_window_days = models.PositiveIntegerField(_("findings window (days)"), default=365)
    weight_failed_item = models.DecimalField(
        _("points per failed item (times its severity weight)"), max_digits=6, decimal_places=2, default=1
    )
    # sanctions: each approved sanction of the window adds its type's risk weight
    sanctions_window_days = models.PositiveIntegerField(_("sanctions window (days)"), default=365)
    # time since the last inspection: points per 30 days, capped
    weight_per_month_uninspected = models.DecimalField(
        _("points per month without inspection"), max_digits=6, decimal_places=2, default=1
    )
    uninspected_cap_months = models.PositiveIntegerField(_("months without inspection counted at most"), default=12)
    # scheduling (DESIGN section 6)
    cadence_high_days = models.PositiveIntegerField(_("HIGH tier: inspect every (days)"), default=30)
    cadence_medium_days = models.PositiveIntegerField(_("MEDIUM tier: inspect every (days)"), default=90)
    cadence_low_days = models.PositiveIntegerField(_("LOW tier: inspect every (days)"), default=180)
    risk_task_due_days = models.PositiveIntegerField(_("RISK task due after a critical flag (days)"), default=7)
    schedule_ahead_days = models.PositiveIntegerField(_("plan routine tasks this many days ahead"), default=14)
    follow_up_due_days = models.PositiveIntegerField(_("FOLLOW_UP task due after evidence (days)"), default=14)
    # escalation
    escalate_flag_after_hours = models.PositiveIntegerField(
        _("escalate a critical flag left open for (hours)"), default=48
    )
    # visit integrity (services/integrity.py): what the reviewer's "Visit integrity" panel calls weak
    integrity_max_distance_m = models.PositiveIntegerField(
        _("visit: farthest from the point at check-in and check-out (m)"), default=200
    )
    integrity_max_accuracy_m = models.PositiveIntegerField(_("visit: worst GPS accuracy accepted (m)"), default=100)
    integrity_min_minutes_on_site = models.PositiveIntegerField(_("visit: shortest time on site (minutes)"), default=10)
    integrity_max_speed_kmh = models.PositiveIntegerField(
        _("visit: fastest travel between an inspector's check-ins (km/h)"), default=120
    )
    integrity_max_clock_skew_min = models.PositiveIntegerField(
        _("visit: largest gap between the phone's clock and the server's (minutes)"), default=5
    )
    max_photos_per_visit = models.PositiveIntegerField(_("visit: most photos per visit"), default=30)
    version = models.PositiveIntegerField(_("version"), default=1)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("risk and scheduling policy")
        verbose_name_plural = _("risk and scheduling policy")
        constraints = [models.CheckConstraint(condition=models.Q(pk=1), name="riskpolicy_single_row")]

    def __str__(self):
        return str(self._meta.verbose_name)

    @classmethod
    def current(cls) -> "RiskPolicy":
        policy, _created = cls.objects.get_or_create(pk=1)
        return policy

    def severity_weight(self, severity: str) -> Decimal:
        return {
            Severity.CRITICAL: self.weight_critical,
            Severity.HIGH: self.weight_high,
            Severity.MEDIUM: self.weight_medium,
            Severity.LOW: self.weight_low,
        }.get(severity, Decimal(0))

    def cadence_days(self, tier: str) -> int:
        return {"HIGH": self.cadence_high_days, "MEDIUM": self.cadence_medium_days}.get(tier, self.cadence_low_days)


# --- the nightly run ----------------------------------------------------------------------------


class NightlyRun(models.Model):
    """One night's chain (checks -> risk -> schedule -> escalate -> digest) and each step's outcome.

    One row per night: a re-run of the same night runs every step again (each is idempotent) and
    records the new outcomes on the same row.
    """

    class Status(models.TextChoices):
        RUNNING = "RUNNING", _("Running")
        DONE = "DONE", _("Done")
        FAILED = "FAILED", _("Some steps failed")

    night = models.DateField(_("night"), unique=True)
    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.RUNNING)
    # {step: {"status": "done"|"failed"|"running"|"pending", "seconds", "summary": {...}, "error"}}
    steps = models.JSONField(_("steps"), default=dict, blank=True)
    # {"id", "hash"} of the audit trail's newest event as the night ended: kept outside the audit table
    # so that `verify_audit` finds events removed after it
    audit_head = models.JSONField(_("audit chain head"), default=dict, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=1)

    class Meta:
        ordering = ["-night"]
        verbose_name = _("nightly run")
        verbose_name_plural = _("nightly runs")

    def __str__(self):
        return f"{self.night:%Y-%m-%d} {self.get_status_display()}"
