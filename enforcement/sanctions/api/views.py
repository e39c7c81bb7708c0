"""API of the sanction ladder (/api/v1/): the current ladder, and the suggestions within your provinces
(scoped like the pages: another province's suggestion answers 404). Officers and managers confirm a
suggestion (a PROPOSED sanction in their name, for a manager to decide) or dismiss it with a reason, through
the pages' services and with the pages' permissions; a suggestion already dealt with answers 409."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers as drf_serializers
from rest_framework import status
from rest_framework.exceptions import APIException, NotFound
from rest_framework.exceptions import ValidationError as DrfValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.pages import CheckedCursorPagination
from core.api.permissions import HasViewPermissions
from core.web import api_error

from .. import selectors, services, texts
from ..filters import SuggestionFilter
from . import serializers

VIEW_LADDER = "enforcement.view_ladderversion"
VIEW_SUGGESTION = "enforcement.view_sanctionsuggestion"


class SuggestionPagination(CheckedCursorPagination):
    ordering = ("-created_at", "-id")


class LadderApi(APIView):
    """The current sanction ladder: the window and each ladder's rungs (catalogue codes), lowest first."""

    permission_classes = [HasViewPermissions]
    required_permissions = (VIEW_LADDER,)

    @extend_schema(responses={200: serializers.LadderSerializer, 404: OpenApiResponse(description="No ladder set.")})
    def get(self, request):
        current = selectors.ladder_current()
        if current is None:
            raise NotFound(_("No ladder is set."))
        types = selectors.ladder_types(current)
        return Response(serializers.LadderSerializer(current, context={"types": types}).data)


class SuggestionListApi(GenericAPIView):
    """The ladder's suggestions within your provinces, newest first (filters status, ladder, province, q)."""

    permission_classes = [HasViewPermissions]
    required_permissions = (VIEW_SUGGESTION,)
    filter_backends = [DjangoFilterBackend]
    filterset_class = SuggestionFilter
    pagination_class = SuggestionPagination
    serializer_class = serializers.SuggestionSerializer

    def get_queryset(self):
        return selectors.suggestion_list(user=self.request.user).select_related("ladder_version")

    @extend_schema(responses=serializers.SuggestionSerializer(many=True))
    def get(self, request):
        blank = [name for name in SuggestionFilter.base_filters if name in request.query_params]
        blank = [name for name in blank if not request.query_params[name].strip()]
        if blank:  # the page's form sends "" for "any"; the API leaves the filter out instead
            raise DrfValidationError(dict.fromkeys(blank, [_("Leave the filter out for any value.")]))
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class SuggestionDetailApi(APIView):
    """One suggestion of the ladder."""

    permission_classes = [HasViewPermissions]
    required_permissions = (VIEW_SUGGESTION,)

    @extend_schema(
        responses={
            200: serializers.SuggestionSerializer,
            404: OpenApiResponse(description="No such suggestion within your provinces."),
        }
    )
    def get(self, request, pk: int):
        suggestion = selectors.suggestion_get(user=request.user, pk=pk)
        return Response(serializers.SuggestionSerializer(suggestion).data)


# --- confirming and dismissing ----------------------------------------------------------------------------


class AlreadyDecided(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "decided"


NOT_FOUND = OpenApiResponse(description="No such suggestion within your provinces.")
DECIDED = OpenApiResponse(
    response=inline_serializer("SuggestionDecided", {"detail": drf_serializers.CharField()}),
    description="The suggestion was already confirmed or dismissed, or the ladder had nothing to suggest: nothing "
    "was changed. `detail` says so in the caller's language.",
)


class _SuggestionActApi(APIView):
    """Shared by confirm and dismiss: the pages' permissions (view the suggestions and propose sanctions:
    officers and managers), the suggestion fetched within the caller's provinces (else 404), the service's
    errors as 400 (a field) or 409 (already decided); messages in the caller's language as on every API view
    (core.api.authentication)."""

    permission_classes = [HasViewPermissions]
    required_permissions = (VIEW_SUGGESTION, services.PROPOSE_PERMISSION)

    def act(self, service, **kwargs):
        try:
            return service(**kwargs)
        except ValidationError as exc:
            if getattr(exc, "code", None) == "decided":
                raise AlreadyDecided(exc.messages[0]) from exc
            raise api_error(exc) from exc

    def answer(self, suggestion):
        return Response(
            serializers.SuggestionSerializer(selectors.suggestion_get(user=self.request.user, pk=suggestion.pk)).data
        )


class SuggestionConfirmApi(_SuggestionActApi):
    """Confirm a suggestion: the sanction it names is PROPOSED in your name (a fine within its legal range) and
    a manager who did not propose it decides, as for any other. Answers the suggestion, now CONFIRMED, with the
    sanction's id."""

    @extend_schema(
        request=serializers.ConfirmInputSerializer,
        responses={
            200: serializers.SuggestionSerializer,
            400: OpenApiResponse(
                description="A bad body, an amount outside the fine's legal range (the message names the range), an "
                "amount for a kind that takes none, or no grounds; nothing was changed."
            ),
            403: OpenApiResponse(description="Your role may not propose sanctions."),
            404: NOT_FOUND,
            409: DECIDED,
        },
    )
    def post(self, request, pk: int):
        suggestion = selectors.suggestion_get(user=request.user, pk=pk)
        serializer = serializers.ConfirmInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        note = (data.get("note") or "").strip() or texts.grounds(suggestion)
        self.act(
            services.suggestion_confirm,
            suggestion=suggestion,
            amount_vnd=data.get("amount_vnd", suggestion.amount_vnd),  # an explicit null stays null
            note=note,
            actor=request.user,
        )
        return self.answer(suggestion)


class SuggestionDismissApi(_SuggestionActApi):
    """Dismiss a suggestion with a reason: nothing is proposed. Answers the suggestion, now DISMISSED."""

    @extend_schema(
        request=serializers.DismissInputSerializer,
        responses={
            200: serializers.SuggestionSerializer,
            400: OpenApiResponse(description="No reason, or a bad body; nothing was changed."),
            403: OpenApiResponse(description="Your role may not propose sanctions."),
            404: NOT_FOUND,
            409: DECIDED,
        },
    )
    def post(self, request, pk: int):
        suggestion = selectors.suggestion_get(user=request.user, pk=pk)
        serializer = serializers.DismissInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.act(
            services.suggestion_dismiss,
            suggestion=suggestion,
            reason=serializer.validated_data["reason"],
            actor=request.user,
        )
        return self.answer(suggestion)
