"""The blacklist API's output: entries and their identities, masked; never a value in clear, nor a hash."""

from rest_framework import serializers

from ...api.serializers import EnumField
from ..models import BlacklistEntry, BlacklistKey


class KeyOutputSerializer(serializers.ModelSerializer):
    kind = EnumField(BlacklistKey.Kind, enum_name="BlacklistKindEnum", read_only=True)

    class Meta:
        model = BlacklistKey
        fields = ["kind", "masked", "origin"]
        read_only_fields = fields


class EntryOutputSerializer(serializers.ModelSerializer):
    province = serializers.CharField(source="province_id", read_only=True)
    state = EnumField(BlacklistEntry.State, enum_name="BlacklistStateEnum", read_only=True)
    source = EnumField(BlacklistEntry.Source, enum_name="BlacklistSourceEnum", read_only=True)
    identities = KeyOutputSerializer(source="keys", many=True, read_only=True)

    class Meta:
        model = BlacklistEntry
        fields = [
            "id",
            "agent_code",
            "agent_name",
            "province",
            "source",
            "reason",
            "state",
            "listed_at",
            "expires_at",
            "lifted_at",
            "lift_reason",
            "identities",
        ]
        read_only_fields = fields
