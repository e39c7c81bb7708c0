"""Output shapes of the registrations read API: personal data masked, except in a reveal's answer.

The masked fields keep their names (`msisdn`, `subscriber_name`, `id_doc_number`, `address`) and hold
masked values; the date of birth and ID issue date come as years only (`birth_year`, `id_issue_year`).
"""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from agents.api.serializers import EnumField
from core.crypto import portrait_text

from ...models import Activation, Channel, PopulationCheck, Registration, RegistrationStatus
from ..masking import mask_msisdn, masked
from ..services import REVEAL_REASON_MIN_LENGTH


class RegistrationOutputSerializer(serializers.ModelSerializer):
    msisdn = serializers.SerializerMethodField(help_text=_("Masked national form, e.g. 091*****78."))
    channel = EnumField(Channel, enum_name="RegistrationChannelEnum", read_only=True)
    point_code = serializers.SlugRelatedField(source="point", slug_field="code", read_only=True, allow_null=True)
    agent_code = serializers.SlugRelatedField(source="agent", slug_field="code", read_only=True, allow_null=True)
    subscriber_name = serializers.SerializerMethodField(help_text=_("Masked: initials only, e.g. N. V. A."))
    birth_year = serializers.SerializerMethodField(help_text=_("Year of the date of birth; null when not given."))
    id_doc_number = serializers.SerializerMethodField(help_text=_("Masked, e.g. 0791******56."))
    id_issue_year = serializers.SerializerMethodField(help_text=_("Year of the ID issue date; null when not given."))
    address = serializers.SerializerMethodField(help_text=_("Masked: only the last comma-separated part."))
    # stored as its 32 bytes (issue 15), shown as registrations.csv gives it
    portrait_sha256 = serializers.SerializerMethodField(
        help_text=_(
            "The portrait's SHA-256 as registrations.csv gave it (64 hexadecimal characters); empty when not given."
        )
    )
    population_check = EnumField(PopulationCheck, enum_name="PopulationCheckEnum", read_only=True)
    status = EnumField(RegistrationStatus, enum_name="RegistrationStatusEnum", read_only=True)

    class Meta:
        model = Registration
        fields = [
            "id",
            "external_id",
            "msisdn",
            "iccid",
            "channel",
            "point_code",
            "agent_code",
            "clerk_code",
            "subscriber_name",
            "birth_year",
            "gender",
            "nationality",
            "id_doc_type",
            "id_doc_number",
            "id_number_issue",
            "id_dob_issue",
            "id_issue_year",
            "id_issue_place",
            "address",
            "registered_at",
            "has_portrait",
            "has_id_front",
            "has_id_back",
            "portrait_sha256",
            "population_check",
            "status",
        ]
        read_only_fields = fields

    def to_representation(self, instance):
        self._masked = masked(instance)  # once per row, read by the method fields below
        return super().to_representation(instance)

    def get_msisdn(self, obj) -> str:
        return self._masked.msisdn

    def get_subscriber_name(self, obj) -> str:
        return self._masked.subscriber_name

    def get_birth_year(self, obj) -> int | None:
        return self._masked.birth_year

    def get_id_doc_number(self, obj) -> str:
        return self._masked.id_doc_number

    def get_id_issue_year(self, obj) -> int | None:
        return self._masked.id_issue_year

    def get_portrait_sha256(self, obj) -> str:
        return portrait_text(obj.portrait_sha256)

    def get_address(self, obj) -> str:
        return self._masked.address


class RevealInputSerializer(serializers.Serializer):
    reason = serializers.CharField(
        min_length=REVEAL_REASON_MIN_LENGTH,
        max_length=2000,
        help_text=_("Why the personal data is needed (at least 10 characters); kept in the audit trail."),
    )


class RevealOutputSerializer(serializers.Serializer):
    """The unmasked values, for this response only; the audit trail records the fields and the reason."""

    id = serializers.IntegerField()
    external_id = serializers.CharField()
    msisdn = serializers.CharField(help_text=_("E.164, e.g. +84912345678."))
    subscriber_name = serializers.CharField()
    date_of_birth = serializers.DateField(allow_null=True)
    id_doc_type = serializers.CharField()
    id_doc_number = serializers.CharField()
    id_issue_date = serializers.DateField(allow_null=True)
    address = serializers.CharField()


class ActivationOutputSerializer(serializers.ModelSerializer):
    msisdn = serializers.SerializerMethodField(help_text=_("Masked national form, e.g. 091*****78."))

    class Meta:
        model = Activation
        fields = ["id", "iccid", "msisdn", "activated_at"]
        read_only_fields = fields

    def get_msisdn(self, obj) -> str:
        return mask_msisdn(obj.msisdn)


class RegistrationSearchInputSerializer(serializers.Serializer):
    """The list's filters, in the body so that phone and ID numbers stay out of URLs."""

    msisdn = serializers.CharField(required=False, help_text="0912…, 84912… or +84912…")
    subscriber_name = serializers.CharField(required=False, help_text="the full name, exact in any case and spacing")
    iccid = serializers.CharField(required=False)
    id_type = serializers.CharField(required=False, help_text="CCCD, CMND or PASSPORT; narrows id_number")
    id_number = serializers.CharField(required=False)
    point = serializers.CharField(required=False, help_text="point code")
    agent = serializers.CharField(required=False, help_text="agent code")
    registered_from = serializers.DateField(required=False)
    registered_to = serializers.DateField(required=False, help_text="inclusive")
    population_check = serializers.CharField(required=False)
    channel = serializers.CharField(required=False)
    status = serializers.CharField(required=False)
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=500, default=50)


class RegistrationSearchOutputSerializer(serializers.Serializer):
    results = RegistrationOutputSerializer(many=True)
    truncated = serializers.BooleanField(help_text="More registrations matched than page_size: narrow the search.")
