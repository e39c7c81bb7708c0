"""Integration API for pushing registrations and activations (DESIGN section 4 columns).

POST /api/v1/imports/registrations/ and /api/v1/imports/activations/ take either
- a CSV file (multipart field `file`): stored as a job, imported in the background in committed
  batches; answers 202 with the job and its status URL; or
- JSON `{"rows": [{column: value, ...}, ...]}` of at most MAX_JSON_ROWS rows: written as a CSV to
  the job's file and imported at once through the very same importer; answers 200 with the counts
  and the rejected rows, each with `line` = its position in `rows`, counting from 1.
GET /api/v1/imports/<id>/ is the job's status and progress; /rejects/ its rejected rows as CSV.
A job is visible to the account that created it only (anyone else: 404). Nothing here reads personal
data back: the rejects echo only what the caller sent.
"""

from django.conf import settings
from django.http import FileResponse, Http404
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers, status
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from core.imports import ImportFileError, check_upload_size
from core.models import ImportJob
from core.numbers import grouped

from .. import rows, selectors, services

MAX_JSON_ROWS = 10_000
IMPORT_PERMISSION = "registrations.import_registrations"


class CanImport(BasePermission):
    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and user.has_perm(IMPORT_PERMISSION))


# --- serializers ---


@extend_schema_field(
    {
        "type": "array",
        "maxItems": MAX_JSON_ROWS,
        "items": {
            "type": "object",
            "additionalProperties": {"type": "string", "nullable": True},
            "description": "One row: the file's columns as keys; unknown keys are ignored, missing ones are blank.",
        },
    }
)
class RowsField(serializers.Field):
    """A list of flat objects; values are text (numbers and booleans are written as the file would have them)."""

    # in the caller's language, as DRF's own messages (core.api.authentication)
    default_error_messages = {
        "not_a_list": gettext_lazy("Expected a list of rows."),
        "too_many": gettext_lazy("At most {limit} rows per request; send a CSV file for more."),
        "empty": gettext_lazy("No rows."),
        "not_an_object": gettext_lazy("Row {index} is not an object."),
        "not_a_value": gettext_lazy("Row {index}, column {column!r}: expected a text, number, boolean or null value."),
    }

    def to_internal_value(self, data):
        if not isinstance(data, list):
            self.fail("not_a_list")
        if len(data) > MAX_JSON_ROWS:
            self.fail("too_many", limit=grouped(MAX_JSON_ROWS))
        if not data:
            self.fail("empty")
        for index, row in enumerate(data, start=1):
            if not isinstance(row, dict):
                self.fail("not_an_object", index=index)
            for column, value in row.items():
                if value is not None and not isinstance(value, str | int | float | bool):
                    self.fail("not_a_value", index=index, column=column)
        return data

    def to_representation(self, value):
        return value


class RowsInputSerializer(serializers.Serializer):
    rows = RowsField()


class FileInputSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="The CSV file (UTF-8, header row, comma separated).")


