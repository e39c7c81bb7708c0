from django.db import models
from django.utils.translation import gettext_lazy as _

from agents.models import Agent, RegistrationPoint
from core.crypto import EncryptedTextField
from core.models import ImportJob
from core.scoping import ScopedQuerySet


class Channel(models.TextChoices):
    POINT = "POINT", _("At a registration point")
    APP = "APP", _("Operator's app")


class PopulationCheck(models.TextChoices):
    MATCH = "MATCH", _("Matches the population database")
    MISMATCH = "MISMATCH", _("Does not match")
    PENDING = "PENDING", _("Pending")
    NOT_CHECKED = "NOT_CHECKED", _("Not checked")


class RegistrationStatus(models.TextChoices):
    ACTIVE = "ACTIVE", _("Active")
    CANCELLED = "CANCELLED", _("Cancelled")


class Registration(models.Model):
    """One subscriber registration of one SIM, as the operator's systems report it.

    Stored as given, even when it breaks a rule: it is evidence. The ID number and the address are
    encrypted; lookups and grouping by ID document use `id_doc_hash` (HMAC of type + normalised number).
    """

    # Unique and indexed through Meta (constraints, indexes), not unique=True / db_index=True: on
    # PostgreSQL those add a second "_like" index per column for LIKE queries that nothing runs, and each
    # index costs every imported row (registrations.importers; measured in bench/registrations_import.py).
    external_id = models.CharField(_("external id"), max_length=64)
    msisdn = models.CharField(_("MSISDN"), max_length=16)
    iccid = models.CharField(_("ICCID"), max_length=20)
    channel = models.CharField(_("channel"), max_length=5, choices=Channel.choices)
    # No index of their own: reg_point_time_idx and reg_agent_time_idx start with these columns.
    point = models.ForeignKey(
        RegistrationPoint,
        verbose_name=_("point"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="registrations",
        db_index=False,
    )
    agent = models.ForeignKey(
        Agent,
        verbose_name=_("agent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="registrations",
        db_index=False,
    )
    clerk_code = models.CharField(_("clerk code"), max_length=64, blank=True)
    subscriber_name = models.CharField(_("subscriber name"), max_length=200, blank=True)
    # NFC, casefolded, trimmed, whitespace collapsed: what CONFLICTING_IDENTITY compares
    name_key = models.CharField(_("normalised name"), max_length=200, blank=True, editable=False)
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    gender = models.CharField(_("gender"), max_length=1, blank=True)
    nationality = models.CharField(_("nationality"), max_length=2, blank=True)
    id_doc_type = models.CharField(_("ID document type"), max_length=20, blank=True)
    id_doc_number = EncryptedTextField(_("ID document number"), blank=True)
    id_doc_hash = models.CharField(_("ID document key"), max_length=64, blank=True, editable=False)
    # Found at import from the plaintext number (the database only holds it encrypted):
    # the reason code of validators.id_number_problem / cccd_dob_problem, blank when none.
    id_number_issue = models.CharField(_("ID number problem"), max_length=40, blank=True, editable=False)
    id_dob_issue = models.CharField(_("ID/birth date problem"), max_length=40, blank=True, editable=False)
    id_issue_date = models.DateField(_("ID issue date"), null=True, blank=True)
    id_issue_place = models.CharField(_("ID issue place"), max_length=200, blank=True)
    address = EncryptedTextField(_("address"), blank=True)
    registered_at = models.DateTimeField(_("registered at"))
    has_portrait = models.BooleanField(_("portrait photo"), default=False)
    has_id_front = models.BooleanField(_("ID front photo"), default=False)
    has_id_back = models.BooleanField(_("ID back photo"), default=False)
    portrait_sha256 = models.CharField(_("portrait SHA-256"), max_length=64, blank=True)
    population_check = models.CharField(
        _("population database check"),
        max_length=11,
        choices=PopulationCheck.choices,
        default=PopulationCheck.NOT_CHECKED,
    )
    status = models.CharField(
        _("status"), max_length=9, choices=RegistrationStatus.choices, default=RegistrationStatus.ACTIVE
    )
    import_job = models.ForeignKey(
        ImportJob, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    # Keyed hash of the row as last imported (registrations.importers): a re-import writes a row only
    # when it differs, which a comparison of the encrypted columns (fresh nonce each time) cannot tell.
    row_fingerprint = models.CharField(_("import fingerprint"), max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ScopedQuerySet.as_manager()
    scope_province_field = "point__province"

    class Meta:
        ordering = ["-registered_at", "-id"]
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        permissions = [
            ("import_registrations", _("Can import registrations and activations")),
        ]
        constraints = [
            models.UniqueConstraint(fields=["external_id"], name="reg_external_id_uniq"),
        ]
        indexes = [
            models.Index(fields=["msisdn"], name="reg_msisdn_idx"),
            models.Index(fields=["iccid"], name="reg_iccid_idx"),
            models.Index(fields=["point", "registered_at"], name="reg_point_time_idx"),
            models.Index(fields=["registered_at", "id"], name="reg_time_idx"),
            models.Index(fields=["id_doc_hash", "registered_at"], name="reg_doc_idx"),
            models.Index(fields=["portrait_sha256"], name="reg_portrait_idx"),
            models.Index(fields=["agent", "registered_at"], name="reg_agent_time_idx"),
            # the few records whose population check is not a match: filtering on them stays fast
            models.Index(
                fields=["population_check", "registered_at", "id"],
                name="reg_popcheck_idx",
                condition=~models.Q(population_check="MATCH"),
            ),
        ]

    def __str__(self):
        return self.external_id


class Activation(models.Model):
    """First network use of a SIM, from the network side; per ICCID the earliest seen is kept."""

    # Unique and indexed through Meta, as on Registration (no unused "_like" indexes).
    iccid = models.CharField(_("ICCID"), max_length=20)
    msisdn = models.CharField(_("MSISDN"), max_length=16)
    activated_at = models.DateTimeField(_("activated at"), db_index=True)
    import_job = models.ForeignKey(
        ImportJob, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-activated_at", "-id"]
        verbose_name = _("activation")
        verbose_name_plural = _("activations")
        constraints = [
            models.UniqueConstraint(fields=["iccid"], name="act_iccid_uniq"),
        ]
        indexes = [
            models.Index(fields=["msisdn"], name="act_msisdn_idx"),
        ]

    def __str__(self):
        return self.iccid
