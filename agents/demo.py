"""Demo agents and points: the operator's own network and two authorised retail chains.

Built as CSV and loaded through the importer, so seeding is idempotent like any re-import.
A few records are planted for the rules to find: an expired authorisation, a suspended point,
a terminated dealer, short opening hours.
"""

import io
import random

from stdnum.vn import mst

from .importers import AGENT_COLUMNS, POINT_COLUMNS, import_agents, import_points

# province code -> (name for addresses, approximate centre)
PROVINCES = {
    "001": ("Hà Nội", 21.0285, 105.8542),
    "079": ("TP Hồ Chí Minh", 10.7769, 106.7009),
    "048": ("Đà Nẵng", 16.0544, 108.2022),
    "031": ("Hải Phòng", 20.8449, 106.6881),
    "092": ("Cần Thơ", 10.0452, 105.7469),
    "038": ("Thanh Hóa", 19.8067, 105.7852),
    "066": ("Đắk Lắk", 12.6667, 108.0500),
    "056": ("Khánh Hòa", 12.2388, 109.1967),
}
STREETS = [
    "Lê Lợi",
    "Trần Hưng Đạo",
    "Nguyễn Huệ",
    "Hai Bà Trưng",
    "Lý Thường Kiệt",
    "Điện Biên Phủ",
    "Cách Mạng Tháng Tám",
    "Nguyễn Trãi",
    "Quang Trung",
    "Phan Chu Trinh",
]


def _tax_code(rng) -> str:
    base = f"0{rng.randrange(100_000_000, 999_999_999):09d}"[:9]
    return base + mst.calc_check_digit(base)


def demo_rows():
    rng = random.Random(11)  # fixed: the same demo every time  # noqa: S311
    agents, points = [], []

    def agent(code, name, kind, parent, province, status="ACTIVE", start="2024-01-01", until=""):
        phone = f"+8491{rng.randrange(1_000_000, 9_999_999)}"
        agents.append(
            [
                code,
                name,
                kind,
                parent,
                _tax_code(rng),
                phone,
                province,
                status,
                f"HD-{code}" if kind == "AUTHORISED" else "",
                start,
                until,
            ]
        )

    def point(
        code, agent_code, kind, province, hours=("08:00", "21:00"), status="ACTIVE", start="2024-01-01", until=""
    ):
        city, lat, lon = PROVINCES[province]
        name = f"{'Cửa hàng' if kind != 'OPERATOR_MOBILE' else 'Điểm lưu động'} {city} {code[-3:]}"
        address = f"{rng.randrange(1, 400)} {rng.choice(STREETS)}, {city}"
        points.append(
            [
                code,
                agent_code,
                name,
                kind,
                address,
                province,
                f"{lat + rng.uniform(-0.08, 0.08):.5f}",
                f"{lon + rng.uniform(-0.08, 0.08):.5f}",
                hours[0],
                hours[1],
                status,
                start,
                until,
            ]
        )

    agent("OP", "Tổng công ty Viễn thông (nhà mạng)", "OPERATOR", "", "001")
    for province in PROVINCES:
        code = f"OP-{province}"
        agent(code, f"Chi nhánh nhà mạng {PROVINCES[province][0]}", "OPERATOR", "OP", province)
        for j in range(6):
            point(f"PT-{province}-{j:03d}", code, "OPERATOR_MOBILE" if j == 5 else "OPERATOR_FIXED", province)
    chains = [("TGS", "Công ty CP Thế Giới Số", "079"), ("DDV", "Công ty TNHH Điện Di Động Việt", "001")]
    for chain, name, home in chains:
        agent(chain, name, "AUTHORISED", "", home, start="2024-06-01", until="2027-06-01")
        for province in PROVINCES:
            dealer = f"{chain}-{province}"
            agent(
                dealer,
                f"{name} – đại lý {PROVINCES[province][0]}",
                "AUTHORISED",
                chain,
                province,
                start="2024-06-01",
                until="2027-06-01",
            )
            for j in range(8):
                point(
                    f"{dealer}-{j:03d}",
                    dealer,
                    "AUTHORISED_FIXED",
                    province,
                    hours=("09:00", "17:30") if j == 7 else ("08:00", "21:00"),
                    start="2024-06-01",
                )
    # planted: a dealer whose authorisation ended, a terminated dealer, a suspended point
    agent(
        "SIMXANH",
        "Đại lý SIM Xanh (hết hạn ủy quyền)",
        "AUTHORISED",
        "DDV",
        "001",
        start="2024-01-01",
        until="2026-06-30",
    )
    point("SIMXANH-001", "SIMXANH", "AUTHORISED_FIXED", "001", start="2024-01-01", until="2026-06-30")
    point("SIMXANH-002", "SIMXANH", "AUTHORISED_FIXED", "001", start="2024-01-01", until="2026-06-30")
    agent("KHO79", "Đại lý Kho SIM 79 (đã chấm dứt)", "AUTHORISED", "TGS", "079", status="TERMINATED")
    point("KHO79-001", "KHO79", "AUTHORISED_FIXED", "079", status="TERMINATED")
    points[-20][10] = "SUSPENDED"
    return agents, points


def _csv(columns, rows) -> io.BytesIO:
    import csv

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    writer.writerows(rows)
    return io.BytesIO(buffer.getvalue().encode("utf-8"))


def seed_agents() -> str:
    agents, points = demo_rows()
    a = import_agents(_csv(AGENT_COLUMNS, agents), actor=None, file_name="demo-agents.csv")
    p = import_points(_csv(POINT_COLUMNS, points), actor=None, file_name="demo-points.csv")
    return f"{a.summary()}; {p.summary()}"
