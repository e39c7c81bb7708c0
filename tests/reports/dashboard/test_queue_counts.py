"""The flag queue's per-rule counts from the dashboard's tally (issue 15): the same numbers the queue counts itself,
served only where the tally holds exactly the queue's flags.

reports.dashboard registers its tally as a count source of registrations.checks.selectors; on PostgreSQL, for a
user with every province, open or confirmed flags, filtered at most by severity, the queue reads the tally instead
of counting flags. Everywhere else the source declines and the queue counts as before.
"""

import pytest
from django.db import connection

from core.roles import Role
from registrations.checks import selectors
from registrations.checks.services import flags_review
from registrations.models import Flag, FlagStatus, Severity
from reports.dashboard.selectors import queue_rule_counts
from tests.agents.factories import PointFactory
from tests.registrations.factories import ActivationFactory, RegistrationFactory
from tests.registrations.flag_factories import make_flag

from .scene import HANOI, SAIGON

pytestmark = pytest.mark.django_db
POSTGRES = pytest.mark.skipif(connection.vendor != "postgresql", reason="the tally's triggers are PostgreSQL's")
DEFAULT = {"status": FlagStatus.OPEN, "severity": "", "province": None, "agent": "", "point": "", "live": None}


def counted(user, **filters) -> dict[str, int]:
    """What the queue counts itself, rule code -> n."""
    flags = Flag.objects.for_user(user)
    if filters.get("status"):
        flags = flags.filter(status=filters["status"])
    if filters.get("severity"):
        flags = flags.filter(severity=filters["severity"])
    return {row["code"]: row["n"] for row in selectors.rule_counts_capped(flags)}


def tallied(user, **filters) -> dict[str, int] | None:
    found = queue_rule_counts(user, {**DEFAULT, **filters})
    if found is None:
        return None
    return {row["code"]: row["n"] for row in selectors._count_rows(found, cap=None)}


@pytest.fixture
def scene(make_user):
    hanoi, saigon = PointFactory(province_code=HANOI), PointFactory(province_code=SAIGON)
    regs = [RegistrationFactory(point=hanoi) for _ in range(3)] + [RegistrationFactory(point=saigon)]
    flags = [make_flag("MISSING_PHOTOS", registration=reg) for reg in regs]
    make_flag("INCOMPLETE_RECORD", registration=regs[0])
    make_flag("ACTIVATED_UNREGISTERED", activation=ActivationFactory())  # no point
    return make_user(Role.MANAGER), make_user(Role.OFFICER, provinces=[HANOI]), flags


@POSTGRES
def test_the_tally_gives_the_counts_the_queue_would_count(scene):
    manager, _, flags = scene
    assert (
        tallied(manager)
        == counted(manager, status=FlagStatus.OPEN)
        == {
            "ACTIVATED_UNREGISTERED": 1,
            "INCOMPLETE_RECORD": 1,
            "MISSING_PHOTOS": 4,
        }
    )
    # a review moves the figures at once (the triggers write in the review's transaction)
    flags_review(flags=flags[:2], to_status=FlagStatus.CONFIRMED, reason="Confirmed on the phone", actor=manager)
    assert tallied(manager)["MISSING_PHOTOS"] == counted(manager, status=FlagStatus.OPEN)["MISSING_PHOTOS"] == 2
    assert tallied(manager, status=FlagStatus.CONFIRMED) == counted(manager, status=FlagStatus.CONFIRMED)
    assert tallied(manager, status=FlagStatus.CONFIRMED) == {"MISSING_PHOTOS": 2}
    severity = flags[2].severity
    other = next(s for s in Severity.values if s != severity)
    assert tallied(manager, severity=severity) == counted(manager, status=FlagStatus.OPEN, severity=severity)
    assert tallied(manager, severity=other) == counted(manager, status=FlagStatus.OPEN, severity=other)


@POSTGRES
def test_the_tally_declines_what_it_does_not_hold_exactly(scene):
    manager, hanoi_officer, _ = scene
    # a province-limited user: flags without a point have no province in the tally
    assert tallied(hanoi_officer) is None
    # statuses it does not keep, or every status
    assert tallied(manager, status=FlagStatus.DISMISSED) is None
    assert tallied(manager, status="") is None
    # any filter its columns cannot answer
    assert tallied(manager, province="001") is None
    assert tallied(manager, point="HN-0001") is None
    assert tallied(manager, live=True) is None


def test_the_queue_page_counts_the_same_whichever_way(scene, client):
    """The page's per-rule figures equal the rows listed under each rule's link, tally or not (SQLite: counted)."""
    manager, hanoi_officer, _ = scene
    for user, expected in ((manager, 4), (hanoi_officer, 3)):
        client.force_login(user)
        counts = {row["code"]: row for row in client.get("/registrations/flags/").context["counts"]}
        assert counts["MISSING_PHOTOS"]["n"] == expected
        listed = client.get("/registrations/flags/?" + counts["MISSING_PHOTOS"]["query"]).context["page"]
        assert len(listed.items) == expected
