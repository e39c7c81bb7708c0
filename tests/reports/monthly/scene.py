"""A hand-counted month (March 2026, local) for the monthly report's figures, with its boundaries.

Every row sits just inside or just outside the month: the first and last local instants, instants whose
UTC date is in another month than their local one, and due dates on the month's first and last days.
EXPECTED lists, per scope, the figures counted by hand from the comments below (zero when absent).
"""

import datetime as dt
from zoneinfo import ZoneInfo

from agents.models import StatusChange
from reports.subjects.models import SubjectRequest
from tests.agents.factories import PointFactory
from tests.inspections.factories import TaskFactory, make_action, make_finding, make_sanction
from tests.registrations.factories import ActivationFactory, RegistrationFactory
from tests.registrations.flag_factories import make_flag

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
UTC = dt.UTC
MONTH = "2026-03"


def local(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=LOCAL)


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


FIRST = local(2026, 3, 1)  # = 2026-02-28T17:00Z
LAST = local(2026, 3, 31, 23, 59, 59, 999999)
NEXT = local(2026, 4, 1)  # = 2026-03-31T17:00Z


def build(hn, sg, staff):
    """hn: a point in 001, sg: a point in 079 (each with its agent); staff: who proposes sanctions."""
    # registrations: in March r1 r2 r4 r5 r7 (r5 APP; r4 cancelled); out r0 r3 r8
    r0 = RegistrationFactory(point=hn, registered_at=local(2026, 2, 28, 23, 59, 59, 999999))
    r1 = RegistrationFactory(point=hn, registered_at=FIRST)
    r2 = RegistrationFactory(point=hn, registered_at=LAST)
    r3 = RegistrationFactory(point=sg, registered_at=utc(2026, 3, 31, 17))  # 1 April 00:00 local
    r4 = RegistrationFactory(point=sg, registered_at=local(2026, 3, 15, 10), status="CANCELLED")
    r5 = RegistrationFactory(app=True, registered_at=local(2026, 3, 10, 9))
    RegistrationFactory(point=hn, registered_at=utc(2026, 2, 28, 18))  # r7: UTC February, local 1 March 01:00
    RegistrationFactory(point=hn, registered_at=utc(2026, 3, 31, 20))  # r8: UTC 31 March, local 1 April 03:00

    # activations: in March a1 (r1's SIM, 001), a2 (nobody's SIM), a4 (r3's SIM, 079); out a3
    ActivationFactory(iccid=r1.iccid, activated_at=local(2026, 3, 5))
    a2 = ActivationFactory(activated_at=local(2026, 3, 20))
    a3 = ActivationFactory(activated_at=NEXT)
    ActivationFactory(iccid=r3.iccid, activated_at=LAST)

    # flags counted: r1 PREACTIVATED + MISSING_PHOTOS, r2 MISSING_PHOTOS (confirmed), r5 INCOMPLETE_RECORD,
    # a2 ACTIVATED_UNREGISTERED; not counted: dismissed, resolved, or a subject of another month
    make_flag("PREACTIVATED", registration=r1)
    make_flag("MISSING_PHOTOS", registration=r1)
    make_flag("MISSING_PHOTOS", registration=r2, status="CONFIRMED")
    make_flag("UNVERIFIED_IDENTITY", registration=r2, status="RESOLVED")
    make_flag("MISSING_PHOTOS", registration=r4, status="DISMISSED")
    make_flag("INCOMPLETE_RECORD", registration=r5)
    make_flag("UNDERAGE", registration=r0)
    make_flag("ACTIVATED_UNREGISTERED", activation=a2)
    make_flag("ACTIVATED_UNREGISTERED", activation=a3)

    # status at the month's end: hn, sg active (no history); p3 suspended at the last instant; p4 suspended
    # only after the end (active then); p5 created TERMINATED after the end; p6 suspended, no history
    p3 = PointFactory(agent=hn.agent)
    _change(point=p3, at=local(2026, 1, 1), to="ACTIVE")
    _change(point=p3, at=LAST, frm="ACTIVE", to="SUSPENDED")
    p4 = PointFactory(agent=hn.agent, status="SUSPENDED")
    _change(point=p4, at=local(2026, 1, 1), to="ACTIVE")
    _change(point=p4, at=NEXT, frm="ACTIVE", to="SUSPENDED")
    p5 = PointFactory(agent=sg.agent, status="TERMINATED")
    _change(point=p5, at=local(2026, 5, 1), to="TERMINATED")
    PointFactory(agent=sg.agent, status="SUSPENDED")
    _change(agent=sg.agent, at=local(2026, 3, 10), frm="ACTIVE", to="SUSPENDED")

    # inspections: due in March t1 (hn, 1 March), t4 (sg, 31 March, closed 31 March 23:30 local);
    # not: t2 cancelled, t3 due 1 April, t5 closed 1 April 00:10 local
    TaskFactory(point=hn, due_date=dt.date(2026, 3, 1))
    TaskFactory(point=hn, due_date=dt.date(2026, 3, 31), status="CANCELLED", closed_at=local(2026, 3, 5))
    TaskFactory(point=sg, due_date=dt.date(2026, 4, 1))
    TaskFactory(point=sg, due_date=dt.date(2026, 3, 31), status="CLOSED", closed_at=local(2026, 3, 31, 23, 30))
    TaskFactory(point=hn, due_date=dt.date(2026, 2, 20), status="CLOSED", closed_at=local(2026, 4, 1, 0, 10))

    # findings: one at hn on 31 March 23:59 local; one at sg at the first instant of April
    # (every other finding is made by the helpers below, now, so outside March)
    make_finding(hn, created_at=local(2026, 3, 31, 23, 59))
    make_finding(sg, created_at=NEXT)

    # sanctions approved in March: s1 hn fine 35,000,000; s2 sg warning; not: proposed, rejected, April
    s1 = make_sanction(hn, code="fine-preactivated-sims", proposed_by=staff, decided_at=local(2026, 3, 15))
    s1.amount_vnd = 35_000_000
    s1.save(update_fields=["amount_vnd"])
    make_sanction(sg, proposed_by=staff, decided_at=local(2026, 3, 20))
    make_sanction(hn, proposed_by=staff, status="PROPOSED")
    make_sanction(hn, proposed_by=staff, status="REJECTED", decided_at=local(2026, 3, 10))
    s4 = make_sanction(hn, code="fine-preactivated-sims", proposed_by=staff, decided_at=NEXT)
    s4.amount_vnd = 10_000_000
    s4.save(update_fields=["amount_vnd"])

    # corrective actions due in March: c1 hn on time (evidence 31 March 23:00 local = 16:00Z), c2 hn late
    # (evidence 11 March 00:30 local, whose UTC date is the due date 10 March), c3 sg open; c4 due in April
    _action(hn, staff, dt.date(2026, 3, 31), "VERIFIED", local(2026, 3, 31, 23))
    _action(hn, staff, dt.date(2026, 3, 10), "VERIFIED", local(2026, 3, 11, 0, 30))
    _action(sg, staff, dt.date(2026, 3, 15), "OPEN", None)
    _action(sg, staff, dt.date(2026, 4, 1), "VERIFIED", local(2026, 3, 20))

    # subscriber requests received in March: q1 (001) done on its due date 23:00 local; q2 (no province,
    # last instant) open; q4 (079) done 26 March 00:30 local, a day late (UTC date = due date); q3 April
    _request(local(2026, 3, 2), dt.date(2026, 3, 20), local(2026, 3, 20, 23), ["001"])
    _request(LAST, dt.date(2026, 4, 15), None, [])
    _request(NEXT, dt.date(2026, 4, 20), None, ["001"])
    _request(local(2026, 3, 10), dt.date(2026, 3, 25), local(2026, 3, 26, 0, 30), ["079"])


