"""Serializers of the sanction ladder's API: codes and numbers, as stored."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from inspections.models import SanctionKind, SanctionType

from ..models import LadderVersion, SanctionSuggestion


class RungSerializer(serializers.ModelSerializer):
    # "sanction_kind", not "kind": the schema's enums are named by field, and agents' and points' "kind" differ
    sanction_kind = serializers.ChoiceField(source="kind", choices=SanctionKind.choices, read_only=True)

    class Meta:
        model = SanctionType
        fields = ["code", "sanction_kind", "target", "fine_min_vnd", "fine_max_vnd", "active"]


class LadderSerializer(serializers.ModelSerializer):
    changed_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    point_ladder = serializers.SerializerMethodField()
    agent_ladder = serializers.SerializerMethodField()

    class Meta:
        model = LadderVersion
        fields = ["version", "window_days", "point_ladder", "agent_ladder", "reason", "changed_by", "changed_at"]

    def _rungs(self, codes) -> list[dict]:
        types = self.context.get("types", {})
        # a code that left the catalogue is answered with its code alone
        return [RungSerializer(types[c]).data if c in types else {"code": c} for c in codes]

    @extend_schema_field(RungSerializer(many=True))
    def get_point_ladder(self, version) -> list[dict]:
        return self._rungs(version.point_rungs)

    @extend_schema_field(RungSerializer(many=True))
    def get_agent_ladder(self, version) -> list[dict]:
        return self._rungs(version.agent_rungs)


class SuggestionSerializer(serializers.ModelSerializer):
    point = serializers.SlugRelatedField(slug_field="code", read_only=True)
    agent = serializers.SlugRelatedField(slug_field="code", read_only=True)
    sanction_type = serializers.SlugRelatedField(slug_field="code", read_only=True)
    ladder_version = serializers.SlugRelatedField(slug_field="version", read_only=True)
    decided_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    earlier_findings = serializers.SerializerMethodField()

    class Meta:
        model = SanctionSuggestion
        fields = [
            "id",
            "finding",
            "point",
            "agent",
            "ladder",
            "ladder_version",
            "rung",
            "rung_count",
            "window_days",
            "prior_count",
            "earlier_findings",
            "sanction_type",
            "amount_vnd",
            "status",
            "not_needed",
            "created_at",
            "sanction",
            "decided_by",
            "decided_at",
        ]

    def get_earlier_findings(self, suggestion) -> list[int]:
        return [pk for pk, _day in suggestion.prior_findings]


class ConfirmInputSerializer(serializers.Serializer):
    """Confirming a suggestion: the sanction is PROPOSED in the caller's name, for a manager to decide."""

    amount_vnd = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=0,
        max_value=2**63 - 1,  # the column's range: a larger number is refused here, not by the database
        help_text="A fine's amount in VND, within its type's legal range; null for any other kind. Left out: the "
        "suggestion's own amount (a fine's lowest).",
    )
    note = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="The grounds shown to the manager who decides. Left out or blank: the ladder's grounds (its "
        "position and the earlier findings it counted), as the page fills them in.",
    )


class DismissInputSerializer(serializers.Serializer):
    """Dismissing a suggestion: nothing is proposed (a sanction may still be proposed by hand on the finding)."""

    reason = serializers.CharField(help_text="Why no sanction follows the ladder here.")
