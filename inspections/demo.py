"""Demo inspections for `seed_demo` (DESIGN section 7): checklists, the sanction catalogue, and tasks in every
state that a compliance team meets in a week, made through the real services by the demo users.

- a closed inspection a month ago at a Hà Nội point: failed items and a pre-activated SIM found, so
  findings, a fine awaiting the manager's approval, an approved warning, an overdue corrective action and
  one whose evidence is in (the scheduler then plans its follow-up);
- a report submitted and waiting for review, one returned to the inspector with a reason;
- the demo inspector's tasks: one overdue, one due today, one upcoming (a complaint);
- then the nightly steps: checks (if never run), risk scores, scheduling (RISK tasks for critical flags,
  ROUTINE ones by cadence), escalation.

Idempotent: the scenario is made once (when no task exists); the nightly steps are safe to run again.
"""

import struct
import zlib
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from agents.models import RegistrationPoint, Status
from registrations.models import CheckRun, Registration, RegistrationStatus

from .catalogue import load_catalogue
from .models import Finding, InspectionTask, SanctionType, TaskKind


def seed_inspections() -> str:
    load_catalogue()
    made = "scenario already there"
    if not InspectionTask.objects.exists():
        users = {u.username: u for u in get_user_model().objects.filter(username__in=DEMO_USERNAMES)}
        points = _points()
        if len(users) == len(DEMO_USERNAMES) and len(points) >= 6:
            with transaction.atomic():
                made = _scenario(users, points)
        else:
            made = "scenario skipped (demo users or points missing)"
    return f"{made}; {_nightly_steps()}"


DEMO_USERNAMES = ("officer", "manager", "inspector")


def _points() -> list[RegistrationPoint]:
    """Active points with coordinates in the inspector's provinces (Hà Nội, TP Hồ Chí Minh), alternating."""
    by_province = [
        list(
            RegistrationPoint.objects.filter(
                province_id=code, status=Status.ACTIVE, agent__status=Status.ACTIVE, latitude__isnull=False
            )
            .select_related("agent")
            .order_by("code")[:4]
        )
        for code in ("001", "079")
    ]
    return [point for pair in zip(*by_province, strict=False) for point in pair]


def answer_value(item, *, failing: bool) -> str:
    """A demo answer to a checklist item: one that fails it, or one that passes."""
    if item.answer_kind == "NUMBER":
        return "3" if failing else "0"
    if item.answer_kind == "YES_NO_NA":
        return item.failing_answer if failing else ("YES" if item.failing_answer == "NO" else "NO")
    return "—"


