"""Input and output shapes of the agents API.

Agents and points refer to each other by `code` (`parent_code`, `agent_code`) and to provinces by
their three-digit code, in input and output alike. Input serializers only parse: the services
validate the record (`full_clean`) and write it. A code the caller may not see is "unknown",
exactly like one that does not exist.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import ResolvedComponent, build_choice_description_list
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.models import Province

from .. import selectors
from ..models import Agent, AgentKind, OwnerDocType, PointKind, RegistrationPoint, RiskTier, Status

TIME_FORMATS = ["%H:%M", "%H:%M:%S"]


@extend_schema_field(
    {"type": "string", "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$", "example": "08:00"}
)
class LocalTimeField(serializers.TimeField):
    """A local time of day as the points file has it: `HH:MM` (`HH:MM:SS` accepted), not ISO `HH:MM:SS[.ffffff]`
    as drf-spectacular would document a TimeField (the answers give `HH:MM`)."""


class EnumField(serializers.ChoiceField):
    """A ChoiceField over a TextChoices class, documented as one enum component named `enum_name`.

    drf-spectacular names enums after the field; two `kind` fields with different choices (agents,
    points) would collide, so each choice class gets its own explicit name instead.
    """

    def __init__(self, choices_class, *, enum_name: str, **kwargs):
        self.choices_class = choices_class
        self.enum_name = enum_name
        super().__init__(choices=choices_class.choices, **kwargs)


class EnumFieldExtension(OpenApiSerializerFieldExtension):
    target_class = EnumField
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        field = self.target
        component = ResolvedComponent(
            name=field.enum_name,
            type=ResolvedComponent.SCHEMA,
            object=field.choices_class,
            schema={
                "type": "string",
                "enum": list(field.choices_class.values),
                "description": build_choice_description_list(field.choices_class.choices),
            },
        )
        auto_schema.registry.register_on_missing(component)
        if field.allow_blank:
            return {"oneOf": [component.ref, {"type": "string", "enum": [""]}]}
        return component.ref


class ScopedCodeField(serializers.SlugRelatedField):
    """A reference by code to an object in the caller's provinces (`Model.objects.for_user`)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("slug_field", "code")
        super().__init__(**kwargs)

    def get_queryset(self):
        return super().get_queryset().for_user(self.context["request"].user)


def agent_code_field(**kwargs) -> ScopedCodeField:
    return ScopedCodeField(
        queryset=Agent.objects.all(),
        error_messages={"does_not_exist": _("Unknown agent: {value}."), "invalid": _("Give an agent code.")},
        **kwargs,
    )


def province_field(**kwargs) -> ScopedCodeField:
    return ScopedCodeField(
        queryset=Province.objects.all(),
        error_messages={"does_not_exist": _("Unknown province: {value}."), "invalid": _("Give a province code.")},
        help_text=_("Three-digit province code, e.g. 001 (Hà Nội) or 079 (TP Hồ Chí Minh)."),
        **kwargs,
    )


def status_field() -> EnumField:
    return EnumField(Status, enum_name="SupervisionStatusEnum", read_only=True)


def risk_tier_field() -> EnumField:
    return EnumField(
        RiskTier,
        enum_name="SupervisionRiskTierEnum",
        allow_blank=True,
        read_only=True,
        help_text=_("Blank until the first risk scoring."),
    )


# --- agents ---


class AgentOutputSerializer(serializers.ModelSerializer):
    kind = EnumField(AgentKind, enum_name="AgentKindEnum", read_only=True)
    status = status_field()
    province = serializers.CharField(source="province_id", read_only=True, help_text=_("Province code."))
    parent_code = serializers.SerializerMethodField(
        help_text=_("The parent agent's code; null when there is none or it is outside your provinces.")
    )
    risk_tier = risk_tier_field()

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_parent_code(self, agent) -> str | None:
        request = self.context.get("request")
        if request is None:  # no user to scope by: show nothing rather than too much
            return None
        return selectors.visible_parent_code(agent, user=request.user) or None

    class Meta:
        model = Agent
        fields = [
            "id",
            "code",
            "name",
            "kind",
            "status",
            "province",
            "parent_code",
            "tax_code",
            "phone",
            "contract_no",
            "authorised_from",
            "authorised_until",
            "risk_score",
            "risk_tier",
            "updated_at",
        ]
        read_only_fields = fields


