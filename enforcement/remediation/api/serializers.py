from django.urls import reverse
from rest_framework import serializers

from core.models import ImportJob

from ..models import Step
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
