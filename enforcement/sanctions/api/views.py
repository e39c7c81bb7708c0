"""API of the sanction ladder (/api/v1/): the current ladder, and the suggestions within your provinces
(scoped like the pages: another province's suggestion answers 404). Read-only: officers confirm and dismiss
on the pages, where the grounds are written."""

from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.exceptions import ValidationError as DrfValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.pages import CheckedCursorPagination
from core.api.permissions import HasViewPermissions

from .. import selectors
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
