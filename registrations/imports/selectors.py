"""Reads of import jobs for the pages."""

from django.db.models import QuerySet
from django.http import Http404

from core.models import ImportJob

from . import rows

RECENT = 10


def job_get(*, user, pk) -> ImportJob:
    """A registrations/activations import the user may see (the team's, scoped by province: core.models
    ImportJobQuerySet.for_user); 404 for one out of reach and for none alike."""
    job = ImportJob.objects.for_user(user).filter(pk=pk, kind__in=rows.KINDS).select_related("created_by").first()
    if job is None:
        raise Http404
    return job


def recent_jobs(*, user) -> QuerySet:
    """The team's latest registrations/activations imports within the user's reach, newest first."""
    return ImportJob.objects.for_user(user).filter(kind__in=rows.KINDS).select_related("created_by")[:RECENT]
