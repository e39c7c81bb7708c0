"""Celery tasks of reports.evidence."""
