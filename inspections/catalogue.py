"""Shipped compliance content: the default registration point checklist and the sanction catalogue.

Versioned data, loaded by migration 0002 (and by `load_catalogue` from seed_demo if rows were deleted). The
checklist is DESIGN section 1's registration point checklist plus the items the inspections issue adds.
"""

# Vietnamese first, as in registrations.checks.rules.catalogue: these are shown to both languages' readers.
D49 = "Nghị định 49/2017/NĐ-CP (Decree 49/2017/ND-CP, amending Decree 25/2011/ND-CP)"
D11 = "Chỉ thị 11/CT-BTTTT (Directive 11/CT-BTTTT, 2016)"
D185 = "Nghị định 185/2013/NĐ-CP điều 65; Luật CNTT 2006 điều 22 (Decree 185/2013/ND-CP art. 65; IT Law 2006 art. 22)"

CHECKLIST_FAMILY = "registration-point"
CHECKLIST_NAME = "Kiểm tra điểm đăng ký (Registration point inspection)"

# (code, English, Vietnamese, answer kind, failing answer, photo required, severity, legal basis)
CHECKLIST_ITEMS = [
    (
        "signboard",
        "The signboard shows the operator's brand, the point's address and phone number",
        "Biển hiệu có thương hiệu nhà mạng, địa chỉ và số điện thoại của điểm",
        "YES_NO_NA",
        "NO",
        True,
        "medium",
        D49,
    ),
    (
        "standard-contract",
        "The standard contract and the general terms are posted",
        "Hợp đồng theo mẫu và điều kiện giao dịch chung được niêm yết",
        "YES_NO_NA",
        "NO",
        False,
        "medium",
        D49,
    ),
    (
        "procedure",
        "The subscriber registration procedure is posted",
        "Quy trình đăng ký thông tin thuê bao được niêm yết",
        "YES_NO_NA",
        "NO",
        False,
        "medium",
        D49,
    ),
    (
        "authorisation-contract",
        "The authorisation contract with the operator is posted (authorised points)",
        "Hợp đồng ủy quyền với nhà mạng được niêm yết (điểm được ủy quyền)",
        "YES_NO_NA",
        "NO",
        False,
        "high",
        D49,
    ),
    (
        "camera",
        "A working camera takes the subscriber's portrait",
        "Có camera hoạt động để chụp ảnh chân dung thuê bao",
        "YES_NO_NA",
        "NO",
        False,
        "high",
        D49,
    ),
    (
        "software",
        "The operator's registration software is installed and used",
        "Phần mềm đăng ký thông tin thuê bao của nhà mạng được cài đặt và sử dụng",
        "YES_NO_NA",
        "NO",
        False,
        "high",
        D49,
    ),
    (
        "record-folders",
        "Each subscriber has a complete record folder (form, ID document copy, portrait)",
        "Mỗi thuê bao có hồ sơ đầy đủ (phiếu, bản sao giấy tờ tùy thân, ảnh chân dung)",
        "YES_NO_NA",
        "NO",
        False,
        "high",
        D49,
    ),
    (
        "folders-missing",
        "Record folders missing or incomplete in a sample of 10 recent subscribers",
        "Số hồ sơ thiếu hoặc không đầy đủ trong 10 thuê bao gần nhất",
        "NUMBER",
        ">0",
        False,
        "high",
        D49,
    ),
    (
        "no-preactivated-sims",
        "No pre-activated or pre-filled SIMs in stock",
        "Không có SIM kích hoạt sẵn hoặc SIM đã có sẵn thông tin thuê bao",
        "YES_NO_NA",
        "NO",
        True,
        "critical",
        f"{D49}; {D11}",
    ),
    (
        "folders-locked",
        "Subscriber record folders are complete and locked away",
        "Hồ sơ thuê bao đầy đủ và được cất giữ, khóa an toàn",
        "YES_NO_NA",
        "NO",
        False,
        "high",
        D185,
    ),
    (
        "staff-trained",
        "Staff registering subscribers are trained and listed",
        "Nhân viên đăng ký thông tin thuê bao được đào tạo và có danh sách",
        "YES_NO_NA",
        "NO",
        False,
        "medium",
        D11,
    ),
]