class AgentInputSerializer(serializers.Serializer):
    """Create (all required fields) or PATCH (any subset); the status changes only by the status actions."""

    code = serializers.CharField(max_length=32)
    name = serializers.CharField(max_length=200)
    kind = EnumField(AgentKind, enum_name="AgentKindEnum")
    parent_code = agent_code_field(source="parent", required=False, allow_null=True)
    tax_code = serializers.CharField(
        max_length=20, required=False, allow_blank=True, help_text=_("10 digits, or 10-3 for a branch.")
    )
    phone = serializers.CharField(
        max_length=20, required=False, allow_blank=True, help_text=_("Vietnamese number; stored as E.164.")
    )
    province = province_field()
    contract_no = serializers.CharField(max_length=64, required=False, allow_blank=True)
    owner_id_doc_type = EnumField(
        OwnerDocType, enum_name="OwnerDocTypeEnum", required=False, allow_blank=True, write_only=True
    )
    owner_id_doc_number = serializers.CharField(
        max_length=20,
        required=False,
        allow_blank=True,
        write_only=True,
        help_text=_("The owner's ID document number: write-only (personal data); the blacklist compares it."),
    )
    authorised_from = serializers.DateField(required=False, allow_null=True)
    authorised_until = serializers.DateField(
        required=False, allow_null=True, help_text=_("Exclusive: not authorised on this day.")
    )


class StatusInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, help_text=_("Why; kept in the status history and the audit trail."))


class AgentStatusInputSerializer(StatusInputSerializer):
    include_points = serializers.BooleanField(
        default=False,
        help_text=_(
            "Suspend or terminate the agent's points with it. Not for reinstate: points are reinstated one by one."
        ),
    )

    def validate_include_points(self, value):
        if value and self.context.get("status_action") == "reinstate":
            raise serializers.ValidationError(_("Points are not reinstated with their agent: reinstate each point."))
        return value


class AgentStatusOutputSerializer(AgentOutputSerializer):
    points_changed = serializers.SerializerMethodField(help_text=_("How many of its points followed the agent."))

    class Meta(AgentOutputSerializer.Meta):
        fields = [*AgentOutputSerializer.Meta.fields, "points_changed"]
        read_only_fields = fields

    def get_points_changed(self, agent) -> int:
        return self.context.get("points_changed", 0)


# --- points ---


class PointOutputSerializer(serializers.ModelSerializer):
    kind = EnumField(PointKind, enum_name="PointKindEnum", read_only=True)
    status = status_field()
    province = serializers.CharField(source="province_id", read_only=True, help_text=_("Province code."))
    agent_code = serializers.SlugRelatedField(source="agent", slug_field="code", read_only=True)
    opens_at = LocalTimeField(format="%H:%M", read_only=True, allow_null=True)
    closes_at = LocalTimeField(format="%H:%M", read_only=True, allow_null=True)
    risk_tier = risk_tier_field()

    class Meta:
        model = RegistrationPoint
        fields = [
            "id",
            "code",
            "name",
            "kind",
            "status",
            "province",
            "agent_code",
            "address",
            "latitude",
            "longitude",
            "opens_at",
            "closes_at",
            "authorised_from",
            "authorised_until",
            "last_inspection_on",
            "next_inspection_on",
            "risk_score",
            "risk_tier",
            "updated_at",
        ]
        read_only_fields = fields


class PointInputSerializer(serializers.Serializer):
    """Create (all required fields) or PATCH (any subset); the status changes only by the status actions."""

    code = serializers.CharField(max_length=32)
    agent_code = agent_code_field(source="agent")
    name = serializers.CharField(max_length=200)
    kind = EnumField(PointKind, enum_name="PointKindEnum")
    address = serializers.CharField(max_length=300, required=False, allow_blank=True)
    province = province_field()
    latitude = serializers.DecimalField(max_digits=8, decimal_places=5, required=False, allow_null=True)
    longitude = serializers.DecimalField(max_digits=8, decimal_places=5, required=False, allow_null=True)
    opens_at = LocalTimeField(
        input_formats=TIME_FORMATS,
        required=False,
        allow_null=True,
        help_text=_("HH:MM local time (Asia/Ho_Chi_Minh); blank hours: always open."),
    )
    closes_at = LocalTimeField(input_formats=TIME_FORMATS, required=False, allow_null=True)
    phone = serializers.CharField(
        max_length=20, required=False, allow_blank=True, help_text=_("Vietnamese number; stored as E.164.")
    )
    owner_id_doc_type = EnumField(
        OwnerDocType, enum_name="OwnerDocTypeEnum", required=False, allow_blank=True, write_only=True
    )
    owner_id_doc_number = serializers.CharField(
        max_length=20,
        required=False,
        allow_blank=True,
        write_only=True,
        help_text=_("The owner's ID document number: write-only (personal data); the blacklist compares it."),
    )
    authorised_from = serializers.DateField(required=False, allow_null=True)
    authorised_until = serializers.DateField(
        required=False, allow_null=True, help_text=_("Exclusive: not authorised on this day.")
    )


PointStatusInputSerializer = StatusInputSerializer
