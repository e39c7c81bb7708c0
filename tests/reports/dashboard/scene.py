"""A hand-counted scene in Hà Nội ("001") and TP Hồ Chí Minh ("079"), with what each user must see.

Built straight into the database with the factories; the expected figures below are counted by hand
from what is created here (the comments say which rows make each number).
"""

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from agents.models import RiskTier, Status
from inspections.models import TaskStatus
from registrations.models import FlagStatus
from registrations.validators import LOCAL_TZ
from reports.subjects.models import SubjectRequest
from tests.agents.factories import AgentFactory, PointFactory
from tests.inspections.factories import TaskFactory, make_action, make_finding, make_sanction
from tests.registrations.factories import ActivationFactory, RegistrationFactory
from tests.registrations.flag_factories import make_flag

HANOI, SAIGON = "001", "079"


def local_noon(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(12, 0), tzinfo=LOCAL_TZ)


@dataclass
class Scene:
    today: dt.date
    points: dict
    agents: dict


def build(*, proposer) -> Scene:
    today = timezone.localdate()

    def ago(days: int) -> dt.date:
        return today - dt.timedelta(days=days)

    agents = {
        "A1": AgentFactory(code="A1", province_code=HANOI, risk_tier=RiskTier.HIGH, risk_score=50),
        "A2": AgentFactory(
            code="A2", province_code=HANOI, status=Status.SUSPENDED, risk_tier=RiskTier.LOW, risk_score=5
        ),
        "A3": AgentFactory(code="A3", province_code=HANOI, risk_tier="", risk_score=0),
        "S1": AgentFactory(code="S1", province_code=SAIGON, risk_tier=RiskTier.HIGH, risk_score=80),
    }
    a1, a2, a3, s1 = (agents[k] for k in ("A1", "A2", "A3", "S1"))
    points = {
        # HIGH, inspected 10 days ago: within 30 days
        "P1": PointFactory(code="P1", agent=a1, risk_tier=RiskTier.HIGH, risk_score=60, last_inspection_on=ago(10)),
        # HIGH, inspected 40 days ago: late
        "P2": PointFactory(code="P2", agent=a1, risk_tier=RiskTier.HIGH, risk_score=45, last_inspection_on=ago(40)),
        # MEDIUM, never inspected: late
        "P3": PointFactory(code="P3", agent=a1, risk_tier=RiskTier.MEDIUM, risk_score=20),
        # suspended: not in the coverage
        "P4": PointFactory(code="P4", agent=a2, status=Status.SUSPENDED, risk_tier=RiskTier.LOW, risk_score=2),
        # not scored yet (LOW's 180 days), inspected 100 days ago: within
        "P5": PointFactory(code="P5", agent=a3, risk_tier="", last_inspection_on=ago(100)),
        "Q1": PointFactory(code="Q1", agent=s1, risk_tier=RiskTier.HIGH, risk_score=90, last_inspection_on=ago(5)),
    }
    p1, p2, p3, p5, q1 = (points[k] for k in ("P1", "P2", "P3", "P5", "Q1"))

    # registrations: Hà Nội 3 in the last 30 days (1, 10 and 29 days ago) and 1 forty days ago; Sài Gòn 2
    # in the last 30 days; one APP registration (no province) yesterday
    hn = [RegistrationFactory(point=p1, registered_at=local_noon(ago(d))) for d in (1, 10, 29, 40)]
    sg = [RegistrationFactory(point=q1, registered_at=local_noon(ago(d))) for d in (2, 3)]
    RegistrationFactory(app=True, registered_at=local_noon(ago(1)))
    # one 30 days ago: just outside "the last 30 days" (today and the 29 before it)
    RegistrationFactory(point=p1, registered_at=local_noon(ago(30)))

    # flags: Hà Nội open PREACTIVATED (raised 20 days ago) and MISSING_PHOTOS, confirmed PREACTIVATED,
    # dismissed OUTSIDE_HOURS; Sài Gòn open PREACTIVATED and INCOMPLETE_RECORD; an open
    # ACTIVATED_UNREGISTERED on an activation (no point: every-province users only)
    make_flag("PREACTIVATED", registration=hn[0], first_seen=local_noon(ago(20)))
    make_flag("PREACTIVATED", registration=hn[1], status=FlagStatus.CONFIRMED)
    make_flag("MISSING_PHOTOS", registration=hn[2])
    make_flag("OUTSIDE_HOURS", registration=hn[3], status=FlagStatus.DISMISSED)
    make_flag("PREACTIVATED", registration=sg[0])
    make_flag("INCOMPLETE_RECORD", registration=sg[1])
    make_flag("ACTIVATED_UNREGISTERED", activation=ActivationFactory())

    # tasks: P1 closed 3 days ago (one inspection done); P2 overdue; P3 due in 3 days; P5 submitted, due
    # tomorrow (open, not overdue); Q1 overdue
    done = TaskFactory(point=p1, status=TaskStatus.CLOSED, due_date=ago(5), closed_at=local_noon(ago(3)))
    TaskFactory(point=p2, due_date=ago(2))
    TaskFactory(point=p3, due_date=today + dt.timedelta(days=3))
    TaskFactory(point=p5, status=TaskStatus.SUBMITTED, due_date=today + dt.timedelta(days=1))
    TaskFactory(point=q1, due_date=ago(1))
    # submitted after its due date: neither overdue (it was visited) nor due soon
    TaskFactory(point=points["P4"], status=TaskStatus.SUBMITTED, due_date=ago(2))
    sg_done = TaskFactory(point=q1, status=TaskStatus.CLOSED, due_date=ago(60), closed_at=local_noon(ago(58)))

    finding = make_finding(p1, task=done)
    sg_finding = make_finding(q1, task=sg_done)
    # corrective actions: Hà Nội open (due in 5 days), open and overdue, evidence submitted; Sài Gòn overdue
    make_action(p1, created_by=proposer, due_date=today + dt.timedelta(days=5), finding=finding)
    make_action(p1, created_by=proposer, due_date=ago(1), finding=finding)
    make_action(p1, created_by=proposer, status="SUBMITTED", due_date=ago(3), finding=finding)
    make_action(q1, created_by=proposer, due_date=ago(1), finding=sg_finding)
    # sanctions: Hà Nội one proposed, one approved; Sài Gòn one proposed
    make_sanction(p1, status="PROPOSED", proposed_by=proposer, finding=finding)
    make_sanction(p1, status="APPROVED", proposed_by=proposer, finding=finding)
    make_sanction(q1, status="PROPOSED", proposed_by=proposer, finding=sg_finding)

    # subscriber requests: Hà Nội: not acknowledged past ack_due (overdue), acknowledged but past due
    # (overdue), done (closed), verified in time (open); Sài Gòn: past due (overdue); no province: open
    def request(status, *, ack_due, due, acknowledged=False, province=None):
        req = SubjectRequest.objects.create(
            kind=SubjectRequest.Kind.SEE,
            status=status,
            received_at=timezone.now(),
            ack_due=ack_due,
            due=due,
            acknowledged_at=timezone.now() if acknowledged else None,
            registrations_matched=1 if province else 0,  # a province comes from a matched registration
        )
        if province:
            req.provinces.add(province)
        return req

    later = today + dt.timedelta(days=10)
    request(SubjectRequest.Status.RECEIVED, ack_due=ago(1), due=later, province=HANOI)
    request(SubjectRequest.Status.ACKNOWLEDGED, ack_due=ago(10), due=ago(1), acknowledged=True, province=HANOI)
    request(SubjectRequest.Status.DONE, ack_due=ago(20), due=ago(5), province=HANOI)
    request(SubjectRequest.Status.VERIFIED, ack_due=ago(2), due=later, acknowledged=True, province=HANOI)
    request(SubjectRequest.Status.RECEIVED, ack_due=ago(5), due=ago(1), province=SAIGON)
    request(SubjectRequest.Status.RECEIVED, ack_due=today, due=later)
    return Scene(today=today, points=points, agents=agents)


