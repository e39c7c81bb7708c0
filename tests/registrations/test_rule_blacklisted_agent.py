"""BLACKLISTED_AGENT (issue 16): an agent or point carrying another agent's blacklisted tax code, phone or owner's
ID document is flagged; one digit off, an entry expired, lifted or not yet listed, and the terminated agent
itself are near misses that flag nothing. Run as SQL on whatever database the suite runs on."""

import datetime as dt
import itertools

import pytest
from django.utils import timezone

from agents import services as agent_services
from agents.blacklist import services as blacklist
from agents.blacklist.models import BlacklistEntry
from agents.models import Agent, RegistrationPoint, Status
from registrations.checks import rules
from registrations.checks.runner import run_checks
from registrations.models import CheckRun, Flag, FlagStatus, Severity, SubjectType
from tests.agents.factories import AgentFactory, PointFactory

pytestmark = pytest.mark.django_db

CODE = "BLACKLISTED_AGENT"
TAX = "0100109106"
OTHER_TAX = "0101248141"  # valid, and not TAX
PHONE = "+84912345678"
OWNER = ("CCCD", "001090012345")


def hits(now=None) -> set[tuple[str, int]]:
    return {(subject_type, subject_id) for subject_id, _p, _a, subject_type in rules.evaluate(CODE, {}, now)}


_phones = itertools.count(100)


def clean_agent(**kwargs) -> Agent:
    """An agent sharing nothing with any other: no tax code of the listed one, a phone of its own."""
    phone = f"+84987000{next(_phones):03d}"
    values = {"tax_code": OTHER_TAX, "phone": phone, "owner_id_doc_type": "", "owner_id_doc_number": ""}
    return AgentFactory(**{**values, **kwargs})


@pytest.fixture
def listed(officer) -> Agent:
    """A dealer terminated in the app: its tax code, phone and owner's CCCD on the blacklist."""
    agent = AgentFactory(tax_code=TAX, phone=PHONE, owner_id_doc_type=OWNER[0], owner_id_doc_number=OWNER[1])
    agent_services.agent_terminate(agent=agent, reason="Pre-activated SIMs", actor=officer)
    return agent


# --- fires on each field ---------------------------------------------------------------------------------


def test_a_new_agent_with_the_same_tax_code_is_flagged(listed):
    comeback = clean_agent(tax_code=TAX)
    assert hits() == {("agent", comeback.pk)}


def test_a_new_agent_with_the_same_phone_written_otherwise_is_flagged(listed):
    comeback = clean_agent(phone="0912 345 678")
    assert hits() == {("agent", comeback.pk)}


def test_a_new_agent_whose_owner_has_the_same_document_is_flagged(listed):
    comeback = clean_agent(owner_id_doc_type="CCCD", owner_id_doc_number="001.090.012.345")
    assert hits() == {("agent", comeback.pk)}


def test_a_point_with_a_blacklisted_phone_of_its_own_is_flagged_and_its_agent_is_not(listed):
    point = PointFactory(agent=clean_agent(), phone="84912345678")
    assert hits() == {("point", point.pk)}


def test_a_point_whose_owner_has_a_blacklisted_document_is_flagged(listed):
    point = PointFactory(agent=clean_agent(), owner_id_doc_type="CCCD", owner_id_doc_number="001090012345")
    assert hits() == {("point", point.pk)}


def test_the_points_of_an_agent_that_matches_are_flagged_with_it(listed):
    point = PointFactory(agent=clean_agent(tax_code=TAX))
    assert hits() == {("agent", point.agent_id), ("point", point.pk)}


def test_a_listed_points_phone_is_blacklisted_too(officer):
    # given: the terminated dealer's point had a phone of its own
    dealer = clean_agent()
    PointFactory(agent=dealer, phone="+84911222333")
    agent_services.agent_terminate(agent=dealer, reason="Fraud", actor=officer)
    # when
    comeback = clean_agent(tax_code="0100109106-001", phone="0911222333")
    # then
    assert hits() == {("agent", comeback.pk)}


def test_an_entry_added_by_a_manager_counts_like_a_termination(manager):
    dealer = clean_agent(tax_code=TAX)
    blacklist.blacklist_add(agent=dealer, reason="Owner convicted", actor=manager)
    comeback = clean_agent(tax_code=TAX)
    assert hits() == {("agent", comeback.pk)}


# --- near misses ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "values",
    [
        {"tax_code": "0100109106-001"},  # a branch of the listed tax code: another code
        {"phone": "+84912345679"},  # one digit off
        {"owner_id_doc_type": "CCCD", "owner_id_doc_number": "001090012346"},  # one digit off
        {"owner_id_doc_type": "CMND", "owner_id_doc_number": "001090012345"},  # same number, another document
    ],
)
def test_one_digit_off_or_another_kind_of_document_is_no_match(listed, values):
    clean_agent(**values)
    assert hits() == set()


def test_an_expired_entry_matches_nothing(listed):
    clean_agent(tax_code=TAX)
    BlacklistEntry.objects.filter(agent=listed).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert hits() == set()


def test_an_entry_matches_until_the_instant_it_expires(listed):
    comeback = clean_agent(tax_code=TAX)
    entry = BlacklistEntry.objects.get(agent=listed)
    assert hits(entry.expires_at - dt.timedelta(seconds=1)) == {("agent", comeback.pk)}
    assert hits(entry.expires_at) == set()


