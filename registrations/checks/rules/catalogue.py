"""The 15 rules of DESIGN section 5 and issue 16's BLACKLISTED_AGENT as shipped: names, descriptions, legal
basis, severity, subject, defaults.

The codes are contracts. Descriptions name parameters as `{name}`: pages fill in the rule's current
values (issue 13), so a description never shows an old default. This is the content the data migration
seeds into `Rule` rows and that
`checks.ensure_rules` restores when a row is missing; after that the row (parameters, enabled,
version) is what counts. Plain data: no model import, so a migration may read it.
"""

DECREE_49 = "Nghị định 49/2017/NĐ-CP (Decree 49/2017/ND-CP)"
DIRECTIVE_11 = "Chỉ thị 11/CT-BTTTT (Directive 11/CT-BTTTT)"
DECREE_163 = "Nghị định 163/2024/NĐ-CP (Decree 163/2024/ND-CP)"
CIRCULAR_08 = "Thông tư 08/2026/TT-BKHCN (Circular 08/2026/TT-BKHCN)"
CIRCULAR_59 = "Thông tư 59/2021/TT-BCA (Circular 59/2021/TT-BCA)"
BLACKLIST_POLICY = (
    "Chính sách nhà mạng: đại lý bị chấm dứt bị đưa vào danh sách đen 3 năm, theo thông lệ DoT Ấn Độ 2023 "
    "(Operator policy: a terminated agent is blacklisted for 3 years, after India's DoT 2023 PoS rules)"
)

CRITICAL, HIGH, MEDIUM = "critical", "high", "medium"
REGISTRATION, ACTIVATION, AGENT = "registration", "activation", "agent"

