"""Read-only blacklist API for the readers of the blacklist (officers, managers, auditors): entries in your
provinces, newest first, with the page's filters; lifting and listing by hand stay on the pages."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.filters import StrictFilterBackend
from core.api.pages import CheckedCursorPagination

from .. import selectors
from ..filters import BlacklistFilter
from ..services import VIEW_PERMISSION
from .serializers import EntryOutputSerializer


class CanReadBlacklist(BasePermission):
    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and user.has_perm(VIEW_PERMISSION))


class ListedCursorPagination(CheckedCursorPagination):
    ordering = ("-listed_at", "-id")


class BlacklistListApi(GenericAPIView):
    """Blacklist entries in your provinces, newest first (filters: q, state, source, province)."""

    permission_classes = [CanReadBlacklist]
    filter_backends = [StrictFilterBackend]
    filterset_class = BlacklistFilter
    pagination_class = ListedCursorPagination
    serializer_class = EntryOutputSerializer

    def get_queryset(self):
        return selectors.entry_list(user=self.request.user).prefetch_related("keys")

    @extend_schema(responses=EntryOutputSerializer(many=True))
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(EntryOutputSerializer(page, many=True).data)


class BlacklistDetailApi(APIView):
    """One blacklist entry in your provinces."""

    permission_classes = [CanReadBlacklist]

    @extend_schema(
        responses={200: EntryOutputSerializer, 404: OpenApiResponse(description="No such entry in your provinces.")}
    )
    def get(self, request, pk):
        return Response(EntryOutputSerializer(selectors.entry_get(user=request.user, pk=pk)).data)
