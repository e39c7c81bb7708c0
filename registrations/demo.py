"""Demo registrations and activations: ~20,000 clean records with planted violations of every rule.

Deterministic (fixed random seed; times are relative to today's local date) and idempotent: rows
are keyed by external_id (``DEMO-…``) and ICCID, and a second run creates only what is missing
(nothing). Written with bulk_create in batches; the ID number and address are encrypted by their
field, the document hash and import-time findings are computed as the importer computes them.

The background is clean: valid CCCD/CMND/passport numbers whose province, century, year and
gender digits agree with the subscriber; valid Vietnamese mobile numbers; ICCIDs with a valid
Luhn digit; all three photos; registered within the point's opening hours and authorisation
window over the last 6 months; at most 3 SIMs per document; population check MATCH, except
registrations of the last 24 hours, which are still PENDING (the near miss of UNVERIFIED_IDENTITY).
About 8 % come through the app (no point), about 1 % are cancelled, and most SIMs have an
activation minutes to days after their registration.

Planted, a few of each (external ids ``DEMO-X-<RULE>-<n>``; ICCIDs of orphan activations start 89840499):

- PREACTIVATED: 4 registrations whose SIM was activated 1-10 days before registered_at.
- ACTIVATED_UNREGISTERED: 4 activations 2-30 days old with no registration, 1 whose only
  registration is CANCELLED; near miss: 1 activation 3 hours old with no registration.
- INCOMPLETE_RECORD: blank name, blank date of birth, blank ID number, blank issue date, blank address.
- MISSING_PHOTOS: no portrait; a CCCD without the back photo; a passport without the front photo.
- INVALID_ID_NUMBER: CCCD of 11 digits; CCCD with place code 999; CMND of 10 digits; VN passport
  without its letter; foreign passport of 4 characters; unknown document type "GPLX".
- ID_DOB_MISMATCH: year digits, gender digit, century digit that disagree with the subscriber.
- UNDERAGE: two 13-year-olds; near miss: one registered on their 14th birthday.
- POPULATION_MISMATCH: 4 registrations with population_check MISMATCH.
- UNVERIFIED_IDENTITY: 2 PENDING and 2 NOT_CHECKED registrations 3-20 days old.
- EXCESS_SIMS_PER_ID: one CCCD with 5 SIMs at an AUTHORISED_FIXED point (the 4th and 5th fire);
  near miss: one CCCD with 5 SIMs at an OPERATOR_FIXED point.
- UNAUTHORISED_POINT: 4 registrations at SIMXANH-001 on or after 2026-06-30 (its authorisation
  ended), and 3 at KHO79-001 after its TERMINATED status change (recorded when the demo points
  were imported, so these fall between that moment and now).
- OUTSIDE_HOURS: 22:30 and 06:45 at points open 08:00-21:00; 18:00 at a point open 09:00-17:30.
- REUSED_PORTRAIT: two pairs of registrations on different CCCDs with the same portrait hash.
- CONFLICTING_IDENTITY: two CCCDs each registered under two different names; near miss: one CCCD
  under the same name written in other case and spacing.
- REGISTRATION_BURST: 25 registrations within 10 minutes at TGS-048-001 (the 21st-25th fire).
"""

import datetime as dt
import hashlib
import random
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from stdnum import luhn

from agents.demo import demo_rows as demo_agent_and_point_rows
from agents.models import RegistrationPoint, Status, StatusChange
from core.crypto import pii_digest

from .models import Activation, Channel, PopulationCheck, Registration, RegistrationStatus
from .validators import CCCD, CMND, LOCAL_TZ, PASSPORT, cccd_dob_problem, id_number_problem, name_key, province_codes

