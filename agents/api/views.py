"""REST API for agents and registration points: thin views that parse, call one selector or service, render.

Reads start from the selectors (province scope; an object out of scope is a 404 like a missing
one); lists use the same FilterSets as the pages; writes call agents.services with the caller as
actor, so each is validated, audited and, for status, kept in the history with source API.
"""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.filters import StrictFilterBackend
from core.api.pages import CheckedCursorPagination
from core.web import call_service

from .. import selectors, services
from ..filters import AgentFilter, PointFilter
from ..models import Agent, RegistrationPoint, StatusChange
from . import serializers
from .permissions import ModelActionPermission

API = StatusChange.Source.API
STATUS_ACTIONS = ("suspend", "reinstate", "terminate")

AGENT_STATUS_SERVICES = {
    "suspend": services.agent_suspend,
    "reinstate": services.agent_reinstate,
    "terminate": services.agent_terminate,
}
POINT_STATUS_SERVICES = {
    "suspend": services.point_suspend,
    "reinstate": services.point_reinstate,
    "terminate": services.point_terminate,
}
# Model field -> API field, for errors the services raise.
AGENT_ERROR_FIELDS = {"parent": "parent_code"}
POINT_ERROR_FIELDS = {"agent": "agent_code"}

BAD_REQUEST = OpenApiResponse(description="Invalid input: `{field: [messages]}`.")
NOT_FOUND = OpenApiResponse(description="No such object in your provinces.")


class CodeCursorPagination(CheckedCursorPagination):
    """Keyset pages in code order (unique and indexed): page 2,000 of 100,000 points costs like page 1."""

    ordering = "code"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class ScopedListApi(GenericAPIView):
    """A filtered, cursor-paginated list with a create; subclasses name the model, selector and serializers."""

    permission_classes = [ModelActionPermission]
    filter_backends = [StrictFilterBackend]
    pagination_class = CodeCursorPagination
    permission_model = None
    InputSerializer = None
    OutputSerializer = None

    def get_serializer_class(self):
        # Only the browsable API's form asks for it; reads and writes name their serializer.
        return self.InputSerializer


# --- agents ---


