from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.crypto import EncryptedTextField
from core.models import Province
from core.scoping import ScopedQuerySet

from . import validators


class Status(models.TextChoices):
    ACTIVE = "ACTIVE", _("Active")
    SUSPENDED = "SUSPENDED", _("Suspended")
    TERMINATED = "TERMINATED", _("Terminated")


class RiskTier(models.TextChoices):
    HIGH = "HIGH", _("High")
    MEDIUM = "MEDIUM", _("Medium")
    LOW = "LOW", _("Low")


class AgentKind(models.TextChoices):
    OPERATOR = "OPERATOR", _("Operator")
    AUTHORISED = "AUTHORISED", _("Authorised enterprise")


class PointKind(models.TextChoices):
    OPERATOR_FIXED = "OPERATOR_FIXED", _("Operator's fixed point")
    OPERATOR_MOBILE = "OPERATOR_MOBILE", _("Operator's mobile point")
    AUTHORISED_FIXED = "AUTHORISED_FIXED", _("Authorised fixed point")


class OwnerDocType(models.TextChoices):
    CCCD = "CCCD", _("Citizen identity card (CCCD)")
    CMND = "CMND", _("Identity card (CMND)")
    PASSPORT = "PASSPORT", _("Passport")


class Supervised(models.Model):
    """What agents and points share: status, authorisation window, risk."""

    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    authorised_from = models.DateField(_("authorised from"), null=True, blank=True)
    authorised_until = models.DateField(
        _("authorised until"), null=True, blank=True, help_text=_("Exclusive: not authorised on this day.")
    )
    # Written by inspections.risk; never edited by hand.
    risk_score = models.DecimalField(_("risk score"), max_digits=8, decimal_places=2, default=0, editable=False)
    risk_tier = models.CharField(_("risk tier"), max_length=6, choices=RiskTier.choices, blank=True, editable=False)
    # what made the score: {"flags": 12.5, "findings": 3, "sanctions": 10, "uninspected": 6, ...}
    risk_factors = models.JSONField(_("risk factors"), default=dict, blank=True, editable=False)
    risk_scored_at = models.DateTimeField(_("risk scored"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    scope_province_field = "province"

    class Meta:
        abstract = True

    def clean(self):
        validators.validate_window(self.authorised_from, self.authorised_until)


def _with_keys(obj, update_fields):
    """Fill an agent's or a point's identity keys when a save writes what they are made of (all of it, or
    one of their source fields); the update_fields to save then."""
    sources, keys = IDENTITY_KEYS[type(obj)]
    if update_fields is None:
        obj.fill_keys()
        return None
    if sources & set(update_fields):
        obj.fill_keys()
        return {*update_fields, *keys}
    return update_fields


class Agent(Supervised):
    """An enterprise that registers subscribers for the operator (or the operator itself)."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=AgentKind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent agent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    tax_code = models.CharField(_("tax code"), max_length=14, blank=True, validators=[validators.validate_tax_code])
    phone = models.CharField(_("phone"), max_length=16, blank=True, validators=[validators.validate_phone])
    province = models.ForeignKey(Province, verbose_name=_("province"), on_delete=models.PROTECT, related_name="+")
    contract_no = models.CharField(_("authorisation contract no."), max_length=64, blank=True)
    # The owner (or legal representative): whom the blacklist recognises when a terminated dealer comes back.
    owner_id_doc_type = models.CharField(
        _("owner's ID document type"), max_length=8, choices=OwnerDocType.choices, blank=True
    )
    owner_id_doc_number = EncryptedTextField(_("owner's ID document number"), blank=True)
    # Keyed hashes (agents.blacklist.keys) of tax code, phone and owner's document, written with the values.
    tax_code_key = models.CharField(_("tax code key"), max_length=64, blank=True, editable=False)
    phone_key = models.CharField(_("phone key"), max_length=64, blank=True, editable=False)
    owner_id_doc_key = models.CharField(_("owner's ID document key"), max_length=64, blank=True, editable=False)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("agent")
        verbose_name_plural = _("agents")
        permissions = [
            ("change_agent_status", _("Can suspend, reinstate or terminate agents and points")),
            ("import_agents", _("Can import agents and points from CSV")),
        ]
        indexes = [
            models.Index(fields=["province", "status"], name="agent_province_status_idx"),
            models.Index(fields=["name", "id"], name="agent_name_idx"),
            models.Index(fields=["risk_score", "id"], name="agent_risk_idx"),
            models.Index(fields=["updated_at", "id"], name="agent_updated_idx"),
            models.Index(fields=["tax_code"], name="agent_tax_code_idx"),
            # the blacklist rule's lookups (registrations.checks.rules.blacklist)
            models.Index(fields=["tax_code_key"], name="agent_tax_key_idx", condition=~models.Q(tax_code_key="")),
            models.Index(fields=["phone_key"], name="agent_phone_key_idx", condition=~models.Q(phone_key="")),
            models.Index(
                fields=["owner_id_doc_key"], name="agent_owner_key_idx", condition=~models.Q(owner_id_doc_key="")
            ),
        ]

    def __str__(self):
        return f"{self.code} {self.name}"

    def save(self, *args, **kwargs):
        kwargs["update_fields"] = _with_keys(self, kwargs.get("update_fields"))
        super().save(*args, **kwargs)

    def fill_keys(self) -> None:
        """The keyed hashes of tax code, phone and owner's document from the values (every write path)."""
        from .blacklist import keys

        self.tax_code_key = keys.tax_code_key(self.tax_code)
        self.phone_key = keys.phone_key(self.phone)
        self.owner_id_doc_key = keys.owner_key(self.owner_id_doc_type, self.owner_id_doc_number)

    def clean(self):
        validators.collect_errors(
            super().clean,
            lambda: validators.validate_parent(self, self.parent) if self.parent_id else None,
            lambda: validators.validate_owner_doc(self.owner_id_doc_type, self.owner_id_doc_number),
        )


class RegistrationPoint(Supervised):
    """A place (or a mobile team) where subscribers are registered and SIMs sold."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    agent = models.ForeignKey(Agent, verbose_name=_("agent"), on_delete=models.PROTECT, related_name="points")
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=PointKind.choices)
    address = models.CharField(_("address"), max_length=300, blank=True)
    province = models.ForeignKey(Province, verbose_name=_("province"), on_delete=models.PROTECT, related_name="+")
    latitude = models.DecimalField(_("latitude"), max_digits=8, decimal_places=5, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=8, decimal_places=5, null=True, blank=True)
    opens_at = models.TimeField(_("opens at"), null=True, blank=True, help_text=_("Local time (Asia/Ho_Chi_Minh)."))
    closes_at = models.TimeField(_("closes at"), null=True, blank=True)
    phone = models.CharField(_("phone"), max_length=16, blank=True, validators=[validators.validate_phone])
    owner_id_doc_type = models.CharField(
        _("owner's ID document type"), max_length=8, choices=OwnerDocType.choices, blank=True
    )
    owner_id_doc_number = EncryptedTextField(_("owner's ID document number"), blank=True)
    phone_key = models.CharField(_("phone key"), max_length=64, blank=True, editable=False)
    owner_id_doc_key = models.CharField(_("owner's ID document key"), max_length=64, blank=True, editable=False)
    last_inspection_on = models.DateField(_("last inspection"), null=True, blank=True, editable=False)
    next_inspection_on = models.DateField(_("next inspection"), null=True, blank=True, editable=False)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("registration point")
        verbose_name_plural = _("registration points")
        indexes = [
            models.Index(fields=["province", "status"], name="point_province_status_idx"),
            models.Index(fields=["agent", "status"], name="point_agent_status_idx"),
            models.Index(fields=["name", "id"], name="point_name_idx"),
            models.Index(fields=["updated_at", "id"], name="point_updated_idx"),
            models.Index(fields=["risk_score", "id"], name="point_risk_idx"),
            models.Index(fields=["phone_key"], name="point_phone_key_idx", condition=~models.Q(phone_key="")),
            models.Index(
                fields=["owner_id_doc_key"], name="point_owner_key_idx", condition=~models.Q(owner_id_doc_key="")
            ),
        ]

    def __str__(self):
        return f"{self.code} {self.name}"

    def save(self, *args, **kwargs):
        kwargs["update_fields"] = _with_keys(self, kwargs.get("update_fields"))
        super().save(*args, **kwargs)

    def fill_keys(self) -> None:
        from .blacklist import keys

        self.phone_key = keys.phone_key(self.phone)
        self.owner_id_doc_key = keys.owner_key(self.owner_id_doc_type, self.owner_id_doc_number)

    def clean(self):
        validators.collect_errors(
            super().clean,
            lambda: validators.validate_coordinates(self.latitude, self.longitude),
            lambda: validators.validate_hours(self.opens_at, self.closes_at),
            lambda: validators.validate_owner_doc(self.owner_id_doc_type, self.owner_id_doc_number),
        )


class StatusChange(models.Model):
    """One dated status change of an agent or a point: the history the rules read."""

    class Source(models.TextChoices):
        APP = "APP", _("In the app")
        IMPORT = "IMPORT", _("CSV import")
        API = "API", _("API")
        SANCTION = "SANCTION", _("Sanction")

    agent = models.ForeignKey(Agent, null=True, blank=True, on_delete=models.CASCADE, related_name="status_changes")
    point = models.ForeignKey(
        RegistrationPoint, null=True, blank=True, on_delete=models.CASCADE, related_name="status_changes"
    )
    changed_at = models.DateTimeField(_("when"))
    from_status = models.CharField(_("from"), max_length=10, choices=Status.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=10, choices=Status.choices)
    reason = models.TextField(_("reason"), blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.APP)

    class Meta:
        ordering = ["-changed_at", "-id"]
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(agent__isnull=False, point__isnull=True)
                | models.Q(agent__isnull=True, point__isnull=False),
                name="status_change_one_subject",
            )
        ]
        indexes = [
            models.Index(fields=["agent", "changed_at"], name="status_agent_time_idx"),
            models.Index(fields=["point", "changed_at"], name="status_point_time_idx"),
        ]

    def __str__(self):
        return f"{self.from_status or '-'} -> {self.to_status} @ {self.changed_at:%Y-%m-%d %H:%M}"


# The keyed hashes each model keeps beside its values (fill_keys); every save writes them.
_OWNER = {"owner_id_doc_type", "owner_id_doc_number"}
IDENTITY_KEYS = {  # model -> (the fields the keys are made of, the keys)
    Agent: ({"tax_code", "phone", *_OWNER}, ("tax_code_key", "phone_key", "owner_id_doc_key")),
    RegistrationPoint: ({"phone", *_OWNER}, ("phone_key", "owner_id_doc_key")),
}

# The blacklist sub-package's models live with it (DESIGN section 8); imported here so they belong to agents.
from .blacklist.models import BlacklistEntry, BlacklistKey  # noqa: E402, F401
