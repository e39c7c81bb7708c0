"""Celery tasks of reports.subjects."""