RULES: list[dict] = [
    {
        "code": "PREACTIVATED",
        "severity": CRITICAL,
        "subject_type": REGISTRATION,
        "parameters": {},
        "legal_basis": f"{DIRECTIVE_11}; {DECREE_49}",
        "name_en": "SIM activated before its registration",
        "name_vi": "SIM kích hoạt trước khi đăng ký thông tin thuê bao",
        "description_en": "The network saw the SIM (ICCID) in use before the subscriber was registered: a "
        "pre-activated SIM. Selling pre-activated SIMs is fined VND 30-40 million.",
        "description_vi": "Mạng ghi nhận SIM (ICCID) đã hoạt động trước thời điểm đăng ký thông tin thuê bao: "
        "SIM kích hoạt sẵn. Hành vi bán SIM kích hoạt sẵn bị phạt 30-40 triệu đồng.",
    },
    {
        "code": "ACTIVATED_UNREGISTERED",
        "severity": CRITICAL,
        "subject_type": ACTIVATION,
        "parameters": {"grace_hours": 24},
        "legal_basis": f"{DIRECTIVE_11}; {DECREE_49}",
        "name_en": "Activated SIM with no registration",
        "name_vi": "SIM đã hoạt động nhưng không có thông tin đăng ký",
        "description_en": "An activation older than {grace_hours} hours whose ICCID has no registration that is "
        "not cancelled.",
        "description_vi": "SIM đã hoạt động quá {grace_hours} giờ mà không có bản đăng ký thông tin thuê bao "
        "nào (không tính bản đã hủy) cho ICCID đó.",
    },
    {
        "code": "INCOMPLETE_RECORD",
        "severity": HIGH,
        "subject_type": REGISTRATION,
        "parameters": {},
        "legal_basis": f"{DECREE_49}; {DECREE_163}",
        "name_en": "Incomplete subscriber record",
        "name_vi": "Thông tin thuê bao không đầy đủ",
        "description_en": "Full name, date of birth, ID document type or number, issue date or address is blank. "
        "Incomplete information: reminder, then one-way and two-way blocking, then termination.",
        "description_vi": "Thiếu họ tên, ngày sinh, loại hoặc số giấy tờ, ngày cấp hoặc địa chỉ. Thông tin không "
        "đầy đủ: nhắc nhở, chặn một chiều, chặn hai chiều rồi chấm dứt hợp đồng.",
    },
    {
        "code": "MISSING_PHOTOS",
        "severity": HIGH,
        "subject_type": REGISTRATION,
        "parameters": {},
        "legal_basis": DECREE_49,
        "name_en": "Portrait or ID document photos missing",
        "name_vi": "Thiếu ảnh chân dung hoặc ảnh giấy tờ",
        "description_en": "No portrait photo; or a CCCD/CMND without both the front and back photos; or a "
        "passport without the front photo.",
        "description_vi": "Không có ảnh chân dung; hoặc CCCD/CMND thiếu ảnh mặt trước hay mặt sau; hoặc hộ chiếu "
        "thiếu ảnh trang thông tin.",
    },
    {
        "code": "INVALID_ID_NUMBER",
        "severity": HIGH,
        "subject_type": REGISTRATION,
        "parameters": {},
        "legal_basis": f"{DECREE_49}; {CIRCULAR_59}",
        "name_en": "Invalid ID document number",
        "name_vi": "Số giấy tờ tùy thân không hợp lệ",
        "description_en": "CCCD not 12 digits or with an unknown place code (a province code or 101-295); CMND "
        "not 9 or 12 digits; Vietnamese passport not one letter and 7 digits; other passport not 6-12 letters or "
        "digits; any other document type.",
        "description_vi": "CCCD không đủ 12 chữ số hoặc mã nơi đăng ký khai sinh không hợp lệ (mã tỉnh hoặc "
        "101-295); CMND không phải 9 hoặc 12 chữ số; hộ chiếu Việt Nam không phải 1 chữ cái và 7 chữ số; hộ chiếu "
        "khác không phải 6-12 chữ cái hoặc chữ số; loại giấy tờ khác.",
    },
    {
        "code": "ID_DOB_MISMATCH",
        "severity": HIGH,
        "subject_type": REGISTRATION,
        "parameters": {},
        "legal_basis": f"{CIRCULAR_59}; {DECREE_49}",
        "name_en": "CCCD number disagrees with birth date or gender",
        "name_vi": "Số CCCD không khớp ngày sinh hoặc giới tính",
        "description_en": "A valid CCCD whose century and gender digit or year digits disagree with the date "
        "of birth, or whose gender digit disagrees with the given gender.",
        "description_vi": "Số CCCD hợp lệ nhưng mã thế kỷ/giới tính hoặc hai số năm sinh không khớp ngày sinh, "
        "hoặc mã giới tính không khớp giới tính đã khai.",
    },
    {
        "code": "UNDERAGE",
        "severity": MEDIUM,
        "subject_type": REGISTRATION,
        "parameters": {"min_age": 14},
        "legal_basis": DECREE_49,
        "name_en": "Subscriber under the minimum age",
        "name_vi": "Thuê bao chưa đủ tuổi",
        "description_en": "Younger than {min_age} completed years on the local date of registration; a "
        "subscriber under 14 must be registered by a parent or guardian.",
        "description_vi": "Chưa đủ {min_age} tuổi tròn vào ngày đăng ký (giờ Việt Nam); người dưới 14 tuổi "
        "phải do cha, mẹ hoặc người giám hộ đăng ký.",
    },
    {
        "code": "POPULATION_MISMATCH",
        "severity": CRITICAL,
        "subject_type": REGISTRATION,
        "parameters": {},
        "legal_basis": CIRCULAR_08,
        "name_en": "Does not match the National Population Database",
        "name_vi": "Không khớp Cơ sở dữ liệu quốc gia về dân cư",
        "description_en": "The population database check (ID number, full name, date of birth, face) found a "
        "mismatch: outgoing service must be suspended within 2 hours.",
        "description_vi": "Đối soát với Cơ sở dữ liệu quốc gia về dân cư (số định danh, họ tên, ngày sinh, khuôn "
        "mặt) không khớp: phải tạm dừng chiều đi trong vòng 2 giờ.",
    },
    {
        "code": "UNVERIFIED_IDENTITY",
        "severity": HIGH,
        "subject_type": REGISTRATION,
        "parameters": {"grace_hours": 24},
        "legal_basis": CIRCULAR_08,
        "name_en": "Identity not verified against the National Population Database",
        "name_vi": "Chưa đối soát với Cơ sở dữ liệu quốc gia về dân cư",
        "description_en": "The population database check is still pending or was never made, more than "
        "{grace_hours} hours after registration.",
        "description_vi": "Quá {grace_hours} giờ sau khi đăng ký mà việc đối soát với Cơ sở dữ liệu quốc gia "
        "về dân cư vẫn đang chờ hoặc chưa thực hiện.",
    },
    {
        "code": "EXCESS_SIMS_PER_ID",
        "severity": HIGH,
        "subject_type": REGISTRATION,
        "parameters": {"max_without_contract": 3},
        "legal_basis": f"{DECREE_49}; {DECREE_163}",
        "name_en": "More SIMs on one ID document than allowed without a contract",
        "name_vi": "Vượt số thuê bao trên một giấy tờ khi không ký hợp đồng",
        "description_en": "A registration on one ID document after its first {max_without_contract}, not made at "
        "the operator's own fixed or mobile point (Decree 49: from the 4th number a standard contract at the "
        "operator's own point is required).",
        "description_vi": "Thuê bao đăng ký sau {max_without_contract} số đầu tiên trên cùng một giấy tờ mà không "
        "đăng ký tại điểm cố định hoặc lưu động của doanh nghiệp (Nghị định 49: từ số thứ 4 phải giao kết hợp đồng "
        "theo mẫu tại điểm của doanh nghiệp).",
    },
    {
        "code": "UNAUTHORISED_POINT",
        "severity": CRITICAL,
        "subject_type": REGISTRATION,
        "parameters": {},
        "legal_basis": f"{DECREE_49}; {DIRECTIVE_11}",
        "name_en": "Registered at a point not authorised at the time",
        "name_vi": "Đăng ký tại điểm không được ủy quyền vào thời điểm đó",
        "description_en": "Registered at a point outside its own or its agent's authorisation period, or while "
        "the point or its agent was suspended or terminated.",
        "description_vi": "Đăng ký tại điểm ngoài thời hạn ủy quyền của điểm hoặc của đại lý, hoặc trong thời gian "
        "điểm hay đại lý bị tạm dừng hoặc chấm dứt.",
    },
    {
        "code": "OUTSIDE_HOURS",
        "severity": MEDIUM,
        "subject_type": REGISTRATION,
        "parameters": {},
        "legal_basis": DIRECTIVE_11,
        "name_en": "Registered outside the point's opening hours",
        "name_vi": "Đăng ký ngoài giờ hoạt động của điểm",
        "description_en": "Registered at a point before its opening time or at or after its closing time (local time).",
        "description_vi": "Đăng ký tại điểm trước giờ mở cửa hoặc từ giờ đóng cửa trở đi (giờ Việt Nam).",
    },
    {
        "code": "REUSED_PORTRAIT",
        "severity": HIGH,
        "subject_type": REGISTRATION,
        "parameters": {},
        "legal_basis": f"{DECREE_49}; {CIRCULAR_08}",
        "name_en": "One portrait photo on different ID documents",
        "name_vi": "Cùng một ảnh chân dung cho nhiều giấy tờ",
        "description_en": "The same portrait photo (SHA-256) appears on registrations of different ID documents.",
        "description_vi": "Cùng một ảnh chân dung (SHA-256) xuất hiện trên các bản đăng ký của những giấy tờ khác "
        "nhau.",
    },
    {
        "code": "CONFLICTING_IDENTITY",
        "severity": HIGH,
        "subject_type": REGISTRATION,
        "parameters": {},
        "legal_basis": f"{DECREE_49}; {CIRCULAR_08}",
        "name_en": "One ID document, several identities",
        "name_vi": "Một giấy tờ, nhiều danh tính",
        "description_en": "The same ID document is registered under more than one (full name, date of birth).",
        "description_vi": "Cùng một giấy tờ được đăng ký với nhiều cặp (họ tên, ngày sinh) khác nhau.",
    },
    {
        "code": "REGISTRATION_BURST",
        "severity": HIGH,
        "subject_type": REGISTRATION,
        "parameters": {"max_in_window": 20, "window_minutes": 10},
        "legal_basis": f"{DIRECTIVE_11}; {DECREE_49}",
        "name_en": "Burst of registrations at one point",
        "name_vi": "Đăng ký dồn dập tại một điểm",
        "description_en": "More than {max_in_window} registrations at one point within {window_minutes} minutes: "
        "a sign of SIMs registered in bulk with pre-filled subscriber data.",
        "description_vi": "Hơn {max_in_window} bản đăng ký tại một điểm trong {window_minutes} phút: dấu "
        "hiệu đăng ký hàng loạt bằng thông tin thuê bao điền sẵn.",
    },
    {
        # subject: an agent or a point (rules.blacklist); "agent" stands for both on the Rule row
        "code": "BLACKLISTED_AGENT",
        "severity": CRITICAL,
        "subject_type": AGENT,
        "parameters": {},
        "legal_basis": f"{BLACKLIST_POLICY}; {DIRECTIVE_11}",
        "name_en": "Agent or point matches the blacklist",
        "name_vi": "Đại lý hoặc điểm trùng danh sách đen",
        "description_en": "An agent or point (not terminated) whose tax code, phone number or owner's ID document "
        "matches a blacklist entry in force of another agent (terminated, or listed by a manager): a terminated "
        "dealer coming back under a new code. Compared as keyed hashes, never in clear.",
        "description_vi": "Đại lý hoặc điểm (chưa chấm dứt) có mã số thuế, số điện thoại hoặc giấy tờ tùy thân "
        "của chủ trùng với một mục còn hiệu lực trong danh sách đen của đại lý khác (đã bị chấm dứt hoặc do "
        "quản lý thêm): đại lý bị chấm dứt quay lại dưới mã mới. So khớp bằng mã băm có khóa, không so bản rõ.",
    },
]

CODES: tuple[str, ...] = tuple(rule["code"] for rule in RULES)
BY_CODE: dict[str, dict] = {rule["code"]: rule for rule in RULES}
