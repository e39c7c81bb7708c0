from django.urls import reverse
from rest_framework import serializers

from core.models import ImportJob

from ..models import CaseStep, RemediationCase, Step
from ..outcomes import MAX_API_OUTCOMES
from ..services import MAX_API_SEND


class StepListQuerySerializer(serializers.Serializer):
    step = serializers.ChoiceField(choices=Step.choices, required=False, default=Step.REMINDER)
    day = serializers.DateField(required=False, help_text="Local day (Asia/Ho_Chi_Minh); today when left out.")
    limit = serializers.IntegerField(required=False, min_value=1, max_value=MAX_API_SEND, default=1000)


class StepListItemSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The case step's id: send it back to mark it as sent.")
    case = serializers.IntegerField()
    step = serializers.CharField()
    external_id = serializers.CharField()
    msisdn = serializers.CharField(help_text="E.164; every answer holding MSISDNs is recorded in the audit trail.")
    iccid = serializers.CharField()
    point_code = serializers.CharField(allow_blank=True)
    agent_code = serializers.CharField(allow_blank=True)
    due_at = serializers.DateTimeField()


class StepListSerializer(serializers.Serializer):
    step = serializers.CharField()
    day = serializers.DateField()
    count = serializers.IntegerField(help_text="Case steps on the list (the items may be fewer: see `limit`).")
    items = StepListItemSerializer(many=True)


class SendInputSerializer(serializers.Serializer):
    step = serializers.ChoiceField(choices=Step.choices)
    day = serializers.DateField()
    ids = serializers.ListField(child=serializers.IntegerField(min_value=1), allow_empty=False, max_length=MAX_API_SEND)


class SendOutputSerializer(serializers.Serializer):
    issue = serializers.IntegerField()
    count = serializers.IntegerField()
    not_sent = serializers.ListField(
        child=serializers.IntegerField(), help_text="Ids not on the list (already sent, unknown or not yours)."
    )


class OutcomeSerializer(serializers.Serializer):
    external_id = serializers.CharField(allow_blank=True)
    step = serializers.CharField(allow_blank=True)
    outcome = serializers.CharField(allow_blank=True, help_text="DONE or FAILED")
    done_at = serializers.CharField(allow_blank=True, help_text="ISO 8601; without an offset: local time")


class OutcomesInputSerializer(serializers.Serializer):
    outcomes = OutcomeSerializer(many=True, allow_empty=False, max_length=MAX_API_OUTCOMES)


class OutcomeJobSerializer(serializers.ModelSerializer):
    # text, not the import job's enum again (one enum per choice set in the schema)
    status = serializers.CharField(read_only=True, help_text="PENDING, RUNNING, DONE or FAILED")
    status_url = serializers.SerializerMethodField()
    rejects = serializers.SerializerMethodField()

    class Meta:
        model = ImportJob
        fields = ["id", "status", "created_at", "finished_at", "updated", "unchanged", "rejected", "error"]
        fields += ["status_url", "rejects"]
        read_only_fields = fields

    def get_status_url(self, job) -> str:
        url = reverse("api:remediation_outcome_job", args=[job.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url

    def get_rejects(self, job) -> list[dict]:
        from core.texts import show_system_text

        from ..outcomes import rejects_of

        rejects = rejects_of(job) if job.is_finished else []
        return [{"line": int(r["line"]), "reason": show_system_text(r["reason"])} for r in rejects]


class CaseSerializer(serializers.ModelSerializer):
    """A case as the case list page shows it: the subscriber by external id and masked number only."""

    external_id = serializers.CharField(source="registration.external_id")
    msisdn_masked = serializers.SerializerMethodField(help_text="Masked as on the pages (0912****78).")
    point_code = serializers.SerializerMethodField()
    province = serializers.SerializerMethodField(help_text="The registration's point's province; blank: the app.")
    # text, not the models' enums again (one enum per choice set in the schema)
    source = serializers.CharField(help_text="FLAG or CAMPAIGN")
    track = serializers.CharField(help_text="RECORD (Decree 49) or POPULATION (Circular 08)")
    status = serializers.CharField(help_text="OPEN or CLOSED")
    current_step = serializers.CharField(help_text="The last step reached; blank before the first.")
    next_step = serializers.CharField()
    close_reason = serializers.CharField(help_text="Blank while open; WITHDRAWN: its campaign was withdrawn.")
    campaign = serializers.IntegerField(source="campaign_id", allow_null=True)

    class Meta:
        model = RemediationCase
        fields = ["id", "external_id", "msisdn_masked", "point_code", "province", "source", "track", "status"]
        fields += ["opened_at", "current_step", "next_step", "next_due_at", "closed_at", "close_reason", "campaign"]
        read_only_fields = fields

    def get_msisdn_masked(self, case) -> str:
        from registrations.records.masking import mask_msisdn

        return mask_msisdn(case.registration.msisdn)

    def get_point_code(self, case) -> str:
        point = case.registration.point
        return point.code if point else ""

    def get_province(self, case) -> str:
        point = case.registration.point
        return point.province_id if point else ""


class CaseStepSerializer(serializers.ModelSerializer):
    step = serializers.CharField()
    outcome = serializers.CharField(help_text="DONE, FAILED, or blank: not reported")
    issue = serializers.IntegerField(source="issue_id", allow_null=True, help_text="The list issue that sent it.")
    on_time = serializers.BooleanField(allow_null=True, help_text="Done by its due time; null until DONE.")

    class Meta:
        model = CaseStep
        fields = ["step", "due_at", "reached_at", "issue", "outcome", "done_at", "on_time"]
        read_only_fields = fields


class CaseDetailSerializer(CaseSerializer):
    subscriber_name_masked = serializers.SerializerMethodField(help_text="Initials, as on the case page.")
    steps = CaseStepSerializer(many=True)

    class Meta(CaseSerializer.Meta):
        fields = [*CaseSerializer.Meta.fields, "subscriber_name_masked", "steps"]
        read_only_fields = fields

    def get_subscriber_name_masked(self, case) -> str:
        from registrations.records.masking import mask_name

        return mask_name(case.registration.subscriber_name)
