"""Celery's autodiscovery imports `<app>.tasks`; the tasks live in the sub-packages that own them."""

from .checks.tasks import run_checks_task
from .imports.tasks import run_import_task

__all__ = ["run_checks_task", "run_import_task"]