# (code, English, Vietnamese, kind, target, legal basis, fine from, fine up to, risk weight)
SANCTION_TYPES = [
    (
        "warning",
        "Written warning",
        "Cảnh cáo bằng văn bản",
        "WARNING",
        "POINT",
        f"{D11}; hợp đồng ủy quyền (authorisation contract)",
        None,
        None,
        3,
    ),
    (
        "fine-preactivated-sims",
        "Fine: selling pre-activated SIMs or SIMs with pre-filled subscriber data",
        "Phạt tiền: bán SIM kích hoạt sẵn hoặc SIM có sẵn thông tin thuê bao",
        "FINE",
        "AGENT",
        D49,
        30_000_000,
        40_000_000,
        15,
    ),
    (
        "fine-consumer-information",
        "Fine: failure to protect consumer information",
        "Phạt tiền: không bảo vệ thông tin của người tiêu dùng",
        "FINE",
        "AGENT",
        D185,
        10_000_000,
        20_000_000,
        8,
    ),
    (
        "fine-private-information",
        "Fine: failure to protect private information (doubled)",
        "Phạt tiền: không bảo vệ thông tin riêng (gấp đôi)",
        "FINE",
        "AGENT",
        D185,
        20_000_000,
        40_000_000,
        12,
    ),
    (
        "suspend-point",
        "Suspension of the registration point",
        "Tạm ngừng điểm đăng ký",
        "SUSPENSION",
        "POINT",
        f"{D11}; hợp đồng ủy quyền (authorisation contract)",
        None,
        None,
        15,
    ),
    (
        "suspend-agent",
        "Suspension of the agent",
        "Tạm ngừng đại lý",
        "SUSPENSION",
        "AGENT",
        f"{D11}; hợp đồng ủy quyền (authorisation contract)",
        None,
        None,
        20,
    ),
    (
        "terminate-point",
        "Termination of the registration point",
        "Chấm dứt điểm đăng ký",
        "TERMINATION",
        "POINT",
        f"{D11}; hợp đồng ủy quyền (authorisation contract)",
        None,
        None,
        25,
    ),
    (
        "terminate-agent",
        "Termination of the agent's authorisation contract",
        "Chấm dứt hợp đồng ủy quyền với đại lý",
        "TERMINATION",
        "AGENT",
        f"{D11}; hợp đồng ủy quyền (authorisation contract)",
        None,
        None,
        30,
    ),
]


def load_catalogue(apps=None) -> None:
    """Create what is missing: the policy row, the default checklist (version 1) and the sanction types."""
    if apps is None:
        from django.apps import apps as global_apps

        apps = global_apps
    RiskPolicy = apps.get_model("inspections", "RiskPolicy")
    ChecklistTemplate = apps.get_model("inspections", "ChecklistTemplate")
    ChecklistItem = apps.get_model("inspections", "ChecklistItem")
    SanctionType = apps.get_model("inspections", "SanctionType")

    RiskPolicy.objects.get_or_create(pk=1)
    if not ChecklistTemplate.objects.filter(family=CHECKLIST_FAMILY).exists():
        template = ChecklistTemplate.objects.create(
            family=CHECKLIST_FAMILY,
            version=1,
            name=CHECKLIST_NAME,
            is_current=True,
            change_note="Bản mặc định (shipped default).",
        )
        ChecklistItem.objects.bulk_create(
            ChecklistItem(
                template=template,
                position=position,
                code=code,
                question_en=en,
                question_vi=vi,
                answer_kind=kind,
                failing_answer=failing,
                requires_photo=photo,
                severity=severity,
                legal_basis=basis,
            )
            for position, (code, en, vi, kind, failing, photo, severity, basis) in enumerate(CHECKLIST_ITEMS, 1)
        )
    for code, en, vi, kind, target, basis, fine_min, fine_max, weight in SANCTION_TYPES:
        SanctionType.objects.get_or_create(
            code=code,
            defaults={
                "name_en": en,
                "name_vi": vi,
                "kind": kind,
                "target": target,
                "legal_basis": basis,
                "fine_min_vnd": fine_min,
                "fine_max_vnd": fine_max,
                "risk_weight": weight,
            },
        )
