"""The blacklist (issue 16): a terminated agent's identity keys, listed for a set period.

An entry names the agent (code and name copied: they are not personal data, and stay readable should the
agent be renamed) and holds keyed hashes only (`BlacklistKey`, agents.blacklist.keys) of its tax code,
its and its points' phone numbers and owners' ID documents, with a masked form for the pages. It is
active from `listed_at` until `expires_at` (BLACKLIST_YEARS, default 3) unless a manager lifts it with a
reason. The rule BLACKLISTED_AGENT (registrations.checks.rules.blacklist) compares every agent and point
with the active entries of other agents.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import Province
from core.scoping import ScopedQuerySet


class BlacklistQuerySet(ScopedQuerySet):
    def active(self, at=None):
        """Entries in force at `at` (now): listed, not expired, not lifted."""
        at = at or timezone.now()
        return self.filter(lifted_at__isnull=True, listed_at__lte=at, expires_at__gt=at)


class BlacklistEntry(models.Model):
    """One agent on the blacklist: who, why, from when until when, and whether it was lifted."""

    class Source(models.TextChoices):
        TERMINATION = "TERMINATION", _("Agent terminated")
        MANUAL = "MANUAL", _("Added by a manager")

    class State(models.TextChoices):  # derived, never stored: the pages' filter and badge
        ACTIVE = "ACTIVE", _("In force")
        EXPIRED = "EXPIRED", _("Expired")
        LIFTED = "LIFTED", _("Lifted")

    agent = models.ForeignKey(
        "agents.Agent", verbose_name=_("agent"), on_delete=models.PROTECT, related_name="blacklist_entries"
    )
    agent_code = models.CharField(_("agent code"), max_length=32)
    agent_name = models.CharField(_("agent name"), max_length=200)
    # the terminated agent's province: the entry's scope
    province = models.ForeignKey(Province, verbose_name=_("province"), on_delete=models.PROTECT, related_name="+")
    source = models.CharField(_("source"), max_length=12, choices=Source.choices)
    reason = models.TextField(_("reason"))
    listed_at = models.DateTimeField(_("listed"))
    expires_at = models.DateTimeField(_("expires"))
    listed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("listed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    lifted_at = models.DateTimeField(_("lifted"), null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("lifted by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    lift_reason = models.TextField(_("reason for lifting"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = BlacklistQuerySet.as_manager()
    scope_province_field = "province"

    class Meta:
        app_label = "agents"
        ordering = ["-listed_at", "-id"]
        verbose_name = _("blacklist entry")
        verbose_name_plural = _("blacklist entries")
        permissions = [("lift_blacklistentry", _("Can lift a blacklist entry"))]
        indexes = [
            models.Index(fields=["listed_at", "id"], name="blacklist_listed_idx"),
            models.Index(fields=["agent", "lifted_at"], name="blacklist_agent_idx"),
            models.Index(fields=["province", "listed_at"], name="blacklist_province_idx"),
        ]

    def __str__(self):
        return f"{self.agent_code} {self.agent_name}"

    def state_at(self, at=None) -> str:
        at = at or timezone.now()
        if self.lifted_at is not None:
            return self.State.LIFTED
        if self.expires_at <= at:
            return self.State.EXPIRED
        return self.State.ACTIVE

    @property
    def state(self) -> str:
        return self.state_at()

    @property
    def state_label(self) -> str:
        return self.State(self.state).label


class BlacklistKey(models.Model):
    """One identity of a listed agent, as a keyed hash and a masked form (never the value in clear)."""

    class Kind(models.TextChoices):
        TAX_CODE = "TAX_CODE", _("Tax code")
        PHONE = "PHONE", _("Phone number")
        OWNER_ID = "OWNER_ID", _("Owner's ID document")

    entry = models.ForeignKey(BlacklistEntry, verbose_name=_("entry"), on_delete=models.CASCADE, related_name="keys")
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    key = models.CharField(_("key"), max_length=64)
    masked = models.CharField(_("value (masked)"), max_length=64)
    # where it was read: the agent's or one of its points' code
    origin = models.CharField(_("taken from"), max_length=32)

    class Meta:
        app_label = "agents"
        ordering = ["entry", "kind", "id"]
        verbose_name = _("blacklisted identity")
        verbose_name_plural = _("blacklisted identities")
        constraints = [models.UniqueConstraint(fields=["entry", "kind", "key"], name="blacklist_key_uniq")]
        indexes = [models.Index(fields=["key"], name="blacklist_key_idx")]

    def __str__(self):
        return f"{self.kind} {self.masked}"
