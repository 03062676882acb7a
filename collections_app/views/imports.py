"""/imports/: upload a lender's file, watch its progress, download its error report (admins only)."""
from functools import wraps

from django import forms
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.roles import can_import
from collections_app.models import ImportJob, ImportKind, ImportStatus, Lender
from collections_app.services.imports import FileRejected
from collections_app.services.imports.jobs import submit_import
from collections_app.services.imports.limits import check_upload, request_size_error
from collections_app.views.files import import_file_download

HISTORY_PAGE_SIZE = 20


def _import_access(view):
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect(f"/accounts/login/?next={request.path}")
        if not can_import(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=_("What the file holds"), choices=ImportKind.choices)
    lender = forms.ModelChoiceField(
        label=_("Lender"), queryset=Lender.objects.filter(is_active=True), required=False, to_field_name="code",
        empty_label=_("— from the file's lender column —"),
    )
    file = forms.FileField(label=_("File (CSV or XLSX)"))
    dry_run = forms.BooleanField(label=_("Dry run: check the file, store nothing"), required=False)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            check_upload(upload)
        except FileRejected as exc:
            raise forms.ValidationError(exc.message)
        return upload


@_import_access
@require_http_methods(["GET", "HEAD", "POST"])
def index(request):
    too_large = request_size_error(request) if request.method == "POST" else ""
    if too_large:  # refused before the body is read
        return _index_page(request, ImportForm(), too_large, status=413)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        job = submit_import(kind=form.cleaned_data["kind"], lender=form.cleaned_data["lender"], user=request.user,
                            dry_run=form.cleaned_data["dry_run"], upload=form.cleaned_data["file"])
        return redirect("import_detail", job_id=job.pk)
    return _index_page(request, form, "", status=400 if form.errors else 200)


def _index_page(request, form, upload_error, *, status):
    jobs = ImportJob.objects.select_related("lender", "created_by").order_by("-created_at", "-id")
    page = Paginator(jobs, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "imports/index.html", {"form": form, "page": page, "upload_error": upload_error},
                  status=status)


@_import_access
@require_GET
def detail(request, job_id):
    job = get_object_or_404(ImportJob.objects.select_related("lender", "created_by"), pk=job_id)
    return render(request, "imports/detail.html", {"job": job, "finished": _finished(job)})


@_import_access
@require_GET
def progress(request, job_id):
    job = get_object_or_404(ImportJob.objects.select_related("lender"), pk=job_id)
    return render(request, "imports/_progress.html", {"job": job, "finished": _finished(job)})


@_import_access
@require_GET
def error_report(request, job_id):
    job = get_object_or_404(ImportJob, pk=job_id)
    return import_file_download(request, job, which="errors")


@_import_access
@require_GET
def source_file(request, job_id):
    job = get_object_or_404(ImportJob, pk=job_id)
    return import_file_download(request, job, which="file")


def _finished(job):
    return job.status in (ImportStatus.DONE, ImportStatus.FAILED)
