"""Re-verification campaigns (issue 16): when a point or an agent is terminated (or a manager decides so),
every subscription it registered in a chosen period goes on the remediation ladder as a case with source
CAMPAIGN (enforcement.remediation), and the campaign shows how those cases ended.

- `Campaign`: the subject (a point, or an agent: the registrations whose agent it is, through its points
  and its own channel), the period [period_from, period_until) of registered_at's local date, what started
  it (a termination, automatic; or a manager's decision with a reason), its status (OPEN; CLOSED once no
  case of it is pending; WITHDRAWN when a manager cancelled it as started by mistake: `closed_at`/`closed_by`
  say when and who, `withdraw_reason` why) and the counts it last announced (`campaign.progress`, at most
  once a day).
- `CampaignBaseline`: a campaign case's registration as it was when the case opened (identity fields and
  the population-database check), so the nightly step can tell a re-verified subscription (the check
  became MATCH) from a corrected one (a later import changed the identity and the check is MATCH).

No row here holds a subscriber's personal data in clear: the baseline keeps the normalised name and the
keyed document hash, as the registration does, and is never shown.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agents.models import Agent, RegistrationPoint, StatusChange
from core.models import Province
from core.scoping import ScopedQuerySet


class Campaign(models.Model):
    """One re-verification campaign over one point's or one agent's registrations of a period."""

    class Subject(models.TextChoices):
        POINT = "POINT", _("Registration point")
        AGENT = "AGENT", _("Agent")

    class Trigger(models.TextChoices):
        TERMINATION = "TERMINATION", _("Termination (automatic)")
        MANAGER = "MANAGER", _("Manager's decision")

    class Status(models.TextChoices):
        OPEN = "OPEN", _("Open")
        CLOSED = "CLOSED", _("Closed")
        # cancelled by a manager (started by mistake): its open cases were closed WITHDRAWN
        WITHDRAWN = "WITHDRAWN", _("Withdrawn")

    subject_type = models.CharField(_("subject"), max_length=5, choices=Subject.choices)
    point = models.ForeignKey(
        RegistrationPoint,
        verbose_name=_("point"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="campaigns",
    )
    agent = models.ForeignKey(
        Agent, verbose_name=_("agent"), null=True, blank=True, on_delete=models.PROTECT, related_name="campaigns"
    )
    # the point's or the agent's province when the campaign was made: its scope
    province = models.ForeignKey(Province, verbose_name=_("province"), on_delete=models.PROTECT, related_name="+")
    period_from = models.DateField(_("registered from"))
    period_until = models.DateField(_("registered before"))  # exclusive, local dates
    trigger = models.CharField(_("started by"), max_length=11, choices=Trigger.choices)
    # the status change that terminated the subject (automatic campaigns): one campaign per termination
    termination = models.OneToOneField(
        StatusChange,
        verbose_name=_("termination"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="campaign",
    )
    reason = models.TextField(_("reason"), blank=True)
    status = models.CharField(_("status"), max_length=9, choices=Status.choices, default=Status.OPEN)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # why a manager withdrew it (status WITHDRAWN; when and who: closed_at, closed_by)
    withdraw_reason = models.TextField(_("reason for withdrawal"), blank=True)
    matched = models.PositiveIntegerField(_("subscriptions in the period"), default=0)
    # registrations of the period that were already on the ladder (an open case): left on their own case
    skipped = models.PositiveIntegerField(_("already on the ladder"), default=0)
    # the counts last announced as `campaign.progress`, and the local day they were
    progress = models.JSONField(_("progress announced"), default=dict, blank=True)
    progress_day = models.DateField(_("progress announced on"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_province_field = "province"

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("re-verification campaign")
        verbose_name_plural = _("re-verification campaigns")
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(subject_type="POINT", point__isnull=False, agent__isnull=True)
                    | models.Q(subject_type="AGENT", agent__isnull=False, point__isnull=True)
                ),
                name="campaign_one_subject",
            ),
            models.CheckConstraint(
                condition=models.Q(period_from__lt=models.F("period_until")), name="campaign_period_order"
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="campaign_status_idx")]

    def __str__(self):
        return f"#{self.pk}"

    @property
    def period_last_day(self):
        """The period's last day (period_until is exclusive)."""
        return self.period_until - timezone.timedelta(days=1)

    @property
    def subject(self):
        return self.point if self.subject_type == self.Subject.POINT else self.agent


class CampaignBaseline(models.Model):
    """A campaign case's registration when the case opened (never shown; compared by the nightly step)."""

    case = models.OneToOneField(
        "enforcement.RemediationCase",
        verbose_name=_("case"),
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="baseline",
    )
    name_key = models.CharField(_("normalised name"), max_length=200, blank=True)
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    gender = models.CharField(_("gender"), max_length=1, blank=True)
    id_doc_type = models.CharField(_("ID document type"), max_length=20, blank=True)
    # as registrations.Registration.id_doc_hash (bytea, NULL for none): compared with it in SQL (services)
    id_doc_hash = models.BinaryField(_("ID document key"), max_length=32, null=True, blank=True)
    id_issue_date = models.DateField(_("ID issue date"), null=True, blank=True)
    population_check = models.CharField(_("population check"), max_length=11, blank=True)

    class Meta:
        verbose_name = _("campaign case baseline")
        verbose_name_plural = _("campaign case baselines")

    def __str__(self):
        return f"{self.case_id}"