# What each user sees, counted by hand from `build`.
EXPECTED = {
    "hanoi": {
        "agents_total": 3,
        "points_total": 5,
        "registrations_recent": 3,
        "flags_open": 2,
        "flags_by_rule": {"PREACTIVATED": 1, "MISSING_PHOTOS": 1},
        "flags_by_severity": {"critical": 1, "high": 1, "medium": 0, "low": 0},
        "cases": {
            ("PREACTIVATED", "open"): 1,
            ("PREACTIVATED", "confirmed"): 1,
            ("ACTIVATED_UNREGISTERED", "open"): 0,
            ("ACTIVATED_UNREGISTERED", "confirmed"): 0,
        },
        "coverage": (2, 4),
        "tasks_due": 2,
        "tasks_overdue": 1,
        "sanctions_proposed": 1,
        "actions_open": 2,
        "actions_overdue": 1,
        "subjects_open": 3,
        "subjects_overdue": 2,
        "registrations_chart": 5,  # the 4 at P1 within 26 weeks + the one 30 days ago
        "flags_chart": 4,
        "inspections_chart": 1,
    },
    "all": {
        "agents_total": 4,
        "points_total": 6,
        "registrations_recent": 6,
        "flags_open": 5,
        "flags_by_rule": {"PREACTIVATED": 2, "MISSING_PHOTOS": 1, "INCOMPLETE_RECORD": 1, "ACTIVATED_UNREGISTERED": 1},
        "flags_by_severity": {"critical": 3, "high": 2, "medium": 0, "low": 0},
        "cases": {
            ("PREACTIVATED", "open"): 2,
            ("PREACTIVATED", "confirmed"): 1,
            ("ACTIVATED_UNREGISTERED", "open"): 1,
            ("ACTIVATED_UNREGISTERED", "confirmed"): 0,
        },
        "coverage": (3, 5),
        "tasks_due": 2,
        "tasks_overdue": 2,
        "sanctions_proposed": 2,
        "actions_open": 3,
        "actions_overdue": 2,
        "subjects_open": 5,
        "subjects_overdue": 3,
        "registrations_chart": 8,
        "flags_chart": 7,
        "inspections_chart": 2,
    },
}