SEED = 20
BACKGROUND = 19_872  # plus 128 planted and recent rows: 20,000 in all
DAYS = 182
BATCH = 2000
PREFIX = "DEMO-"
ORPHAN_ICCID_ISSUER = "99"  # orphan activations: 89840499…, apart from registered SIMs (898404 + 00…)

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô"]
FAMILY += ["Dương", "Lý", "Đinh", "Trương", "Lâm", "Mai"]
MIDDLE = {"M": ["Văn", "Đức", "Minh", "Quang", "Hữu", "Công", "Thành", "Xuân"], "F": ["Thị", "Ngọc", "Thu", "Thanh"]}
MIDDLE["F"] += ["Minh", "Kim", "Hồng", "Phương"]
GIVEN = {
    "M": ["An", "Bình", "Cường", "Dũng", "Hải", "Hùng", "Huy", "Khánh", "Long", "Nam", "Phong", "Quân", "Sơn"]
    + ["Thắng", "Toàn", "Trung", "Tuấn", "Việt", "Vinh", "Hiếu", "Đạt", "Khoa", "Tài", "Phúc"],
    "F": ["Anh", "Chi", "Dung", "Giang", "Hà", "Hạnh", "Hoa", "Hương", "Lan", "Linh", "Mai", "Ngọc", "Nhung"]
    + ["Oanh", "Phương", "Quỳnh", "Thảo", "Trang", "Uyên", "Vân", "Yến", "Thủy", "Loan", "Tâm"],
}
FOREIGN = {
    "KR": (["KIM", "LEE", "PARK", "CHOI"], ["MIN JUN", "SEO YEON", "JI HOON", "HA EUN"]),
    "CN": (["WANG", "LI", "ZHANG", "LIU"], ["WEI", "FANG", "JING", "LEI"]),
    "JP": (["SATO", "SUZUKI", "TANAKA", "ITO"], ["HARUTO", "YUI", "SOTA", "AOI"]),
    "US": (["SMITH", "JOHNSON", "BROWN", "MILLER"], ["JAMES", "EMMA", "NOAH", "OLIVIA"]),
}
STREETS = ["Lê Lợi", "Trần Hưng Đạo", "Nguyễn Huệ", "Hai Bà Trưng", "Lý Thường Kiệt", "Điện Biên Phủ", "Nguyễn Trãi"]
STREETS += ["Cách Mạng Tháng Tám", "Quang Trung", "Phan Chu Trinh", "Lê Duẩn", "Võ Văn Kiệt", "Hùng Vương"]
CITIES = {
    "001": "Hà Nội",
    "079": "TP Hồ Chí Minh",
    "048": "Đà Nẵng",
    "031": "Hải Phòng",
    "092": "Cần Thơ",
    "038": "Thanh Hóa",
    "066": "Đắk Lắk",
    "056": "Khánh Hòa",
}
# Two-digit starts of 9-digit Vietnamese mobile numbers (Viettel, VinaPhone, MobiFone, Vietnamobile).
MOBILE_PREFIXES = [*(str(p) for p in range(32, 40)), "70", "76", "77", "78", "79", "81", "82", "83", "84", "85"]
MOBILE_PREFIXES += ["86", "88", "90", "91", "93", "94", "96", "97", "98", "56", "58"]
CCCD_PLACE = "Cục Cảnh sát QLHC về TTXH"
PASSPORT_PLACE = "Cục Quản lý xuất nhập cảnh"
DEFAULT_HOURS = (dt.time(7, 0), dt.time(22, 0))  # for a point without hours (always open)


@dataclass
class Person:
    name: str
    dob: dt.date | None
    gender: str
    nationality: str
    doc_type: str
    doc_number: str
    issue_date: dt.date | None
    issue_place: str
    address: str
    portrait: bytes


@dataclass
class Plan:
    """Everything to write. Activations are (external id of the registration or "" for none, iccid, msisdn,
    activated_at): a registration's activation is written with it, so a re-run adds neither."""

    registrations: list[Registration] = field(default_factory=list)
    activations: list[tuple[str, str, str, dt.datetime]] = field(default_factory=list)