class ImportJobSerializer(serializers.ModelSerializer):
    status_url = serializers.SerializerMethodField()
    rejects_url = serializers.SerializerMethodField()
    percent = serializers.IntegerField(read_only=True)
    rate = serializers.FloatField(read_only=True, allow_null=True, help_text="Rows per second in the current run.")
    eta_seconds = serializers.FloatField(read_only=True, allow_null=True, help_text="Seconds left at that rate.")

    class Meta:
        model = ImportJob
        fields = [
            "id",
            "kind",
            "file_name",
            "status",
            "created_at",
            "started_at",
            "finished_at",
            "total_rows",
            "processed_rows",
            "percent",
            "rate",
            "eta_seconds",
            "created",
            "updated",
            "unchanged",
            "rejected",
            "error",
            "status_url",
            "rejects_url",
        ]
        read_only_fields = fields

    def get_status_url(self, job) -> str:
        return self._url("api:import_job_detail", job)

    def get_rejects_url(self, job) -> str | None:
        return self._url("api:import_job_rejects", job) if job.rejects_file else None

    def _url(self, name, job) -> str:
        url = reverse(name, args=[job.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url


class RejectSerializer(serializers.Serializer):
    line = serializers.IntegerField(help_text="Position of the row in `rows`, counting from 1.")
    reason = serializers.CharField()
    key = serializers.CharField(help_text="The row's external_id (registrations) or iccid (activations).")


class RowsResultSerializer(serializers.Serializer):
    job = ImportJobSerializer()
    rejects = RejectSerializer(many=True)


# --- views ---


class ImportCreateApi(APIView):
    permission_classes = [CanImport]
    parser_classes = [MultiPartParser, JSONParser]
    kind = ""

    def post(self, request):
        if _json_too_large(request):
            # DRF reads a JSON body from the stream, past Django's DATA_UPLOAD_MAX_MEMORY_SIZE check: check it here
            limit = filesizeformat(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
            detail = _("The request body is larger than %(limit)s; send a CSV file instead.") % {"limit": limit}
            return Response({"detail": detail}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
        if "rows" in request.data:
            return self._rows(request)
        data = FileInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        try:
            check_upload_size(upload, settings.REGISTRATIONS_UPLOAD_MAX_BYTES)
            services.check_header(upload, self.kind)
        except ImportFileError as exc:
            raise serializers.ValidationError({"file": [str(exc)]}) from exc
        job = services.import_job_submit(kind=self.kind, actor=request.user, upload=upload)
        job.refresh_from_db()  # an in-process (eager) run may already have finished it
        body = ImportJobSerializer(job, context={"request": request}).data
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["status_url"]})

    def _rows(self, request):
        data = RowsInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.import_rows_now(kind=self.kind, rows=data.validated_data["rows"], actor=request.user)
        # a failed batch: the job is FAILED with the error; its committed batches stay
        answer = status.HTTP_503_SERVICE_UNAVAILABLE if result.failed else status.HTTP_200_OK
        body = {"job": ImportJobSerializer(result.job, context={"request": request}).data, "rejects": result.rejects}
        return Response(body, status=answer)


def _json_too_large(request) -> bool:
    if request.content_type.split(";")[0].strip() != "application/json":
        return False
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    return length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def _create_schema(kind: str, example_columns: list[str]):
    return extend_schema_view(
        post=extend_schema(
            operation_id=f"imports_{kind}_create",
            summary=f"Push {kind}: a CSV file (background job) or up to {MAX_JSON_ROWS:,} rows as JSON (at once)",
            description=(
                f"Columns: `{','.join(example_columns)}` (DESIGN section 4). A CSV file answers 202 with the job; "
                "follow `status_url` for progress. JSON `rows` are imported before the answer, which lists the "
                "rejected rows with `line` = the row's position in `rows` (from 1). Re-sending the same rows changes "
                "nothing."
            ),
            request={"multipart/form-data": FileInputSerializer, "application/json": RowsInputSerializer},
            responses={
                202: OpenApiResponse(ImportJobSerializer, description="The file is stored; the import is queued."),
                200: OpenApiResponse(RowsResultSerializer, description="The JSON rows are imported."),
                400: OpenApiResponse(description="No file or rows, a file without the columns, or too many rows."),
                403: OpenApiResponse(description="Your role may not import."),
                413: OpenApiResponse(description="A JSON body larger than DATA_UPLOAD_MAX_MEMORY_SIZE (10 MB)."),
                503: OpenApiResponse(
                    RowsResultSerializer, description="Writing the rows failed (see `job.error`); send them again."
                ),
            },
            tags=["imports"],
        )
    )


@_create_schema(rows.REGISTRATIONS, rows.REGISTRATION_COLUMNS)
class RegistrationImportApi(ImportCreateApi):
    kind = rows.REGISTRATIONS


@_create_schema(rows.ACTIVATIONS, rows.ACTIVATION_COLUMNS)
class ActivationImportApi(ImportCreateApi):
    kind = rows.ACTIVATIONS


class ImportJobApi(APIView):
    permission_classes = [CanImport]

    @extend_schema(
        operation_id="imports_retrieve",
        summary="Status and progress of one of your imports",
        responses={200: ImportJobSerializer, 404: OpenApiResponse(description="No such import of yours.")},
        tags=["imports"],
    )
    def get(self, request, pk):
        job = selectors.job_get(user=request.user, pk=pk)
        return Response(ImportJobSerializer(job, context={"request": request}).data)


class ImportRejectsApi(APIView):
    permission_classes = [CanImport]

    @extend_schema(
        operation_id="imports_rejects_retrieve",
        summary="Rejected rows of one of your imports (CSV: line, reason, the row's columns)",
        responses={
            (200, "text/csv"): OpenApiTypes.BINARY,
            404: OpenApiResponse(description="No such import of yours, or it rejected nothing."),
        },
        tags=["imports"],
    )
    def get(self, request, pk):
        job = selectors.job_get(user=request.user, pk=pk)
        if not job.rejects_file:
            raise Http404
        return FileResponse(
            job.rejects_file.open("rb"),
            as_attachment=True,
            filename=f"{job.kind}-{job.pk}.rejects.csv",
            content_type="text/csv",
        )