class AgentListApi(ScopedListApi):
    """Agents in your provinces, in code order; POST creates one."""

    permission_model = Agent
    filterset_class = AgentFilter
    InputSerializer = serializers.AgentInputSerializer
    OutputSerializer = serializers.AgentOutputSerializer

    def get_queryset(self):
        return selectors.agent_list(user=self.request.user)

    @extend_schema(responses=OutputSerializer(many=True))
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.OutputSerializer(page, many=True, context={"request": request}).data)

    @extend_schema(
        request=InputSerializer,
        responses={201: OutputSerializer, 400: BAD_REQUEST},
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        agent = call_service(
            services.agent_create,
            error_fields=AGENT_ERROR_FIELDS,
            actor=request.user,
            source=API,
            **serializer.validated_data,
        )
        return Response(self.OutputSerializer(agent, context={"request": request}).data, status=status.HTTP_201_CREATED)


class AgentDetailApi(APIView):
    """One agent in your provinces; PATCH changes the given fields."""

    permission_classes = [ModelActionPermission]
    permission_model = Agent
    InputSerializer = serializers.AgentInputSerializer
    OutputSerializer = serializers.AgentOutputSerializer

    @extend_schema(responses={200: OutputSerializer, 404: NOT_FOUND})
    def get(self, request, pk):
        agent = selectors.agent_get(user=request.user, pk=pk)
        return Response(self.OutputSerializer(agent, context={"request": request}).data)

    @extend_schema(
        request=InputSerializer,
        responses={200: OutputSerializer, 400: BAD_REQUEST, 404: NOT_FOUND},
    )
    def patch(self, request, pk):
        agent = selectors.agent_get(user=request.user, pk=pk)
        serializer = self.InputSerializer(data=request.data, partial=True, context={"request": request})
        serializer.is_valid(raise_exception=True)
        agent = call_service(
            services.agent_update,
            error_fields=AGENT_ERROR_FIELDS,
            agent=agent,
            actor=request.user,
            **serializer.validated_data,
        )
        return Response(self.OutputSerializer(agent, context={"request": request}).data)


class AgentStatusApi(APIView):
    """Suspend, reinstate or terminate an agent, with a reason; suspend and terminate may take its points along."""

    permission_classes = [ModelActionPermission]
    permission_model = Agent
    status_action = ""  # given by the URL: suspend, reinstate or terminate
    InputSerializer = serializers.AgentStatusInputSerializer
    OutputSerializer = serializers.AgentStatusOutputSerializer

    @extend_schema(request=InputSerializer, responses={200: OutputSerializer, 400: BAD_REQUEST, 404: NOT_FOUND})
    def post(self, request, pk):
        agent = selectors.agent_get(user=request.user, pk=pk)
        serializer = self.InputSerializer(
            data=request.data, context={"request": request, "status_action": self.status_action}
        )
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        kwargs = {"agent": agent, "reason": data["reason"], "actor": request.user, "source": API}
        if self.status_action != "reinstate":
            kwargs["include_points"] = data["include_points"]
        service = AGENT_STATUS_SERVICES[self.status_action]
        points_changed = call_service(service, error_fields=AGENT_ERROR_FIELDS, **kwargs) or 0
        return Response(
            self.OutputSerializer(agent, context={"points_changed": points_changed, "request": request}).data
        )


# --- points ---


class PointListApi(ScopedListApi):
    """Registration points in your provinces, in code order; POST creates one."""

    permission_model = RegistrationPoint
    filterset_class = PointFilter
    InputSerializer = serializers.PointInputSerializer
    OutputSerializer = serializers.PointOutputSerializer

    def get_queryset(self):
        return selectors.point_list(user=self.request.user)

    @extend_schema(responses=OutputSerializer(many=True))
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.OutputSerializer(page, many=True, context={"request": request}).data)

    @extend_schema(
        request=InputSerializer,
        responses={201: OutputSerializer, 400: BAD_REQUEST},
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        point = call_service(
            services.point_create,
            error_fields=POINT_ERROR_FIELDS,
            actor=request.user,
            source=API,
            **serializer.validated_data,
        )
        return Response(self.OutputSerializer(point, context={"request": request}).data, status=status.HTTP_201_CREATED)


class PointDetailApi(APIView):
    """One registration point in your provinces; PATCH changes the given fields."""

    permission_classes = [ModelActionPermission]
    permission_model = RegistrationPoint
    InputSerializer = serializers.PointInputSerializer
    OutputSerializer = serializers.PointOutputSerializer

    @extend_schema(responses={200: OutputSerializer, 404: NOT_FOUND})
    def get(self, request, pk):
        point = selectors.point_get(user=request.user, pk=pk)
        return Response(self.OutputSerializer(point, context={"request": request}).data)

    @extend_schema(
        request=InputSerializer,
        responses={200: OutputSerializer, 400: BAD_REQUEST, 404: NOT_FOUND},
    )
    def patch(self, request, pk):
        point = selectors.point_get(user=request.user, pk=pk)
        serializer = self.InputSerializer(data=request.data, partial=True, context={"request": request})
        serializer.is_valid(raise_exception=True)
        point = call_service(
            services.point_update,
            error_fields=POINT_ERROR_FIELDS,
            point=point,
            actor=request.user,
            **serializer.validated_data,
        )
        return Response(self.OutputSerializer(point, context={"request": request}).data)


class PointStatusApi(APIView):
    """Suspend, reinstate or terminate a registration point, with a reason (reinstate needs an active agent)."""

    permission_classes = [ModelActionPermission]
    permission_model = RegistrationPoint
    status_action = ""  # given by the URL: suspend, reinstate or terminate
    InputSerializer = serializers.PointStatusInputSerializer
    OutputSerializer = serializers.PointOutputSerializer

    @extend_schema(request=InputSerializer, responses={200: OutputSerializer, 400: BAD_REQUEST, 404: NOT_FOUND})
    def post(self, request, pk):
        point = selectors.point_get(user=request.user, pk=pk)
        serializer = self.InputSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        call_service(
            POINT_STATUS_SERVICES[self.status_action],
            error_fields=POINT_ERROR_FIELDS,
            point=point,
            reason=serializer.validated_data["reason"],
            actor=request.user,
            source=API,
        )
        return Response(self.OutputSerializer(point, context={"request": request}).data)