def test_an_entry_not_yet_listed_at_the_instant_judged_matches_nothing(listed):
    clean_agent(tax_code=TAX)
    entry = BlacklistEntry.objects.get(agent=listed)
    assert hits(entry.listed_at - dt.timedelta(seconds=1)) == set()


def test_a_lifted_entry_matches_nothing(listed, manager):
    clean_agent(tax_code=TAX)
    blacklist.blacklist_lift(entry=BlacklistEntry.objects.get(agent=listed), reason="Annulled", actor=manager)
    assert hits() == set()


def test_the_terminated_agent_and_its_own_points_are_not_flagged_by_its_own_entry(officer):
    # given: a dealer listed by hand while still active, with a point carrying the listed phone
    dealer = clean_agent(tax_code=TAX)
    point = PointFactory(agent=dealer, phone=PHONE)
    blacklist.blacklist_add(agent=dealer, reason="Owner convicted", actor=_manager())
    # then: neither the (active) listed agent nor its point matches its own entry
    assert hits() == set()
    assert point.agent_id == dealer.pk


def _manager():
    from core.roles import Role
    from tests.factories import UserFactory

    return UserFactory(role=Role.MANAGER, username="boss")


def test_terminated_agents_and_points_are_not_judged(listed, officer):
    other = clean_agent(tax_code=TAX)
    point = PointFactory(agent=clean_agent(), phone=PHONE)
    agent_services.agent_terminate(agent=other, reason="Also fraud", actor=officer)
    agent_services.point_terminate(point=point, reason="Closed", actor=officer)
    assert hits() == set()


def test_blank_identities_never_match(officer):
    dealer = clean_agent(tax_code="", phone="")
    agent_services.agent_terminate(agent=dealer, reason="Fraud", actor=officer)
    clean_agent(tax_code="", phone="")
    assert hits() == set()


# --- recorded by run_checks -------------------------------------------------------------------------------


def run(**kwargs) -> CheckRun:
    return run_checks(codes=[CODE], trigger=CheckRun.Trigger.COMMAND, **kwargs)


def test_a_run_raises_a_critical_flag_on_the_agent_and_on_the_point(listed):
    # given
    comeback = clean_agent(tax_code=TAX)
    point = PointFactory(agent=comeback)
    # when
    result = run()
    # then
    assert result.status == CheckRun.Status.DONE, result.results
    assert result.results[CODE]["new"] == 2
    agent_flag = Flag.objects.get(rule__code=CODE, subject_type=SubjectType.AGENT)
    assert (agent_flag.subject_id, agent_flag.agent_id, agent_flag.point_id) == (comeback.pk, comeback.pk, None)
    assert agent_flag.severity == Severity.CRITICAL
    point_flag = Flag.objects.get(rule__code=CODE, subject_type=SubjectType.POINT)
    assert (point_flag.subject_id, point_flag.point_id, point_flag.agent_id) == (point.pk, point.pk, comeback.pk)


def test_an_agent_and_a_point_of_the_same_id_get_a_flag_each(listed):
    # given: an agent and a point whose ids are equal, both matching
    point = PointFactory(agent=clean_agent(), phone=PHONE)
    agent = clean_agent(tax_code=TAX)
    Agent.objects.filter(pk=agent.pk).update(id=10_000)
    RegistrationPoint.objects.filter(pk=point.pk).update(id=10_000)
    # when
    run()
    # then
    assert set(Flag.objects.filter(rule__code=CODE).values_list("subject_type", "subject_id")) == {
        ("agent", 10_000),
        ("point", 10_000),
    }


def test_a_rerun_changes_nothing_and_lifting_the_entry_resolves_the_flag(listed, manager):
    # given
    clean_agent(tax_code=TAX)
    run()
    # when
    again = run()
    # then
    assert again.results[CODE]["new"] == 0
    assert again.results[CODE]["still_open"] == 1
    # when
    blacklist.blacklist_lift(entry=BlacklistEntry.objects.get(agent=listed), reason="Annulled", actor=manager)
    lifted = run()
    # then
    assert lifted.results[CODE]["resolved"] == 1
    assert Flag.objects.get(rule__code=CODE).status == FlagStatus.RESOLVED


def test_an_agent_updated_to_a_blacklisted_phone_is_flagged_by_the_next_run(listed, officer):
    comeback = clean_agent()
    run()
    agent_services.agent_update(agent=comeback, actor=officer, phone="0912345678")
    run()
    assert Flag.objects.get(rule__code=CODE, subject_type=SubjectType.AGENT).subject_id == comeback.pk


def test_an_incremental_run_judges_the_rule_in_full(listed):
    # given: a full run, then a comeback
    run()
    comeback = clean_agent(tax_code=TAX)
    # when
    later = run(incremental=True)
    # then
    assert later.status == CheckRun.Status.DONE
    assert later.watermark["rules"][CODE]["mode"] == "full"
    assert Flag.objects.get(rule__code=CODE).subject_id == comeback.pk


def test_a_critical_flag_of_this_rule_is_announced_as_flags_critical_raised(listed, monkeypatch):
    # given
    from core import events

    published = []
    monkeypatch.setattr(events, "publish", lambda event_type, data: published.append((event_type, data)))
    clean_agent(tax_code=TAX)
    # when
    run()
    # then
    assert [event for event, _ in published] == ["flags.critical_raised"]
    assert published[0][1]["counts"] == {CODE: 1}


def test_the_terminated_agent_stays_unflagged_after_a_run(listed):
    run()
    assert not Flag.objects.filter(rule__code=CODE).exists()
    assert Agent.objects.get(pk=listed.pk).status == Status.TERMINATED
