"""The sanction ladder (issue 16): repeat findings within a window climb to the next sanction.

`LadderVersion` is the setting, versioned like a rule (who, when, why): two ordered lists of catalogue codes
(inspections.SanctionType), one for a point's findings and one for an agent's (all its points), and the
window in days. The current ladder is the highest version.

`SanctionSuggestion` is what the ladder made of one finding: the rung it reached, on which ladder, from how
many earlier sanctioned findings in the window. One per finding (so never twice). An officer confirms it (it
becomes a PROPOSED inspections.Sanction, proposed by that officer) or dismisses it with a reason; a manager
then approves the sanction as for any other (four eyes).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agents.models import Agent, RegistrationPoint
from core.scoping import ScopedQuerySet
from inspections.models import Finding, Sanction, SanctionType

DEFAULT_WINDOW_DAYS = 365
MAX_WINDOW_DAYS = 3650
MAX_RUNGS = 6


class LadderKind(models.TextChoices):
    POINT = "POINT", _("Point ladder")
    AGENT = "AGENT", _("Agent ladder")


class LadderVersion(models.Model):
    """One version of the ladder as saved: the rungs of each ladder (codes, lowest first) and the window."""

    version = models.PositiveIntegerField(_("version"), unique=True)
    window_days = models.PositiveSmallIntegerField(_("window (days)"), default=DEFAULT_WINDOW_DAYS)
    point_rungs = models.JSONField(_("point ladder"), default=list)  # SanctionType codes, lowest rung first
    agent_rungs = models.JSONField(_("agent ladder"), default=list)
    reason = models.TextField(_("reason"), blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    changed_at = models.DateTimeField(_("changed"), default=timezone.now)

    class Meta:
        ordering = ["-version"]
        verbose_name = _("sanction ladder version")
        verbose_name_plural = _("sanction ladder versions")

    def __str__(self):
        return f"v{self.version}"

    def rungs(self, kind: str) -> list[str]:
        return list(self.agent_rungs if kind == LadderKind.AGENT else self.point_rungs)


class SuggestionStatus(models.TextChoices):
    SUGGESTED = "SUGGESTED", _("Awaiting an officer")
    CONFIRMED = "CONFIRMED", _("Confirmed")
    DISMISSED = "DISMISSED", _("Dismissed")
    NOT_NEEDED = "NOT_NEEDED", _("Nothing to suggest")


class NotNeeded(models.TextChoices):
    NONE = "", _("none")
    ALREADY_SANCTIONED = "SANCTIONED", _("The finding already has a sanction")
    TARGET_ALREADY = "TARGET", _("The point or agent is already suspended or terminated")


class SanctionSuggestion(models.Model):
    """The ladder's next rung for one finding, for an officer to confirm or dismiss."""

    finding = models.OneToOneField(
        Finding, verbose_name=_("finding"), on_delete=models.PROTECT, related_name="ladder_suggestion"
    )
    point = models.ForeignKey(RegistrationPoint, verbose_name=_("point"), on_delete=models.PROTECT, related_name="+")
    agent = models.ForeignKey(Agent, verbose_name=_("agent"), on_delete=models.PROTECT, related_name="+")
    ladder_version = models.ForeignKey(
        LadderVersion, verbose_name=_("ladder version"), on_delete=models.PROTECT, related_name="suggestions"
    )
    ladder = models.CharField(_("ladder"), max_length=5, choices=LadderKind.choices)
    rung = models.PositiveSmallIntegerField(_("rung"))  # 1-based
    rung_count = models.PositiveSmallIntegerField(_("rungs"))
    window_days = models.PositiveSmallIntegerField(_("window (days)"))
    prior_count = models.PositiveIntegerField(_("earlier findings"))
    # the earlier sanctioned findings it counted: [[id, "YYYY-MM-DD" local date], ...], oldest first
    prior_findings = models.JSONField(_("earlier findings counted"), default=list, blank=True)
    sanction_type = models.ForeignKey(
        SanctionType, verbose_name=_("sanction"), on_delete=models.PROTECT, related_name="+"
    )
    amount_vnd = models.PositiveBigIntegerField(_("amount (VND)"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=SuggestionStatus.choices, default=SuggestionStatus.SUGGESTED
    )
    not_needed = models.CharField(_("why nothing"), max_length=10, choices=NotNeeded.choices, blank=True)
    created_at = models.DateTimeField(_("suggested"), default=timezone.now)
    sanction = models.OneToOneField(
        Sanction,
        verbose_name=_("sanction proposed"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ladder_suggestion",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_province_field = "point__province"

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("sanction suggestion")
        verbose_name_plural = _("sanction suggestions")
        indexes = [models.Index(fields=["status", "created_at"], name="ladder_suggestion_status_idx")]

    def __str__(self):
        return f"{self.sanction_type} ({self.rung}/{self.rung_count})"