def _scenario(users, points) -> str:
    from .services import actions, fieldwork, review, sanctions, tasks

    officer, manager, inspector = users["officer"], users["manager"], users["inspector"]
    today = timezone.localdate()
    hanoi, saigon, hanoi_2, saigon_2, hanoi_3, saigon_3 = points[:6]

    def inspect(point, *, kind=TaskKind.ROUTINE, due, failing=(), sim=None, remarks=""):
        task = tasks.task_create(point=point, kind=kind, due_date=due, actor=officer, inspector=inspector)
        report = fieldwork.inspection_check_in(
            task=task, inspector=inspector, latitude=point.latitude, longitude=point.longitude, accuracy_m=15
        )
        answers = {}
        for item in report.template.items.all():
            value = answer_value(item, failing=item.code in failing)
            answers[item.code] = {"value": value, "note": "Thiếu, đã nhắc nhở chủ điểm" if item.code in failing else ""}
            if item.requires_photo:
                fieldwork.photo_add(
                    report=report,
                    inspector=inspector,
                    file=ContentFile(_demo_png(task.pk * 13 + item.position), "p.png"),
                    item_code=item.code,
                    client_id=f"demo-{task.pk}-{item.code}",
                    source="camera",
                    device=fieldwork.DeviceStamp(at=timezone.now()),
                )
        fieldwork.answers_save(report=report, inspector=inspector, answers=answers)
        if sim is not None:
            fieldwork.sim_add(report=report, inspector=inspector, iccid=sim, note="Trong ngăn kéo quầy giao dịch")
        fieldwork.inspection_submit(task=task, inspector=inspector, remarks=remarks)
        return task

    # 1. a month ago: failed items and a pre-activated SIM found at a Hà Nội point
    sim = (
        (Registration.objects.filter(point=hanoi).exclude(status=RegistrationStatus.CANCELLED).order_by("external_id"))
        .values_list("iccid", flat=True)
        .first()
    )
    closed = inspect(
        hanoi,
        due=today - timedelta(days=28),
        failing=("camera", "no-preactivated-sims", "folders-missing"),
        sim=sim,
        remarks="Điểm bán có SIM kích hoạt sẵn; camera hỏng.",
    )
    findings = {
        f.answer.item.code if f.answer_id else "sim": f
        for f in review.report_accept(
            task=closed,
            actor=officer,
            # the seeded visit lasts a second: a weak visit, accepted with a reason (issue 14)
            note="Đã gọi điện xác nhận với chủ điểm: chuyến kiểm tra diễn ra đúng như báo cáo.",
        )
    }
    month_ago = timezone.now() - timedelta(days=30)
    InspectionTask.objects.filter(pk=closed.pk).update(created_at=month_ago, closed_at=month_ago + timedelta(days=3))
    closed.report.__class__.objects.filter(pk=closed.report.pk).update(
        checkin_at=month_ago + timedelta(days=1),
        checkout_at=month_ago + timedelta(days=1, hours=1),
        submitted_at=month_ago + timedelta(days=1, hours=1),
        reviewed_at=month_ago + timedelta(days=3),
    )
    Finding.objects.filter(task=closed).update(created_at=month_ago + timedelta(days=3))
    RegistrationPoint.objects.filter(pk=hanoi.pk).update(last_inspection_on=(month_ago + timedelta(days=1)).date())
    sim_finding = findings.get("sim") or findings["no-preactivated-sims"]
    sanctions.sanction_propose(
        finding=sim_finding,
        sanction_type=SanctionType.objects.get(code="fine-preactivated-sims"),
        amount_vnd=35_000_000,
        actor=officer,
        note="SIM kích hoạt sẵn tìm thấy tại điểm bán (Nghị định 49/2017/NĐ-CP).",
    )
    warning = sanctions.sanction_propose(
        finding=findings["camera"],
        sanction_type=SanctionType.objects.get(code="warning"),
        actor=officer,
        note="Camera chụp ảnh chân dung không hoạt động.",
    )
    sanctions.sanction_approve(sanction=warning, actor=manager, note="Đồng ý cảnh cáo.")
    camera = actions.action_create(
        finding=findings["camera"],
        description="Sửa hoặc thay camera chụp ảnh chân dung thuê bao.",
        owner="Chủ điểm đăng ký",
        due_date=today + timedelta(days=1),
        actor=officer,
    )
    # given a month ago with three weeks to fix it: overdue now
    type(camera).objects.filter(pk=camera.pk).update(
        created_at=month_ago + timedelta(days=3), due_date=today - timedelta(days=5)
    )
    folders = actions.action_create(
        finding=findings["folders-missing"],
        description="Bổ sung hồ sơ thuê bao còn thiếu và lưu trữ có khóa.",
        owner="Quản lý đại lý",
        due_date=today + timedelta(days=10),
        actor=officer,
    )
    actions.action_submit_evidence(
        action=folders,
        note="Đã bổ sung 3 hồ sơ; ảnh tủ hồ sơ có khóa kèm theo.",
        file=ContentFile(_demo_png(99), "evidence.png"),
        actor=officer,
    )

    # 2. waiting for review (TP Hồ Chí Minh) and returned to the inspector (Hà Nội)
    inspect(
        saigon, due=today - timedelta(days=1), failing=("staff-trained",), remarks="Nhân viên mới chưa được đào tạo."
    )
    returned = inspect(hanoi_2, due=today, failing=("signboard",))
    review.report_return(task=returned, actor=officer, reason="Ảnh biển hiệu bị mờ, đề nghị chụp lại.")

    # 3. the inspector's list: overdue, today, upcoming
    tasks.task_create(
        point=saigon_2, kind=TaskKind.ROUTINE, due_date=today - timedelta(days=3), actor=officer, inspector=inspector
    )
    tasks.task_create(point=hanoi_3, kind=TaskKind.ROUTINE, due_date=today, actor=officer, inspector=inspector)
    tasks.task_create(
        point=saigon_3,
        kind=TaskKind.COMPLAINT,
        due_date=today + timedelta(days=5),
        actor=officer,
        inspector=inspector,
        reason="Khách hàng phản ánh được bán SIM đã có sẵn thông tin thuê bao.",
    )
    # inspections from before the app: spread over the last 8 months, so cadence and risk have history
    earlier = []
    for point in RegistrationPoint.objects.filter(last_inspection_on__isnull=True).only("pk"):
        point.last_inspection_on = today - timedelta(days=20 + (point.pk * 37) % 220)
        earlier.append(point)
    RegistrationPoint.objects.bulk_update(earlier, ["last_inspection_on"], batch_size=1000)
    return "scenario made (7 tasks, findings, sanctions, corrective actions)"


def _nightly_steps() -> str:
    from registrations.checks.runner import run_checks

    from .escalation import escalate
    from .risk import rescore
    from .scheduling import schedule_inspections

    if not CheckRun.objects.filter(status=CheckRun.Status.DONE).exists():
        run_checks(trigger=CheckRun.Trigger.COMMAND)
    rescore()
    planned = schedule_inspections()
    escalate()
    created = sum(value for key, value in planned.items() if key.endswith("created") and isinstance(value, int))
    return f"risk scored, {created} tasks scheduled"


def _demo_png(seed: int, width: int = 320, height: int = 240) -> bytes:
    """A small striped PNG (no imaging library needed): a stand-in for a photo taken on site."""
    r, g, b = (60 + seed * 37) % 200, (90 + seed * 53) % 200, (120 + seed * 71) % 200
    rows = bytearray()
    for y in range(height):
        rows.append(0)  # filter: none
        shade = 40 if (y // 20) % 2 else 0
        rows.extend(bytes((r + shade, g + shade, b + shade)) * width)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(rows), 9))
        + chunk(b"IEND", b"")
    )
