from rest_framework import serializers

from ..models import Campaign


class ProgressSerializer(serializers.Serializer):
    REVERIFIED = serializers.IntegerField(help_text="Closed: the population database check became a match.")
    CORRECTED = serializers.IntegerField(help_text="Closed: a later import changed the identity; it matches.")
    TERMINATED = serializers.IntegerField(help_text="Closed: terminated, cancelled or the data erased.")
    PENDING = serializers.IntegerField(help_text="Open: still on the ladder's clock.")
    WITHDRAWN = serializers.IntegerField(help_text="Closed when a manager withdrew the campaign (started by mistake).")
    total = serializers.IntegerField()
    done = serializers.IntegerField(help_text="Whole percent of the cases no longer pending.")


class CampaignSerializer(serializers.ModelSerializer):
    code = serializers.SerializerMethodField(help_text="The point's or the agent's code.")
    province = serializers.CharField(source="province_id")
    progress = serializers.SerializerMethodField()

    class Meta:
        model = Campaign
        fields = [
            "id",
            "subject_type",
            "code",
            "province",
            "period_from",
            "period_until",
            "trigger",
            "status",
            "created_at",
            "closed_at",
            "withdraw_reason",
            "matched",
            "skipped",
            "progress",
        ]
        read_only_fields = fields

    def get_code(self, campaign) -> str:
        return campaign.subject.code

    def get_progress(self, campaign) -> ProgressSerializer:
        row = self.context["progress"][campaign.pk]
        return {k: row[k] for k in ("REVERIFIED", "CORRECTED", "TERMINATED", "PENDING", "WITHDRAWN", "total", "done")}


class WithdrawInputSerializer(serializers.Serializer):
    reason = serializers.CharField(help_text="Why the campaign is withdrawn (at least 10 characters).")
