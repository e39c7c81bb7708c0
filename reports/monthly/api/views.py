"""GET /api/v1/reports/monthly/<YYYY-MM>/[?province=CODE...]: the month's figures, in the caller's provinces.

A user limited to some provinces gets only theirs (never the all-provinces figures); asking for another
province, an unknown one or a bad month is a 400 with the field's error. Officers, managers and auditors.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.permissions import HasViewPermissions

from .. import selectors
from ..figures import Month
from .serializers import FiguresInputSerializer, FiguresOutputSerializer


class MonthlyFiguresApi(APIView):
    permission_classes = [HasViewPermissions]
    required_permissions = ("reports.view_reportissue",)

    @extend_schema(
        parameters=[OpenApiParameter("province", str, many=True, description="Province code; repeat for several.")],
        responses={200: FiguresOutputSerializer, 400: OpenApiResponse(description="Bad month or province.")},
        tags=["reports"],
    )
    def get(self, request, month: str):
        try:
            parsed = Month.parse(month)
        except ValueError as exc:
            raise ValidationError({"month": [str(exc)]}) from exc
        params = FiguresInputSerializer(data={"province": request.query_params.getlist("province")})
        params.is_valid(raise_exception=True)
        try:
            provinces, figures = selectors.month_figures(request.user, parsed, params.validated_data["province"])
        except DjangoValidationError as exc:
            raise ValidationError({"province": exc.messages}) from exc
        except DjangoPermissionDenied as exc:
            raise PermissionDenied from exc
        return Response(
            FiguresOutputSerializer({"month": str(parsed), "provinces": provinces, "figures": figures}).data
        )