def years_before(day: dt.date, years: int) -> dt.date:
    """The same day `years` earlier; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


class Generator:
    def __init__(self, *, now: dt.datetime, points: list[RegistrationPoint], terminated_at: dict[str, dt.datetime]):
        self.rng = random.Random(SEED)  # fixed: the same demo every time  # noqa: S311
        self.now = now
        self.today = timezone.localtime(now, LOCAL_TZ).date()
        self.first_day = self.today - dt.timedelta(days=DAYS)
        self.points = {p.code: p for p in points}
        self.terminated_at = terminated_at
        self.plan = Plan()
        self.used_numbers: set[str] = set()
        self.used_msisdns: set[str] = set()
        self.serial = 0  # ICCID serial of registered SIMs
        self.places = sorted(province_codes())
        # Background points: active, agent active, with an authorisation window that meets the last 6 months.
        self.background_points = [
            (p, window)
            for p in points
            if p.status == Status.ACTIVE and p.agent.status == Status.ACTIVE
            for window in [self._window(p)]
            if window is not None
        ]

    # --- values ---

    def _window(self, point) -> tuple[dt.date, dt.date] | None:
        """Days [first, last] on which the point and its agent were authorised, within the demo period."""
        first, last = self.first_day, self.today - dt.timedelta(days=1)
        for obj in (point, point.agent):
            if obj.authorised_from:
                first = max(first, obj.authorised_from)
            if obj.authorised_until:  # exclusive
                last = min(last, obj.authorised_until - dt.timedelta(days=1))
        return (first, last) if first <= last else None

    def msisdn(self) -> str:
        while True:
            number = f"+84{self.rng.choice(MOBILE_PREFIXES)}{self.rng.randrange(10**7):07d}"
            if number not in self.used_msisdns:
                self.used_msisdns.add(number)
                return number

    def iccid(self, issuer: str = "04") -> str:
        self.serial += 1
        base = f"898404{issuer}{self.serial + 3_000_000:011d}"  # 19 digits, then the Luhn check digit
        return base + luhn.calc_check_digit(base)

    def cccd(self, dob: dt.date, gender: str) -> str:
        century = {1900: 0, 2000: 2}[dob.year // 100 * 100] + (1 if gender == "F" else 0)
        while True:
            number = f"{self.rng.choice(self.places)}{century}{dob.year % 100:02d}{self.rng.randrange(10**6):06d}"
            if number not in self.used_numbers:
                self.used_numbers.add(number)
                return number

    def unique(self, make) -> str:
        while True:
            number = make()
            if number not in self.used_numbers:
                self.used_numbers.add(number)
                return number

    def vn_name(self, gender: str) -> str:
        rng = self.rng
        return f"{rng.choice(FAMILY)} {rng.choice(MIDDLE[gender])} {rng.choice(GIVEN[gender])}"

    def address(self, province: str | None = None) -> str:
        rng = self.rng
        city = CITIES.get(province or "") or rng.choice(list(CITIES.values()))
        return f"{rng.randrange(1, 400)} {rng.choice(STREETS)}, Phường {rng.randrange(1, 15)}, {city}"

    def date_between(self, first: dt.date, last: dt.date) -> dt.date:
        return first + dt.timedelta(days=self.rng.randrange((last - first).days + 1))

    def person(
        self, *, age_on: dt.date, age: int | None = None, gender: str | None = None, province=None, cccd=False
    ) -> Person:
        """A subscriber `age` (default 18-75) years old on `age_on`; `cccd`: a Vietnamese with a CCCD."""
        rng = self.rng
        gender = gender or rng.choice("MF")
        age = age if age is not None else rng.randrange(18, 76)
        dob = years_before(age_on, age) - dt.timedelta(days=rng.randrange(0, 365))
        if not cccd and rng.random() < 0.03:  # a foreigner with a passport
            nationality = rng.choice(sorted(FOREIGN))
            families, givens = FOREIGN[nationality]
            number = self.unique(lambda: f"M{rng.randrange(10**7, 10**8)}")
            return Person(
                name=f"{rng.choice(families)} {rng.choice(givens)}",
                dob=dob,
                gender=gender,
                nationality=nationality,
                doc_type=PASSPORT,
                doc_number=number,
                issue_date=self.date_between(dt.date(2018, 1, 1), dt.date(2025, 6, 30)),
                issue_place=nationality,
                address=self.address(province),
                portrait=self.portrait(),
            )
        roll = 1.0 if cccd else rng.random()
        if roll < 0.05 and dob.year < 1990:
            doc_type, number = CMND, self.unique(lambda: f"{rng.randrange(10**8, 4 * 10**8):09d}")
            issue_date, place = self.date_between(dt.date(2005, 1, 1), dt.date(2015, 12, 31)), "Công an tỉnh"
        elif roll < 0.08:
            doc_type, number = PASSPORT, self.unique(lambda: f"{rng.choice('BCN')}{rng.randrange(10**7):07d}")
            issue_date, place = self.date_between(dt.date(2018, 1, 1), dt.date(2025, 6, 30)), PASSPORT_PLACE
        else:
            doc_type, number = CCCD, self.cccd(dob, gender)
            issue_date, place = self.date_between(dt.date(2021, 1, 1), dt.date(2025, 6, 30)), CCCD_PLACE
        return Person(
            name=self.vn_name(gender),
            dob=dob,
            gender=gender,
            nationality="VN",
            doc_type=doc_type,
            doc_number=number,
            issue_date=max(issue_date, dob + dt.timedelta(days=1)),
            issue_place=place,
            address=self.address(province),
            portrait=self.portrait(),
        )

    def portrait(self) -> bytes:
        return hashlib.sha256(f"demo-portrait-{self.rng.getrandbits(64)}".encode()).digest()

    def local_time(self, day: dt.date, point: RegistrationPoint | None) -> dt.datetime:
        opens, closes = (point.opens_at, point.closes_at) if point and point.opens_at else DEFAULT_HOURS
        start = opens.hour * 3600 + opens.minute * 60
        end = closes.hour * 3600 + closes.minute * 60 - 60  # at least a minute before closing
        seconds = self.rng.randrange(start, end)
        return dt.datetime.combine(day, dt.time(seconds // 3600, seconds // 60 % 60, seconds % 60), tzinfo=LOCAL_TZ)

    # --- rows ---

    def add(
        self,
        external_id: str,
        person: Person,
        *,
        at: dt.datetime,
        point: RegistrationPoint | None,
        activation_delay: dt.timedelta | None = None,
        msisdn: str | None = None,
        **overrides,
    ) -> Registration:
        """One registration (and its SIM's activation `activation_delay` after it, when that is in the past)."""
        msisdn = msisdn or self.msisdn()
        iccid = overrides.pop("iccid", None) or self.iccid()
        values = {
            "external_id": external_id,
            "msisdn": msisdn,
            "iccid": iccid,
            "channel": Channel.POINT if point else Channel.APP,
            "point": point,
            "agent": point.agent if point else None,
            "clerk_code": f"NV-{point.code}-{self.rng.randrange(1, 4)}" if point else "",
            "subscriber_name": person.name,
            "date_of_birth": person.dob,
            "gender": person.gender,
            "nationality": person.nationality,
            "id_doc_type": person.doc_type,
            "id_doc_number": person.doc_number,
            "id_issue_date": person.issue_date,
            "id_issue_place": person.issue_place,
            "address": person.address,
            "registered_at": at,
            "has_portrait": True,
            "has_id_front": True,
            "has_id_back": person.doc_type != PASSPORT,
            "portrait_sha256": person.portrait,
            "population_check": PopulationCheck.MATCH
            if self.now - at > dt.timedelta(hours=24)
            else PopulationCheck.PENDING,
            "status": RegistrationStatus.ACTIVE,
            **overrides,
        }
        values["name_key"] = name_key(values["subscriber_name"])
        values["id_doc_hash"] = pii_digest(values["id_doc_type"], values["id_doc_number"])
        values["id_number_issue"] = (
            id_number_problem(values["id_doc_type"], values["id_doc_number"], values["nationality"]) or ""
        )
        values["id_dob_issue"] = (
            (cccd_dob_problem(values["id_doc_number"], values["date_of_birth"], values["gender"]) or "")
            if values["id_doc_type"] == CCCD
            else ""
        )
        registration = Registration(**values)
        self.plan.registrations.append(registration)
        if activation_delay is not None and at + activation_delay < self.now:
            self.plan.activations.append((external_id, iccid, msisdn, at + activation_delay))
        return registration

    def usual_delay(self) -> dt.timedelta | None:
        """Most SIMs are used within minutes to days; a few never are (yet)."""
        if self.rng.random() < 0.05:
            return None
        return dt.timedelta(minutes=self.rng.randrange(2, 60 * 24 * 3))

    def background(self, count: int) -> None:
        rng = self.rng
        n = 0
        while n < count:
            app = rng.random() < 0.08
            point, window = (None, (self.first_day, self.today - dt.timedelta(days=1)))
            if not app:
                point, window = rng.choice(self.background_points)
            day = self.date_between(*window)
            person = self.person(age_on=day, province=point.province_id if point else None)
            sims = rng.choices([1, 2, 3], weights=[80, 15, 5])[0]
            for _sim in range(min(sims, count - n)):
                n += 1
                at = self.local_time(day, point)
                cancelled = rng.random() < 0.01
                self.add(
                    f"{PREFIX}R{n:06d}",
                    person,
                    at=at,
                    point=point,
                    activation_delay=None if cancelled else self.usual_delay(),
                    status=RegistrationStatus.CANCELLED if cancelled else RegistrationStatus.ACTIVE,
                )
                day = min(day + dt.timedelta(days=rng.randrange(0, 20)), window[1])
        # The last day: still PENDING at the population database (UNVERIFIED_IDENTITY's near miss).
        for k in range(1, 41):
            point, _window = rng.choice(self.background_points)
            at = self.now - dt.timedelta(minutes=rng.randrange(10, 23 * 60))
            opens, closes = point.opens_at or DEFAULT_HOURS[0], point.closes_at or DEFAULT_HOURS[1]
            local = timezone.localtime(at, LOCAL_TZ)
            if not opens <= local.time() < closes:
                point = None  # the app is open all night
            person = self.person(age_on=local.date(), province=point.province_id if point else None)
            self.add(f"{PREFIX}RECENT-{k:03d}", person, at=at, point=point, activation_delay=dt.timedelta(minutes=5))

    # --- planted violations (see the module docstring) ---

    def day_ago(self, days: int, hour: int = 10, minute: int = 0) -> dt.datetime:
        day = self.today - dt.timedelta(days=days)
        return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=LOCAL_TZ)

    def planted(self) -> None:
        """One or more subjects of every rule, each with its near miss (the module docstring)."""
        for plant in (self._plant_sims, self._plant_records, self._plant_documents, self._plant_points):
            plant()

    def _planting(self):
        """What every planting step uses: the points it plants at, the key prefix, a person of the day."""
        rng, p = self.rng, self.points
        fixed = p.get("TGS-079-002") or next(iter(p.values()))
        op_fixed = p.get("PT-079-000") or fixed
        short_hours = p.get("TGS-001-007") or fixed  # 09:00-17:30
        x = f"{PREFIX}X-"

        def someone(at, **kw):
            return self.person(age_on=timezone.localtime(at, LOCAL_TZ).date(), cccd=True, **kw)

        return rng, p, fixed, op_fixed, short_hours, x, someone

    def _plant_sims(self) -> None:
        """Planted pre-activated and unregistered SIMs."""
        rng, p, fixed, op_fixed, short_hours, x, someone = self._planting()
        # PREACTIVATED
        for k in range(1, 5):
            at = self.day_ago(5 + 7 * k, 9 + k)
            self.add(
                f"{x}PREACTIVATED-{k}", someone(at), at=at, point=fixed, activation_delay=-dt.timedelta(days=k * 2)
            )
        # ACTIVATED_UNREGISTERED
        for k in range(1, 5):
            iccid = self.iccid(ORPHAN_ICCID_ISSUER)
            self.plan.activations.append(("", iccid, self.msisdn(), self.now - dt.timedelta(days=2 + 7 * k)))
        at = self.day_ago(12, 14)
        self.add(
            f"{x}ACTIVATED_UNREGISTERED-CANCELLED",
            someone(at),
            at=at,
            point=fixed,
            activation_delay=dt.timedelta(hours=1),
            status=RegistrationStatus.CANCELLED,
        )
        near_miss = self.now - dt.timedelta(hours=3)
        self.plan.activations.append(("", self.iccid(ORPHAN_ICCID_ISSUER), self.msisdn(), near_miss))

    def _plant_records(self) -> None:
        """Planted incomplete, unverified and underage records."""
        rng, p, fixed, op_fixed, short_hours, x, someone = self._planting()
        # INCOMPLETE_RECORD
        blanks = {
            "NAME": {"subscriber_name": ""},
            "DOB": {"date_of_birth": None},
            "ID_NUMBER": {"id_doc_number": ""},
            "ISSUE_DATE": {"id_issue_date": None},
            "ADDRESS": {"address": ""},
        }
        for k, (what, override) in enumerate(blanks.items(), start=1):
            at = self.day_ago(3 + 9 * k, 15)
            self.add(f"{x}INCOMPLETE_RECORD-{what}", someone(at), at=at, point=fixed, **override)
        # MISSING_PHOTOS
        at = self.day_ago(8, 11)
        self.add(
            f"{x}MISSING_PHOTOS-PORTRAIT", someone(at), at=at, point=fixed, has_portrait=False, portrait_sha256=None
        )
        at = self.day_ago(19, 16)
        self.add(f"{x}MISSING_PHOTOS-ID_BACK", someone(at), at=at, point=fixed, has_id_back=False)
        at = self.day_ago(33, 10)
        passport = f"B{rng.randrange(10**7):07d}"
        self.add(
            f"{x}MISSING_PHOTOS-PASSPORT_FRONT",
            someone(at),
            at=at,
            point=fixed,
            id_doc_type=PASSPORT,
            id_doc_number=passport,
            id_issue_place=PASSPORT_PLACE,
            has_id_front=False,
            has_id_back=False,
        )
        # INVALID_ID_NUMBER
        invalid = {
            "CCCD_11_DIGITS": {"id_doc_number": "07909500123"},
            "CCCD_PLACE_999": {"id_doc_number": "999095001234"},
            "CMND_10_DIGITS": {"id_doc_type": CMND, "id_doc_number": "0123456789"},
            "VN_PASSPORT": {"id_doc_type": PASSPORT, "id_doc_number": "12345678"},
            "FOREIGN_PASSPORT": {"id_doc_type": PASSPORT, "id_doc_number": "AB-12", "nationality": "KR"},
            "GPLX": {"id_doc_type": "GPLX", "id_doc_number": "790123456789"},
        }
        for k, (what, override) in enumerate(invalid.items(), start=1):
            at = self.day_ago(4 + 6 * k, 13)
            self.add(f"{x}INVALID_ID_NUMBER-{what}", someone(at), at=at, point=fixed, **override)
        # ID_DOB_MISMATCH: a valid CCCD of someone else's birth year, gender or century
        for k, what in enumerate(("YEAR", "GENDER", "CENTURY"), start=1):
            at = self.day_ago(6 + 11 * k, 10)
            person = someone(at, gender="M", age=30 + k)
            year = person.dob.year + (3 if what == "YEAR" else 0)
            digit = {"YEAR": 0, "GENDER": 1, "CENTURY": 2}[what]
            person.doc_number = self.unique(lambda y=year, d=digit: f"079{d}{y % 100:02d}{rng.randrange(10**6):06d}")
            self.add(f"{x}ID_DOB_MISMATCH-{what}", person, at=at, point=fixed)
        # UNDERAGE: 13 years old; near miss: registered on the 14th birthday
        for k in range(1, 3):
            at = self.day_ago(9 * k, 17)
            self.add(f"{x}UNDERAGE-{k}", someone(at, age=13), at=at, point=fixed)
        at = self.day_ago(40, 10)
        person = someone(at, age=14)
        person.dob = years_before(at.date(), 14)
        person.doc_number = self.cccd(person.dob, person.gender)
        self.add(f"{x}NEAR-UNDERAGE-14TH-BIRTHDAY", person, at=at, point=fixed)
        # POPULATION_MISMATCH
        for k in range(1, 5):
            at = self.day_ago(2 + 13 * k, 14)
            self.add(f"{x}POPULATION_MISMATCH-{k}", someone(at), at=at, point=fixed, population_check="MISMATCH")
        # UNVERIFIED_IDENTITY
        for k, check in enumerate(("PENDING", "PENDING", "NOT_CHECKED", "NOT_CHECKED"), start=1):
            at = self.day_ago(3 + 5 * k, 11)
            self.add(f"{x}UNVERIFIED_IDENTITY-{k}", someone(at), at=at, point=fixed, population_check=check)

    def _plant_documents(self) -> None:
        """Planted ID documents used too often or by two people."""
        rng, p, fixed, op_fixed, short_hours, x, someone = self._planting()
        # EXCESS_SIMS_PER_ID: 5 SIMs on one CCCD at an authorised point; the near miss at the operator's own point
        for name, point in (("EXCESS_SIMS_PER_ID", fixed), ("NEAR-EXCESS_SIMS_AT_OPERATOR", op_fixed)):
            first = self.day_ago(50, 9)
            person = someone(first, gender="F", age=41)
            for k in range(1, 6):
                self.add(f"{x}{name}-{k}", person, at=first + dt.timedelta(days=k, minutes=17 * k), point=point)
        # REUSED_PORTRAIT: two people (two CCCDs), one face
        for k in range(1, 3):
            face = self.portrait()
            for side in "AB":
                at = self.day_ago(10 * k + (side == "B") * 3, 15)
                person = someone(at)
                person.portrait = face
                self.add(f"{x}REUSED_PORTRAIT-{k}{side}", person, at=at, point=fixed)
        # CONFLICTING_IDENTITY: one CCCD, two names; near miss: the same name in other case and spacing
        for k, second_name in enumerate((None, None, "same"), start=1):
            at = self.day_ago(20 + 7 * k, 10)
            person = someone(at, gender="M", age=35)
            label = "CONFLICTING_IDENTITY" if second_name is None else "NEAR-CONFLICTING_IDENTITY"
            self.add(f"{x}{label}-{k}A", person, at=at, point=fixed)
            if second_name is None:
                other = self.vn_name("M")
                while other == person.name:
                    other = self.vn_name("M")
            else:
                other = "  " + person.name.upper().replace(" ", "   ") + " "
            twin = Person(**{**person.__dict__, "name": other})
            self.add(f"{x}{label}-{k}B", twin, at=at + dt.timedelta(days=2), point=fixed)

    def _plant_points(self) -> None:
        """Planted unauthorised points, hours and bursts."""
        rng, p, fixed, op_fixed, short_hours, x, someone = self._planting()
        # UNAUTHORISED_POINT: after SIMXANH-001's authorisation ended; at KHO79-001 after it was terminated
        simxanh = p.get("SIMXANH-001")
        if simxanh is not None and simxanh.authorised_until:
            ended = simxanh.authorised_until
            days = (self.today - ended).days  # on or after the exclusive end, before today
            for k in range(1, 5 if days > 0 else 1):
                day = ended + dt.timedelta(days=(k - 1) * max(days // 4, 1) % days)
                at = dt.datetime.combine(day, dt.time(10 + k, 5 * k), tzinfo=LOCAL_TZ)
                self.add(f"{x}UNAUTHORISED_POINT-SIMXANH-{k}", someone(at), at=at, point=simxanh)
        kho = p.get("KHO79-001")
        since = self.terminated_at.get("KHO79-001")
        if kho is not None and since is not None and since < self.now:
            gap = self.now - since
            for k in range(1, 4):
                at = since + gap * k / 4
                self.add(f"{x}UNAUTHORISED_POINT-KHO79-{k}", someone(at), at=at, point=kho, activation_delay=None)
        # OUTSIDE_HOURS
        for what, point, hour, minute in (
            ("2230", fixed, 22, 30),
            ("0645", fixed, 6, 45),
            ("1800", short_hours, 18, 0),
        ):
            at = self.day_ago(14 + int(what[:2]), hour, minute)
            self.add(f"{x}OUTSIDE_HOURS-{what}", someone(at), at=at, point=point)
        # REGISTRATION_BURST: 25 within 10 minutes at one point
        burst = p.get("TGS-048-001") or fixed
        start = self.day_ago(16, 14, 0)
        for k in range(1, 26):
            at = start + dt.timedelta(seconds=22 * k)
            self.add(f"{x}REGISTRATION_BURST-{k:02d}", someone(at), at=at, point=burst)

    def build(self) -> Plan:
        self.planted()
        self.background(BACKGROUND)
        return self.plan


def _terminated_at() -> dict[str, dt.datetime]:
    """Per point code: when its status history last made it suspended or terminated."""
    found: dict[str, dt.datetime] = {}
    rows = StatusChange.objects.filter(
        point__isnull=False, to_status__in=(Status.SUSPENDED, Status.TERMINATED)
    ).values_list("point__code", "changed_at")
    for code, changed_at in rows:
        found[code] = max(found.get(code, changed_at), changed_at)
    return found


def _existing(model, field: str, values: list[str]) -> set[str]:
    """Which of `values` are already stored: exact lookups in chunks, so the unique indexes answer them."""
    found: set[str] = set()
    for start in range(0, len(values), 900):  # below SQLite's 999 parameters
        chunk = values[start : start + 900]
        found.update(model.objects.filter(**{f"{field}__in": chunk}).values_list(field, flat=True))
    return found


def seed_registrations() -> str:
    now = timezone.now()
    # Only the demo's own points (agents.demo), whatever else was imported: the same demo on every database.
    demo_codes = [row[0] for row in demo_agent_and_point_rows()[1]]
    points = list(RegistrationPoint.objects.filter(code__in=demo_codes).select_related("agent").order_by("code"))
    if not points:
        return "skipped: no demo points (seed agents and points first)"
    plan = Generator(now=now, points=points, terminated_at=_terminated_at()).build()
    have = _existing(Registration, "external_id", [r.external_id for r in plan.registrations])
    new_registrations = [r for r in plan.registrations if r.external_id not in have]
    created = {r.external_id for r in new_registrations}
    have_iccids = _existing(Activation, "iccid", [iccid for _external_id, iccid, _msisdn, _at in plan.activations])
    # A registration's activation comes with it (a re-run adds neither); an orphan one by its ICCID.
    new_activations = [
        Activation(iccid=iccid, msisdn=msisdn, activated_at=at)
        for external_id, iccid, msisdn, at in plan.activations
        if iccid not in have_iccids and (not external_id or external_id in created)
    ]
    with transaction.atomic():
        Registration.objects.bulk_create(new_registrations, batch_size=BATCH)
        Activation.objects.bulk_create(new_activations, batch_size=BATCH)
    return (
        f"{len(new_registrations)} registrations and {len(new_activations)} activations created "
        f"({len(plan.registrations) - len(new_registrations)} registrations already there)"
    )
