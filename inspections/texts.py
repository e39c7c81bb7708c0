"""What inspections writes into records in words (core.texts): task reasons and history, status changes of a
sanction. Stored in English, shown in the reader's language."""

from django.utils.translation import gettext_noop

SENT_AGAIN = gettext_noop("Sent again after return")
SANCTION_APPROVED = gettext_noop("Sanction #%(id)s approved: %(type)s (%(basis)s). Finding #%(finding)s.")
ASSIGNED = gettext_noop("Assigned to %(user)s")
REASSIGNED = gettext_noop("Reassigned from %(old)s to %(new)s")
CRITICAL_FLAGS = gettext_noop("Critical flag(s): %(rules)s")
BROUGHT_FORWARD = gettext_noop("Brought forward by the scheduler: %(reason)s")
VERIFY_ACTIONS = gettext_noop("Verify corrective action(s) %(ids)s")
ROUTINE = gettext_noop("Routine inspection: every %(days)s days (%(tier)s tier)")

ALL = (SENT_AGAIN, SANCTION_APPROVED, ASSIGNED, REASSIGNED, CRITICAL_FLAGS, BROUGHT_FORWARD, VERIFY_ACTIONS, ROUTINE)
