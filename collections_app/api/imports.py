"""Imports over HTTP (docs/api.md): POST /api/imports/, GET /api/imports/{id}/ and its error report."""
from django.shortcuts import get_object_or_404
from django.urls import re_path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import roles
from collections_app.models import ImportJob, ImportKind, Lender
from collections_app.services.imports import FileRejected
from collections_app.services.imports.jobs import submit_import
from collections_app.services.imports.limits import check_upload, request_size_error
from collections_app.views.files import import_file_download


class CanImport(BasePermission):
    message = gettext_lazy("Only admins may import files.")

    def has_permission(self, request, view):
        return roles.can_import(request.user)


class ImportCreateSerializer(serializers.Serializer):
    file = serializers.FileField(help_text=gettext_lazy("CSV (UTF-8 or GB18030/GBK) or XLSX."))
    kind = serializers.ChoiceField(choices=ImportKind.choices)
    lender = serializers.SlugRelatedField(
        slug_field="code", queryset=Lender.objects.all(), required=False, allow_null=True,
        help_text=gettext_lazy("Lender code; without it the file's lender column is used."),
    )
    dry_run = serializers.BooleanField(required=False, default=False)
    encoding = serializers.CharField(required=False, allow_blank=True, max_length=20)

    def validate_file(self, upload):
        try:
            check_upload(upload)
        except FileRejected as exc:
            raise serializers.ValidationError(exc.message)
        return upload


class ImportJobSerializer(serializers.ModelSerializer):
    lender = serializers.SlugRelatedField(slug_field="code", read_only=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    error_report_url = serializers.SerializerMethodField()
    file_url = serializers.SerializerMethodField()

    class Meta:
        model = ImportJob
        fields = ["id", "kind", "status", "total_rows", "processed_rows", "stored_rows", "rejected_rows", "errors",
                  "created_rows", "updated_rows", "lender", "dry_run", "original_name", "encoding", "message",
                  "created_by", "created_at", "started_at", "finished_at", "error_report_url", "file_url"]
        read_only_fields = fields

    def get_error_report_url(self, job) -> str | None:
        if not job.error_report:
            return None
        request = self.context.get("request")
        url = f"/api/imports/{job.pk}/errors/"
        return request.build_absolute_uri(url) if request else url

    def get_file_url(self, job) -> str | None:
        if not job.file:
            return None
        request = self.context.get("request")
        url = f"/api/imports/{job.pk}/file/"
        return request.build_absolute_uri(url) if request else url


def _job_or_404(pk, qs=None):
    if not str(pk).isdigit():
        raise NotFound()
    return get_object_or_404(qs if qs is not None else ImportJob.objects.all(), pk=int(pk))


class ImportCreateView(APIView):
    permission_classes = [IsAuthenticated, CanImport]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        summary="Upload a file to import (admin)",
        description="Queues the import and answers at once with its id; poll GET /api/imports/{id}/.",
        request={"multipart/form-data": ImportCreateSerializer},
        responses={
            202: inline_serializer("ImportQueued", {"id": serializers.IntegerField(), "status": serializers.CharField()}),
            400: OpenApiResponse(description="Bad input, with a message per field."),
            403: OpenApiResponse(description="Not an admin."),
            413: OpenApiResponse(description="The request is larger than IMPORT_MAX_UPLOAD_MB."),
        },
    )
    def post(self, request):
        too_large = request_size_error(request)
        if too_large:  # refused before the body is read
            return Response({"detail": too_large}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
        data = ImportCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        job = submit_import(kind=v["kind"], lender=v.get("lender"), user=request.user, dry_run=v["dry_run"],
                            encoding=v.get("encoding", ""), upload=v["file"])
        return Response({"id": job.pk, "status": job.status}, status=status.HTTP_202_ACCEPTED)


class ImportDetailView(APIView):
    permission_classes = [IsAuthenticated, CanImport]

    @extend_schema(summary="Progress and result of an import (admin)", responses={200: ImportJobSerializer})
    def get(self, request, pk):
        job = _job_or_404(pk, ImportJob.objects.select_related("lender", "created_by"))
        return Response(ImportJobSerializer(job, context={"request": request}).data)


class ImportErrorsView(APIView):
    permission_classes = [IsAuthenticated, CanImport]

    @extend_schema(
        summary="Error report of an import (admin)",
        description="CSV in UTF-8 with BOM: the original row plus row, column, error.",
        responses={(200, "text/csv"): OpenApiTypes.BINARY, 404: OpenApiResponse(description="No error report.")},
    )
    def get(self, request, pk):
        job = _job_or_404(pk)
        if not job.error_report:
            raise NotFound(_("This import has no error report."))
        return import_file_download(request, job, which="errors")


class ImportFileView(APIView):
    permission_classes = [IsAuthenticated, CanImport]

    @extend_schema(
        summary="The uploaded file of an import (admin)",
        description="The lender's file as uploaded, as an attachment; each download is recorded.",
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY, 404: OpenApiResponse(description="No file.")},
    )
    def get(self, request, pk):
        job = _job_or_404(pk)
        if not job.file:
            raise NotFound(_("This import has no stored file."))
        return import_file_download(request, job, which="file")


urlpatterns = [
    re_path(r"^imports/$", ImportCreateView.as_view(), name="api-import-create"),
    re_path(r"^imports/(?P<pk>[^/]+)/$", ImportDetailView.as_view(), name="api-import-detail"),
    re_path(r"^imports/(?P<pk>[^/]+)/errors/$", ImportErrorsView.as_view(), name="api-import-errors"),
    re_path(r"^imports/(?P<pk>[^/]+)/file/$", ImportFileView.as_view(), name="api-import-file"),
]
