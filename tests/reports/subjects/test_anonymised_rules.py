"""An anonymised registration takes no further part in any rule; its flags stay as they were (DESIGN section 3)."""

import pytest

from registrations.checks.runner import run_checks
from registrations.models import Flag, FlagStatus, Registration
from registrations.records.services import registration_anonymise
from tests.registrations.factories import RegistrationFactory
from tests.registrations.flag_factories import make_flag

pytestmark = pytest.mark.django_db


def _anonymise(*regs):
    registration_anonymise(registrations=list(regs), actor=None, reason="test")


def _check(*codes):
    return run_checks(codes=list(codes), trigger="COMMAND")


def test_a_rule_does_not_fire_on_an_anonymised_registration():
    # given a clean registration, anonymised: name, birth date, ID number... are blank now
    reg = RegistrationFactory()
    _anonymise(reg)
    # when INCOMPLETE_RECORD runs (it would fire on blank fields)
    run = _check("INCOMPLETE_RECORD")
    # then no flag is raised on it
    assert run.results["INCOMPLETE_RECORD"]["flagged"] == 0
    assert not Flag.objects.filter(registration=reg).exists()


def test_the_same_registration_not_anonymised_is_flagged():
    # near miss: the same blanks without anonymisation do fire
    reg = RegistrationFactory()
    Registration.objects.filter(pk=reg.pk).update(subscriber_name="", address="")
    _check("INCOMPLETE_RECORD")
    assert Flag.objects.filter(registration=reg, rule__code="INCOMPLETE_RECORD").exists()


@pytest.mark.parametrize("status", [FlagStatus.OPEN, FlagStatus.CONFIRMED, FlagStatus.DISMISSED])
def test_a_flag_of_an_anonymised_registration_is_not_resolved(status):
    # given a registration without a portrait, flagged, then anonymised
    reg = RegistrationFactory(has_portrait=False)
    flag = make_flag("MISSING_PHOTOS", registration=reg, status=status)
    _anonymise(reg)
    # and the condition no longer holds (the portrait arrives later)
    Registration.objects.filter(pk=reg.pk).update(has_portrait=True)
    # when the rule runs
    _check("MISSING_PHOTOS")
    # then its flag stays exactly as it was
    flag.refresh_from_db()
    assert flag.status == status
    assert flag.resolved_at is None
    assert flag.events.count() == 0


def test_a_flag_of_a_registration_not_anonymised_is_resolved():
    # near miss: the same without anonymisation resolves
    reg = RegistrationFactory(has_portrait=False)
    flag = make_flag("MISSING_PHOTOS", registration=reg)
    Registration.objects.filter(pk=reg.pk).update(has_portrait=True)
    _check("MISSING_PHOTOS")
    flag.refresh_from_db()
    assert flag.status == FlagStatus.RESOLVED


def test_a_resolved_flag_of_an_anonymised_registration_is_not_reopened():
    reg = RegistrationFactory(has_portrait=False)
    flag = make_flag("MISSING_PHOTOS", registration=reg, status=FlagStatus.RESOLVED)
    _anonymise(reg)
    _check("MISSING_PHOTOS")
    flag.refresh_from_db()
    assert flag.status == FlagStatus.RESOLVED


def test_an_anonymised_registration_is_not_counted_by_the_group_rules(hanoi_point):
    # given four registrations of one ID document at an authorised point: the 4th is flagged
    regs = [RegistrationFactory(point=hanoi_point, id_doc_number="001090123456") for _ in range(4)]
    from agents.models import RegistrationPoint

    RegistrationPoint.objects.filter(pk=hanoi_point.pk).update(kind="AUTHORISED_FIXED")
    _check("EXCESS_SIMS_PER_ID")
    assert set(Flag.objects.filter(rule__code="EXCESS_SIMS_PER_ID").values_list("registration_id", flat=True)) == {
        max(regs, key=lambda r: (r.registered_at, r.external_id)).pk
    }
    # when the first one is anonymised, only three are counted: the 4th's flag resolves
    first = min(regs, key=lambda r: (r.registered_at, r.external_id))
    _anonymise(first)
    _check("EXCESS_SIMS_PER_ID")
    assert not Flag.objects.filter(rule__code="EXCESS_SIMS_PER_ID", status=FlagStatus.OPEN).exists()
