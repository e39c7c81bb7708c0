"""API of subscriber requests (/api/v1/subject-requests/): list and record, one request, its steps, and a
completed SEE request's data. The MSISDN and ID number are accepted in POST bodies only and never answered
in clear. Scoped like the pages (reports.subjects.selectors): another province's request answers 404."""

import json

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError as DrfValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.pages import CheckedCursorPagination
from core.api.permissions import HasViewPermissions
from core.web import call_service

from .. import selectors, services
from ..filters import SubjectRequestFilter
from . import serializers

VIEW = "reports.view_subjectrequest"
NOT_FOUND = OpenApiResponse(description="No such request within your provinces.")


class RequestPagination(CheckedCursorPagination):
    ordering = ("-received_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class _MethodPermissions(HasViewPermissions):
    def has_permission(self, request, view):
        view.required_permissions = view.permissions_by_method.get(request.method, (VIEW,))
        return super().has_permission(request, view)


class SubjectRequestListApi(GenericAPIView):
    """Subscriber requests within your provinces, newest first (GET; filters kind, status, due=overdue|soon|open);
    record one (POST: kind and the subscriber's MSISDN and/or ID document type and number)."""

    permission_classes = [_MethodPermissions]
    permissions_by_method = {"POST": (VIEW, services.CREATE_PERMISSION)}
    filter_backends = [DjangoFilterBackend]
    filterset_class = SubjectRequestFilter
    pagination_class = RequestPagination
    serializer_class = serializers.SubjectRequestOutputSerializer

    def get_queryset(self):
        return selectors.subject_request_list(user=self.request.user).prefetch_related("provinces")

    @extend_schema(responses=serializers.SubjectRequestOutputSerializer(many=True))
    def get(self, request):
        blank = [name for name in SubjectRequestFilter.base_filters if name in request.query_params]
        blank = [name for name in blank if not request.query_params[name].strip()]
        if blank:  # the page's form sends "" for "any"; the API leaves the filter out instead
            raise DrfValidationError(dict.fromkeys(blank, [_("Leave the filter out for any value.")]))
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        request=serializers.SubjectRequestCreateSerializer,
        responses={
            201: serializers.SubjectRequestOutputSerializer,
            202: OpenApiResponse(description="Recorded; it is for a user with every province (no body)."),
            400: OpenApiResponse(description="No or a bad MSISDN / ID document."),
        },
    )
    def post(self, request):
        serializer = serializers.SubjectRequestCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        created = call_service(
            services.subject_request_create,
            actor=request.user,
            kind=data["kind"],
            msisdn=data.get("msisdn", ""),
            id_doc_type=data.get("id_doc_type", ""),
            id_doc_number=data.get("id_doc_number", ""),
            received_at=data.get("received_at"),
            reason=data.get("reason", ""),
        )
        visible = selectors.subject_request_list(user=request.user).filter(pk=created.pk).first()
        if visible is None:
            return Response({"id": created.pk}, status=status.HTTP_202_ACCEPTED)
        return Response(serializers.SubjectRequestOutputSerializer(visible).data, status=status.HTTP_201_CREATED)


class SubjectRequestDetailApi(APIView):
    """One subscriber request (no personal data: the MSISDN masked, the ID document only as its type)."""

    permission_classes = [HasViewPermissions]
    required_permissions = (VIEW,)

    @extend_schema(responses={200: serializers.SubjectRequestOutputSerializer, 404: NOT_FOUND})
    def get(self, request, pk: int):
        subject_request = selectors.subject_request_get(user=request.user, pk=pk)
        return Response(serializers.SubjectRequestOutputSerializer(subject_request).data)


class SubjectRequestActApi(APIView):
    """A step: acknowledge; verify (`method`: how the identity was checked); carry_out (`changes` for a
    CORRECT request); reject (`reason`). Officers and managers."""

    permission_classes = [HasViewPermissions]
    required_permissions = (VIEW, services.HANDLE_PERMISSION)

    @extend_schema(
        request=serializers.SubjectRequestActSerializer,
        responses={
            200: serializers.SubjectRequestOutputSerializer,
            400: OpenApiResponse(description="A step not possible now, or a bad value."),
            404: NOT_FOUND,
        },
    )
    def post(self, request, pk: int):
        subject_request = selectors.subject_request_get(user=request.user, pk=pk)
        serializer = serializers.SubjectRequestActSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        action = data["action"]
        kwargs = {"request": subject_request, "actor": request.user}
        try:
            if action == "acknowledge":
                call_service(services.subject_request_acknowledge, **kwargs)
            elif action == "verify":
                call_service(services.subject_request_verify, method=data.get("method", ""), **kwargs)
            elif action == "reject":
                call_service(services.subject_request_reject, reason=data.get("reason", ""), **kwargs)
            else:
                call_service(services.subject_request_carry_out, changes=data.get("changes") or {}, via="api", **kwargs)
        except PermissionDenied as exc:
            raise Http404 from exc
        subject_request.refresh_from_db()
        return Response(serializers.SubjectRequestOutputSerializer(subject_request).data)


class SubjectRequestDataApi(APIView):
    """A completed SEE request's data (the subscriber's registrations, unmasked); audited; not cacheable."""

    permission_classes = [HasViewPermissions]
    required_permissions = (VIEW, services.HANDLE_PERMISSION)

    @extend_schema(responses={200: serializers.SubjectDataSerializer, 404: NOT_FOUND})
    def get(self, request, pk: int):
        subject_request = selectors.subject_request_get(user=request.user, pk=pk)
        try:
            content, _type = services.subject_request_export(
                request=subject_request, actor=request.user, fmt="json", via="api"
            )
        except (ValidationError, PermissionDenied) as exc:  # not a completed SEE request, or out of reach
            raise Http404 from exc
        response = Response(json.loads(content))
        response["Cache-Control"] = "no-store, private"
        return response
