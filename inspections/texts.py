"""What inspections writes into records in words (core.texts): task reasons and history, status changes of a
sanction. Stored in English, shown in the reader's language."""

from django.utils.translation import gettext_noop

SENT_AGAIN = gettext_noop("Sent again after return")
SANCTION_APPROVED = gettext_noop("Sanction #%(id)s approved: %(type)s (%(basis)s). Finding #%(finding)s.")
ASSIGNED = gettext_noop("Assigned to %(user)s")
REASSIGNED = gettext_noop("Reassigned from %(old)s to %(new)s")
CRITICAL_FLAGS = gettext_noop("Critical flag(s): %(rules)s")  # rules: codes, comma-separated; shown as names
BROUGHT_FORWARD = gettext_noop("Brought forward by the scheduler: %(reason)s")
VERIFY_ACTIONS = gettext_noop("Verify corrective action(s) %(ids)s")
ROUTINE = gettext_noop("Routine inspection: every %(days)s days (%(tier)s tier)")
SCHEDULER_ASSIGNED = gettext_noop(
    "Assigned by the scheduler to %(user)s: of the active field inspectors covering %(province)s, the one with the "
    "fewest open tasks (%(open)d before this one)"
)
LEFT_UNASSIGNED = gettext_noop("%(reason)s. Left unassigned: no active field inspector covers %(province)s")

ALL = (
    SENT_AGAIN,
    SANCTION_APPROVED,
    ASSIGNED,
    REASSIGNED,
    CRITICAL_FLAGS,
    BROUGHT_FORWARD,
    VERIFY_ACTIONS,
    ROUTINE,
    SCHEDULER_ASSIGNED,
    LEFT_UNASSIGNED,
)
# parameters that are names (of a user, a province), shown as stored
AS_TYPED = (
    (ASSIGNED, "user"),
    (REASSIGNED, "old"),
    (REASSIGNED, "new"),
    (SCHEDULER_ASSIGNED, "user"),
    (SCHEDULER_ASSIGNED, "province"),
    (LEFT_UNASSIGNED, "province"),
)


def rule_names(codes: str) -> str:
    """The `rules` of CRITICAL_FLAGS as stored ("PREACTIVATED, UNVERIFIED") in the reader's language: the rules'
    names from the catalogue; a code it does not know stays as stored."""
    from django.utils.translation import get_language

    from registrations.checks.rules.catalogue import BY_CODE

    field = "name_vi" if (get_language() or "").lower().startswith("vi") else "name_en"
    names = []
    for code in codes.split(", "):
        rule = BY_CODE.get(code.strip())
        names.append(rule[field] if rule else code)
    return "; ".join(names)


def sanction_type_name(stored: str) -> str:
    """The `type` of SANCTION_APPROVED as stored (the English name) in the reader's language, from the catalogue
    the app ships; a type a manager added later stays as stored."""
    from django.utils.translation import get_language

    from .catalogue import SANCTION_TYPES

    if not (get_language() or "").lower().startswith("vi"):
        return stored
    return next((vi for _code, en, vi, *_rest in SANCTION_TYPES if en == stored), stored)
