"""Agents and points straight into the database (no service, no audit event, no status history).

Use the services when a test is about what a write records; use these to set the scene.
Provinces come from the migration that loads them; pick one with `province_code`:

    agent = AgentFactory(province_code="079")
    point = PointFactory(agent=agent)            # in the agent's province
    point = PointFactory(province_code="079")    # a new agent in 079 with it
"""

import datetime as dt
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from agents.models import Agent, AgentKind, PointKind, RegistrationPoint, Status
from core.models import Province

# A valid tax code and mobile number; every agent may share them (neither is unique).
TAX_CODE = "0100109106"
PHONE = "+84912345678"
# Coordinates of a real place per province, so distance checks have something sensible.
COORDINATES = {
    "001": (Decimal("21.02450"), Decimal("105.85720")),  # Hoàn Kiếm, Hà Nội
    "079": (Decimal("10.77690"), Decimal("106.70090")),  # Quận 1, TP Hồ Chí Minh
}


def province(code: str) -> Province:
    return Province.objects.get(code=code)


class AgentFactory(DjangoModelFactory):
    class Meta:
        model = Agent

    class Params:
        province_code = "001"

    code = factory.Sequence(lambda n: f"AG{n:05d}")
    name = factory.Sequence(lambda n: f"Đại lý {n}")
    kind = AgentKind.AUTHORISED
    parent = None
    tax_code = TAX_CODE
    phone = PHONE
    province = factory.LazyAttribute(lambda o: province(o.province_code))
    contract_no = factory.Sequence(lambda n: f"HĐ-{n:05d}")
    status = Status.ACTIVE
    authorised_from = dt.date(2025, 1, 1)
    authorised_until = None


class PointFactory(DjangoModelFactory):
    class Meta:
        model = RegistrationPoint

    class Params:
        # None: the agent's province.
        province_code = None

    code = factory.Sequence(lambda n: f"PT{n:05d}")
    agent = factory.SubFactory(
        AgentFactory,
        province_code=factory.LazyAttribute(lambda o: o.factory_parent.province_code or "001"),
    )
    name = factory.Sequence(lambda n: f"Điểm đăng ký {n}")
    kind = factory.LazyAttribute(
        lambda o: PointKind.OPERATOR_FIXED if o.agent.kind == AgentKind.OPERATOR else PointKind.AUTHORISED_FIXED
    )
    address = factory.Sequence(lambda n: f"{n} Tràng Tiền")
    province = factory.LazyAttribute(
        lambda o: o.agent.province if o.province_code is None else province(o.province_code)
    )
    latitude = factory.LazyAttribute(lambda o: COORDINATES.get(o.province.code, COORDINATES["001"])[0])
    longitude = factory.LazyAttribute(lambda o: COORDINATES.get(o.province.code, COORDINATES["001"])[1])
    opens_at = dt.time(8, 0)
    closes_at = dt.time(21, 0)
    status = Status.ACTIVE
    authorised_from = dt.date(2025, 1, 1)
    authorised_until = None
