"""The remediation API (issue 16):

- GET  /api/v1/remediation/cases/             the cases, filtered as the case list page (one FilterSet), in
                                              the caller's provinces, keyset pages; MSISDNs masked;
- GET  /api/v1/remediation/cases/<id>/        one case with its steps (another province's: 404);
- GET  /api/v1/remediation/lists/?step=&day=  a step's unsent list for a local day, with MSISDNs (audited);
- POST /api/v1/remediation/lists/send/        mark the ids it took as sent (each case step at most once);
- POST /api/v1/remediation/outcomes/          what the operator did, run as a job like an uploaded file;
- GET  /api/v1/remediation/outcomes/<id>/     that job's state and rejected rows.

The cases: every role that reads the case list page (and integration accounts). The step lists and
outcomes: staff and integration accounts only: the lists carry MSISDNs because the operator's CRM acts on
them.
"""

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.filters import StrictFilterBackend
from core.api.pages import CheckedCursorPagination
from core.api.permissions import HasViewPermissions
from core.web import call_service

from .. import outcomes, selectors, services
from ..filters import CaseFilter
from ..models import ListIssue
from .serializers import (
    CaseDetailSerializer,
    CaseSerializer,
    OutcomeJobSerializer,
    OutcomesInputSerializer,
    SendInputSerializer,
    SendOutputSerializer,
    StepListQuerySerializer,
    StepListSerializer,
)


class CasePagination(CheckedCursorPagination):
    ordering = ("-opened_at", "-id")


class CaseListApi(GenericAPIView):
    """Remediation cases in your provinces, newest first; the case list page's filters (a blank value is
    refused: leave the filter out for any value)."""

    permission_classes = [HasViewPermissions]
    required_permissions = (services.VIEW_PERMISSION,)
    filter_backends = [StrictFilterBackend]
    filterset_class = CaseFilter
    pagination_class = CasePagination
    serializer_class = CaseSerializer

    def get_queryset(self):
        return selectors.case_list(user=self.request.user)

    @extend_schema(responses=CaseSerializer(many=True))
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(CaseSerializer(page, many=True).data)


class CaseDetailApi(APIView):
    """One case with its steps (when due, the list issue that sent it, the operator's outcome)."""

    permission_classes = [HasViewPermissions]
    required_permissions = (services.VIEW_PERMISSION,)

    @extend_schema(responses={200: CaseDetailSerializer, 404: OpenApiResponse(description="No such case of yours.")})
    def get(self, request, pk):
        case = selectors.case_get(user=request.user, pk=pk)
        return Response(CaseDetailSerializer(case).data)


class StepListApi(APIView):
    required_permissions = (services.ISSUE_PERMISSION,)
    permission_classes = [HasViewPermissions]

    @extend_schema(
        parameters=[
            OpenApiParameter("step", str, description="REMINDER when left out", enum=[s.value for s in services.Step]),
            OpenApiParameter("day", str, description="YYYY-MM-DD, local; today when left out"),
            OpenApiParameter("limit", int, description="At most this many items (1000; up to 5000)"),
        ],
        responses=StepListSerializer,
    )
    def get(self, request):
        query = StepListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        step, limit = query.validated_data["step"], query.validated_data["limit"]
        day = query.validated_data.get("day") or timezone.localdate()
        steps = selectors.step_list(user=request.user, step=step, day=day).order_by("pk")
        total = steps.count()
        items = []
        for s in steps[:limit]:
            reg = s.case.registration
            items.append(
                {
                    "id": s.pk,
                    "case": s.case_id,
                    "step": s.step,
                    "external_id": reg.external_id,
                    "msisdn": reg.msisdn,
                    "iccid": reg.iccid,
                    "point_code": reg.point.code if reg.point else "",
                    "agent_code": reg.agent.code if reg.agent else "",
                    "due_at": s.due_at,
                }
            )
        services.list_download_audit(
            actor=request.user, issue=None, step=step, day=day, count=len(items), channel="API"
        )
        body = {"step": step, "day": day, "count": total, "items": items}
        return Response(StepListSerializer(body).data)


class StepListSendApi(APIView):
    required_permissions = (services.ISSUE_PERMISSION,)
    permission_classes = [HasViewPermissions]

    @extend_schema(request=SendInputSerializer, responses={201: SendOutputSerializer})
    def post(self, request):
        data = SendInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ids = list(dict.fromkeys(data.validated_data["ids"]))
        issue = call_service(
            services.list_issue,
            actor=request.user,
            step=data.validated_data["step"],
            day=data.validated_data["day"],
            channel=ListIssue.Channel.API,
            ids=ids,
        )
        sent = set(issue.steps.values_list("pk", flat=True))
        body = {"issue": issue.pk, "count": issue.count, "not_sent": [i for i in ids if i not in sent]}
        return Response(SendOutputSerializer(body).data, status=status.HTTP_201_CREATED)


class OutcomesApi(APIView):
    required_permissions = (services.OUTCOME_PERMISSION,)
    permission_classes = [HasViewPermissions]

    @extend_schema(request=OutcomesInputSerializer, responses={202: OutcomeJobSerializer})
    def post(self, request):
        data = OutcomesInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        job = call_service(outcomes.outcomes_submit_rows, actor=request.user, rows=data.validated_data["outcomes"])
        job.refresh_from_db()  # an in-process (eager) run may already have finished it
        body = OutcomeJobSerializer(job, context={"request": request}).data
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["status_url"]})


class OutcomeJobApi(APIView):
    required_permissions = (services.OUTCOME_PERMISSION,)
    permission_classes = [HasViewPermissions]

    @extend_schema(
        responses={200: OutcomeJobSerializer, 404: OpenApiResponse(description="No such outcomes file of yours.")}
    )
    def get(self, request, pk):
        job = selectors.outcome_job_get(user=request.user, pk=pk)
        return Response(OutcomeJobSerializer(job, context={"request": request}).data)
