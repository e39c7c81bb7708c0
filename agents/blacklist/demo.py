"""Demo blacklist (issue 16): a terminated dealer whose owner comes back, in every state an entry can be in.

- SIMVANG (Hà Nội) was terminated for selling pre-activated SIMs: its tax code, phone, owner's CCCD and its
  point's phone are listed. Its owner comes back as HOANGKIM, a new agent code with the same phone (written
  another way) and the same CCCD, with a point; and one of DDV's points in Hà Nội now carries the phone of
  SIMVANG's old point. HOANGKIM, its point and that point are flagged (BLACKLISTED_AGENT) as they are saved.
- MINHAN has SIMVANG's phone but one digit: a near miss, not flagged.
- NHATTAN was terminated and its entry lifted by a manager (the termination was annulled); CUUPHONG was
  terminated four years ago, so its entry has expired; THANHDAT, still active, was listed by a manager.
  An agent carrying NHATTAN's or CUUPHONG's tax code is not flagged.

Through the services, as the app would (audited). Idempotent: a second run finds SIMVANG and stops.
"""

import datetime as dt

from django.contrib.auth import get_user_model
from django.utils import timezone

from core.models import Province

from .. import services as agent_services
from ..models import Agent, AgentKind, PointKind, StatusChange
from .models import BlacklistEntry
from .services import blacklist_add, blacklist_lift, expiry_from

PROVINCE = "001"


def _user(username):
    return get_user_model().objects.filter(username=username).first()


def _agent(officer, code, name, *, tax_code, phone, owner=("", ""), **extra):
    return agent_services.agent_create(
        actor=officer,
        code=code,
        name=name,
        kind=AgentKind.AUTHORISED,
        tax_code=tax_code,
        phone=phone,
        owner_id_doc_type=owner[0],
        owner_id_doc_number=owner[1],
        province=Province.objects.get(code=PROVINCE),
        contract_no=f"HD-{code}",
        authorised_from=dt.date(2024, 1, 1),
        **extra,
    )


def _point(officer, code, agent, *, phone="", owner=("", "")):
    return agent_services.point_create(
        actor=officer,
        code=code,
        agent=agent,
        name=f"Cửa hàng {agent.name.split('(')[0].strip()} {code[-3:]}",
        kind=PointKind.AUTHORISED_FIXED,
        address="18 Hàng Bài, Hà Nội",
        province=agent.province,
        phone=phone,
        owner_id_doc_type=owner[0],
        owner_id_doc_number=owner[1],
        authorised_from=dt.date(2024, 1, 1),
    )


def _terminate(officer, agent, reason, *, days_ago):
    """Terminated `days_ago` days ago: its status change and its entry are dated then."""
    agent_services.agent_terminate(agent=agent, reason=reason, actor=officer, include_points=True)
    then = timezone.now() - dt.timedelta(days=days_ago)
    StatusChange.objects.filter(agent=agent, to_status="TERMINATED").update(changed_at=then)
    StatusChange.objects.filter(point__agent=agent, to_status="TERMINATED").update(changed_at=then)
    entry = BlacklistEntry.objects.get(agent=agent)
    BlacklistEntry.objects.filter(pk=entry.pk).update(listed_at=then, expires_at=expiry_from(then))
    return BlacklistEntry.objects.get(pk=entry.pk)


def seed_blacklist() -> str:
    if Agent.objects.filter(code="SIMVANG").exists():
        return "already seeded"
    officer, manager = _user("officer"), _user("manager")
    owner = ("CCCD", "001085012345")

    # the dealer terminated for pre-activated SIMs, and its owner coming back
    simvang = _agent(officer, "SIMVANG", "Đại lý SIM Vàng", tax_code="0312345673", phone="0987 654 321", owner=owner)
    _point(officer, "SIMVANG-001", simvang, phone="0386 111 222")
    _terminate(officer, simvang, "Bán SIM đã kích hoạt sẵn (biên bản kiểm tra tháng 7)", days_ago=140)
    hoangkim = _agent(
        officer,
        "HOANGKIM",
        "Đại lý Hoàng Kim",
        tax_code="0108765438",
        phone="+84987654321",
        owner=("CCCD", "001.085.012.345"),
    )
    _point(officer, "HOANGKIM-001", hoangkim)
    dealer = Agent.objects.filter(code=f"DDV-{PROVINCE}").first()
    if dealer is not None:
        _point(officer, f"DDV-{PROVINCE}-900", dealer, phone="+84386111222")
    # a near miss: one digit of SIMVANG's phone
    _agent(officer, "MINHAN", "Đại lý Minh An", tax_code="0401112222", phone="0987 654 320")

    # an entry lifted, one expired, one added by hand
    nhattan = _agent(officer, "NHATTAN", "Đại lý Nhật Tân", tax_code="0100109106-001", phone="0912 000 111")
    lifted = _terminate(officer, nhattan, "Không khắc phục sau cảnh cáo", days_ago=90)
    if manager is not None:
        blacklist_lift(entry=lifted, reason="Quyết định chấm dứt bị hủy sau khiếu nại", actor=manager)
    cuuphong = _agent(officer, "CUUPHONG", "Đại lý Cửu Phong", tax_code="0101248141", phone="0912 000 222")
    _terminate(officer, cuuphong, "Đăng ký thông tin thuê bao không đúng quy định", days_ago=4 * 366)
    thanhdat = _agent(officer, "THANHDAT", "Đại lý Thành Đạt", tax_code="0106026495", phone="0912 000 333")
    if manager is not None:
        blacklist_add(agent=thanhdat, reason="Chủ đại lý bị khởi tố về mua bán SIM", actor=manager)
    entries = BlacklistEntry.objects.count()
    return f"{entries} entries; SIMVANG's owner back as HOANGKIM (phone, CCCD) and at DDV-{PROVINCE}-900 (phone)"
