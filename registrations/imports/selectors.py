"""Reads of import jobs for the pages."""

from django.db.models import QuerySet
from django.http import Http404

from core.models import ImportJob

from . import rows

RECENT = 10


def own_job(*, user, pk) -> ImportJob:
    """The user's own registrations/activations import; 404 for another user's and for none alike."""
    job = ImportJob.objects.filter(pk=pk, created_by=user, kind__in=rows.KINDS).first()
    if job is None:
        raise Http404
    return job


def recent_jobs(*, user) -> QuerySet:
    """The user's own latest registrations/activations imports, newest first."""
    return ImportJob.objects.filter(created_by=user, kind__in=rows.KINDS)[:RECENT]
