"""Flags API: the queue with the page's FilterSet, one flag with its history, and review in bulk.

GET /api/v1/flags/ (OPEN flags unless `status` says otherwise; `status=` for every status; keyset pages,
most recently seen first), GET /api/v1/flags/<id>/, POST /api/v1/flags/review/ with
{"ids": [...], "status": "CONFIRMED"|"DISMISSED", "reason": "..."}. Every read and review is in the
caller's provinces: a flag outside them is "no such flag", in a URL (404) as in `ids` (400).
Integration accounts have no flag permission (403).
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from agents.api.serializers import EnumField
from core.api.filters import StrictFilterBackend
from core.api.pages import CheckedCursorPagination
from core.api.permissions import HasViewPermissions
from core.web import api_error

from ...models import Flag, FlagEvent, FlagStatus, Severity, SubjectType
from .. import selectors, services
from ..filters import FlagFilter

VIEW_FLAG = "registrations.view_flag"

NOT_FOUND = OpenApiResponse(description="No such flag in your provinces.")
FORBIDDEN = OpenApiResponse(description="Your role may not do this (auditors read flags but never review them).")


class LastSeenPagination(CheckedCursorPagination):
    """Keyset pages, most recently seen first: nothing is counted, page 1,000 costs like page 1."""

    ordering = ("-last_seen", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class ReviewDecision(models.TextChoices):
    """The two statuses a review may set."""

    CONFIRMED = FlagStatus.CONFIRMED.value, FlagStatus.CONFIRMED.label
    DISMISSED = FlagStatus.DISMISSED.value, FlagStatus.DISMISSED.label


def _status_field(**kwargs):
    return EnumField(FlagStatus, enum_name="FlagStatusEnum", **kwargs)


class FlagEventOutputSerializer(serializers.ModelSerializer):
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    from_status = serializers.CharField(help_text=_("Blank when the flag was raised."))
    to_status = _status_field(read_only=True)

    class Meta:
        model = FlagEvent
        fields = ["at", "actor", "from_status", "to_status", "reason", "check_run"]
        read_only_fields = fields


class FlagOutputSerializer(serializers.ModelSerializer):
    rule = serializers.SlugRelatedField(slug_field="code", read_only=True)
    severity = EnumField(Severity, enum_name="FlagSeverityEnum", read_only=True)
    status = _status_field(read_only=True)
    subject_type = EnumField(SubjectType, enum_name="FlagSubjectTypeEnum", read_only=True)
    subject_key = serializers.CharField(
        read_only=True, allow_null=True, help_text=_("The registration's external_id or the activation's ICCID.")
    )
    point_code = serializers.SlugRelatedField(source="point", slug_field="code", read_only=True, allow_null=True)
    agent_code = serializers.SlugRelatedField(source="agent", slug_field="code", read_only=True, allow_null=True)
    reviewer = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    parameters = serializers.DictField(
        child=serializers.IntegerField(), read_only=True, help_text=_("The rule's parameters when it raised the flag.")
    )

    class Meta:
        model = Flag
        fields = [
            "id",
            "rule",
            "rule_version",
            "parameters",
            "severity",
            "status",
            "subject_type",
            "subject_id",
            "subject_key",
            "registration",
            "activation",
            "point_code",
            "agent_code",
            "first_seen",
            "last_seen",
            "resolved_at",
            "reviewer",
            "reviewed_at",
            "reason",
        ]
        read_only_fields = fields


class FlagDetailOutputSerializer(FlagOutputSerializer):
    history = FlagEventOutputSerializer(many=True, read_only=True, help_text=_("Newest first."))

    class Meta(FlagOutputSerializer.Meta):
        fields = [*FlagOutputSerializer.Meta.fields, "history"]
        read_only_fields = fields


class FlagReviewInputSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),  # a bigint: larger is no flag, not a 500
        min_length=1,
        max_length=services.MAX_BULK,
        help_text=_("Flags to review, all in your provinces; all are reviewed or none."),
    )
    status = EnumField(ReviewDecision, enum_name="FlagReviewDecisionEnum")
    reason = serializers.CharField(max_length=services.REASON_MAX_LENGTH, help_text=_("Why: required."))


class FlagReviewOutputSerializer(serializers.Serializer):
    reviewed = FlagOutputSerializer(many=True)


class FlagListApi(GenericAPIView):
    """Flags in your provinces, most recently seen first; OPEN ones unless `status` is given (`status=`: all).

    Flags on activations have no point: only callers with every province see them.
    """

    permission_classes = [HasViewPermissions]
    required_permissions = (VIEW_FLAG,)
    filter_backends = [StrictFilterBackend]
    filterset_class = FlagFilter
    pagination_class = LastSeenPagination
    serializer_class = FlagOutputSerializer

    def get_queryset(self):
        return selectors.flag_list(user=self.request.user)

    @extend_schema(responses=FlagOutputSerializer(many=True), tags=["flags"])
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class FlagDetailApi(APIView):
    """One flag in your provinces, with its history."""

    permission_classes = [HasViewPermissions]
    required_permissions = (VIEW_FLAG,)

    @extend_schema(responses={200: FlagDetailOutputSerializer, 404: NOT_FOUND}, tags=["flags"])
    def get(self, request, pk: int):
        flag = selectors.flag_get(user=request.user, pk=pk)
        flag.history = selectors.flag_history(flag)
        return Response(FlagDetailOutputSerializer(flag).data)


class FlagReviewApi(APIView):
    """Confirm or dismiss flags with a reason; all or nothing. Officers and managers only."""

    permission_classes = [HasViewPermissions]
    required_permissions = (VIEW_FLAG, services.REVIEW_PERMISSION)

    @extend_schema(
        request=FlagReviewInputSerializer,
        responses={
            200: FlagReviewOutputSerializer,
            400: OpenApiResponse(
                description="No reason; an id that is not a flag in your provinces; or a flag that cannot take "
                "that status (a resolved one, or one already in it). Nothing was changed."
            ),
            403: FORBIDDEN,
        },
        tags=["flags"],
    )
    def post(self, request):
        data = FlagReviewInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            reviewed = services.flags_review(
                flags=data.validated_data["ids"],
                to_status=data.validated_data["status"],
                reason=data.validated_data["reason"],
                actor=request.user,
            )
        except DjangoValidationError as exc:
            raise api_error(exc) from exc
        flags = selectors.flag_list(user=request.user).filter(pk__in=[f.pk for f in reviewed]).order_by("pk")
        return Response(FlagReviewOutputSerializer({"reviewed": flags}).data)
