"""API of the re-verification campaigns (/api/v1/), scoped like the pages: another province's campaign
answers 404, and the progress counts only the cases the caller may see. Managers may withdraw an open
campaign started by mistake (POST .../withdraw/ with a reason), as on the page."""

from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.exceptions import ValidationError as DrfValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.pages import CheckedCursorPagination
from core.api.permissions import HasViewPermissions
from core.web import call_service

from .. import selectors, services
from ..filters import CampaignFilter
from ..services import VIEW_PERMISSION, WITHDRAW_PERMISSION
from . import serializers


class CampaignPagination(CheckedCursorPagination):
    ordering = ("-created_at", "-id")


class CampaignListApi(GenericAPIView):
    """Campaigns within your provinces, newest first (filters status, trigger, subject_type, province, q)."""

    permission_classes = [HasViewPermissions]
    required_permissions = (VIEW_PERMISSION,)
    filter_backends = [DjangoFilterBackend]
    filterset_class = CampaignFilter
    pagination_class = CampaignPagination
    serializer_class = serializers.CampaignSerializer

    def get_queryset(self):
        return selectors.campaign_list(user=self.request.user)

    @extend_schema(responses=serializers.CampaignSerializer(many=True))
    def get(self, request):
        blank = [name for name in CampaignFilter.base_filters if name in request.query_params]
        blank = [name for name in blank if not request.query_params[name].strip()]
        if blank:  # the page's form sends "" for "any"; the API leaves the filter out instead
            raise DrfValidationError(dict.fromkeys(blank, [_("Leave the filter out for any value.")]))
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        context = {"progress": selectors.progress_for(user=request.user, campaigns=page)}
        return self.get_paginated_response(serializers.CampaignSerializer(page, many=True, context=context).data)


class CampaignDetailApi(APIView):
    """One campaign with its progress."""

    permission_classes = [HasViewPermissions]
    required_permissions = (VIEW_PERMISSION,)

    @extend_schema(
        responses={200: serializers.CampaignSerializer, 404: OpenApiResponse(description="No such campaign of yours.")}
    )
    def get(self, request, pk):
        campaign = selectors.campaign_get(user=request.user, pk=pk)
        context = {"progress": selectors.progress_for(user=request.user, campaigns=[campaign])}
        return Response(serializers.CampaignSerializer(campaign, context=context).data)


class CampaignWithdrawApi(APIView):
    """Withdraw an open campaign started by mistake: its open cases close as WITHDRAWN (managers)."""

    permission_classes = [HasViewPermissions]
    required_permissions = (VIEW_PERMISSION, WITHDRAW_PERMISSION)

    @extend_schema(
        request=serializers.WithdrawInputSerializer,
        responses={
            200: serializers.CampaignSerializer,
            404: OpenApiResponse(description="No such campaign of yours."),
        },
    )
    def post(self, request, pk):
        campaign = selectors.campaign_get(user=request.user, pk=pk)
        data = serializers.WithdrawInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        campaign = call_service(
            services.campaign_withdraw, campaign=campaign, actor=request.user, reason=data.validated_data["reason"]
        )
        campaign = selectors.campaign_get(user=request.user, pk=campaign.pk)
        context = {"progress": selectors.progress_for(user=request.user, campaigns=[campaign])}
        return Response(serializers.CampaignSerializer(campaign, context=context).data)
