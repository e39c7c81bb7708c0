"""Registrations and activations straight into the database, with the derived columns the importer computes.

Every registration is valid and clean by default (a CCCD that agrees with the birth date and gender,
a valid mobile number and ICCID, all photos, population check MATCH), at a new point in Hà Nội:

    reg = RegistrationFactory()                               # at a new point in 001
    reg = RegistrationFactory(point=point)                    # at that point (and its agent)
    reg = RegistrationFactory(app=True)                       # channel APP: no point, no agent
    reg = RegistrationFactory(id_doc_number="079 095 001 234")  # the hash and issues follow the number
    ActivationFactory(iccid=reg.iccid, activated_at=reg.registered_at - dt.timedelta(days=1))

id_doc_hash, name_key, id_number_issue and id_dob_issue are computed from the other fields unless given.
"""

import datetime as dt
import hashlib

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory
from stdnum import luhn

from core.crypto import pii_digest
from registrations.models import Activation, Channel, PopulationCheck, Registration, RegistrationStatus
from registrations.validators import CCCD, cccd_dob_problem, id_number_problem, name_key
from tests.agents.factories import PointFactory


def iccid_for(n: int) -> str:
    """A 20-digit ICCID with a valid Luhn check digit, unique per n."""
    base = f"8984047{n:012d}"
    return base + luhn.calc_check_digit(base)


def msisdn_for(n: int) -> str:
    """A Vietnamese mobile number in E.164 (VinaPhone 091…), unique per n below 10 million."""
    return f"+8491{n % 10**7:07d}"


def cccd_for(date_of_birth: dt.date, gender: str, n: int, province: str = "001") -> str:
    """A CCCD number whose place, century, year and gender digits agree with the subscriber."""
    century = (0 if date_of_birth.year < 2000 else 2) + (1 if gender == "F" else 0)
    return f"{province}{century}{date_of_birth.year % 100:02d}{n % 10**6:06d}"


class RegistrationFactory(DjangoModelFactory):
    class Meta:
        model = Registration

    class Params:
        app = factory.Trait(channel=Channel.APP, point=None, agent=None, clerk_code="")

    external_id = factory.Sequence(lambda n: f"R{n:07d}")
    msisdn = factory.Sequence(msisdn_for)
    iccid = factory.Sequence(iccid_for)
    channel = Channel.POINT
    point = factory.SubFactory(PointFactory)
    agent = factory.LazyAttribute(lambda o: o.point.agent if o.point else None)
    clerk_code = "NV001"
    subscriber_name = "Nguyễn Văn An"
    name_key = factory.LazyAttribute(lambda o: name_key(o.subscriber_name))
    date_of_birth = dt.date(1990, 5, 17)
    gender = "M"
    nationality = "VN"
    id_doc_type = CCCD
    id_doc_number = factory.LazyAttributeSequence(
        lambda o, n: cccd_for(o.date_of_birth, o.gender, n) if o.date_of_birth and o.gender else f"001090{n:06d}"
    )
    id_doc_hash = factory.LazyAttribute(lambda o: pii_digest(o.id_doc_type, o.id_doc_number))
    id_number_issue = factory.LazyAttribute(
        lambda o: id_number_problem(o.id_doc_type, o.id_doc_number, o.nationality) or ""
    )
    id_dob_issue = factory.LazyAttribute(
        lambda o: (cccd_dob_problem(o.id_doc_number, o.date_of_birth, o.gender) or "") if o.id_doc_type == CCCD else ""
    )
    id_issue_date = dt.date(2022, 3, 1)
    id_issue_place = "Cục Cảnh sát QLHC về TTXH"
    address = "12 Tràng Tiền, Hoàn Kiếm, Hà Nội"
    # two days ago at 10:00 local: inside every point's opening hours whatever the clock says (a time of
    # day taken from the clock made OUTSIDE_HOURS fire on suites run after 21:00 in Hà Nội)
    registered_at = factory.LazyFunction(
        lambda: timezone.localtime(timezone.now() - dt.timedelta(days=2)).replace(
            hour=10, minute=0, second=0, microsecond=0
        )
    )
    has_portrait = True
    has_id_front = True
    has_id_back = True
    portrait_sha256 = factory.Sequence(lambda n: hashlib.sha256(f"portrait-{n}".encode()).digest())
    population_check = PopulationCheck.MATCH
    status = RegistrationStatus.ACTIVE


class ActivationFactory(DjangoModelFactory):
    class Meta:
        model = Activation

    iccid = factory.Sequence(lambda n: iccid_for(5_000_000 + n))
    msisdn = factory.Sequence(lambda n: msisdn_for(5_000_000 + n))
    activated_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=1))
