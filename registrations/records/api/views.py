"""Read API for registrations and activations: masked by default; reveal one record with a reason.

/api/v1/registrations/ (the page's FilterSet, keyset pages newest first), POST /api/v1/registrations/search/
(the same filters in the body: the only way to search by phone or ID number, which never go in a URL),
/api/v1/registrations/<id>/, POST /api/v1/registrations/<id>/reveal/, /api/v1/activations/.
Reads start from the selectors: another province's record answers 404 like a missing one.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.filters import StrictFilterBackend
from core.api.pages import CheckedCursorPagination
from core.api.permissions import HasViewPermissions
from core.web import api_error

from .. import selectors, services
from ..filters import ActivationFilter, RegistrationFilter
from . import serializers

VIEW_REGISTRATION = "registrations.view_registration"
VIEW_ACTIVATION = "registrations.view_activation"

NOT_FOUND = OpenApiResponse(description="No such registration in your provinces.")
FORBIDDEN = OpenApiResponse(description="Your role may not do this (auditors and integration accounts never reveal).")


class NewestFirstPagination(CheckedCursorPagination):
    """Keyset pages over an indexed time: page 10,000 of 10 million rows costs like page 1; nothing is counted."""

    ordering = ("-registered_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class ActivationPagination(NewestFirstPagination):
    ordering = ("-activated_at", "-id")


PERSONAL_FILTERS = ("msisdn", "id_number", "subscriber_name")
SEARCH_LIMIT = 50
SEARCH_MAX = 500


class RegistrationListApi(GenericAPIView):
    """Registrations in your provinces, newest first, personal data masked.

    Filters match exactly. `msisdn` and `id_number` are refused here (400): URLs end up in access logs,
    so search by them with POST /api/v1/registrations/search/. Registrations made in the app have no
    point: only callers with every province see them.
    """

    permission_classes = [HasViewPermissions]
    required_permissions = (VIEW_REGISTRATION,)
    filter_backends = [StrictFilterBackend]
    filterset_class = RegistrationFilter
    pagination_class = NewestFirstPagination
    serializer_class = serializers.RegistrationOutputSerializer

    def get_queryset(self):
        return selectors.registration_list(user=self.request.user)

    @extend_schema(
        responses={
            200: serializers.RegistrationOutputSerializer(many=True),
            400: OpenApiResponse(description="A filter that cannot be read, or a phone or ID number in the URL."),
        }
    )
    def get(self, request):
        in_url = [name for name in PERSONAL_FILTERS if request.query_params.get(name, "").strip()]
        if in_url:
            message = _(
                "Phone numbers, ID numbers and names are never sent in a URL: "
                "POST them to /api/v1/registrations/search/."
            )
            raise ValidationError(dict.fromkeys(in_url, [message]))
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class RegistrationSearchApi(APIView):
    """Search registrations in your provinces with filters in the body (JSON or form), newest first,
    personal data masked: `msisdn` in any of the forms 0912…, 84912…, +84912…; `id_number` (with an
    optional `id_type`) through the keyed hash of the normalised number; and every filter of the list.
    Answers at most `page_size` rows (default 50, at most 500) and says whether there were more."""

    permission_classes = [HasViewPermissions]
    required_permissions = (VIEW_REGISTRATION,)

    @extend_schema(
        request=serializers.RegistrationSearchInputSerializer,
        responses={
            200: serializers.RegistrationSearchOutputSerializer,
            400: OpenApiResponse(description="A filter that cannot be read."),
        },
    )
    def post(self, request):
        data = request.data
        try:
            limit = min(max(int(data.get("page_size") or SEARCH_LIMIT), 1), SEARCH_MAX)
        except (TypeError, ValueError) as exc:
            raise ValidationError({"page_size": [_("A whole number from 1 to 500.")]}) from exc
        filters = {name: str(data.get(name) or "") for name in RegistrationFilter.base_filters}
        filterset = RegistrationFilter(
            filters, queryset=selectors.registration_list(user=request.user), request=request
        )
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        rows = list(filterset.qs.order_by("-registered_at", "-id")[: limit + 1])
        body = {"results": rows[:limit], "truncated": len(rows) > limit}
        return Response(serializers.RegistrationSearchOutputSerializer(body).data)


class RegistrationDetailApi(APIView):
    """One registration in your provinces, personal data masked."""

    permission_classes = [HasViewPermissions]
    required_permissions = (VIEW_REGISTRATION,)

    @extend_schema(responses={200: serializers.RegistrationOutputSerializer, 404: NOT_FOUND})
    def get(self, request, pk: int):
        registration = selectors.registration_get(user=request.user, pk=pk)
        return Response(serializers.RegistrationOutputSerializer(registration).data)


class RegistrationRevealApi(APIView):
    """The unmasked personal data of one registration, once, with a reason; writes one audit event.

    Officers and managers only. The answer is not cacheable (Cache-Control: no-store).
    """

    permission_classes = [HasViewPermissions]
    required_permissions = (VIEW_REGISTRATION, services.REVEAL_PERMISSION)

    @extend_schema(
        request=serializers.RevealInputSerializer,
        responses={
            200: serializers.RevealOutputSerializer,
            400: OpenApiResponse(description="No reason, or one shorter than 10 characters."),
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
    )
    def post(self, request, pk: int):
        registration = selectors.registration_get(user=request.user, pk=pk)
        serializer = serializers.RevealInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            values = services.registration_reveal(
                registration=registration,
                actor=request.user,
                reason=serializer.validated_data["reason"],
                channel="api",
            )
        except DjangoValidationError as exc:
            raise api_error(exc) from exc
        data = {"id": registration.pk, "external_id": registration.external_id, "id_doc_type": registration.id_doc_type}
        response = Response(serializers.RevealOutputSerializer({**data, **values}).data)
        response["Cache-Control"] = "no-store, private"
        return response


class ActivationListApi(GenericAPIView):
    """Activations (first network use of a SIM), newest first; the phone number masked.

    A caller limited to some provinces sees the activations of SIMs registered in them.
    """

    permission_classes = [HasViewPermissions]
    required_permissions = (VIEW_ACTIVATION,)
    filter_backends = [StrictFilterBackend]
    filterset_class = ActivationFilter
    pagination_class = ActivationPagination
    serializer_class = serializers.ActivationOutputSerializer

    def get_queryset(self):
        return selectors.activation_list(user=self.request.user)

    @extend_schema(responses=serializers.ActivationOutputSerializer(many=True))
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)
