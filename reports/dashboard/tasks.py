"""Celery tasks of reports.dashboard."""
