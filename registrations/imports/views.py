"""Upload of registrations.csv / activations.csv, and the import's page with a progress bar polled by htmx.

The upload only stores the file and queues `run_import_task` (on commit); a worker runs the import in
batches and records its progress on the job, which the page reads every second. A job is seen by the
user who started it only; anyone else gets the 404 of a job that does not exist.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from core.models import ImportJob
from core.runs import QueueUnavailable, queue_unavailable_message

from . import rows, selectors, services
from .forms import ImportUploadForm

PERMISSION = "registrations.import_registrations"


@login_required
@permission_required(PERMISSION, raise_exception=True)
def import_upload(request):
    form = ImportUploadForm(request.POST, request.FILES) if request.method == "POST" else ImportUploadForm()
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        job = services.import_job_submit(kind=form.cleaned_data["kind"], actor=request.user, upload=upload)
        if services.queue_failed(job):
            messages.error(request, job.error)
        return redirect("registrations:import_detail", pk=job.pk)
    context = {
        "form": form,
        "recent": selectors.recent_jobs(user=request.user),
        "registration_columns": ",".join(rows.REGISTRATION_COLUMNS),
        "activation_columns": ",".join(rows.ACTIVATION_COLUMNS),
    }
    return render(request, "registrations/import.html", context)


def _progress_context(job: ImportJob) -> dict:
    # A RUNNING job whose heartbeat stopped (its worker died) is said to have stopped, with no estimate of
    # what is left, and offered for resuming: within a minute of the worker's death (core.runs' lease).
    stopped = services.is_abandoned(job)
    eta = None if stopped else job.eta_seconds
    return {
        "job": job,
        "stopped": stopped,
        "eta": services.elapsed_text(eta) if eta is not None else "",
        "can_resume": services.can_resume(job),
    }


@require_safe
@login_required
@permission_required(PERMISSION, raise_exception=True)
def import_detail(request, pk):
    job = selectors.job_get(user=request.user, pk=pk)
    return render(request, "registrations/import_job.html", _progress_context(job))


@require_safe
@login_required
@permission_required(PERMISSION, raise_exception=True)
def import_progress(request, pk):
    """The progress fragment; it polls itself every second until the job is done or failed."""
    job = selectors.job_get(user=request.user, pk=pk)
    return render(request, "registrations/_import_progress.html", _progress_context(job))


@require_safe
@login_required
@permission_required(PERMISSION, raise_exception=True)
def import_rejects(request, pk):
    job = selectors.job_get(user=request.user, pk=pk)
    if not job.rejects_file:
        raise Http404
    return FileResponse(job.rejects_file.open("rb"), as_attachment=True, filename=f"{job.file_name}.rejects.csv")


@login_required
@permission_required(PERMISSION, raise_exception=True)
@require_POST
def import_resume(request, pk):
    job = selectors.job_get(user=request.user, pk=pk)
    try:
        resumed = services.import_job_resume_later(job=job)
    except QueueUnavailable:
        messages.error(request, queue_unavailable_message())
        return redirect("registrations:import_detail", pk=job.pk)
    if resumed:
        messages.success(request, _("The import carries on after its last saved batch."))
    else:
        messages.error(request, _("Only a failed or abandoned import of an uploaded file can be resumed."))
    return redirect("registrations:import_detail", pk=job.pk)