def _change(*, at, to, frm="", point=None, agent=None):
    StatusChange.objects.create(point=point, agent=agent, changed_at=at, from_status=frm, to_status=to)


def _action(point, staff, due, status, evidence_at):
    action = make_action(point, created_by=staff, due_date=due, status=status)
    action.evidence_at = evidence_at
    action.save(update_fields=["evidence_at"])


def _request(received, due, completed, provinces):
    request = SubjectRequest.objects.create(
        kind="SEE",
        status="DONE" if completed else "RECEIVED",
        msisdn="+84912345678",
        received_at=received,
        ack_due=due,
        due=due,
        completed_at=completed,
    )
    request.provinces.set(provinces)


EXPECTED = {
    (): {
        "registrations": 5,
        "registrations_cancelled": 1,
        "activations": 3,
        "flagged.PREACTIVATED": 1,
        "flagged.MISSING_PHOTOS": 2,
        "flagged.INCOMPLETE_RECORD": 1,
        "flagged.ACTIVATED_UNREGISTERED": 1,
        "flagged_any": 3,
        "points_active": 3,
        "agents_active": 1,
        "inspections_due": 2,
        "inspections_done": 1,
        "findings": 1,
        "sanctions_approved": 2,
        "fines_vnd": 35_000_000,
        "corrective_actions_due": 3,
        "corrective_actions_done_on_time": 1,
        "subject_requests_received": 3,
        "subject_requests_on_time": 1,
    },
    ("001",): {
        "registrations": 3,
        "activations": 1,
        "flagged.PREACTIVATED": 1,
        "flagged.MISSING_PHOTOS": 2,
        "flagged_any": 2,
        "points_active": 2,
        "agents_active": 1,
        "inspections_due": 1,
        "findings": 1,
        "sanctions_approved": 1,
        "fines_vnd": 35_000_000,
        "corrective_actions_due": 2,
        "corrective_actions_done_on_time": 1,
        "subject_requests_received": 1,
        "subject_requests_on_time": 1,
    },
    ("079",): {
        "registrations": 1,
        "registrations_cancelled": 1,
        "activations": 1,
        "points_active": 1,
        "inspections_due": 1,
        "inspections_done": 1,
        "sanctions_approved": 1,
        "corrective_actions_due": 1,
        "subject_requests_received": 1,
    },
}
