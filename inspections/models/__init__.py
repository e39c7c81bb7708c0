"""Risk-based supervision: risk policy, checklists, inspection tasks and reports, findings, sanctions,
corrective actions and the nightly run record (DESIGN sections 1, 3 and 6).

Writes go through `inspections.services`; every status move of a task goes through
`services.tasks.task_transition`, which enforces `TASK_TRANSITIONS` and writes a `TaskEvent`.

One module per subject; every name is re-exported here, so `inspections.models.X` (imports, migrations'
`inspections.models.upload_path`) keeps working.
"""

from .checklists import AnswerKind, ChecklistItem, ChecklistTemplate
from .fieldsync import FieldRequest
from .outcomes import (
    ActionStatus,
    CorrectiveAction,
    Finding,
    FindingKind,
    FindingStatus,
    Sanction,
    SanctionKind,
    SanctionStatus,
    SanctionTarget,
    SanctionType,
)
from .reports import Answer, InspectionReport, Photo, PhotoSource, ReviewOutcome, SimFound, upload_path
from .risk import NightlyRun, RiskPolicy
from .tasks import (
    NOT_SUBMITTED_STATUSES,
    OPEN_TASK_STATUSES,
    TASK_TRANSITIONS,
    InspectionTask,
    TaskEvent,
    TaskKind,
    TaskQuerySet,
    TaskStatus,
    task_visible_to,
)

__all__ = [
    "NOT_SUBMITTED_STATUSES",
    "OPEN_TASK_STATUSES",
    "TASK_TRANSITIONS",
    "ActionStatus",
    "Answer",
    "AnswerKind",
    "ChecklistItem",
    "ChecklistTemplate",
    "CorrectiveAction",
    "FieldRequest",
    "Finding",
    "FindingKind",
    "FindingStatus",
    "InspectionReport",
    "InspectionTask",
    "NightlyRun",
    "Photo",
    "PhotoSource",
    "ReviewOutcome",
    "RiskPolicy",
    "Sanction",
    "SanctionKind",
    "SanctionStatus",
    "SanctionTarget",
    "SanctionType",
    "SimFound",
    "TaskEvent",
    "TaskKind",
    "TaskQuerySet",
    "TaskStatus",
    "task_visible_to",
    "upload_path",
]
