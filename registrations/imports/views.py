"""Upload of registrations.csv / activations.csv, and the import's page with a progress bar polled by htmx.

The upload only stores the file and queues `run_import_task` (on commit); a worker runs the import in
batches and records its progress on the job, which the page reads every second. A job is seen by the
user who started it only; anyone else gets the 404 of a job that does not exist.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from core.imports import ImportFileError
from core.models import ImportJob

from . import rows, services

PERMISSION = "registrations.import_registrations"


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("File"),
        choices=[
            (rows.REGISTRATIONS, gettext_lazy("registrations.csv")),
            (rows.ACTIVATIONS, gettext_lazy("activations.csv")),
        ],
        initial=rows.REGISTRATIONS,
        widget=forms.RadioSelect,
    )
    file = forms.FileField(label=gettext_lazy("CSV file"))

    def clean(self):
        data = super().clean()
        upload, kind = data.get("file"), data.get("kind")
        if upload and kind:
            # Check the header now, so a wrong file is refused here rather than failing in the worker.
            try:
                services.check_header(upload, kind)
            except ImportFileError as exc:
                self.add_error("file", str(exc))
        return data


def own_job(user, pk) -> ImportJob:
    """The user's own registrations/activations import; 404 for another user's and for none alike."""
    job = ImportJob.objects.filter(pk=pk, created_by=user, kind__in=rows.KINDS).first()
    if job is None:
        raise Http404
    return job


@login_required
@permission_required(PERMISSION, raise_exception=True)
def import_upload(request):
    form = ImportUploadForm(request.POST, request.FILES) if request.method == "POST" else ImportUploadForm()
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        job = services.import_job_submit(kind=form.cleaned_data["kind"], actor=request.user, upload=upload)
        return redirect("registrations:import_detail", pk=job.pk)
    context = {
        "form": form,
        "recent": ImportJob.objects.filter(created_by=request.user, kind__in=rows.KINDS)[:10],
        "registration_columns": ",".join(rows.REGISTRATION_COLUMNS),
        "activation_columns": ",".join(rows.ACTIVATION_COLUMNS),
    }
    return render(request, "registrations/import.html", context)


def _progress_context(job: ImportJob) -> dict:
    eta = job.eta_seconds
    return {
        "job": job,
        "eta": services.elapsed_text(eta) if eta is not None else "",
        "can_resume": services.can_resume(job),
    }


@require_safe
@login_required
@permission_required(PERMISSION, raise_exception=True)
def import_detail(request, pk):
    return render(request, "registrations/import_job.html", _progress_context(own_job(request.user, pk)))


@require_safe
@login_required
@permission_required(PERMISSION, raise_exception=True)
def import_progress(request, pk):
    """The progress fragment; it polls itself every second until the job is done or failed."""
    return render(request, "registrations/_import_progress.html", _progress_context(own_job(request.user, pk)))


@require_safe
@login_required
@permission_required(PERMISSION, raise_exception=True)
def import_rejects(request, pk):
    job = own_job(request.user, pk)
    if not job.rejects_file:
        raise Http404
    return FileResponse(job.rejects_file.open("rb"), as_attachment=True, filename=f"{job.file_name}.rejects.csv")


@login_required
@permission_required(PERMISSION, raise_exception=True)
@require_POST
def import_resume(request, pk):
    job = own_job(request.user, pk)
    if services.import_job_resume_later(job=job):
        messages.success(request, _("The import carries on after its last saved batch."))
    else:
        messages.error(request, _("Only a failed or abandoned import of an uploaded file can be resumed."))
    return redirect("registrations:import_detail", pk=job.pk)
