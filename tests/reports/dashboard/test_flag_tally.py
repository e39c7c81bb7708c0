"""The dashboard's open-flag figures agree with the flag queue after every kind of write to the flags.

On PostgreSQL they come from the trigger-kept tally (reports.dashboard.models.FlagTally); each step below
writes flags the way a part of the product does, then compares the dashboard's groups, for an every-province
user and a Hà Nội user, with the queue's own rows counted live.
"""

from collections import Counter

import pytest
from django.db import connection

from core.roles import Role
from registrations.checks.runner import run_checks
from registrations.checks.services import flags_review
from registrations.models import CheckRun, Flag, FlagStatus, Severity
from reports.dashboard.models import FlagTally
from reports.dashboard.selectors import flag_groups
from reports.dashboard.services import dashboard_aggregate, flag_tally_rebuild
from tests.agents.factories import PointFactory
from tests.registrations.factories import ActivationFactory, RegistrationFactory
from tests.registrations.flag_factories import make_flag

from .scene import HANOI, SAIGON

POSTGRES = pytest.mark.skipif("connection.vendor != 'postgresql'", reason="the tally's triggers are PostgreSQL's")


def live(user) -> Counter:
    flags = Flag.objects.for_user(user).filter(status__in=(FlagStatus.OPEN, FlagStatus.CONFIRMED))
    return Counter((f.rule_id, f.severity, f.status) for f in flags)


def shown(user) -> Counter:
    return Counter({(rule, severity, status): n for rule, severity, status, n in flag_groups(user)})


@pytest.fixture
def users(make_user):
    return make_user(Role.MANAGER), make_user(Role.OFFICER, provinces=[HANOI])


def assert_agree(users):
    for user in users:
        assert shown(user) == live(user)


@pytest.mark.django_db
def test_every_write_keeps_the_figures_exact(users):
    hanoi, saigon = PointFactory(province_code=HANOI), PointFactory(province_code=SAIGON)
    regs = [RegistrationFactory(point=hanoi) for _ in range(3)] + [RegistrationFactory(point=saigon)]
    # new flags (INSERT), one without a point
    flags = [make_flag("MISSING_PHOTOS", registration=reg) for reg in regs]
    make_flag("ACTIVATED_UNREGISTERED", activation=ActivationFactory())
    assert_agree(users)
    assert sum(shown(users[1]).values()) == 3  # Hà Nội's three, not Sài Gòn's, not the point-less one
    # a review (UPDATE through the service): confirmed, dismissed
    flags_review(flags=[flags[0]], to_status=FlagStatus.CONFIRMED, reason="Confirmed on the phone", actor=users[0])
    flags_review(flags=[flags[1]], to_status=FlagStatus.DISMISSED, reason="A photo came late", actor=users[0])
    assert_agree(users)
    # a re-imported registration moves its flag to another province's point (the runner's UPDATE of point_id)
    Flag.objects.filter(pk=flags[2].pk).update(point=saigon)
    assert_agree(users)
    # a rule's new severity stamped on its open flags
    Flag.objects.filter(pk=flags[3].pk).update(severity=Severity.CRITICAL)
    assert_agree(users)
    # retention deletes a registration: its flags go by cascade (DELETE)
    regs[0].delete()
    assert_agree(users)
    assert flag_tally_rebuild() in (0, None)


@pytest.mark.django_db
def test_a_check_run_keeps_the_figures_exact(users):
    # a registration with no photos is flagged by the run, then resolved by the next one once it has them
    point = PointFactory(province_code=HANOI)
    reg = RegistrationFactory(point=point, has_portrait=False)
    run_checks(codes=["MISSING_PHOTOS"], trigger=CheckRun.Trigger.COMMAND)
    assert_agree(users)
    assert sum(shown(users[1]).values()) >= 1
    type(reg).objects.filter(pk=reg.pk).update(has_portrait=True, has_id_front=True, has_id_back=True)
    run_checks(codes=["MISSING_PHOTOS"], trigger=CheckRun.Trigger.COMMAND)
    assert_agree(users)
    assert Flag.objects.get(registration=reg).status == FlagStatus.RESOLVED


@POSTGRES
@pytest.mark.django_db(transaction=True)  # TRUNCATE refuses to run with the test transaction's deferred checks
def test_truncate_empties_the_tally(provinces_loaded, users):
    make_flag("MISSING_PHOTOS", registration=RegistrationFactory(point=PointFactory(province_code=HANOI)))
    assert FlagTally.objects.exists()
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE registrations_flagevent, registrations_flag CASCADE")
    assert not FlagTally.objects.filter(n__gt=0).exists()
    assert_agree(users)


@POSTGRES
@pytest.mark.django_db
def test_the_nightly_step_finds_and_repairs_drift(users):
    make_flag("MISSING_PHOTOS", registration=RegistrationFactory(point=PointFactory(province_code=HANOI)))
    assert dashboard_aggregate()["flag_tally_drift"] == 0
    FlagTally.objects.update(n=7)  # as if a write had gone round the triggers
    assert shown(users[0]) != live(users[0])
    assert dashboard_aggregate()["flag_tally_drift"] == 1
    assert_agree(users)
