"""Serializers of the subscriber requests' API: personal values only ever come in (POST bodies), masked out."""

from django.utils import timezone
from rest_framework import serializers

from registrations.records.masking import mask_msisdn
from registrations.records.services import CORRECTABLE_FIELDS

from ..models import SubjectRequest
from ..selectors import CLOSED

ACTIONS = ("acknowledge", "verify", "carry_out", "reject")


class SubjectRequestOutputSerializer(serializers.ModelSerializer):
    msisdn_masked = serializers.SerializerMethodField()
    verified_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    completed_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    provinces = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    by_id_document = serializers.SerializerMethodField()
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = SubjectRequest
        fields = [
            "id",
            "kind",
            "status",
            "msisdn_masked",
            "id_doc_type",
            "by_id_document",
            "received_at",
            "ack_due",
            "due",
            "overdue",
            "acknowledged_at",
            "verified_at",
            "verified_by",
            "identity_method",
            "completed_at",
            "completed_by",
            "reason",
            "outcome",
            "changed_fields",
            "registrations_matched",
            "outside_provinces",
            "provinces",
            "created_by",
            "created_at",
        ]

    def get_msisdn_masked(self, obj) -> str:
        return mask_msisdn(obj.msisdn) if obj.msisdn else ""

    def get_by_id_document(self, obj) -> bool:
        return bool(obj.id_doc_hash)

    def get_overdue(self, obj) -> bool:
        """As selectors.overdue_q, on the object in hand (no query per row)."""
        if obj.status in CLOSED:
            return False
        today = timezone.localdate()
        return obj.due < today or (obj.acknowledged_at is None and obj.ack_due < today)


class SubjectRequestCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=SubjectRequest.Kind.choices)
    msisdn = serializers.CharField(required=False, allow_blank=True, max_length=20, write_only=True)
    id_doc_type = serializers.CharField(required=False, allow_blank=True, max_length=20, write_only=True)
    id_doc_number = serializers.CharField(required=False, allow_blank=True, max_length=40, write_only=True)
    received_at = serializers.DateTimeField(required=False, allow_null=True)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=1000)


class SubjectRequestActSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=ACTIONS)
    method = serializers.CharField(required=False, allow_blank=True, max_length=200, help_text="verify: how")
    reason = serializers.CharField(required=False, allow_blank=True, max_length=1000, help_text="reject: why")
    changes = serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=500),
        required=False,
        help_text="carry_out of a CORRECT request: field -> new value; fields: " + ", ".join(CORRECTABLE_FIELDS),
    )


class SubjectDataSerializer(serializers.Serializer):
    request = serializers.IntegerField()
    generated_at = serializers.DateTimeField()
    registrations = serializers.ListField(child=serializers.DictField())
