"""Celery tasks of reports.monthly."""
