"""The reports app's models live in the sub-packages that own them (DESIGN section 8)."""

from .dashboard.models import *  # noqa: F403
from .evidence.models import *  # noqa: F403
from .monthly.models import ReportIssue
from .subjects.models import SubjectRequest

__all__ = ["ReportIssue", "SubjectRequest"]
