"""Celery's autodiscovery imports `<app>.tasks`; the tasks live in the sub-packages that own them."""

from .dashboard import tasks as dashboard_tasks
from .evidence import tasks as evidence_tasks
from .monthly import tasks as monthly_tasks
from .subjects import tasks as subjects_tasks

__all__ = ["dashboard_tasks", "evidence_tasks", "monthly_tasks", "subjects_tasks"]
