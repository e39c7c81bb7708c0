"""Evidence packs and a scene with something of every kind a pack holds.

pack = make_pack(agent)                          # DONE, with a small ZIP stored
scene = evidence_scene(officer)                  # a Hà Nội dealer tree with evidence of every kind
"""

import hashlib
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.utils import timezone

from agents import services as agent_services
from agents.models import Agent
from core.audit import audit_head
from reports.evidence.models import EvidencePack
from tests.agents.factories import AgentFactory, PointFactory
from tests.inspections.factories import add_photo, make_action, make_finding, make_sanction, submitted_task
from tests.registrations.factories import RegistrationFactory
from tests.registrations.flag_factories import make_flag

# Personal data of the scene's subscriber: none of it may appear in clear in a pack.
CLEAR_NAME = "Trần Thị Bích Ngọc"
CLEAR_ID = "001190012345"
CLEAR_ADDRESS = "45 Phố Huế, Hai Bà Trưng, Hà Nội"
ZIP_BYTES = b"PK\x05\x06" + b"\x00" * 18  # an empty ZIP


def make_pack(subject, *, created_by=None, status=EvidencePack.Status.DONE, provinces=None) -> EvidencePack:
    is_agent = isinstance(subject, Agent)
    pack = EvidencePack(
        subject_type=EvidencePack.Subject.AGENT if is_agent else EvidencePack.Subject.POINT,
        agent=subject if is_agent else None,
        point=None if is_agent else subject,
        subject_code=subject.code,
        provinces=provinces if provinces is not None else [subject.province_id],
        status=status,
        created_by=created_by,
        audit_chain_head=audit_head(),
    )
    if status == EvidencePack.Status.DONE:
        pack.finished_at = timezone.now()
        pack.sha256, pack.size_bytes = hashlib.sha256(ZIP_BYTES).hexdigest(), len(ZIP_BYTES)
        pack.file.save("pack.zip", ContentFile(ZIP_BYTES), save=False)
    pack.save()
    return pack


def pack_args(subject) -> list[int]:
    """reverse() args of a download URL for the access matrix: a DONE pack of `subject`."""
    return [make_pack(subject).pk]


@dataclass
class Scene:
    agent: Agent
    sub_agent: Agent
    point: object
    sub_point: object
    other_point: object
    registration: object
    flag: object
    task: object
    sub_task: object
    finding: object
    sanction: object
    action: object


def evidence_scene(staff, inspector) -> Scene:
    """A Hà Nội agent with a point, a sub-agent with a point of its own, and a Sài Gòn point of another
    agent; at the agent's point: a flagged registration, an inspected task with photos, a finding, a
    sanction and a corrective action with an evidence file; audited status changes everywhere."""
    agent = AgentFactory(code="AG-EV", province_code="001")
    sub_agent = AgentFactory(code="AG-EV-B", province_code="001", parent=agent)
    point = PointFactory(code="EV-1", agent=agent)
    sub_point = PointFactory(code="EV-B-1", agent=sub_agent)
    other_point = PointFactory(code="SG-OTHER", agent=AgentFactory(code="AG-OTHER", province_code="079"))
    registration = RegistrationFactory(
        point=point, subscriber_name=CLEAR_NAME, id_doc_number=CLEAR_ID, address=CLEAR_ADDRESS, has_portrait=False
    )
    flag = make_flag("MISSING_PHOTOS", registration=registration)
    task = submitted_task(inspector=inspector, point=point, failing=("camera",))
    add_photo(task.report, "camera")
    add_photo(task.report)
    sub_task = submitted_task(inspector=inspector, point=sub_point)
    finding = make_finding(point, task=task)
    sanction = make_sanction(point, proposed_by=staff, finding=finding)
    action = make_action(point, created_by=staff, finding=finding, status="SUBMITTED")
    action.evidence_file.save("evidence.pdf", ContentFile(b"%PDF-1.4 evidence"), save=True)
    agent_services.point_suspend(point=point, reason="pack test", actor=staff)
    agent_services.point_suspend(point=other_point, reason="elsewhere", actor=staff)
    return Scene(agent, sub_agent, point, sub_point, other_point, registration, flag, task, sub_task, finding,
                 sanction, action)  # fmt: skip
