from rest_framework import serializers

from ..roles import role_of
from ..scoping import province_scope


class MeOutputSerializer(serializers.Serializer):
    username = serializers.CharField()
    role = serializers.SerializerMethodField()
    provinces = serializers.SerializerMethodField(help_text="Province codes in scope; null means all.")

    def get_role(self, user) -> str | None:
        return role_of(user)

    def get_provinces(self, user) -> list[str] | None:
        scope = province_scope(user)
        return None if scope is None else sorted(scope)
