import pytest

from core.roles import Role
from reports.subjects import services
from tests.registrations.factories import RegistrationFactory

MSISDN = "+84912000111"


@pytest.fixture
def subscriber_regs(hanoi_point):
    """Two registrations of one subscriber (same MSISDN) at a Hà Nội point."""
    return [
        RegistrationFactory(point=hanoi_point, msisdn=MSISDN, subscriber_name="Trần Thị Bích Ngọc"),
        RegistrationFactory(point=hanoi_point, msisdn=MSISDN, subscriber_name="Trần Thị Bích Ngọc"),
    ]


@pytest.fixture
def all_officer(make_user):
    return make_user(Role.OFFICER, username="all-officer")


@pytest.fixture
def make_request(all_officer):
    def make(kind="SEE", *, actor=None, status=None, **kwargs):
        kwargs.setdefault("msisdn", MSISDN)
        request = services.subject_request_create(kind=kind, actor=actor or all_officer, **kwargs)
        if status in ("ACKNOWLEDGED", "VERIFIED", "DONE"):
            request = services.subject_request_acknowledge(request=request, actor=actor or all_officer)
        if status in ("VERIFIED", "DONE"):
            request = services.subject_request_verify(request=request, actor=actor or all_officer, method="CCCD seen")
        if status == "DONE":
            request = services.subject_request_carry_out(request=request, actor=actor or all_officer)
        return request

    return make
